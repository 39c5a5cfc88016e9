"""Foot contact detection from ankle height and speed, with hysteresis and a minimum duration.

A foot enters contact when its ankle is low (within ``enter_height`` of its contact level) and slow
(under ``enter_speed``), and leaves it only when it rises above ``exit_height`` or moves faster than
``exit_speed`` (hysteresis: noise around one threshold does not toggle the state). Contacts shorter
than ``min_duration`` seconds are dropped and gaps shorter than ``min_gap`` seconds are closed.
Speeds come from positions smoothed by a small Gaussian (the lifter's frame-to-frame jitter alone
would read as ~0.3 m/s at 30 fps). The defaults were tuned on CMU walks (cc/003, 005, 006, 007), clean
and with 1 cm of added noise: stance ankles move under ~0.15 m/s, a heel lifting off already at ~0.3 m/s,
and an ankle pinned through heel-off would drag the leg straight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from videopose.core.frame_runs import frame_runs


@dataclass(frozen=True)
class ContactThresholds:
    enter_height: float = 0.03  # m above the contact level
    exit_height: float = 0.04
    enter_speed: float = 0.25  # m/s
    exit_speed: float = 0.3  # a heel rising off the floor already moves the ankle at ~0.3 m/s
    min_duration: float = 0.1  # s
    min_gap: float = 0.07  # s
    speed_sigma: float = 0.06  # s: Gaussian smoothing of positions before differentiating


def point_speeds(positions: np.ndarray, fps: float, sigma_seconds: float = 0.04) -> np.ndarray:
    """(frames, ..., 3) positions -> (frames, ...) speeds in m/s (central differences of smoothed positions)."""
    if len(positions) < 2:
        return np.zeros(positions.shape[:-1])
    sigma = sigma_seconds * fps
    smoothed = gaussian_filter1d(positions, sigma, axis=0, mode="nearest") if sigma > 0.3 else positions
    velocity = np.gradient(smoothed, axis=0) * fps
    return np.linalg.norm(velocity, axis=-1)


def hysteresis(enter: np.ndarray, leave: np.ndarray) -> np.ndarray:
    """(frames, k) bool conditions -> (frames, k) state: on from an ``enter`` frame until a ``leave`` frame.

    Vectorised: each frame takes the latest decisive event at or before it (enter wins when both hold).
    """
    frames = len(enter)
    event = np.where(enter, 1, np.where(leave, -1, 0))
    index = np.where(event != 0, np.arange(frames)[:, None], -1)
    latest = np.maximum.accumulate(index, axis=0)
    state = np.take_along_axis(event, np.maximum(latest, 0), axis=0)
    return (latest >= 0) & (state == 1)


def clean_runs(mask: np.ndarray, min_length: int, min_gap: int) -> np.ndarray:
    """(frames,) bool -> gaps shorter than ``min_gap`` closed, then runs shorter than ``min_length`` dropped."""
    cleaned = mask.copy()
    for start, stop in frame_runs(~cleaned):
        if 0 < start and stop < len(cleaned) and stop - start < min_gap:
            cleaned[start:stop] = True
    for start, stop in frame_runs(cleaned):
        if stop - start < min_length:
            cleaned[start:stop] = False
    return cleaned


def detect_contacts(ankles: np.ndarray, fps: float, contact_level: float | np.ndarray | None = None,
                    thresholds: ContactThresholds = ContactThresholds()) -> np.ndarray:
    """(frames, feet, 3) world ankle positions (Z up) -> (frames, feet) bool contacts.

    ``contact_level``: the ankle height (z) when the foot is flat on the floor, per foot or shared;
    default: the 5th percentile of each ankle's height over the clip.
    """
    heights = ankles[..., 2]
    level = np.percentile(heights, 5, axis=0) if contact_level is None else np.asarray(contact_level)
    above = heights - level
    speeds = point_speeds(ankles, fps, thresholds.speed_sigma)
    enter = (above < thresholds.enter_height) & (speeds < thresholds.enter_speed)
    leave = (above > thresholds.exit_height) | (speeds > thresholds.exit_speed)
    state = hysteresis(enter, leave)
    min_length = max(2, int(round(thresholds.min_duration * fps)))
    min_gap = max(1, int(round(thresholds.min_gap * fps)))
    return np.stack([clean_runs(state[:, foot], min_length, min_gap) for foot in range(state.shape[1])], axis=1)


def foot_sliding(ankles: np.ndarray, contacts: np.ndarray) -> float:
    """Mean horizontal ankle motion (metres per frame) between consecutive frames both in contact."""
    steps = np.linalg.norm(np.diff(ankles[..., :2], axis=0), axis=-1)
    both = contacts[1:] & contacts[:-1]
    return float(steps[both].mean()) if both.any() else 0.0


@dataclass(frozen=True)
class ImageContactThresholds:
    """Thresholds of :func:`image_contacts` (speeds of image points converted to m/s at the foot's depth)."""

    enter_speed: float = 0.25  # m/s
    exit_speed: float = 0.4
    heel_enter_height: float = 0.05  # m: ankle over its flat-foot level, for a planted heel
    heel_exit_height: float = 0.08
    toe_height: float = 0.14  # m: ankle over its flat-foot level while only the toe is down (heel off)
    min_duration: float = 0.1  # s
    min_gap: float = 0.07  # s: a shorter break in a planted run is closed ...
    gap_radius_m: float = 0.02  # ... when the point is back within this of where it was before the break
    max_glitch: float = 0.3  # s: a longer break, back in place, closed while the other foot was in the air
    speed_sigma: float = 0.04  # s: Gaussian smoothing of pixel positions before differentiating
    max_point_speed: float = 6.0  # m/s: a point that jumps faster between two frames was lost by the detector
    dragged_m: float = 0.03  # a planted point this far from where it stood was moved by the detector (a stance's
    #                          ankle points stay within 2 cm of their median on pose2sim; dragged ones went 8-12 cm)


def implausible_jumps(pixels: np.ndarray, depth: np.ndarray, focal_px: float, fps: float, max_speed: float,
                      max_lost: int = 0, radius_m: float = 0.02) -> np.ndarray:
    """(frames, ..., 2) pixels, (frames, ...) depths in metres -> (frames, ...) bool: the frames where the detector
    lost a point. A step faster than ``max_speed`` m/s across the camera ray (a detector that put a foot's
    points on the other foot: 100-200 px in a frame on pose2sim cam02) marks the frame it jumped to, and the
    frame it jumped from where that one came by such a step too (a one-frame outlier); where a later jump
    within ``max_lost`` frames brings the point back within ``radius_m`` of where it was before the first, the
    frames in between are lost (and the two ends kept). Marking both sides of every jump lost cam02's last
    still frame before its left foot was lost for good, and its stance ended early. Masked before smoothing
    (:func:`image_speeds` smooths each run of known frames alone), a lost stretch does not leak into the
    frames around it, where the foot still stands."""
    frames = len(pixels)
    flat = pixels.reshape(frames, -1, 2)
    flat_depth = np.broadcast_to(depth, pixels.shape[:-1]).reshape(frames, -1)
    step = np.linalg.norm(np.diff(flat, axis=0), axis=-1) * flat_depth[1:] / focal_px * fps
    fast = np.nan_to_num(step, nan=0.0) > max_speed
    lost = np.zeros(flat.shape[:2], dtype=bool)
    for point in np.flatnonzero(fast.any(axis=0)):
        jumps = np.flatnonzero(fast[:, point])  # step i: between frames i and i + 1
        returned: set[int] = set()
        for number, out in enumerate(jumps):
            for back in jumps[number + 1:]:
                if back - out > max_lost:
                    break
                moved = np.linalg.norm(flat[back + 1, point] - flat[out, point]) * flat_depth[out, point] / focal_px
                if moved < radius_m:
                    lost[out + 1:back + 1, point] = True
                    returned.update((int(out), int(back)))
                    break
        for out in set(jumps.tolist()) - returned:
            lost[out + 1, point] = True  # the frame it jumped to ...
            if out > 0 and fast[out - 1, point]:  # ... and the one it jumped from, where that one came by a jump too
                lost[out, point] = True
    return lost.reshape(pixels.shape[:-1])


def close_gaps_in_place(mask: np.ndarray, pixels: np.ndarray, depth: np.ndarray, focal_px: float, min_gap: int,
                        radius_m: float, other_foot: np.ndarray | None = None, max_glitch: int = 0,
                        low: np.ndarray | None = None) -> np.ndarray:
    """(frames,) bool planted, (frames, 2) pixels of the point (NaN unknown), (frames,) its depth in metres ->
    the mask with breaks closed where the point is back in place: its pixel after the break within ``radius_m``
    (at its depth) of its pixel before.

    Breaks shorter than ``min_gap`` frames: a noise toggle returns to its footprint, while a foot that stalls in
    the picture as it lifts off (its swing turns along the camera ray) has moved on (pose2sim cam01's right foot
    was pinned 0.1 s into the swing). Breaks shorter than ``max_glitch`` frames, with ``other_foot`` (frames,)
    bool the other foot's planted state: also closed where the other foot was not planted as the break began.
    That foot was then the only support, so it could not leave the floor and land back on the same spot so
    soon (short of a hop on one leg): the detector lost it, typically to the swinging foot passing in front
    (pose2sim cam01, left foot: its points dragged 60 px down the picture for 0.14 s, then back). With ``low``
    (frames,) bool, the ankle near the floor: such a break is also closed where the point is not back, if the
    other foot stayed off the floor and this ankle low throughout it (no hop: only the detector moved).
    """
    closed = np.asarray(mask, dtype=bool).copy()
    planted = frame_runs(closed)
    longest = max(min_gap, max_glitch)
    for number, (_, end) in enumerate(planted):
        # The first later run back in place within reach (short runs inside the break, where the speed of a point
        # swinging away and back passes through zero, do not end it).
        for start, _ in planted[number + 1:]:
            if start - end >= longest:
                break
            if start - end >= min_gap and (other_foot is None or other_foot[end - 1]):
                break
            moved = np.linalg.norm(pixels[start] - pixels[end - 1]) * depth[end - 1] / focal_px
            alone = (other_foot is not None and low is not None and start - end < max_glitch
                     and not other_foot[end - 1:start + 1].any() and bool(low[end - 1:start + 1].all()))
            if moved < radius_m or alone:  # NaN (a point unknown at either end) keeps the break
                closed[end:start] = True
                break
    return closed


def dragged_frames(before: np.ndarray, after: np.ndarray, pixels: np.ndarray, depth: np.ndarray, focal_px: float,
                   radius_m: float) -> np.ndarray:
    """(frames,) bool: the frames of a planted run (``after``, its breaks closed) whose point the detector moved
    off the foot. In each run with a closed break (planted ``after`` but not ``before``), the frames whose point
    (``pixels`` (frames, 2), at ``depth`` (frames,) metres; NaN unknown) lies more than ``radius_m`` from where
    the foot stood: the point's median over the run's frames that were planted before the closing. Their rays
    do not say where the foot stands, nor, for the ankle's point, its lifted leg (pose2sim cam03: the right
    ankle dragged 34 px down the picture by the left foot swinging past, and left there)."""
    before, after = np.asarray(before, dtype=bool), np.asarray(after, dtype=bool)
    dragged = np.zeros(len(after), dtype=bool)
    for start, stop in frame_runs(after):
        still = before[start:stop] & np.isfinite(pixels[start:stop]).all(axis=-1)
        if still.all() or not still.any():
            continue
        stood = np.median(pixels[start:stop][still], axis=0)
        away = np.linalg.norm(pixels[start:stop] - stood, axis=-1) * depth[start:stop] / focal_px
        dragged[start:stop] = ~(away <= radius_m)  # NaN (unknown) counts as off
    return dragged


def smooth_within_runs(values: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Zero-phase Gaussian (``sigma`` frames) over axis 0 of ``values`` (frames, ..., 2), each run of ``known``
    (frames, ...) frames on its own (ends held, "nearest"), so nothing reaches across an unknown stretch; the
    unknown frames keep their values."""
    flat = np.asarray(values, dtype=np.float64).reshape(len(values), -1, values.shape[-1]).copy()
    flat_known = np.asarray(known, dtype=bool).reshape(len(values), -1)
    for column in range(flat.shape[1]):
        for start, end in frame_runs(flat_known[:, column]):
            flat[start:end, column] = gaussian_filter1d(flat[start:end, column], sigma, axis=0, mode="nearest")
    return flat.reshape(values.shape)


def image_speeds(pixels: np.ndarray, depth: np.ndarray, focal_px: float, fps: float,
                 sigma_seconds: float = 0.04) -> np.ndarray:
    """(frames, ..., 2) pixels (NaN unknown) and (frames, ...) depths in metres -> (frames, ...) image
    speeds in m/s at that depth (pixel speed x depth / focal: the motion across the camera ray). NaN
    where a point is unknown in the frame or a neighbour."""
    frames = len(pixels)
    if frames < 2:
        return np.full(pixels.shape[:-1], np.nan)
    known = np.isfinite(pixels).all(axis=-1)
    filled = np.where(known[..., None], pixels, 0.0)
    sigma = sigma_seconds * fps
    if sigma > 0.3:  # a Gaussian within each run of known frames: a lost stretch's far side does not leak in
        filled = smooth_within_runs(filled, known, sigma)
    velocity = np.gradient(filled, axis=0) * fps
    neighbours = known & np.roll(known, 1, axis=0) & np.roll(known, -1, axis=0)
    speed = np.linalg.norm(velocity, axis=-1) * depth / focal_px
    return np.where(neighbours, speed, np.nan)


@dataclass(frozen=True)
class ImageContacts:
    """What :func:`image_contacts` finds, each (frames, feet) bool."""

    heel: np.ndarray  # the heel (or, without a heel point, the ankle) planted
    toe: np.ndarray  # the toe planted
    heel_dragged: np.ndarray  # heel planted, but the ankle's point moved off the foot by the detector (dragged_frames)
    toe_dragged: np.ndarray  # toe planted, but the toe's point moved off it


def image_contacts(foot_pixels: np.ndarray, ankle_depth: np.ndarray, ankle_above_level: np.ndarray,
                   focal_px: float, fps: float,
                   thresholds: ImageContactThresholds = ImageContactThresholds()) -> ImageContacts:
    """Planted heels and toes from 2D evidence.

    foot_pixels: (frames, feet, 3, 2) pixels of each foot's ankle, heel and toe (NaN unknown);
    ankle_depth: (frames, feet) metres from the camera; ankle_above_level: (frames, feet) metres the
    ankle is above its flat-foot height over the floor; focal_px: the camera's focal length in pixels.
    Returns :class:`ImageContacts`: the heel (or, without a heel point, the ankle) stands still and the ankle
    is low; the toe stands still and the ankle is at most ``toe_height`` up; and the planted frames whose
    point the detector moved off the foot (:func:`dragged_frames`). A break in a planted run is closed where
    the point comes back (:func:`close_gaps_in_place`), and, for up to ``max_glitch``, where the other foot was
    in the air throughout and this ankle stayed low: it was the only support (pose2sim cam03: the right heel
    dragged down the picture by the left foot swinging past, left 30 px off for the clip's last 0.1 s).
    """
    min_length = max(2, int(round(thresholds.min_duration * fps)))
    min_gap = max(1, int(round(thresholds.min_gap * fps)))
    max_glitch = int(round(thresholds.max_glitch * fps))
    lost = implausible_jumps(foot_pixels, ankle_depth[..., None], focal_px, fps, thresholds.max_point_speed, max_glitch,
                             thresholds.gap_radius_m)
    speeds = image_speeds(np.where(lost[..., None], np.nan, foot_pixels), ankle_depth[..., None], focal_px, fps,
                          thresholds.speed_sigma)
    heel_speed = np.where(np.isfinite(speeds[..., 1]), speeds[..., 1], speeds[..., 0])
    heel_pixels = np.where(np.isfinite(foot_pixels[..., 1, :]), foot_pixels[..., 1, :], foot_pixels[..., 0, :])

    def planted(speed: np.ndarray, pixels: np.ndarray, enter_height: float, exit_height: float, moved: np.ndarray):
        slow = np.nan_to_num(speed, nan=np.inf)
        enter = (slow < thresholds.enter_speed) & (ankle_above_level < enter_height)
        leave = (slow > thresholds.exit_speed) | (ankle_above_level > exit_height) | ~np.isfinite(speed)
        state = hysteresis(enter, leave)
        feet = state.shape[1]
        cleaned, dragged = np.empty_like(state), np.zeros_like(state)
        for foot in range(feet):
            other = state[:, 1 - foot] if feet == 2 else None
            closed = close_gaps_in_place(state[:, foot], pixels[:, foot], ankle_depth[:, foot], focal_px, min_gap,
                                         thresholds.gap_radius_m, other, max_glitch,
                                         ankle_above_level[:, foot] < exit_height)
            cleaned[:, foot] = clean_runs(closed, min_length, min_gap=1)  # gaps: closed above, in place only
            dragged[:, foot] = cleaned[:, foot] & dragged_frames(state[:, foot], cleaned[:, foot], moved[:, foot],
                                                                 ankle_depth[:, foot], focal_px, thresholds.dragged_m)
        return cleaned, dragged

    # Dragged: the ankle's point for a heel run (what the lifter saw: the lifted leg went with it), the toe's own.
    heel, heel_dragged = planted(heel_speed, heel_pixels, thresholds.heel_enter_height, thresholds.heel_exit_height,
                                 foot_pixels[..., 0, :])
    toe, toe_dragged = planted(speeds[..., 2], foot_pixels[..., 2, :], thresholds.toe_height, thresholds.toe_height + 0.02,
                               foot_pixels[..., 2, :])
    return ImageContacts(heel, toe, heel_dragged, toe_dragged)
