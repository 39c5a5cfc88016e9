"""Rig presets and JSON bone maps: the retargeted rig points its bones where the source points (retarget/rigs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from videopose.core.animation import Animation, Skeleton
from videopose.retarget.rig_presets import PRESETS
from videopose.retarget.rig_feet import find_legs, rest_ankle_height
from videopose.retarget.rigs import load_rig, retarget_to_rig
from videopose.retarget.solve import solve_animation
from synthetic_motion import random_smooth_motion, to_camera
from videopose.core.errors import VideoposeError


@pytest.fixture(scope="module")
def source() -> Animation:
    animation = solve_animation(to_camera(random_smooth_motion(40, seed=7, amplitude=0.7)))
    # Frame 0 in the source's rest pose (T-pose): A-pose rigs must lift their arms to match it.
    quats = animation.local_quats_xyzw.copy()
    quats[0] = [0, 0, 0, 1]
    return Animation(animation.skeleton, quats, animation.root_positions, animation.fps, extras=animation.extras)


def _direction_errors_degrees(source: Animation, rig, target: Animation) -> list[tuple[str, float]]:
    """For every mapped bone whose source joint has one child that also drives a bone below it: angle
    between the target's bone direction and the source's, worst frame."""
    source_positions, target_positions = source.world_positions(), target.world_positions()
    skeleton = rig.skeleton
    driven = {skeleton.index(bone): source.skeleton.index(joint) for bone, joint in rig.bone_map.items()}
    errors = []
    for t, s in driven.items():
        children = source.skeleton.children(s)
        if len(children) != 1:
            continue
        below = [u for u, joint in driven.items() if joint == children[0] and _is_below(skeleton, u, t)]
        if not below:
            continue
        want = source_positions[:, children[0]] - source_positions[:, s]
        got = target_positions[:, min(below)] - target_positions[:, t]
        cosine = np.sum(want * got, 1) / np.linalg.norm(want, axis=1) / np.linalg.norm(got, axis=1)
        errors.append((skeleton.names[t], float(np.degrees(np.arccos(np.clip(cosine, -1, 1))).max())))
    return errors


def _is_below(skeleton: Skeleton, joint: int, ancestor: int) -> bool:
    while joint >= 0:
        joint = skeleton.parents[joint]
        if joint == ancestor:
            return True
    return False


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_point_every_bone_like_the_source(source: Animation, preset: str) -> None:
    rig = load_rig(preset)
    target = retarget_to_rig(source, rig)
    errors = _direction_errors_degrees(source, rig, target)
    assert len(errors) >= 9  # spine, both arms and legs (and the neck where the rig maps the head top)
    worst = max(errors, key=lambda item: item[1])
    assert worst[1] < 0.01, f"{preset}: bone {worst[0]} is {worst[1]:.2f} degrees off"
    # Whole frames copied where a source joint has several children (pelvis, thorax).
    _, source_world = source.world_transforms()
    _, target_world = target.world_transforms()
    for bone, joint in rig.bone_map.items():
        if joint in ("pelvis", "thorax"):
            assert target_world[:, rig.skeleton.index(bone)] == pytest.approx(source_world[:, source.skeleton.index(joint)])
    # The bone driven by the pelvis follows the root motion, scaled by the leg-length ratio, horizontally;
    # its height is the rig's own: one shift for the rig's floor and ankle height, raised further only in the
    # frames whose lower ankle would otherwise be under the floor, where that ankle stands at its height.
    pelvis_bone = rig.skeleton.index(next(b for b, j in rig.bone_map.items() if j == "pelvis"))
    scale = float(target.extras["root_scale"])
    assert 0.8 < scale < 1.3
    positions = target.world_positions()
    assert positions[:, pelvis_bone, :2] == pytest.approx(scale * source.root_positions[:, :2])
    lift = positions[:, pelvis_bone, 2] - scale * source.root_positions[:, 2]
    legs = find_legs(rig.skeleton, rig.bone_map)
    over = (positions[:, [leg.foot for leg in legs], 2]
            - np.array([rest_ankle_height(rig.skeleton, leg) for leg in legs])).min(axis=1)
    assert over.min() > -1e-9
    raised = lift > lift.min() + 1e-6
    assert np.abs(over[raised]).max(initial=0.0) < 1e-6


def test_ue5_a_pose_arms_are_lifted_to_the_source_t_pose(source: Animation) -> None:
    rig = load_rig("ue5")
    assert rig.rest_pose == "A"
    positions = retarget_to_rig(source, rig).world_positions()[0]
    arm = positions[rig.skeleton.index("lowerarm_l")] - positions[rig.skeleton.index("upperarm_l")]
    assert arm / np.linalg.norm(arm) == pytest.approx(np.array([1.0, 0, 0]), abs=1e-6)
    rest_arm = rig.skeleton.offsets[rig.skeleton.index("lowerarm_l")]
    assert np.degrees(np.arctan2(-rest_arm[2], rest_arm[0])) == pytest.approx(40, abs=1)


def _odd_rig_json() -> dict:
    """A user's rig with other proportions, arms resting forward-down and legs splayed (other bone axes)."""
    joints = [
        {"name": "Root", "parent": None, "head": [0, 0, 1.1]},
        {"name": "Chest", "parent": "Root", "head": [0, 0.05, 1.45]},
        {"name": "Neck", "parent": "Chest", "head": [0, 0.02, 1.62]},
        {"name": "HeadTip", "parent": "Neck", "head": [0, -0.05, 1.85]},
    ]
    for side, sign in (("L", 1), ("R", -1)):
        joints += [
            {"name": f"Arm.{side}", "parent": "Chest", "head": [sign * 0.2, 0.03, 1.55]},
            {"name": f"Elbow.{side}", "parent": f"Arm.{side}", "head": [sign * 0.3, -0.2, 1.35]},
            {"name": f"Hand.{side}", "parent": f"Elbow.{side}", "head": [sign * 0.32, -0.45, 1.3]},
            {"name": f"Leg.{side}", "parent": "Root", "head": [sign * 0.12, 0, 1.0]},
            {"name": f"Knee.{side}", "parent": f"Leg.{side}", "head": [sign * 0.3, -0.05, 0.55]},
            {"name": f"Foot.{side}", "parent": f"Knee.{side}", "head": [sign * 0.4, 0.0, 0.1]},
        ]
    mapping = {"Root": "pelvis", "Chest": "thorax", "Neck": "neck_nose", "HeadTip": "head"}
    for side, name in (("L", "left"), ("R", "right")):
        mapping.update({f"Arm.{side}": f"{name}_shoulder", f"Elbow.{side}": f"{name}_elbow", f"Hand.{side}": f"{name}_wrist",
                        f"Leg.{side}": f"{name}_hip", f"Knee.{side}": f"{name}_knee", f"Foot.{side}": f"{name}_ankle"})
    return {"name": "odd", "joints": joints, "map": mapping}


def test_user_json_map_with_other_rest_pose(source: Animation, tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(_odd_rig_json()))
    rig = load_rig(path)
    target = retarget_to_rig(source, rig)
    errors = dict(_direction_errors_degrees(source, rig, target))
    assert set(errors) >= {"Arm.L", "Elbow.L", "Leg.R", "Knee.R", "Neck"}
    assert max(errors.values()) < 0.01


def test_map_naming_missing_bones_is_a_clear_error(tmp_path: Path) -> None:
    data = _odd_rig_json()
    data["map"]["Tail"] = "spine"
    data["map"]["Wing.L"] = "left_wrist"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(VideoposeError, match="Tail, Wing.L"):
        load_rig(path)
    # A preset applied to an armature that lacks mapped bones.
    armature = load_rig("mixamo").skeleton
    keep = [i for i, n in enumerate(armature.names) if "LeftForeArm" not in n and "LeftHand" not in n]
    lacking = Skeleton(tuple(armature.names[i] for i in keep),
                       tuple(keep.index(armature.parents[i]) if armature.parents[i] >= 0 else -1 for i in keep),
                       armature.offsets[keep])
    with pytest.raises(VideoposeError, match="mixamorig:LeftForeArm"):
        load_rig("mixamo", skeleton=lacking)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not readable JSON"), ('{"map": {}}', "non-empty"), ('{"map": {"A": "pelvis"}}', "joints"),
    ('{"map": {"A": "hips"}, "joints": [{"name": "A", "parent": null, "head": [0, 0, 1]}]}', "unknown source joints"),
])
def test_malformed_maps_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(content)
    with pytest.raises(VideoposeError, match=message):
        load_rig(path)


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(VideoposeError, match="rigify, metarig, mixamo, ue5, cmu, smpl"):
        load_rig("maximo")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_rigs_are_recognised_from_their_bone_names(preset: str) -> None:
    from videopose.retarget.rigs import recognise_rig

    rig = load_rig(preset)
    recognised = recognise_rig(rig.skeleton.names, rig.skeleton)
    assert recognised is not None and recognised.name == preset and recognised.bone_map == rig.bone_map


def test_mixamo_rigs_with_other_prefixes_and_a_generated_rigify_rig() -> None:
    from videopose.retarget.rigs import recognise_rig

    mixamo = load_rig("mixamo").skeleton
    for prefix in ("mixamorig1:", ""):
        renamed = Skeleton(tuple(n.replace("mixamorig:", prefix) for n in mixamo.names), mixamo.parents, mixamo.offsets)
        rig = recognise_rig(renamed.names, renamed)
        assert rig is not None and rig.name == "mixamo" and rig.bone_map[prefix + "LeftUpLeg"] == "left_hip"
    assert recognise_rig(("Bone", "Bone.001")) is None
    from videopose.retarget.rigs import RIGIFY_CONTROLS, is_generated_rigify

    generated = (*RIGIFY_CONTROLS, "root", *load_rig("rigify").skeleton.names)
    assert is_generated_rigify(generated) and not is_generated_rigify(load_rig("rigify").skeleton.names)
    assert recognise_rig(generated) is None  # animated through its controls, not as a preset
