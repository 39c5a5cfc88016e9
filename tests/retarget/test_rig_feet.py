"""Feet on the floor of every rig preset (retarget/rig_feet.py), on real clips: toes never under the floor,
planted feet locked on the rig (within 5 mm, at the rig's own ankle height) and flat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.core.formats import Keypoints2D, Motion3D
from videopose.retarget.contact import runs
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
            for start, stop in runs(contacts[:, leg.side]):
                ankle = positions[start:stop, leg.foot]
                # Before: the planted foot slid 12 mm and bobbed 27 mm on the rig.
                assert np.linalg.norm(ankle - np.median(ankle, axis=0), axis=-1).max() < 0.005, name
                assert np.abs(ankle[:, 2] - height).max() < 1e-6, name
                tilt = np.degrees(np.arccos(np.clip(world[start:stop, leg.foot, 2, 2], -1, 1)))
                assert tilt.max() < 0.5, f"{name}: planted foot tilted {tilt.max():.1f} deg"
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
        for side in ("left", "right"):
            ankle = names.index(f"{side}_ankle")
            ball = positions[:, ankle] + world[:, ankle] @ canonical_foot_offset(flattened.skeleton, side)
            assert ball[:, 2].min() > -1e-3, f"{name}: {side} foot {ball[:, 2].min() * 100:.1f} cm under the floor"
