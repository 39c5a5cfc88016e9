"""Joint positions -> constant-length skeleton + rotations (retarget/solve.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from videopose.core.animation import forward_kinematics
from videopose.core.animation import make_continuous
from videopose.retarget.solve import (interpolate_missing, kabsch_rotations, solve_animation, solve_pose,
                            swing)
from synthetic_motion import camera_from_world, random_smooth_motion, reference_skeleton, to_camera
from videopose.core.errors import VideoposeError
from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17

NAMES = {name: i for i, name in enumerate(H36M17.names)}


def relative_world(animation, motion: Motion3D) -> tuple[np.ndarray, np.ndarray]:
    """(solved joints, input joints), both root-relative in the animation's world frame (frames, 17, 3)."""
    positions = animation.world_positions()
    return positions - positions[:, :1], motion.joints_3d.astype(np.float64) @ animation.extras["world_from_camera"].T


def local_step_degrees(quats: np.ndarray) -> np.ndarray:
    """(frames, joints, 4) -> (frames - 1, joints) rotation angle between consecutive local rotations."""
    dots = np.abs(np.sum(quats[1:] * quats[:-1], axis=-1))
    return np.degrees(2 * np.arccos(np.clip(dots, 0, 1)))


# ------------------------------------------------------------------------------------------ maths
def test_swing_takes_direction_onto_target_and_fixes_the_axis() -> None:
    source = np.array([[1.0, 0, 0]])
    target = np.array([[0.0, 1, 0]])
    assert swing(source, source, target) == pytest.approx(target)
    assert swing(np.array([[0.0, 0, 1]]), source, target) == pytest.approx(np.array([[0.0, 0, 1]]))  # the swing axis stays


def test_kabsch_recovers_a_known_rotation_and_never_reflects() -> None:
    rest = np.array([[0.1, 0, 0], [-0.1, 0, 0], [0, 0.02, 0.2]])
    truth = Rotation.random(50, random_state=1)
    current = np.einsum("fij,kj->fki", truth.as_matrix(), rest)
    assert kabsch_rotations(rest, current) == pytest.approx(truth.as_matrix(), abs=1e-9)
    mirrored = current * np.array([-1.0, 1, 1])  # a reflection is not a rotation: the result stays proper
    assert np.linalg.det(kabsch_rotations(rest, mirrored)) == pytest.approx(np.ones(50))


def test_make_continuous_removes_sign_flips_only() -> None:
    quats = Rotation.from_euler("z", np.linspace(0, 340, 30)[:, None], degrees=True).as_quat()[:, None]
    flipped = quats * np.where(np.arange(30) % 3 == 0, -1.0, 1.0)[:, None, None]
    continuous = make_continuous(flipped)
    assert (np.sum(continuous[1:] * continuous[:-1], axis=-1) > 0).all()
    assert np.abs(np.abs(np.sum(continuous * quats, axis=-1)) - 1).max() < 1e-12  # same rotations


def test_interpolate_missing_fills_linearly_and_reports_frames() -> None:
    values = np.arange(10, dtype=float)[:, None, None] * np.ones((1, 2, 3))
    values[3:5, 1, 2] = np.nan
    values[0] = np.nan
    filled, missing = interpolate_missing(values)
    assert filled[:, 1, 2] == pytest.approx([1, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert missing.tolist() == [True, False, False, True, True] + [False] * 5


# ------------------------------------------------------------------------------------------ exact fit
def test_fk_reproduces_constant_length_input_within_a_millimetre() -> None:
    world = random_smooth_motion(240, seed=3, amplitude=0.8)
    motion = to_camera(world)
    animation = solve_animation(motion)
    solved, given = relative_world(animation, motion)
    assert np.linalg.norm(solved - given, axis=-1).max() < 1e-3
    # The skeleton measured from the clip has the true bone lengths.
    assert animation.skeleton.bone_lengths() == pytest.approx(reference_skeleton().bone_lengths(), abs=1e-4)
    # Root motion follows the trajectory (as seen in the world frame, relative to the first frame).
    trajectory = motion.trajectory.astype(np.float64) @ animation.extras["world_from_camera"].T
    root = animation.root_positions
    assert root - root[0] == pytest.approx(trajectory - trajectory[0], abs=1e-5)


@pytest.mark.slow
def test_fk_reproduces_a_real_constant_length_mocap_clip(shared_dir: Path) -> None:
    """A real CMU dance clip made constant-length (FK of one solve) is reproduced within 1 mm by a second solve."""
    from videopose.lifter.mocap import mocap_points
    from videopose.core.bvh import read_bvh

    points = mocap_points(read_bvh(shared_dir / "mocap" / "cmu" / "cc" / "005" / "005_02.bvh"))[:, :17]
    first = solve_animation(to_camera(points, trajectory=False))
    rigid = first.world_positions()
    motion = to_camera(rigid, rotation=camera_from_world(20, -3, -40))
    second = solve_animation(motion)
    solved, given = relative_world(second, motion)
    assert np.linalg.norm(solved - given, axis=-1).max() < 1e-3


def test_noisy_input_gets_exactly_constant_lengths_and_a_reported_error() -> None:
    world = random_smooth_motion(200, seed=5)
    motion = to_camera(world, noise_m=0.02, seed=2)
    animation = solve_animation(motion)
    positions = animation.world_positions()
    parents = np.array([max(p, 0) for p in H36M17.parents])
    lengths = np.linalg.norm(positions - positions[:, parents], axis=-1)
    assert lengths.std(axis=0).max() < 1e-9
    # Robust lengths land near the truth despite 2 cm noise per coordinate.
    assert np.abs(lengths[0] - reference_skeleton().bone_lengths()).max() < 0.02
    solved, given = relative_world(animation, motion)
    error = np.linalg.norm(solved - given, axis=-1).mean(axis=1)
    assert animation.extras["fit_error_m"] == pytest.approx(error, abs=2e-6)
    assert 0.01 < error.mean() < 0.05  # the noise shows up as a fit error, reported per frame


# ------------------------------------------------------------------------------------------ stability
def _still_body(frames: int) -> np.ndarray:
    rest = reference_skeleton().rest_positions() + np.array([0, 0, 1.0])
    return np.repeat(rest[None], frames, axis=0)


def _check_smooth_solution(world: np.ndarray, rotation: np.ndarray | None = None, max_step: float = 12.0) -> None:
    motion = to_camera(world, rotation=rotation)
    animation = solve_animation(motion)
    solved, given = relative_world(animation, motion)
    assert np.linalg.norm(solved - given, axis=-1).max() < 1e-3
    quats = animation.local_quats_xyzw
    assert (np.sum(quats[1:] * quats[:-1], axis=-1) > 0).all(), "quaternion sign flip"
    steps = local_step_degrees(quats)
    assert steps.max() < max_step, f"twist pop: {steps.max():.1f} degrees in one frame at joint {steps.max(0).argmax()}"


def test_straight_arms_sweeping_everywhere_do_not_flip_or_pop() -> None:
    """Straight arms (no bend, so no hinge to read twist from) circle through up, forward and down."""
    frames = 240
    world = _still_body(frames)
    time = np.linspace(0, 2 * np.pi, frames)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        # Cone around the side direction, opening up to 80 degrees: passes up, forward, down and back.
        opening = np.radians(80) * np.sin(time / 2)
        direction = np.stack([sign * np.cos(opening), -np.sin(opening) * np.cos(time), np.sin(opening) * np.sin(time)], 1)
        shoulder = world[:, NAMES[f"{side}_shoulder"]]
        world[:, NAMES[f"{side}_elbow"]] = shoulder + 0.28 * direction
        world[:, NAMES[f"{side}_wrist"]] = shoulder + 0.53 * direction
    # Straight legs kicking forward and sideways.
    for side, sign in (("left", 1.0), ("right", -1.0)):
        angle = 0.6 * np.sin(2 * time)
        direction = np.stack([sign * 0.3 * np.abs(np.sin(time)), -np.sin(angle), -np.cos(angle)], 1)
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        hip = world[:, NAMES[f"{side}_hip"]]
        world[:, NAMES[f"{side}_knee"]] = hip + 0.44 * direction
        world[:, NAMES[f"{side}_ankle"]] = hip + 0.88 * direction
    _check_smooth_solution(world)


def test_limb_pointing_at_the_camera_does_not_flip_or_pop() -> None:
    """The left arm points straight at the camera, then bends and straightens there; the forearm also
    sweeps around the camera axis (the pose a monocular lifter sees worst)."""
    frames = 200
    rotation = camera_from_world(pitch_degrees=5, roll_degrees=0, yaw_degrees=0)
    world = _still_body(frames)
    camera_centre = world[0, 0] + np.array([0.0, -4.0, 0.3])
    shoulder = world[:, NAMES["left_shoulder"]]
    towards_camera = (camera_centre - shoulder) / np.linalg.norm(camera_centre - shoulder, axis=1, keepdims=True)
    time = np.linspace(0, 1, frames)
    bend = np.radians(100) * np.sin(np.pi * time) ** 2  # straight -> bent 100 degrees -> straight
    around = 2 * np.pi * time  # the bend plane turns once around the camera axis
    side = np.cross(towards_camera, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    up = np.cross(side, towards_camera)
    plane = np.cos(around)[:, None] * up + np.sin(around)[:, None] * side
    forearm = np.cos(bend)[:, None] * towards_camera + np.sin(bend)[:, None] * plane
    world[:, NAMES["left_elbow"]] = shoulder + 0.28 * towards_camera
    world[:, NAMES["left_wrist"]] = world[:, NAMES["left_elbow"]] + 0.25 * forearm
    # The camera looks along the limb here: its view direction is the limb direction.
    view = rotation.T @ np.array([0, 0, 1.0])
    assert np.degrees(np.arccos(np.clip(-towards_camera @ view, -1, 1))).max() < 6
    # The bend plane turns 360 degrees in 200 frames (1.8 degrees per frame) and the hinge follows it
    # once the elbow is bent; while it straightens the twist eases back: no step may jump.
    _check_smooth_solution(world, rotation, max_step=12.0)


# ------------------------------------------------------------------------------------------ bad input
def test_nan_frames_are_filled_and_reported() -> None:
    world = random_smooth_motion(60, seed=1)
    motion = to_camera(world)
    joints = motion.joints_3d.copy()
    joints[10:13] = np.nan
    joints[40, 5] = np.nan
    animation = solve_animation(Motion3D(joints, motion.fps, trajectory=motion.trajectory))
    assert np.flatnonzero(animation.extras["filled_frames"]).tolist() == [10, 11, 12, 40]
    assert np.isfinite(animation.local_quats_xyzw).all()


@pytest.mark.parametrize("case, message", [
    ("all_nan", "NaN"), ("one_frame", "at least 2"), ("zero_bone", "zero length"), ("collapsed", "collapsed"),
    ("layout", "H36M17"),
])
def test_bad_motion_is_a_clear_error(case: str, message: str) -> None:
    joints = to_camera(random_smooth_motion(20, seed=0)).joints_3d.copy()
    layout = "h36m17"
    if case == "all_nan":
        joints[:] = np.nan
    elif case == "one_frame":
        joints = joints[:1]
    elif case == "zero_bone":
        joints[:, NAMES["left_elbow"]] = joints[:, NAMES["left_shoulder"]]
    elif case == "collapsed":
        joints[:] = 0.0
    if case == "layout":
        motion = Motion3D(joints, 30.0)
        object.__setattr__(motion, "layout", "coco17")
    else:
        motion = Motion3D(joints, 30.0)
    with pytest.raises(VideoposeError, match=message):
        solve_animation(motion)


def test_given_bone_lengths_are_used_exactly() -> None:
    world = random_smooth_motion(50, seed=4)
    lengths = reference_skeleton().bone_lengths() * 1.1
    skeleton, quats = solve_pose(world, lengths)
    assert skeleton.bone_lengths() == pytest.approx(lengths)
    positions, _ = forward_kinematics(skeleton, quats, np.zeros((50, 3)))
    assert np.linalg.norm(positions[:, 1:] - positions[:, [max(p, 0) for p in H36M17.parents[1:]]], axis=-1) == \
        pytest.approx(np.broadcast_to(lengths[1:], (50, 16)))


def test_unwrap_runs_equals_numpy_unwrap_run_by_run() -> None:
    from videopose.retarget.solve import _unwrap_runs

    rng = np.random.default_rng(0)
    for _ in range(100):
        frames = int(rng.integers(2, 60))
        angle = np.angle(np.exp(1j * np.cumsum(rng.normal(0, 1.5, frames))))
        mask = rng.random(frames) < 0.7
        expected = angle.copy()
        edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            unwrapped = np.unwrap(expected[start:stop])
            expected[start:stop] = unwrapped - 2 * np.pi * np.round(unwrapped.mean() / (2 * np.pi))
        np.testing.assert_allclose(_unwrap_runs(angle, mask), expected, atol=1e-12)
