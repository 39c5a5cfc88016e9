"""Cleaning one performer's 2D track over time: one person kept, left/right swaps fixed, short gaps filled.

Pure functions on (frames, joints, 2) pixel arrays with (frames, joints) scores; a joint is missing
where its score is 0 or its coordinates are NaN. The order :func:`clean_track` applies them in:

1. :func:`main_performer` — BlazePose's legacy tracker follows one person and, after losing them,
   re-detects whoever is most salient. A bounding box that jumps further than a person moves (or
   changes size abruptly) starts a new identity; the identity seen in the most frames is the performer
   and the other frames are blanked (missing) and marked.
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


def _box_centre_and_size(box: np.ndarray) -> tuple[np.ndarray, float]:
    return 0.5 * (box[:2] + box[2:]), float(max(np.hypot(box[2] - box[0], box[3] - box[1]), 1.0))


def _same_person(box_before: np.ndarray, box_after: np.ndarray, frames_apart: int, jump: float) -> bool:
    centre_before, size_before = _box_centre_and_size(box_before)
    centre_after, size_after = _box_centre_and_size(box_after)
    size = max(size_before, size_after)
    # A person moves at most ``jump`` body sizes in one frame; allow a little more per frame of a gap.
    allowed = size * (jump + 0.1 * (frames_apart - 1))
    size_ratio = size_after / size_before
    return bool(np.linalg.norm(centre_after - centre_before) <= allowed and 0.5 <= size_ratio <= 2.0)


def person_identities(boxes: np.ndarray, jump: float = 0.5) -> np.ndarray:
    """(frames,) int identity per frame from (frames, 4) boxes; -1 where there is no box.

    A frame continues the identity of the last frame whose box it is near (centre within ``jump``
    body sizes per frame, size within a factor 2); otherwise it takes the nearest earlier identity
    that fits, or a new one.
    """
    identities = np.full(len(boxes), -1, dtype=np.int64)
    last_seen: list[tuple[int, np.ndarray]] = []  # identity -> (frame, box) where it was last seen
    current = -1
    for frame in np.flatnonzero(np.isfinite(boxes).all(axis=1)):
        box = boxes[frame]
        if current >= 0 and _same_person(last_seen[current][1], box, frame - last_seen[current][0], jump):
            chosen = current
        else:
            candidates = [
                (np.linalg.norm(_box_centre_and_size(seen)[0] - _box_centre_and_size(box)[0]), identity)
                for identity, (seen_frame, seen) in enumerate(last_seen)
                if identity != current and _same_person(seen, box, frame - seen_frame, jump)
            ]
            chosen = min(candidates)[1] if candidates else len(last_seen)
            if chosen == len(last_seen):
                last_seen.append((frame, box))
        last_seen[chosen] = (frame, box)
        identities[frame] = current = chosen
    return identities


def main_performer(
    keypoints: np.ndarray, scores: np.ndarray, jump: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the person seen in the most frames; blank the frames showing someone else.

    Returns new ``(keypoints, scores, other_person)`` with other_person: (frames,) bool, the frames
    blanked (NaN, score 0) because their box jumped to a different person.
    """
    identities = person_identities(bounding_boxes(keypoints, scores), jump=jump)
    other_person = np.zeros(len(keypoints), dtype=bool)
    if (identities >= 0).any():
        counts = np.bincount(identities[identities >= 0])
        other_person = (identities >= 0) & (identities != int(np.argmax(counts)))
    keypoints = np.array(keypoints, dtype=np.float32)
    scores = np.array(scores, dtype=np.float32)
    keypoints[other_person] = np.nan
    scores[other_person] = 0.0
    return keypoints, scores, other_person


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


def clean_track(keypoints: np.ndarray, scores: np.ndarray, layout: Layout, max_gap: int) -> CleanedTrack:
    """Main performer, then left/right swap fixes, then short gaps filled (see the module docstring)."""
    keypoints, scores, other_person = main_performer(keypoints, scores)
    keypoints, scores, swapped = fix_left_right_swaps(keypoints, scores, layout)
    keypoints, scores, filled = fill_short_gaps(keypoints, scores, max_gap=max_gap)
    return CleanedTrack(keypoints, scores, filled, swapped, other_person)
