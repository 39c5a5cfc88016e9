"""Camera frame -> world frame (Z up, floor at z = 0) and the root (pelvis) trajectory.

- Up axis: with a trajectory (absolute pelvis positions, VideoPose3D's trajectory model), a plane is
  fitted to the lower ankle's positions over the frames where that foot is nearly still, regularised
  towards the body's own up direction in the directions where the foot points spread less than a few
  centimetres (a straight walk pins the pitch of the floor, not its roll). Without a trajectory, or if
  the fit tilts more than 40 degrees from the body, the body's up direction is used: the mean
  direction from the mid-ankle point to the pelvis over the clip (legs are vertical on average when a
  person stands, walks, dances or squats; a sitting or lying performer breaks this assumption).
- Facing: the performer's initial facing (first half second: hip and shoulder lines) becomes -Y, their
  left +X.
- Root: the camera-frame trajectory rotated into the world, shifted so the pelvis starts at x = y = 0.
  Without a trajectory the horizontal motion is left at 0 and the pelvis height is set from the feet:
  in every frame the lower ankle rests at ankle height (jumps are therefore lost).
- Floor: the lower ankle's height over its still frames (median) sits at ankle height
  (``ANKLE_HEIGHT_PER_LEG`` x leg length, ~8 cm for a 0.9 m leg) above z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.animation import Animation, Skeleton
from videopose.retarget.contact import point_speeds
from videopose.core.layouts import H36M17

ANKLE_HEIGHT_PER_LEG = 0.09  # ankle joint height above the floor per metre of leg (thigh + shin)
STILL_FOOT_SPEED = 0.5  # m/s: a foot slower than this is taken to be on the ground for the floor fit
_PLANE_PRIOR_SPREAD = 0.05  # m: point spread below which the body's up direction wins over the plane fit
_MAX_PLANE_TILT_DEG = 40.0
_INDEX = {name: H36M17.index(name) for name in H36M17.names}
_ANKLES = [_INDEX["right_ankle"], _INDEX["left_ankle"]]


@dataclass(frozen=True)
class WorldFrame:
    """``world_from_camera`` (3, 3) rotation: p_world = R @ p_camera; ``up_source`` says how up was found."""

    world_from_camera: np.ndarray
    up_source: str


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def body_up(joints_camera: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) root-relative camera-frame joints -> (3,) unit up: mean mid-ankle -> pelvis direction."""
    mid_ankle = joints_camera[:, _ANKLES].mean(axis=1) - joints_camera[:, _INDEX["pelvis"]]
    directions = -mid_ankle / np.maximum(np.linalg.norm(mid_ankle, axis=-1, keepdims=True), 1e-12)
    return _unit(directions.mean(axis=0))


def floor_normal(ankles_camera: np.ndarray, prior_up: np.ndarray, fps: float) -> np.ndarray | None:
    """(frames, 2, 3) absolute camera-frame ankle positions -> (3,) unit floor normal (pointing like
    ``prior_up``), or None when too few still-foot frames exist or the fit disagrees with the prior."""
    heights = ankles_camera @ prior_up
    lower = np.argmin(heights, axis=1)
    speeds = point_speeds(ankles_camera, fps)[np.arange(len(lower)), lower]
    points = ankles_camera[np.arange(len(lower)), lower][speeds < STILL_FOOT_SPEED]
    if len(points) < 10:
        return None
    centred = points - points.mean(axis=0)
    covariance = centred.T @ centred / len(points)
    # Minimise n^T C n + s^2 (1 - (n . prior)^2): directions the points barely span follow the prior.
    regularised = covariance + _PLANE_PRIOR_SPREAD**2 * (np.eye(3) - np.outer(prior_up, prior_up))
    normal = np.linalg.eigh(regularised)[1][:, 0]
    normal = normal if normal @ prior_up >= 0 else -normal
    if np.degrees(np.arccos(np.clip(normal @ prior_up, -1, 1))) > _MAX_PLANE_TILT_DEG:
        return None
    return normal


def estimate_world_frame(joints_camera: np.ndarray, trajectory_camera: np.ndarray | None, fps: float) -> WorldFrame:
    """(frames, 17, 3) root-relative camera-frame joints (+ (frames, 3) pelvis trajectory) -> WorldFrame."""
    up = body_up(joints_camera)
    source = "body"
    if trajectory_camera is not None:
        normal = floor_normal(joints_camera[:, _ANKLES] + trajectory_camera[:, None], up, fps)
        if normal is not None:
            up, source = normal, "floor plane"
    return world_frame_from_up(joints_camera, up, fps, source)


def world_frame_from_up(joints_camera: np.ndarray, up: np.ndarray, fps: float, up_source: str) -> WorldFrame:
    """(frames, 17, 3) camera-frame joints and a (3,) unit up axis (camera frame) -> WorldFrame whose -Y is
    the performer's initial facing (first half second: hip and shoulder lines) and +X their left."""
    up = _unit(np.asarray(up, dtype=np.float64))
    start = joints_camera[: max(1, int(round(fps / 2)))]
    lateral = (start[:, _INDEX["left_hip"]] - start[:, _INDEX["right_hip"]]).mean(axis=0)
    lateral = _unit(lateral) + _unit((start[:, _INDEX["left_shoulder"]] - start[:, _INDEX["right_shoulder"]]).mean(axis=0))
    lateral = lateral - (lateral @ up) * up
    if np.linalg.norm(lateral) < 1e-6:  # performer lying across the up axis: use the camera's x axis
        lateral = np.array([1.0, 0.0, 0.0]) - up[0] * up
    lateral = _unit(lateral)
    # Rest pose: left = +X, up = +Z, facing -Y, so world Y (backwards) = up x left.
    world_y = np.cross(up, lateral)
    world_x = np.cross(world_y, up)
    return WorldFrame(np.stack([world_x, world_y, up]), up_source)


def leg_length(skeleton: Skeleton) -> float:
    """Mean thigh + shin length of the canonical skeleton, metres."""
    lengths = skeleton.bone_lengths()
    names = skeleton.names
    return float(np.mean([lengths[names.index(f"{side}_knee")] + lengths[names.index(f"{side}_ankle")]
                          for side in ("left", "right")]))


def ankle_height(skeleton: Skeleton) -> float:
    """Height of the ankle joints over the floor when the foot is flat on it, metres."""
    return ANKLE_HEIGHT_PER_LEG * leg_length(skeleton)


def root_trajectory(world_from_camera: np.ndarray, trajectory_camera: np.ndarray | None,
                    relative_positions: np.ndarray, skeleton: Skeleton, fps: float) -> tuple[np.ndarray, float]:
    """World root positions (frames, 3) with the floor at z = 0, and the ankle height used (metres).

    ``relative_positions``: (frames, 17, 3) world-frame joints with the pelvis at the origin (FK of the
    solved rotations); ``trajectory_camera``: (frames, 3) camera-frame pelvis positions or None.
    """
    level_above_floor = ankle_height(skeleton)
    ankles = relative_positions[:, _ANKLES]
    frames = len(relative_positions)
    if trajectory_camera is None:
        root = np.zeros((frames, 3))
        root[:, 2] = level_above_floor - ankles[..., 2].min(axis=1)
        return root, level_above_floor
    root = np.asarray(trajectory_camera, dtype=np.float64) @ world_from_camera.T
    root[:, :2] -= root[0, :2]
    absolute = ankles + root[:, None]
    lower = np.argmin(absolute[..., 2], axis=1)
    lower_heights = absolute[np.arange(frames), lower, 2]
    speeds = point_speeds(absolute, fps)[np.arange(frames), lower]
    still = speeds < STILL_FOOT_SPEED
    level = np.median(lower_heights[still]) if still.sum() >= 3 else np.percentile(lower_heights, 10)
    root[:, 2] -= level - level_above_floor
    return root, level_above_floor


def ankles_kept_above_floor(animation: Animation) -> Animation:
    """The animation with its root raised in every frame where an ankle joint would be under the floor
    (z = 0), by just that much; other frames unchanged. For the lifter-depth path, whose floor is the
    median height of the still lower foot: a deep squat's lifted depth put an ankle 2 mm under it (the
    squats clip), which no turn of the foot can keep off the floor."""
    positions = animation.world_positions()
    ankles = [animation.skeleton.index(name) for name in ("left_ankle", "right_ankle")]
    under = np.maximum(0.0, -positions[:, ankles, 2].min(axis=1))
    if not under.any():
        return animation
    root = np.asarray(animation.root_positions, dtype=np.float64).copy()
    root[:, 2] += under
    return Animation(animation.skeleton, animation.local_quats_xyzw, root, animation.fps, animation.contacts,
                     dict(animation.extras))
