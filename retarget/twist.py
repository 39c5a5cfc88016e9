"""Twist continuity: limit how fast and how far a bone turns about its own axis.

A bone's twist about its own axis is not seen in joint positions; the solver takes it from the plane
the limb bends in, which flips when a limb passes through straight (sports2d_demo, frame 166 -> 167:
the right elbow straightens to 9 degrees and the upper arm turned 122 degrees in one frame).

For each listed joint, in its parent's (already corrected) frame, the joint's twist from the rest
pose (swing-twist split ``L = swing @ twist`` about the rest bone direction) is followed by one scalar
recursion (:func:`follow_twist`): the output twist moves toward the solver's twist, kept within the
joint's anatomical limit, by at most ``max_speed_deg_s`` per second, and always through the allowed
range (never across the far side, where the limit is). A flip becomes a quick turn over a few frames; a
slow twist within the limit is untouched. Where the bone is more than 120 degrees from its rest
direction (fading out by 150, as that split is singular at 180) the twist from rest means little, and
the output follows the solver's frame-to-frame twist (beyond the minimal swing of the bone's
direction) instead, catching up with the solver at the same speed. Every correction turns the bone
about its own axis, which leaves its child where it was: joint positions do not change. A joint below
a changed one keeps its world rotation (its local rotation takes up the difference), except leaves
(ankles, wrists, head), which keep their local rotation and turn with their bone, as the solver meant.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, make_continuous
from videopose.retarget.ik import swing_matrices

# Twist range from the rest pose (degrees) per canonical joint: upper arm, forearm, thigh, shin, spine, neck.
TWIST_LIMITS_DEG: dict[str, float] = {
    "left_shoulder": 120.0, "right_shoulder": 120.0, "left_elbow": 100.0, "right_elbow": 100.0,
    "left_hip": 70.0, "right_hip": 70.0, "left_knee": 40.0, "right_knee": 40.0,
    "spine": 60.0, "neck_nose": 90.0,
}
MAX_TWIST_SPEED_DEG_S = 450.0  # faster twists than this are taken to be the solver's flips, not motion


def twist_angles(local_matrices: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) local rotations, (3,) unit bone axis in the rest frame -> (frames,) twist radians
    about ``axis`` in (-pi, pi] (swing-twist split ``L = swing @ twist``)."""
    quats = Rotation.from_matrix(local_matrices).as_quat()
    return _wrapped(2.0 * np.arctan2(quats[:, :3] @ axis, quats[:, 3]))


def signed_angles(rotations: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) rotations about (frames, 3) unit ``axes`` -> (frames,) signed angles in (-pi, pi]."""
    quats = Rotation.from_matrix(rotations).as_quat()
    return _wrapped(2.0 * np.arctan2(np.sum(quats[:, :3] * axes, axis=-1), quats[:, 3]))


def _wrapped(angles: np.ndarray) -> np.ndarray:
    """Radians -> the same angles in (-pi, pi]."""
    return np.pi - np.mod(np.pi - angles, 2.0 * np.pi)


def twist_steps(local_matrices: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) local rotations, (3,) unit rest bone axis -> (frames,) twist (radians) of each frame's
    step beyond the minimal swing of the bone's direction (0 for the first frame)."""
    directions = local_matrices @ axis
    step = local_matrices[1:] @ np.swapaxes(local_matrices[:-1], -1, -2)
    swing = swing_matrices(directions[:-1], directions[1:])
    return np.concatenate([[0.0], signed_angles(step @ np.swapaxes(swing, -1, -2), directions[1:])])


def follow_twist(twist: np.ndarray, steps: np.ndarray, weights: np.ndarray, limit: float,
                 max_step: float) -> np.ndarray:
    """(frames,) solver twist from rest, (frames,) its frame-to-frame twist steps (radians, both wrapped to
    (-pi, pi]) and (frames,) weights of the twist from rest (1 where it is well defined, 0 where it is not)
    -> (frames,) corrections (radians about the bone) that make ``twist + correction`` a track that turns
    at most ``max_step`` a frame beyond the solver's swing, heads for the solver's twist clipped to
    ``[-limit, limit]`` where the weight is 1 (through the allowed range: a limit under pi is never crossed
    the long way round) and for the solver's own rotation where it is 0.

    A scalar recursion (each frame's correction depends on the previous one): with ``c`` the correction,
    the output's frame step is ``steps + c[f] - c[f - 1]`` and its twist from rest ``twist + c`` (exact:
    a turn about the rest axis adds to the twist of ``L = swing @ twist``)."""
    wrap_goal = limit >= np.pi
    target = twist if wrap_goal else np.clip(twist, -limit, limit)
    correction = np.empty(len(twist))
    correction[0] = weights[0] * (target[0] - twist[0]) if len(twist) else 0.0
    out_prev = twist[0] + correction[0] if len(twist) else 0.0  # the output twist from rest, unwrapped
    c_prev = correction[0] if len(twist) else 0.0
    for frame in range(1, len(twist)):
        step, weight = float(steps[frame]), float(weights[frame])
        # The output twist if the correction were kept, in the representation next to the previous output.
        kept = out_prev + step + float(_wrapped(twist[frame] + c_prev - out_prev - step))
        toward_limit = float(target[frame]) - kept
        if wrap_goal:
            toward_limit = float(_wrapped(toward_limit))
        toward_solver = -float(_wrapped(c_prev))
        wanted = weight * toward_limit + (1.0 - weight) * toward_solver
        change = min(max(step + wanted, -max_step), max_step) - step
        c_prev += change
        out_prev = kept + change
        correction[frame] = c_prev
    return correction


def continuous_twist(animation: Animation, limits_deg: dict[str, float] | None = None,
                     max_speed_deg_s: float = MAX_TWIST_SPEED_DEG_S) -> Animation:
    """The same joint positions with each listed joint's twist limited and made continuous (see the
    module docstring). Joints not on the skeleton, or without exactly one child, are left alone."""
    limits = TWIST_LIMITS_DEG if limits_deg is None else limits_deg
    skeleton = animation.skeleton
    frames, joints = animation.num_frames, skeleton.num_joints
    _, world = animation.world_transforms()
    local = Rotation.from_quat(animation.local_quats_xyzw.reshape(-1, 4)).as_matrix().reshape(frames, joints, 3, 3)
    children = [skeleton.children(joint) for joint in range(joints)]
    max_step = np.radians(max_speed_deg_s) / animation.fps
    new_world = np.empty_like(world)
    changed = False
    for joint, parent in enumerate(skeleton.parents):
        parent_world = new_world[:, parent] if parent >= 0 else np.broadcast_to(np.eye(3), (frames, 3, 3))
        if not children[joint]:
            new_world[:, joint] = parent_world @ local[:, joint]  # leaves turn with their bone
            continue
        new_world[:, joint] = world[:, joint]
        name = skeleton.names[joint]
        offset = skeleton.offsets[children[joint][0]] if len(children[joint]) == 1 else np.zeros(3)
        if name not in limits or np.linalg.norm(offset) < 1e-9:
            continue
        axis = offset / np.linalg.norm(offset)
        relative = np.swapaxes(parent_world, -1, -2) @ world[:, joint]
        correction = follow_twist(twist_angles(relative, axis), twist_steps(relative, axis),
                                  _limit_weight(relative @ axis, axis), np.radians(limits[name]), max_step)
        relative = relative @ _about(axis, correction)
        corrected = parent_world @ relative
        if np.abs(corrected - world[:, joint]).max() < 1e-12:
            continue
        new_world[:, joint] = corrected
        changed = True
    if not changed:
        return animation
    parent_worlds = np.stack([new_world[:, p] if p >= 0 else np.broadcast_to(np.eye(3), (frames, 3, 3))
                              for p in skeleton.parents], axis=1)
    new_local = np.swapaxes(parent_worlds, -1, -2) @ new_world
    quats = make_continuous(Rotation.from_matrix(new_local.reshape(-1, 3, 3)).as_quat().reshape(frames, joints, 4))
    return Animation(skeleton, quats, animation.root_positions, animation.fps, animation.contacts,
                     dict(animation.extras))


def _limit_weight(directions: np.ndarray, rest_axis: np.ndarray) -> np.ndarray:
    """(frames,) weight of the twist limit: 1 while the bone is within 120 degrees of its rest direction,
    fading to 0 at 150 degrees, where the twist from the rest pose is ill-defined (it is singular at 180)."""
    cosine = directions @ rest_axis
    return np.clip((cosine - _COS_150) / (_COS_120 - _COS_150), 0.0, 1.0)


_COS_120, _COS_150 = np.cos(np.radians(120.0)), np.cos(np.radians(150.0))


def _about(axis: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """(frames,) radians about one (3,) unit axis -> (frames, 3, 3) rotations."""
    return Rotation.from_rotvec(angles[:, None] * axis).as_matrix()
