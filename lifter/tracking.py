"""Cleaning one performer's 2D track over time: one person kept, left/right swaps fixed, short gaps filled.

Pure functions on (frames, joints, 2) pixel arrays with (frames, joints) scores; a joint is missing
where its score is 0 or its coordinates are NaN. The order :func:`clean_track` applies them in:

1. :func:`main_performer` — BlazePose's legacy tracker follows one person and, after losing them,
   re-detects whoever is most salient. Who is who comes from :func:`track_people`: continuity of
   position (predicted with the person's velocity), size (box diagonal, which turning over hardly
   changes) and appearance (colour histograms, :func:`appearance_distances`), never from the pose; a
   person unseen for a while may come back anywhere if they look the same. The identity seen in the
   most frames is the performer and the other frames are blanked (missing) and marked. Detection
   (``videopose.lifter.detect``) runs the same tracker frame by frame (:func:`assign_identities`) to
   know where to search again for a lost person, and :func:`track_prominence` picks the main one.
2. :func:`fix_left_right_swaps` — a detector may label a limb's left and right the wrong way round
   for a frame or a few (typical when the legs cross or the person is side-on). A frame whose swapped
   assignment is much closer (``ratio``) to the previous, already-corrected frame than its own is
   flagged; within each run of frames, the labelling most frames agree on wins.
3. :func:`fill_short_gaps` — gaps of at most ``max_gap`` frames between two known values are filled by
   linear interpolation with score ``FILL_SCORE_FACTOR`` (0.3) times the mean of the two bounding
   scores, so a filled joint is visibly less trusted than a detected one; longer gaps and gaps at the
   clip's ends stay missing (NaN, score 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.layouts import Layout

FILL_SCORE_FACTOR = 0.3
# Joints below this score are ignored when measuring boxes and swaps.
MIN_SCORE = 0.3
# Body parts whose left/right labels are checked together (by the joint name after ``left_``/``right_``).
SWAP_GROUPS: dict[str, tuple[str, ...]] = {
    "legs": ("hip", "knee", "ankle", "heel", "foot_index", "big_toe", "small_toe"),
    "arms": ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"),
    "face": ("eye_inner", "eye", "eye_outer", "ear", "mouth"),
}


def missing_mask(keypoints: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(frames, joints) True where a joint is unknown: NaN coordinates or a score of 0 or less."""
    return ~np.isfinite(keypoints).all(axis=-1) | ~(scores > 0)


def fill_short_gaps(
    keypoints: np.ndarray, scores: np.ndarray, max_gap: int, score_factor: float = FILL_SCORE_FACTOR
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linearly interpolate runs of at most ``max_gap`` missing frames between two known values.

    keypoints: (frames, joints, 2); scores: (frames, joints). Returns new ``(keypoints, scores, filled)``,
    filled: (frames, joints) bool. A filled joint's score is ``score_factor`` times the mean of the two
    known scores around the gap. Longer gaps and gaps touching the clip's ends become NaN with score 0.
    """
    keypoints = np.array(keypoints, dtype=np.float32)
    scores = np.array(scores, dtype=np.float32)
    missing = missing_mask(keypoints, scores)
    keypoints[missing] = np.nan
    scores[missing] = 0.0
    filled = np.zeros_like(missing)
    frames = np.arange(len(keypoints))
    for joint in np.flatnonzero(missing.any(axis=0)):
        known = np.flatnonzero(~missing[:, joint])
        if len(known) < 2:
            continue
        # Consecutive known frames more than one apart bound a gap.
        starts, ends = known[:-1], known[1:]
        gaps = (ends - starts - 1 >= 1) & (ends - starts - 1 <= max_gap)
        for before, after in zip(starts[gaps], ends[gaps]):
            inside = frames[before + 1:after]
            weight = ((inside - before) / (after - before))[:, None]
            keypoints[inside, joint] = (1 - weight) * keypoints[before, joint] + weight * keypoints[after, joint]
            scores[inside, joint] = score_factor * 0.5 * (scores[before, joint] + scores[after, joint])
            filled[inside, joint] = True
    return keypoints, scores, filled


def bounding_boxes(keypoints: np.ndarray, scores: np.ndarray, min_score: float = MIN_SCORE) -> np.ndarray:
    """(frames, 4) [x0, y0, x1, y1] around each frame's joints scoring at least ``min_score``; NaN if none."""
    usable = np.isfinite(keypoints).all(axis=-1) & (scores >= min_score)
    points = np.where(usable[..., None], keypoints, np.nan)
    boxes = np.full((len(keypoints), 4), np.nan, dtype=np.float64)
    present = usable.any(axis=1)
    boxes[present, :2] = np.nanmin(points[present], axis=1)
    boxes[present, 2:] = np.nanmax(points[present], axis=1)
    return boxes


def box_centres_and_sizes(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) [x0, y0, x1, y1] boxes -> (n, 2) centres and (n,) sizes (the diagonal, at least 1 pixel)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    centres = 0.5 * (boxes[:, :2] + boxes[:, 2:])
    sizes = np.maximum(np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]), 1.0)
    return centres, sizes


def appearance_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Bhattacharyya distances in [0, 1] between (n, bins) and (m, bins) colour histograms -> (n, m).

    Histograms need not be normalised; a row that is all zero or NaN (no appearance known) is at
    distance 0 from everything, so it neither joins nor separates people.
    """
    def normalised(histograms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        histograms = np.nan_to_num(np.asarray(histograms, dtype=np.float64), nan=0.0).clip(min=0.0)
        totals = histograms.sum(axis=1, keepdims=True)
        return histograms / np.maximum(totals, 1e-12), totals[:, 0] > 0

    a, known_a = normalised(first)
    b, known_b = normalised(second)
    overlap = np.sqrt(a) @ np.sqrt(b).T
    distances = np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0))
    distances[~known_a] = 0.0
    distances[:, ~known_b] = 0.0
    return distances


@dataclass(frozen=True)
class TrackerSettings:
    """How far people may move and change between frames, in body sizes (box diagonals) per frame.

    max_step: distance from the predicted position (last position + velocity) allowed one frame on;
    step_per_lost_frame: extra allowance per further frame since the person was last seen;
    max_size_ratio: box diagonal change allowed (a rotating body changes its box's aspect, not much
    its diagonal); max_appearance: Bhattacharyya distance of colour histograms allowed;
    reidentify_after: frames unseen after which position no longer counts (the person left and came
    back) and the appearance must be within ``reidentify_appearance``; velocity_smoothing and
    appearance_smoothing: weight of the newest frame in the running velocity and histogram;
    max_extrapolation: frames the velocity is carried forward over a gap; max_speed: the running
    velocity's limit, body sizes per frame (one bad detection must not throw the prediction away).
    """

    max_step: float = 0.5
    step_per_lost_frame: float = 0.1
    max_size_ratio: float = 2.0
    max_appearance: float = 0.9
    reidentify_after: int = 15
    reidentify_appearance: float = 0.35
    velocity_smoothing: float = 0.2
    appearance_smoothing: float = 0.2
    max_extrapolation: int = 5
    max_speed: float = 0.12


@dataclass(frozen=True)
class TrackState:
    """Everyone tracked so far, one row per track: ``last_frame`` (tracks,) int, ``centre`` (tracks, 2)
    and ``velocity`` (tracks, 2) pixels and pixels per frame, ``size`` (tracks,) pixels, ``appearance``
    (tracks, bins) running colour histogram (zeros where unknown), ``frames_seen`` (tracks,) int."""

    last_frame: np.ndarray
    centre: np.ndarray
    velocity: np.ndarray
    size: np.ndarray
    appearance: np.ndarray
    frames_seen: np.ndarray

    @classmethod
    def empty(cls, bins: int = 0) -> "TrackState":
        return cls(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), np.zeros((0, bins)),
                   np.zeros(0, np.int64))

    @property
    def num_tracks(self) -> int:
        return int(len(self.last_frame))

    def predicted_centres(self, frame: int, settings: TrackerSettings = TrackerSettings()) -> np.ndarray:
        """(tracks, 2) where each track is expected at ``frame``: constant velocity over a short gap."""
        elapsed = np.clip(frame - self.last_frame, 0, settings.max_extrapolation)
        return self.centre + self.velocity * elapsed[:, None]


def association_costs(
    state: TrackState, frame: int, boxes: np.ndarray, histograms: np.ndarray | None = None,
    settings: TrackerSettings = TrackerSettings(),
) -> np.ndarray:
    """(tracks, n) cost of giving each of ``frame``'s (n, 4) boxes each track's identity; ``inf`` where
    the box is too far from where the track was heading, too different in size, or looks different.

    A cost is the sum of the three terms, each scaled to 1 at its limit: distance to the predicted
    centre, log size ratio, colour-histogram distance (:func:`appearance_distances`).
    """
    centres, sizes = box_centres_and_sizes(boxes)
    if state.num_tracks == 0 or len(centres) == 0:
        return np.zeros((state.num_tracks, len(centres)))
    elapsed = np.maximum(frame - state.last_frame, 1)[:, None]
    allowed = np.maximum(state.size[:, None], sizes[None]) * (
        settings.max_step + settings.step_per_lost_frame * (elapsed - 1))
    distance = np.linalg.norm(centres[None] - state.predicted_centres(frame, settings)[:, None], axis=-1) / allowed
    size = np.abs(np.log(sizes[None] / state.size[:, None])) / np.log(settings.max_size_ratio)
    if histograms is None or state.appearance.shape[1] == 0:
        appearance, known = np.zeros_like(distance), np.zeros(distance.shape, dtype=bool)
    else:
        appearance = appearance_distances(state.appearance, histograms)
        known = (state.appearance.sum(axis=1) > 0)[:, None] & (np.nan_to_num(histograms).sum(axis=1) > 0)[None]
    # Long unseen and both appearances known: the person may come back anywhere, if they look the same.
    returning = (elapsed >= settings.reidentify_after) & known
    position_ok = (distance <= 1.0) | returning
    appearance_ok = appearance <= np.where(returning, settings.reidentify_appearance, settings.max_appearance)
    costs = np.where(returning, 1.0, np.minimum(distance, 1.0)) + size + appearance / settings.max_appearance
    return np.where(position_ok & (size <= 1.0) & appearance_ok, costs, np.inf)


def assign_identities(
    state: TrackState, frame: int, boxes: np.ndarray, histograms: np.ndarray | None = None,
    settings: TrackerSettings = TrackerSettings(),
) -> tuple[np.ndarray, TrackState]:
    """Give ``frame``'s (n, 4) boxes (with (n, bins) colour histograms, or None) track identities.

    Boxes and tracks are paired at least total :func:`association_costs` (Hungarian); a box that fits
    no track starts a new one. Returns (n,) identities (row numbers of the returned state) and the
    updated :class:`TrackState`.
    """
    from scipy.optimize import linear_sum_assignment

    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    bins = state.appearance.shape[1] if histograms is None else np.asarray(histograms).shape[1]
    if histograms is None:
        histograms_now = np.zeros((len(boxes), bins))
    else:
        histograms_now = np.nan_to_num(np.asarray(histograms, dtype=np.float64), nan=0.0)
    if state.num_tracks == 0 and state.appearance.shape[1] != bins:
        state = TrackState.empty(bins)
    costs = association_costs(state, frame, boxes, histograms, settings)
    identities = np.full(len(boxes), -1, dtype=np.int64)
    if costs.size:
        rows, columns = linear_sum_assignment(np.where(np.isfinite(costs), costs, 1e6))
        good = np.isfinite(costs[rows, columns])
        identities[columns[good]] = rows[good]
    centres, sizes = box_centres_and_sizes(boxes)
    last_frame, centre, velocity = state.last_frame.copy(), state.centre.copy(), state.velocity.copy()
    size, appearance, seen = state.size.copy(), state.appearance.copy(), state.frames_seen.copy()
    matched = np.flatnonzero(identities >= 0)
    tracks = identities[matched]
    if len(matched):
        elapsed = np.maximum(frame - last_frame[tracks], 1)[:, None]
        measured = (centres[matched] - centre[tracks]) / elapsed
        weight = settings.velocity_smoothing
        blended = np.where(elapsed <= settings.max_extrapolation, (1 - weight) * velocity[tracks] + weight * measured, 0.0)
        speed = np.linalg.norm(blended, axis=1, keepdims=True)
        limit = settings.max_speed * size[tracks][:, None]
        velocity[tracks] = blended * np.minimum(1.0, limit / np.maximum(speed, 1e-9))
        centre[tracks], size[tracks], last_frame[tracks] = centres[matched], sizes[matched], frame
        fresh = histograms_now[matched]
        has = fresh.sum(axis=1, keepdims=True) > 0
        known = appearance[tracks].sum(axis=1, keepdims=True) > 0
        fresh = fresh / np.maximum(fresh.sum(axis=1, keepdims=True), 1e-12)
        blend = np.where(known, 1 - settings.appearance_smoothing, 0.0)
        appearance[tracks] = np.where(has, blend * appearance[tracks] + (1 - blend) * fresh, appearance[tracks])
        seen[tracks] += 1
    new = np.flatnonzero(identities < 0)
    identities[new] = state.num_tracks + np.arange(len(new))
    fresh = histograms_now[new] / np.maximum(histograms_now[new].sum(axis=1, keepdims=True), 1e-12)
    state = TrackState(
        np.concatenate([last_frame, np.full(len(new), frame, np.int64)]), np.concatenate([centre, centres[new]]),
        np.concatenate([velocity, np.zeros((len(new), 2))]), np.concatenate([size, sizes[new]]),
        np.concatenate([appearance, fresh]), np.concatenate([seen, np.ones(len(new), np.int64)]),
    )
    return identities, state


def track_people(
    frames: np.ndarray, boxes: np.ndarray, histograms: np.ndarray | None = None,
    settings: TrackerSettings = TrackerSettings(),
) -> np.ndarray:
    """(n,) identity of each of n detections, given their (n,) frame numbers, (n, 4) boxes and optional
    (n, bins) colour histograms: :func:`assign_identities` frame after frame, in frame order.

    Who is who comes from continuity of position (with velocity), size and appearance only, never from
    the pose, so a body that turns upside down or changes its box's shape keeps its identity, and a
    person who leaves and comes back looking the same gets theirs back.
    """
    frames = np.asarray(frames, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    identities = np.full(len(frames), -1, dtype=np.int64)
    usable = np.isfinite(boxes).all(axis=1)
    state = TrackState.empty(0 if histograms is None else np.asarray(histograms).shape[1])
    for frame in np.unique(frames[usable]):
        rows = np.flatnonzero(usable & (frames == frame))
        identities[rows], state = assign_identities(
            state, int(frame), boxes[rows], None if histograms is None else np.asarray(histograms)[rows], settings)
    return identities


def person_identities(boxes: np.ndarray, jump: float = 0.5, histograms: np.ndarray | None = None) -> np.ndarray:
    """(frames,) identity per frame of a one-person-per-frame track, from (frames, 4) boxes (and
    optional (frames, bins) colour histograms); -1 where there is no box. See :func:`track_people`;
    ``jump`` is :attr:`TrackerSettings.max_step`.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    return track_people(np.arange(len(boxes)), boxes, histograms, TrackerSettings(max_step=jump))


def main_performer(
    keypoints: np.ndarray, scores: np.ndarray, jump: float = 0.5, histograms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the person seen in the most frames; blank the frames showing someone else.

    keypoints: (frames, joints, 2); scores: (frames, joints); histograms: optional (frames, bins)
    colour histograms of each frame's person (:func:`person_identities`). Returns new
    ``(keypoints, scores, other_person)`` with other_person: (frames,) bool, the frames blanked (NaN,
    score 0) because they show a different person.
    """
    identities = person_identities(bounding_boxes(keypoints, scores), jump=jump, histograms=histograms)
    other_person = np.zeros(len(keypoints), dtype=bool)
    if (identities >= 0).any():
        counts = np.bincount(identities[identities >= 0])
        other_person = (identities >= 0) & (identities != int(np.argmax(counts)))
    keypoints = np.array(keypoints, dtype=np.float32)
    scores = np.array(scores, dtype=np.float32)
    keypoints[other_person] = np.nan
    scores[other_person] = 0.0
    return keypoints, scores, other_person


def track_prominence(
    identities: np.ndarray, boxes: np.ndarray, width: float, height: float,
) -> np.ndarray:
    """(tracks,) how much each track is the clip's main performer: the sum over its frames of its box
    size (diagonal over the frame's) times its centrality (1 at the frame's centre, 0.5 at a corner),
    so more frames, larger and more central all count. identities: (n,) track of each (n, 4) box, -1 none.
    """
    identities = np.asarray(identities, dtype=np.int64)
    valid = (identities >= 0) & np.isfinite(np.asarray(boxes, dtype=np.float64)).all(axis=1)
    if not valid.any():
        return np.zeros(0)
    centres, sizes = box_centres_and_sizes(np.asarray(boxes)[valid])
    half_diagonal = 0.5 * float(np.hypot(width, height))
    off_centre = np.linalg.norm(centres - np.array([width, height]) / 2, axis=1) / max(half_diagonal, 1.0)
    weight = np.minimum(sizes / (2 * half_diagonal), 1.0) * (1.0 - 0.5 * np.clip(off_centre, 0.0, 1.0))
    return np.bincount(identities[valid], weights=weight, minlength=int(identities.max()) + 1)


def swap_group_indices(layout: Layout) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each of :data:`SWAP_GROUPS` the layout has: (left joint indices, their right twins)."""
    mirror = layout.mirror_permutation()
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for group, parts in SWAP_GROUPS.items():
        left = [i for i, name in enumerate(layout.names)
                if mirror[i] != i and "left" in name.split("_") and
                "_".join(token for token in name.split("_") if token != "left") in parts]
        if left:
            groups[group] = (np.array(left), mirror[np.array(left)])
    return groups


def _swap_cost(current: np.ndarray, previous: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean distance between (pairs, 2 sides, 2) points of two frames."""
    distances = np.linalg.norm(current - previous, axis=-1).sum(axis=-1)
    return float((weights * distances).sum() / max(weights.sum(), 1e-9))


def find_left_right_swaps(
    keypoints: np.ndarray, scores: np.ndarray, left: np.ndarray, right: np.ndarray,
    ratio: float = 0.5, min_motion: float = 0.05, max_gap: int = 3, min_score: float = MIN_SCORE,
) -> np.ndarray:
    """(frames,) bool: frames whose ``left``/``right`` joints (index arrays of twins) are labelled the
    other way round from the run they belong to.

    Frame t is compared with the previous usable frame (already corrected): if swapping t's labels
    brings it closer by a factor ``ratio``, and the unswapped distance exceeds ``min_motion`` body sizes,
    t is flipped. Runs break at gaps longer than ``max_gap`` frames; in each run the labelling most frames
    have is taken as right (a detector is right more often than wrong).
    """
    pairs = np.stack([keypoints[:, left], keypoints[:, right]], axis=2)  # (frames, pairs, 2 sides, 2)
    pair_scores = np.minimum(scores[:, left], scores[:, right])          # (frames, pairs)
    usable = np.isfinite(pairs).all(axis=(-1, -2)) & (pair_scores >= min_score)
    boxes = bounding_boxes(keypoints, scores, min_score)
    sizes = np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    body_size = float(np.nanmedian(sizes)) if np.isfinite(sizes).any() else 1.0

    flipped = np.zeros(len(keypoints), dtype=bool)
    run_of = np.full(len(keypoints), -1, dtype=np.int64)
    run, previous = -1, -1
    for frame in np.flatnonzero(usable.any(axis=1)):
        if previous < 0 or frame - previous > max_gap:
            run += 1
        else:
            weights = np.where(usable[frame] & usable[previous], np.minimum(pair_scores[frame], pair_scores[previous]), 0.0)
            if weights.sum() > 0:
                before = pairs[previous][:, ::-1] if flipped[previous] else pairs[previous]
                direct = _swap_cost(pairs[frame], before, weights)
                swapped = _swap_cost(pairs[frame][:, ::-1], before, weights)
                flipped[frame] = swapped < ratio * direct and direct > min_motion * body_size
            else:
                flipped[frame] = flipped[previous]
        run_of[frame] = run
        previous = frame
    for index in range(run + 1):
        members = run_of == index
        if flipped[members].sum() * 2 > members.sum():
            flipped[members] = ~flipped[members]
    return flipped


def fix_left_right_swaps(
    keypoints: np.ndarray, scores: np.ndarray, layout: Layout, ratio: float = 0.5, max_gap: int = 3
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Swap back the left/right labels of each body part (:data:`SWAP_GROUPS`) where they flipped.

    keypoints: (frames, joints, 2) in ``layout``; scores: (frames, joints). Returns new
    ``(keypoints, scores, swapped)`` with swapped: group name -> (frames,) bool of the frames fixed.
    """
    keypoints = np.array(keypoints, dtype=np.float32)
    scores = np.array(scores, dtype=np.float32)
    swapped: dict[str, np.ndarray] = {}
    for group, (left, right) in swap_group_indices(layout).items():
        flipped = find_left_right_swaps(keypoints, scores, left, right, ratio=ratio, max_gap=max_gap)
        both = np.concatenate([left, right])
        mirrored = np.concatenate([right, left])
        keypoints[np.ix_(flipped, both)] = keypoints[np.ix_(flipped, mirrored)]
        scores[np.ix_(flipped, both)] = scores[np.ix_(flipped, mirrored)]
        swapped[group] = flipped
    return keypoints, scores, swapped


@dataclass(frozen=True)
class CleanedTrack:
    """The output of :func:`clean_track`: arrays as given, plus what was changed where.

    keypoints: (frames, joints, 2); scores: (frames, joints); filled: (frames, joints) bool;
    swapped: group -> (frames,) bool; other_person: (frames,) bool.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    filled: np.ndarray
    swapped: dict[str, np.ndarray]
    other_person: np.ndarray


def clean_track(
    keypoints: np.ndarray, scores: np.ndarray, layout: Layout, max_gap: int, identify: bool = True,
) -> CleanedTrack:
    """Main performer (unless ``identify`` is False: the track is one person already), then left/right
    swap fixes, then short gaps filled (see the module docstring)."""
    if identify:
        keypoints, scores, other_person = main_performer(keypoints, scores)
    else:
        other_person = np.zeros(len(keypoints), dtype=bool)
    keypoints, scores, swapped = fix_left_right_swaps(keypoints, scores, layout)
    keypoints, scores, filled = fill_short_gaps(keypoints, scores, max_gap=max_gap)
    return CleanedTrack(keypoints, scores, filled, swapped, other_person)
