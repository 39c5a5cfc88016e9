"""The default output (``retarget_motion`` with no rig, what ``videopose run`` writes) on real clips: its twists
continuous (no bone pops about its own axis) and its feet (the canonical ankle bones, ankle to ball) flat
while planted and never through the floor, with every joint where it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from test_twist import frame_to_frame_degrees, turns_the_positions_show
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.retarget import pipeline
from videopose.core.frame_runs import frame_runs
from videopose.retarget.pipeline import retarget_motion
from videopose.retarget.rig_feet import canonical_foot_offset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clips(shared_dir: Path) -> dict[str, tuple[Motion3D, Keypoints2D]]:
    """Motion and keypoints of the shipped sample (its kept keypoints), the squats clip and sports2d_demo
    (walk, jumping jacks, a flip), through the shipped lifter."""
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.detect import detect_video
    from videopose.lifter.infer import lift_keypoints

    checkpoint = load_checkpoint(resolve_checkpoint(None))
    found = {"tfjs_pose_1": Keypoints2D.load(REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz")}
    for name in ("tfjs_pose_squats", "sports2d_demo"):
        video = shared_dir / "videos" / f"{name}.mp4"
        if video.is_file():
            found[name] = detect_video(video)
    return {name: (lift_keypoints(keypoints, checkpoint, device="cpu"), keypoints) for name, keypoints in found.items()}


@pytest.mark.slow
@pytest.mark.parametrize("grounded", [True, False], ids=["grounded", "lifter-depth"])
def test_the_default_output_has_flat_planted_feet_no_twist_pops_and_the_same_joints(clips, grounded, monkeypatch):
    """Before: the ball of the foot up to 8.9 cm under the floor (squats, lifter depth) and 7.5 cm under a
    sunken ankle (sports2d), planted feet tilted 29-61 degrees with the shin, and sports2d's left upper arm
    turned 81.5 degrees in one frame more than its positions show."""
    if "sports2d_demo" not in clips:
        pytest.skip("sports2d_demo.mp4 not in the shared data")
    checked_push_offs = 0
    for name, (motion, keypoints) in clips.items():
        animation = retarget_motion(motion, keypoints=keypoints if grounded else None)
        positions, world = animation.world_transforms()
        contacts = np.asarray(animation.extras.get("heel_contacts", animation.contacts), dtype=bool)
        for side_index, side in enumerate(("left", "right")):
            ankle = animation.skeleton.index(f"{side}_ankle")
            ball = positions[:, ankle] + world[:, ankle] @ canonical_foot_offset(animation.skeleton, side)
            # Never under the floor, nor under its own ankle where the ankle is (a grounding miss on sports2d).
            floor = np.minimum(positions[:, ankle, 2], 0.0)
            assert (ball[:, 2] - floor).min() > -1e-3, f"{name}: {side} ball {(ball[:, 2] - floor).min() * 100:.1f} cm under"
            for start, stop in frame_runs(contacts[:, side_index]):
                tilt = np.degrees(np.arccos(np.clip(world[start:stop, ankle, 2, 2], -1, 1)))
                assert tilt.max() < 0.5, f"{name}: planted {side} foot tilted {tilt.max():.1f} deg at {start}"
            if grounded:  # no foot sunk into the floor (deeper than SUNKEN_MAX_M: another level, sports2d's drop)
                ankles = positions[:, [animation.skeleton.index(f"{s}_ankle") for s in ("left", "right")], 2]
                planted = contacts & ~np.asarray(animation.extras["off_floor_frames"], dtype=bool)
                depth = np.median(ankles[planted]) - positions[:, ankle, 2]
                sunk = depth[depth <= 0.15].max()
                assert sunk < 1e-3, f"{name}: {side} ankle {sunk * 100:.1f} cm into the floor"
            if grounded and "toe_contacts" in animation.extras:
                # A push-off (toe down, heel up) has the ball of the foot where a flat foot has it, as far under
                # the ankle as the heel rose: before, the foot stayed rigid with the shin, its ball up to 9 cm high.
                pushing = np.asarray(animation.extras["toe_contacts"], dtype=bool)[:, side_index] & ~contacts[:, side_index]
                level = float(animation.extras["ankle_height_m"])  # a planted ankle's height over the floor
                length = np.linalg.norm(canonical_foot_offset(animation.skeleton, side))
                rise = positions[:, ankle, 2] - level  # the heel's rise (a foot on another level: not on this floor)
                elsewhere = np.asarray(animation.extras["off_floor_frames"], dtype=bool)[:, side_index]
                reachable = pushing & ~elsewhere & (rise >= 0.0) & (rise < 0.8 * length)
                if reachable.any():
                    above = (ball[reachable, 2] - level).max()  # (a ball already lower is left alone)
                    assert above < 1e-3, f"{name}: {side} pushing off with the ball {above * 100:.1f} cm off the floor"
                    checked_push_offs += int(reachable.sum())
        turns, shown = frame_to_frame_degrees(animation), turns_the_positions_show(animation)
        unexplained = np.where(turns > 60.0, turns - shown, 0.0)
        frame, joint = np.unravel_index(np.argmax(unexplained), unexplained.shape)
        assert unexplained.max() < 1.0, (f"{name}: {animation.skeleton.names[joint]} turns {turns[frame, joint]:.1f} deg "
                                         f"at {frame} -> {frame + 1}, its positions {shown[frame, joint]:.1f}")
        # Neither finish moves a joint: the positions are those of the motion without them.
        with monkeypatch.context() as patched:
            patched.setattr(pipeline, "flatten_canonical_feet", lambda unfinished: unfinished)
            patched.setattr(pipeline, "twist_made_continuous", lambda unfinished: unfinished)
            unfinished = retarget_motion(motion, keypoints=keypoints if grounded else None)
        np.testing.assert_allclose(positions, unfinished.world_positions(), atol=1e-9)
        assert not np.allclose(animation.local_quats_xyzw, unfinished.local_quats_xyzw, atol=1e-6)
    assert checked_push_offs > 10 or not grounded


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:the feet stand on another level")  # sports2d's drop off the roof
def test_a_rigs_push_off_stands_on_the_ball_of_its_foot(clips) -> None:
    """On a rig (Mixamo), a grounded clip's toe-down, heel-up frames have the ball (the toe bone's head) at its
    flat-foot height: before, the foot stayed rigid with the shin and the ball rose with the heel."""
    from videopose.retarget.rig_feet import MAX_TOE_DOWN_PITCH_DEG, find_legs, rest_ankle_height
    from videopose.retarget.pipeline import RetargetOptions
    from videopose.retarget.rigs import load_rig

    rig = load_rig("mixamo")
    legs = find_legs(rig.skeleton, rig.bone_map)
    rest = rig.skeleton.rest_positions()
    checked = 0
    for name, (motion, keypoints) in clips.items():
        animation = retarget_motion(motion, RetargetOptions(rig="mixamo"), keypoints=keypoints)
        positions = animation.world_positions()
        heel = np.asarray(animation.extras["heel_contacts"], dtype=bool)
        toe = np.asarray(animation.extras["toe_contacts"], dtype=bool)
        elsewhere = np.asarray(animation.extras["off_floor_frames"], dtype=bool)
        for leg in legs:
            ball = next(joint for joint in leg.toes if rig.skeleton.parents[joint] == leg.foot)
            sole = rest[list(leg.below_foot), 2].min()
            flat_ball = rest[ball, 2] - sole
            length = np.linalg.norm(rest[ball] - rest[leg.foot])
            rise = positions[:, leg.foot, 2] - rest_ankle_height(rig.skeleton, leg)
            drop = rest[leg.foot, 2] - rest[ball, 2] + rise  # the ball this far under the ankle: within the pitch's reach
            reach = 0.95 * length * np.sin(np.radians(MAX_TOE_DOWN_PITCH_DEG))
            pushing = toe[:, leg.side] & ~heel[:, leg.side] & ~elsewhere[:, leg.side] & (rise >= 0) & (drop < reach)
            if pushing.any():
                above = (positions[pushing, ball, 2] - flat_ball).max()
                assert above < 1e-3, f"{name}: ball {above * 100:.1f} cm over the floor while pushing off"
                checked += int(pushing.sum())
    assert checked > 5
