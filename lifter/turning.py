"""Lifting through flips, cartwheels and handstands: a second set of weights where the body turns over.

The default weights learnt from mocap that is nearly always upright: fed a body upside down in the
picture (sports2d's back flip, frames 170-200: the 2D torso turns 113 degrees from upright) they keep the
3D torso within about 60 degrees of upright, so the flip comes out as a lean. The shipped
``weights/turning.pt`` are the default weights fine-tuned with whole-body turns about the camera axis
(``videopose train --spin``, :class:`videopose.lifter.synthetic.BodySpin`; docs/training.md). They turn
with the body, but cost a few millimetres on upright motion, so they are used only where the picture
itself shows the body turning over:

1. :func:`torso_lean_2d` -- per frame, the angle of the 2D hip-centre -> shoulder-centre direction from
   the clip's mean direction (0 upright, 90 lying sideways, 180 upside down; the mean, not the image's
   up, so that a camera mounted rolled does not read as a turn).
2. :func:`turning_weights` -- 0 below ``start_deg``, 1 from ``full_deg``, held a little around each turned
   frame and eased in and out over time (no pop where the models swap).
3. :func:`blend_motions` -- per frame, the default lift and the turning lift (of the turned frames and
   the model's receptive field around them only) mixed by those weights.

:func:`lift_with_turning` does all three; the pipeline calls it with the shipped weights unless the user
gave a checkpoint of their own (``--no-turning-lifter`` turns it off).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import get_layout
from videopose.core.progress import ProgressCallback, no_progress, scaled


@dataclass(frozen=True)
class TurningThresholds:
    """When the turning weights take over (degrees of 2D torso lean from upright; seconds)."""

    start_deg: float = 45.0    # below: default weights only (a deep bow, a lunge)
    full_deg: float = 75.0     # from here: turning weights only
    hold_seconds: float = 0.25  # each turned frame also turns its neighbours this far on either side
    ease_seconds: float = 0.2   # blend in and out over this long


def turning_checkpoint_path() -> Path:
    """Where the shipped turning weights live: ``lifter/weights/turning.pt``."""
    return Path(__file__).resolve().parent / "weights" / "turning.pt"


def torso_lean_2d(keypoints: Keypoints2D, relative_to_clip: bool = False) -> np.ndarray:
    """(frames,) degrees between the image's up and the 2D hip centre -> shoulder centre direction:
    0 upright, 90 the torso horizontal in the picture, 180 upside down; NaN where a hip or shoulder is
    missing (NaN point or score 0). ``relative_to_clip``: from the clip's mean torso direction instead of
    the image's up (a rolled camera). Needs a layout with ``left_/right_hip`` and ``left_/right_shoulder``."""
    layout = get_layout(keypoints.layout)
    hips = [layout.index("left_hip"), layout.index("right_hip")]  # VideoposeError where the layout lacks one
    shoulders = [layout.index("left_shoulder"), layout.index("right_shoulder")]
    points = np.asarray(keypoints.keypoints, dtype=np.float64)
    scores = np.asarray(keypoints.scores, dtype=np.float64)
    used = hips + shoulders
    missing = ~np.isfinite(points[:, used]).all(axis=(1, 2)) | (scores[:, used] <= 0).any(axis=1)
    torso = points[:, shoulders].mean(axis=1) - points[:, hips].mean(axis=1)  # image y points down
    angle = np.arctan2(torso[:, 0], -torso[:, 1])
    angle[missing] = np.nan
    if relative_to_clip and np.isfinite(angle).any():
        # The clip's own upright: its mean torso direction (a camera mounted rolled, pose2sim's by up to 50 degrees).
        known = angle[np.isfinite(angle)]
        angle = angle - np.arctan2(np.sin(known).mean(), np.cos(known).mean())
    return np.degrees(np.abs(np.arctan2(np.sin(angle), np.cos(angle))))


def turning_weights(lean_deg: np.ndarray, fps: float, thresholds: TurningThresholds = TurningThresholds()) -> np.ndarray:
    """(frames,) 2D torso lean in degrees (NaN unknown) -> (frames,) weights in [0, 1] of the turning
    lift: a ramp from ``start_deg`` (0) to ``full_deg`` (1), spread ``hold_seconds`` to each side (a body
    going over is seen turned in a few frames only, and a frame with the torso missing between two
    turned ones is turned too), then eased over ``ease_seconds``. All zeros when nothing turns."""
    lean = np.asarray(lean_deg, dtype=np.float64)
    if lean.ndim != 1:
        raise VideoposeError(f"torso lean must have shape (frames,), got {lean.shape}")
    if not thresholds.start_deg < thresholds.full_deg:
        raise VideoposeError(f"turning thresholds need start_deg < full_deg, got {thresholds}")
    ramp = np.clip((np.nan_to_num(lean, nan=0.0) - thresholds.start_deg)
                   / (thresholds.full_deg - thresholds.start_deg), 0.0, 1.0)
    if not ramp.any():
        return ramp
    hold = 2 * int(round(thresholds.hold_seconds * fps)) + 1
    ease = 2 * int(round(thresholds.ease_seconds * fps / 2)) + 1
    held = maximum_filter1d(ramp, size=hold, mode="constant", cval=0.0)
    return np.clip(uniform_filter1d(held, size=ease, mode="constant", cval=0.0), 0.0, 1.0)


def blend_motions(base: Motion3D, turned: Motion3D, weights: np.ndarray) -> Motion3D:
    """Per frame ``(1 - w) base + w turned`` of the joints (and trajectories, where both have one); the
    rest (fps, layout, extras) from ``base``. Both must be lifts of the same clip in the same layout."""
    weights = np.asarray(weights, dtype=np.float64)
    if base.joints_3d.shape != turned.joints_3d.shape or base.layout != turned.layout:
        raise VideoposeError(f"cannot blend motions of shapes {base.joints_3d.shape} ({base.layout}) and "
                             f"{turned.joints_3d.shape} ({turned.layout})")
    if weights.shape != (base.num_frames,):
        raise VideoposeError(f"blend weights must have shape ({base.num_frames},), got {weights.shape}")
    w = weights[:, None, None]
    joints = (1.0 - w) * base.joints_3d + w * turned.joints_3d
    trajectory = base.trajectory
    if base.trajectory is not None and turned.trajectory is not None:
        trajectory = (1.0 - weights[:, None]) * base.trajectory + weights[:, None] * turned.trajectory
    return replace(base, joints_3d=joints.astype(base.joints_3d.dtype),
                   trajectory=None if trajectory is None else trajectory.astype(base.trajectory.dtype))


def turning_checkpoint_for(checkpoint: str | os.PathLike | None, enabled: bool = True) -> Path | None:
    """The turning weights to blend in: the shipped ones when the default weights lift (``checkpoint``
    None) and ``enabled``; None with a checkpoint of the user's own (their model, unmixed) or when the
    shipped file is absent."""
    path = turning_checkpoint_path()
    return path if enabled and checkpoint is None and path.is_file() else None


def _frames(keypoints: Keypoints2D, window: slice) -> Keypoints2D:
    """The keypoints of the frames in ``window`` (per-frame extras are not carried: the lifter reads none)."""
    source = None if keypoints.source_keypoints is None else keypoints.source_keypoints[window]
    source_scores = None if keypoints.source_scores is None else keypoints.source_scores[window]
    return replace(keypoints, keypoints=keypoints.keypoints[window], scores=keypoints.scores[window],
                   source_keypoints=source, source_scores=source_scores, extras={})


def lift_with_turning(keypoints: Keypoints2D, checkpoint, turning_checkpoint: str | os.PathLike | None,
                      device: str = "auto", flip: bool = True, progress: ProgressCallback = no_progress,
                      thresholds: TurningThresholds = TurningThresholds(),
                      chunk_frames: int | None = None) -> tuple[Motion3D, np.ndarray]:
    """Lift with ``checkpoint`` and, in the frames where the 2D torso turns over, with
    ``turning_checkpoint`` (None: the default lift alone) -> (the blended motion, (frames,) weights of the
    turning lift). The turning model lifts only the turned frames and its receptive field around them
    (never for a layout without hips and shoulders). The motion's extras gain ``turning_weights``."""
    from videopose.lifter.checkpoint import load_checkpoint
    from videopose.lifter.infer import DEFAULT_CHUNK_FRAMES, lift_keypoints

    frames = keypoints.num_frames
    weights = np.zeros(frames)
    layout_names = get_layout(keypoints.layout).names
    if turning_checkpoint is not None and {"left_hip", "right_hip", "left_shoulder", "right_shoulder"} <= set(layout_names):
        weights = turning_weights(torso_lean_2d(keypoints, relative_to_clip=True), keypoints.fps, thresholds)
    chunk = chunk_frames or DEFAULT_CHUNK_FRAMES
    if not weights.any():
        base = lift_keypoints(keypoints, checkpoint, device=device, flip=flip, progress=progress, chunk_frames=chunk)
        return replace(base, extras={**base.extras, "turning_weights": weights.astype(np.float32)}), weights
    turning = load_checkpoint(turning_checkpoint)
    turned_frames = np.flatnonzero(weights > 0)
    pad = turning.config.receptive_field // 2
    window = slice(max(0, int(turned_frames[0]) - pad), min(frames, int(turned_frames[-1]) + 1 + pad))
    share = frames / (frames + window.stop - window.start)
    base = lift_keypoints(keypoints, checkpoint, device=device, flip=flip,
                          progress=scaled(progress, 0.0, share, frames), chunk_frames=chunk)
    part = lift_keypoints(_frames(keypoints, window), turning, device=device, flip=flip,
                          progress=scaled(progress, share, 1.0, frames), chunk_frames=chunk)
    joints = base.joints_3d.copy()
    joints[window] = part.joints_3d
    trajectory = None
    if base.trajectory is not None and part.trajectory is not None:
        trajectory = base.trajectory.copy()
        trajectory[window] = part.trajectory
    blended = blend_motions(base, replace(base, joints_3d=joints, trajectory=trajectory), weights)
    return replace(blended, extras={**blended.extras, "turning_weights": weights.astype(np.float32)}), weights
