"""Twist continuity: no bone pops about its own axis, joint positions untouched; on a real clip and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton
from videopose.core.formats import Motion3D
from videopose.retarget.pipeline import RetargetOptions, retarget_motion
from videopose.retarget.twist import MAX_TWIST_SPEED_DEG_S, continuous_twist


def frame_to_frame_degrees(animation: Animation) -> np.ndarray:
    """(frames - 1, joints) angle of each local rotation's change between consecutive frames."""
    quats = animation.local_quats_xyzw
    return np.degrees(2 * np.arccos(np.clip(np.abs(np.sum(quats[1:] * quats[:-1], axis=-1)), 0, 1)))


@pytest.fixture(scope="module")
def sports2d_motion(shared_dir: Path) -> Motion3D:
    """sports2d_demo.mp4 through the real detector and the shipped lifter (walk, jumping jacks, a flip)."""
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.detect import detect_video
    from videopose.lifter.infer import lift_keypoints

    video = shared_dir / "videos" / "sports2d_demo.mp4"
    if not video.is_file():
        pytest.skip(f"{video} not found")
    return lift_keypoints(detect_video(video), load_checkpoint(resolve_checkpoint(None)), device="cpu")


def turns_the_positions_show(animation: Animation) -> np.ndarray:
    """(frames - 1, joints) how far each canonical joint's rotation must turn, as its joint positions show:
    a joint with one child, its bone's change of direction in its parent's frame plus one frame's allowed
    twist (what no position shows); the root and the joints with several children (their rotation is fixed
    by the positions of their children), their whole turn; leaves, 0."""
    turns = frame_to_frame_degrees(animation)
    positions, world = animation.world_transforms()
    skeleton = animation.skeleton
    shown = np.zeros_like(turns)
    twist_step = MAX_TWIST_SPEED_DEG_S / animation.fps
    for joint, parent in enumerate(skeleton.parents):
        children = skeleton.children(joint)
        if parent < 0 or len(children) > 1:
            shown[:, joint] = turns[:, joint]
        elif children:
            bone = np.einsum("fba,fb->fa", world[:, parent], positions[:, children[0]] - positions[:, joint])
            bone /= np.linalg.norm(bone, axis=-1, keepdims=True)
            shown[:, joint] = np.degrees(np.arccos(np.clip(np.sum(bone[1:] * bone[:-1], axis=-1), -1, 1))) + twist_step
    return shown


@pytest.mark.slow
def test_no_bone_turns_more_than_60_degrees_a_frame_unless_the_positions_do(sports2d_motion: Motion3D) -> None:
    animation = retarget_motion(sports2d_motion)
    for label, candidate in (("twist made continuous", continuous_twist(animation)),):
        turns, shown = frame_to_frame_degrees(candidate), turns_the_positions_show(candidate)
        unexplained = np.where(turns > 60.0, turns - shown, 0.0)
        frame, joint = np.unravel_index(np.argmax(unexplained), unexplained.shape)
        assert unexplained.max() < 1.0, (f"{label}: {candidate.skeleton.names[joint]} turns {turns[frame, joint]:.1f} deg "
                                         f"at {frame} -> {frame + 1}, its positions {shown[frame, joint]:.1f}")
    np.testing.assert_allclose(candidate.world_positions(), animation.world_positions(), atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("rig", ["rigify", "mixamo", "ue5", "smpl", "cmu"])
def test_no_rig_bone_turns_more_than_60_degrees_a_frame_unless_the_motion_does(sports2d_motion: Motion3D,
                                                                              rig: str) -> None:
    """Before: the arm's twist flipped by ~120 degrees where the elbow passes through straight (frame ~167)."""
    # What the canonical motion's positions show, with its twists made continuous (a child's direction is
    # seen in its parent's frame, which the parent's twist turns).
    canonical = continuous_twist(retarget_motion(sports2d_motion))
    allowed = np.maximum(60.0, turns_the_positions_show(canonical).max(axis=1) + 1.0)
    animation = retarget_motion(sports2d_motion, RetargetOptions(rig=rig))
    excess = frame_to_frame_degrees(animation) - allowed[:, None]
    frame, bone = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess.max() <= 0.0, (f"{animation.skeleton.names[bone]} turns {excess.max() + allowed[frame]:.1f} deg at "
                                 f"{frame} -> {frame + 1}; the motion {allowed[frame]:.1f}")


def _arm(twist_degrees: np.ndarray, swing_degrees: np.ndarray) -> Animation:
    """A 3-joint chain (root, upper arm along +X, forearm): the upper arm twists about +X, then swings about Z."""
    skeleton = Skeleton(("root", "left_shoulder", "left_elbow"), (-1, 0, 1),
                        np.array([[0.0, 0.0, 1.0], [0.2, 0.0, 0.0], [0.3, 0.0, 0.0]]))
    frames = len(twist_degrees)
    quats = np.tile([0.0, 0.0, 0.0, 1.0], (frames, 3, 1))
    shoulder = (Rotation.from_euler("z", np.asarray(swing_degrees)[:, None], degrees=True)
                * Rotation.from_euler("x", np.asarray(twist_degrees)[:, None], degrees=True))
    quats[:, 1] = shoulder.as_quat()
    return Animation(skeleton, quats, np.zeros((frames, 3)), 30.0)


def test_a_twist_flip_becomes_a_quick_turn_and_slow_twists_are_kept() -> None:
    frames = 20
    flip = np.where(np.arange(frames) < 8, 10.0, 160.0)  # 150 deg about the bone at frame 7 -> 8
    swing = np.linspace(0.0, 40.0, frames)
    animation = _arm(flip, swing)
    continuous = continuous_twist(animation, {"left_shoulder": 180.0})
    step = MAX_TWIST_SPEED_DEG_S / 30.0
    turns = frame_to_frame_degrees(continuous)[:, 1]
    assert turns.max() < step + 40.0 / 19 + 1e-6 < frame_to_frame_degrees(animation)[:, 1].max()
    np.testing.assert_allclose(continuous.world_positions(), animation.world_positions(), atol=1e-12)
    # It catches up with the solver's twist once the turn is done (150 deg at 15 deg a frame: 10 frames).
    np.testing.assert_allclose(continuous.local_quats_xyzw[-2:, 1], animation.local_quats_xyzw[-2:, 1], atol=1e-9)
    # The forearm (a leaf) turns with its bone: its local rotation is kept.
    np.testing.assert_allclose(continuous.local_quats_xyzw[:, 2], animation.local_quats_xyzw[:, 2], atol=1e-12)

    slow = _arm(np.linspace(0.0, 90.0, frames), swing)
    np.testing.assert_allclose(continuous_twist(slow).local_quats_xyzw, slow.local_quats_xyzw, atol=1e-9)


def test_twist_is_kept_within_the_joints_limit() -> None:
    frames = 30
    animation = _arm(np.linspace(0.0, 170.0, frames), np.zeros(frames))
    limited = continuous_twist(animation, {"left_shoulder": 100.0})
    angles = Rotation.from_quat(limited.local_quats_xyzw[:, 1]).as_rotvec()[:, 0]
    assert np.degrees(np.abs(angles)).max() == pytest.approx(100.0, abs=1e-6)
    np.testing.assert_allclose(limited.world_positions(), animation.world_positions(), atol=1e-12)


def test_a_twist_held_at_its_limit_never_jumps_to_the_other_limit() -> None:
    """Before: the solver's twist crossed 180 degrees while the output was held at +120, and the per-frame
    clip then put it at -120 in one frame (sports2d, left shoulder, 112 degrees at frame 181 -> 182)."""
    frames = 60
    animation = _arm(np.linspace(100.0, 260.0, frames), np.zeros(frames))  # a slow turn through 180
    limited = continuous_twist(animation, {"left_shoulder": 120.0})
    turns = frame_to_frame_degrees(limited)[:, 1]
    assert turns.max() <= MAX_TWIST_SPEED_DEG_S / 30.0 + 1e-6
    angles = np.degrees(Rotation.from_quat(limited.local_quats_xyzw[:, 1]).as_rotvec()[:, 0])
    assert np.abs(angles).max() <= 120.0 + 1e-6
    # It ends on the solver's twist (260 = -100 degrees, within the limit), reached through 0, not across 180.
    assert angles[-1] == pytest.approx(-100.0, abs=1e-6)
    np.testing.assert_allclose(limited.world_positions(), animation.world_positions(), atol=1e-12)
