"""Feet on the floor of every rig preset (retarget/rig_feet.py), on real clips: toes never under the floor,
planted feet locked on the rig (within 5 mm, at the rig's own ankle height) and flat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.frame_runs import frame_runs
from videopose.retarget.pipeline import RetargetOptions, retarget_motion
from videopose.retarget.rig_feet import find_legs, rest_ankle_height
from videopose.retarget.rigs import load_rig

REPO = Path(__file__).resolve().parents[2]
PRESETS = ["rigify", "mixamo", "ue5", "smpl", "cmu"]


def _lift(keypoints: Keypoints2D) -> Motion3D:
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints

    return lift_keypoints(keypoints, load_checkpoint(resolve_checkpoint(None)), device="cpu")


@pytest.fixture(scope="module")
def clips(shared_dir: Path) -> dict[str, Motion3D]:
    """The shipped sample (its kept keypoints) and the squats video (5 fps, both feet planted in turn)."""
    from videopose.lifter.detect import detect_video

    motions = {"tfjs_pose_1": _lift(Keypoints2D.load(REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"))}
    squats = shared_dir / "videos" / "tfjs_pose_squats.mp4"
    if squats.is_file():
        motions["squats"] = _lift(detect_video(squats))
    return motions


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_feet_stay_on_the_floor_and_planted_feet_stay_put(clips: dict[str, Motion3D], preset: str) -> None:
    rig = load_rig(preset)
    legs = find_legs(rig.skeleton, rig.bone_map)
    assert len(legs) == 2 and all(leg.below_foot for leg in legs)
    planted_frames = 0
    for name, motion in clips.items():
        animation = retarget_motion(motion, RetargetOptions(rig=preset))
        positions, world = animation.world_transforms()
        below = sorted({joint for leg in legs for joint in leg.below_foot})
        # Before: toes 10-15 cm under the floor in nearly every frame (they stayed rigid with the shin).
        assert positions[:, below, 2].min() > -1e-3, f"{name}: toes {positions[:, below, 2].min() * 100:.1f} cm under"
        contacts = np.asarray(animation.extras.get("heel_contacts", animation.contacts), dtype=bool)
        for leg in legs:
            height = rest_ankle_height(rig.skeleton, leg)
            assert positions[:, leg.foot, 2].min() > height - 1e-6, f"{name}: ankle under its flat-foot height"
            for start, stop in frame_runs(contacts[:, leg.side]):
                ankle = positions[start:stop, leg.foot]
                # Before: the planted foot slid 12 mm and bobbed 27 mm on the rig.
                assert np.linalg.norm(ankle - np.median(ankle, axis=0), axis=-1).max() < 0.005, name
                assert np.abs(ankle[:, 2] - height).max() < 1e-6, name
                tilt = np.degrees(np.arccos(np.clip(world[start:stop, leg.foot, 2, 2], -1, 1)))
                assert tilt.max() < 0.5, f"{name}: planted foot tilted {tilt.max():.1f} deg"
                # The toes stay put too: before, the foot swivelled about its pinned ankle with the shin's twist.
                toes = positions[start:stop][:, list(leg.below_foot)]
                swivel = np.linalg.norm(toes - np.median(toes, axis=0), axis=-1).max()
                assert swivel < 0.005, f"{name}: planted toes moved {swivel * 100:.1f} cm"
                planted_frames += stop - start
    assert planted_frames > 50


@pytest.mark.slow
def test_canonical_feet_flattened_keep_the_ball_of_the_foot_on_the_floor(clips: dict[str, Motion3D]) -> None:
    """videopose's own skeleton (no rig): its ankle bones are the feet; before they stayed rigid with the
    shin and dipped 12 cm under the floor on the squats clip."""
    from videopose.retarget.rig_feet import canonical_foot_offset, flatten_canonical_feet

    for name, motion in clips.items():
        animation = retarget_motion(motion)
        flattened = flatten_canonical_feet(animation)
        positions, world = flattened.world_transforms()
        np.testing.assert_allclose(positions, animation.world_positions(), atol=1e-9)
        names = flattened.skeleton.names
        for foot, side in enumerate(("left", "right")):
            ankle = names.index(f"{side}_ankle")
            ball = positions[:, ankle] + world[:, ankle] @ canonical_foot_offset(flattened.skeleton, side)
            assert ball[:, 2].min() > -1e-3, f"{name}: {side} foot {ball[:, 2].min() * 100:.1f} cm under the floor"
            planted = np.asarray(flattened.extras.get("heel_contacts", flattened.contacts), dtype=bool)
            for start, stop in frame_runs(planted[:, foot]):
                # The foot about its ankle (the ankle's own lock is the lock's): before, it swivelled with the shin.
                foot_vector = ball[start:stop] - positions[start:stop, ankle]
                swivel = np.linalg.norm(foot_vector - np.median(foot_vector, axis=0), axis=-1).max()
                assert swivel < 0.005, f"{name}: {side} planted foot swivelled {swivel * 100:.1f} cm at its ball"


def test_a_pin_left_behind_by_a_fast_step_does_not_pull_the_root_down() -> None:
    """Before: as the pin of a foot eased out behind a body moving on fast, the root was lowered for the
    straight leg to reach it (here 25 cm; sports2d, frame 159 -> 160 on mixamo: 45 cm in one frame, the
    knee under the floor and the shin turned 81 degrees)."""
    from videopose.core.animation import Animation
    from videopose.retarget.rig_feet import MAX_DROP, plant_feet

    rig = load_rig("mixamo")
    skeleton = rig.skeleton
    legs = find_legs(skeleton, rig.bone_map)
    frames, fps = 20, 30.0
    rest = skeleton.rest_positions()
    rest = rest - np.array([0.0, 0.0, rest[:, 2].min()])  # standing on the floor
    root = np.tile(rest[0], (frames, 1))
    root[:, 1] -= 0.5 * np.maximum(np.arange(frames) - 9, 0)  # stands 10 frames, then moves on (15 m/s)
    contacts = np.zeros((frames, 2), dtype=bool)
    contacts[:10] = True
    animation = Animation(skeleton, np.tile([0.0, 0.0, 0.0, 1.0], (frames, skeleton.num_joints, 1)), root, fps,
                          contacts=contacts)
    planted = plant_feet(animation, legs, set(skeleton.index(bone) for bone in rig.bone_map),
                         [rest_ankle_height(skeleton, leg) for leg in legs])
    leg_length = max(np.linalg.norm(rest[leg.shin] - rest[leg.thigh]) + np.linalg.norm(rest[leg.foot] - rest[leg.shin])
                     for leg in legs)
    lowered = root[:, 2] - planted.root_positions[:, 2]
    assert lowered.max() <= MAX_DROP * leg_length + 1e-9, f"root lowered {lowered.max() * 100:.0f} cm"
    positions = planted.world_positions()
    knees = positions[:, [leg.shin for leg in legs], 2]
    assert knees.min() > 0.2, f"a knee at {knees.min() * 100:.0f} cm"
    # While standing, the feet stay pinned where they stood.
    for leg in legs:
        np.testing.assert_allclose(positions[:10, leg.foot], rest[leg.foot] + root[:10] - rest[0], atol=1e-6)


def test_a_planted_foot_keeps_its_heading_while_the_shin_twists() -> None:
    """The shin's twist (which the lifter leaves loose) swings the foot 40 degrees during a stance: the held
    foot points one way throughout it (its run's median), is eased back out after it, keeps every point's
    height, and is left alone far from the stance."""
    from scipy.spatial.transform import Rotation

    from videopose.retarget.rig_feet import held_headings

    frames, blend = 60, 4
    yaw = np.radians(np.linspace(-20.0, 20.0, frames))
    pitch = np.radians(15.0 * np.sin(np.linspace(0, 6, frames)))  # the foot not flat everywhere
    rotations = Rotation.from_euler("zx", np.stack([yaw, pitch], axis=1)).as_matrix()
    planted = np.zeros(frames, dtype=bool)
    planted[20:40] = True
    forward = np.array([0.0, -0.14, -0.05])
    held = held_headings(rotations, forward, planted, blend)
    pointing = held @ forward
    heading = np.degrees(np.arctan2(pointing[:, 1], pointing[:, 0]))
    before = np.degrees(np.arctan2((rotations @ forward)[:, 1], (rotations @ forward)[:, 0]))
    assert np.ptp(heading[20:40]) < 1e-6  # before: 13 degrees over the stance
    assert heading[30] == pytest.approx(np.median(before[20:40]), abs=1e-3)
    np.testing.assert_allclose(heading[:20 - blend], before[:20 - blend], atol=1e-9)
    np.testing.assert_allclose(heading[40 + blend:], before[40 + blend:], atol=1e-9)
    np.testing.assert_allclose(pointing[:, 2], (rotations @ forward)[:, 2], atol=1e-12)  # heights kept
    easing = np.abs(heading[40:40 + blend] - before[40:40 + blend])
    assert np.all(np.diff(easing) < 0)  # eased back out


def test_a_held_foot_turns_smoothly_in_the_air_to_its_next_stance() -> None:
    """Between two stances 6 frames apart the heading's correction goes from the one's to the other's
    without returning to none (a flick of the foot each way); after a long swing, and at the clip's ends,
    it eases back to none."""
    from videopose.retarget.rig_feet import eased_corrections

    known = np.zeros(60, dtype=bool)
    known[10:20] = known[26:40] = True
    values = np.where(np.arange(60) < 23, 0.5, -0.3) * known
    eased = eased_corrections(values, known, ease_frames=4)
    np.testing.assert_allclose(eased[known], values[known])
    swing = eased[19:27]
    assert np.all(np.diff(swing) < 0) and swing.min() >= -0.3  # straight over, not back to 0 and out again
    assert np.abs(np.diff(eased)).max() < 1.6 * 0.8 / 7  # a smoothstep over the swing: 1.5 x the even spread at most
    assert eased[:6].tolist() == [0.0] * 6 and eased[45:].tolist() == [0.0] * 15  # none far from a stance
    assert 0 < eased[8] < 0.5 and -0.3 < eased[41] < 0


def test_a_push_off_pitches_the_foot_down_onto_the_ball() -> None:
    """Toe down, heel up: the ball (14 cm in front of the ankle) goes as far under the ankle's flat height as the
    ankle rose, heading kept; nothing moves in the heel-down frames, nor where the ball is already lower."""
    from videopose.retarget.rig_feet import toes_down

    frames = 30
    rotations = np.repeat(np.eye(3)[None], frames, axis=0)  # the foot level (rigid with a standing shin)
    forward = np.array([0.0, -0.14, 0.0])
    ankles = np.zeros((frames, 3))
    ankles[:, 2] = 0.08 + np.clip(np.arange(frames) - 10, 0, None) * 0.005  # the heel rises from frame 10
    heel = np.arange(frames) < 10
    toe = (np.arange(frames) >= 10) & (np.arange(frames) < 25)
    pitched = toes_down(rotations, forward, ankles, 0.08, toe, 3, heel)
    ball = ankles + pitched @ forward
    np.testing.assert_allclose(ball[10:25, 2], 0.08, atol=1e-9)  # before: up to 7 cm over it, with the heel
    np.testing.assert_allclose(pitched[:10], rotations[:10])
    heading = np.degrees(np.arctan2(ball[:, 1] - ankles[:, 1], ball[:, 0] - ankles[:, 0]))
    np.testing.assert_allclose(heading, -90.0, atol=1e-9)
    assert np.all(ball[25:, 2] >= ball[24, 2] - 1e-9) and ball[-1, 2] == pytest.approx(ankles[-1, 2])  # eased out
    lower = toes_down(rotations, forward, np.full((frames, 3), [0.0, 0.0, 0.06]), 0.08, toe, 3, heel)
    np.testing.assert_allclose(lower, rotations)  # an ankle under its flat height: its ball is not raised
