"""Rigs recognised from their bone names in real ``bpy``: Rigify's human metarig (the rigify add-on ships
with Blender) animated through "Same names" without picking a preset, checked against the retargeter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blender_runner import REPO, run_python

SAMPLE_KEYPOINTS = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"
FRAMES = [0, 40, 80, 119]

_METARIG = """
import numpy as np, bpy, addon_utils
from pathlib import Path
from videopose.addon import headless
from videopose.addon.scene_io import skeleton_from_armature
folder, frames = Path(sys.argv[1]), json.loads(sys.argv[2])
addon_utils.enable("rigify", default_set=True)
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
bpy.ops.object.armature_human_metarig_add()
bpy.ops.object.mode_set(mode="OBJECT")
rig = bpy.context.view_layer.objects.active
skeleton = skeleton_from_armature(rig)
result = headless.import_motion_file(folder / "clip.motion.npz", armature=rig)   # no bone map chosen
matrix = np.array(rig.matrix_world)
heads = []
for frame in frames:
    bpy.context.scene.frame_set(result.frame_start + frame)
    heads.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in skeleton.names])
emit({"names": list(skeleton.names), "parents": list(skeleton.parents), "offsets": skeleton.offsets.tolist(),
      "heads": heads, "action": result.action.name})
"""


@pytest.mark.slow
def test_the_rigify_metarig_is_recognised_and_follows_the_motion(tmp_path):
    from videopose.core.animation import Skeleton
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion
    from videopose.retarget.rigs import load_rig

    motion = lift_keypoints(Keypoints2D.load(SAMPLE_KEYPOINTS), load_checkpoint(resolve_checkpoint(None)), device="cpu")
    motion.save(tmp_path / "clip.motion.npz")
    read = run_python(_METARIG, tmp_path / "home", args=[str(tmp_path), json.dumps(FRAMES)])
    skeleton = Skeleton(tuple(read["names"]), tuple(read["parents"]), np.array(read["offsets"]))
    expected = retarget_motion(motion, RetargetOptions(rig=load_rig("metarig", skeleton)))
    heads = np.array(read["heads"])
    assert read["action"] == "clip"
    assert heads == pytest.approx(expected.world_positions()[FRAMES], abs=2e-4)
    names = read["names"]
    moved = np.linalg.norm(heads[:, names.index("hand.L")] - heads[0, names.index("hand.L")], axis=-1)
    assert moved.max() > 0.05  # the arms move (before: "no bone of the armature is named like an animation joint")
    toes = [names.index(n) for n in ("toe.L", "toe.R")]
    assert heads[:, toes, 2].min() > -1e-3


_GENERATED_RIGIFY = """
import numpy as np, bpy, addon_utils
from pathlib import Path
from bpy_extras.anim_utils import action_get_channelbag_for_slot
from videopose.addon import headless
from videopose.addon.armature import rigify_def_skeleton
folder, frames = Path(sys.argv[1]), json.loads(sys.argv[2])
addon_utils.enable("rigify", default_set=True)
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
bpy.ops.object.armature_human_metarig_add()
bpy.ops.object.mode_set(mode="OBJECT")
bpy.ops.pose.rigify_generate()
rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and "DEF-spine" in o.data.bones)
skeleton = rigify_def_skeleton(rig)
result = headless.import_motion_file(folder / "clip.motion.npz", armature=rig)   # no bone map chosen
channelbag = action_get_channelbag_for_slot(result.action, rig.animation_data.action_slot)
keyed = sorted({curve.data_path.split('"')[1] for curve in channelbag.fcurves})
matrix = np.array(rig.matrix_world)
heads, ik_gaps = [], []
for frame in frames:
    bpy.context.scene.frame_set(result.frame_start + frame)
    heads.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in skeleton.names])
    ik_gaps += [float(np.linalg.norm(np.array(rig.pose.bones[ik].head) - np.array(rig.pose.bones[fk].head)))
                for ik, fk in (("foot_ik.L", "DEF-foot.L"), ("hand_ik.R", "DEF-hand.R"))]
emit({"names": list(skeleton.names), "parents": list(skeleton.parents), "offsets": skeleton.offsets.tolist(),
      "heads": heads, "keyed": keyed, "roots": sum(b.parent is None for b in rig.data.bones), "ik_gap": max(ik_gaps),
      "fk": rig.pose.bones["thigh_parent.L"]["IK_FK"]})
"""


@pytest.mark.slow
def test_a_generated_rigify_rig_is_driven_through_its_fk_controls(tmp_path):
    """Before: the rigify map refused the generated rig (10 root bones), and its DEF bones cannot be keyed."""
    from videopose.core.animation import Skeleton
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion
    from videopose.retarget.rigs import load_rig

    motion = lift_keypoints(Keypoints2D.load(SAMPLE_KEYPOINTS), load_checkpoint(resolve_checkpoint(None)), device="cpu")
    motion.save(tmp_path / "clip.motion.npz")
    read = run_python(_GENERATED_RIGIFY, tmp_path / "home", args=[str(tmp_path), json.dumps(FRAMES)])
    assert read["roots"] > 1 and read["fk"] == 1.0
    assert read["ik_gap"] < 1e-3  # the IK controls are keyed where the feet and hands are (ready to switch to IK)
    assert {"torso", "hips", "chest", "thigh_fk.L", "shin_fk.R", "upper_arm_fk.L", "hand_fk.R"} <= set(read["keyed"])
    assert not any(name.startswith(("DEF-", "ORG-", "MCH-")) for name in read["keyed"])
    skeleton = Skeleton(tuple(read["names"]), tuple(read["parents"]), np.array(read["offsets"]))
    expected = retarget_motion(motion, RetargetOptions(rig=load_rig("rigify", skeleton))).world_positions()[FRAMES]
    heads = np.array(read["heads"])
    names = read["names"]
    limbs = [names.index(f"DEF-{part}.{side}") for side in "LR"
             for part in ("thigh", "shin", "foot", "toe", "upper_arm", "forearm", "hand")]
    assert heads[:, limbs] == pytest.approx(expected[:, limbs], abs=1e-3)  # the DEF bones follow the controls
    assert heads[:, [names.index("DEF-toe.L"), names.index("DEF-toe.R")], 2].min() > -1e-3
