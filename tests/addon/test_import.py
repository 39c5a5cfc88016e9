"""``videopose.import_motion`` in Blender: a motion .npz (3D joints), a BVH, and onto the user's rig
through a bone-map preset; checked against the inputs' own joints."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from blender_runner import REPO, run_python
from synthetic import smooth_animation

_SCENARIO = """
import numpy as np, bpy, videopose.addon
from pathlib import Path
from videopose.retarget.rig_presets import PRESETS
from videopose.retarget.smoothing import DEFAULT_STRENGTH

folder = Path(sys.argv[1])
videopose.addon.register()
settings = bpy.context.scene.videopose
results = {"default_smoothing": [settings.smoothing, DEFAULT_STRENGTH]}

def heads(obj, bone_names, frames):
    matrix = np.array(obj.matrix_world)
    out = []
    for frame in frames:
        bpy.context.scene.frame_set(bpy.context.scene.frame_start + frame)
        out.append([(matrix @ np.append(np.array(obj.pose.bones[n].head), 1.0))[:3].tolist() for n in bone_names])
    return out

def imported(path, **options):
    state = sorted(bpy.ops.videopose.import_motion(filepath=str(path), **options))
    obj = bpy.context.view_layer.objects.active
    scene = bpy.context.scene
    return dict(state=state, name=obj.name, bones=[b.name for b in obj.data.bones],
                frames=[scene.frame_start, scene.frame_end], fps=scene.render.fps / scene.render.fps_base), obj

sample = [0, 31, 89]
settings.smoothing, settings.foot_lock = 0.0, False  # exact solve: no smoothing, no foot pinning
results["motion"], obj = imported(folder / "walk.motion.npz")
results["motion"]["heads"] = heads(obj, results["motion"]["bones"], sample)

results["bvh"], obj = imported(folder / "jump.bvh")
results["bvh"]["heads"] = heads(obj, results["bvh"]["bones"], sample[:2])

# The user's Mixamo-named rig (the preset's rest joints, bones pointing at their first child), selected.
preset = PRESETS["mixamo"]()
data = bpy.data.armatures.new("Hero")
rig = bpy.data.objects.new("Hero", data)
bpy.context.collection.objects.link(rig)
for other in bpy.context.selected_objects:
    other.select_set(False)
rig.select_set(True)
bpy.context.view_layer.objects.active = rig
bpy.ops.object.mode_set(mode="EDIT")
edit = {}
for joint in preset["joints"]:
    bone = data.edit_bones.new(joint["name"])
    bone.head = joint["head"]
    children = [j["head"] for j in preset["joints"] if j["parent"] == joint["name"]]
    bone.tail = children[0] if children else (np.array(joint["head"]) + [0, 0, 0.08]).tolist()
    if joint["parent"]:
        bone.parent = edit[joint["parent"]]
    edit[joint["name"]] = bone
bpy.ops.object.mode_set(mode="OBJECT")
state = sorted(bpy.ops.videopose.import_motion(filepath=str(folder / "clip.npz"), target="SELECTED", bone_map="mixamo"))
channelbag = rig.animation_data.action.layers[0].strips[0].channelbags[0]
keyed = sorted({fc.data_path.split('"')[1] for fc in channelbag.fcurves})
results["onto"] = dict(state=state, objects=sorted(o.name for o in bpy.data.objects if o.type == "ARMATURE"),
                       keyed=keyed, map=preset["map"], bones=[b.name for b in rig.data.bones],
                       heads=heads(rig, [b.name for b in rig.data.bones], [0, 20, 39]),
                       frames=[bpy.context.scene.frame_start, bpy.context.scene.frame_end])
emit(results)
"""


@pytest.fixture(scope="module")
def blender(tmp_path_factory):
    from videopose.core.bvh import write_bvh
    from synthetic_motion import random_smooth_motion, to_camera

    folder = tmp_path_factory.mktemp("import")
    world_joints = random_smooth_motion(90, seed=4)
    to_camera(world_joints, fps=25.0).save(folder / "walk.motion.npz")
    jump = smooth_animation(40, 30.0, seed=6)
    write_bvh(jump, folder / "jump.bvh")
    clip = smooth_animation(40, 30.0, seed=7)
    clip.save(folder / "clip.npz")
    results = run_python(_SCENARIO, folder / "home", args=[str(folder)])
    return folder, world_joints, jump, clip, results


def _rigid_alignment_error(points: np.ndarray, reference: np.ndarray) -> float:
    """Largest distance after the best rotation + translation of ``points`` onto ``reference`` (Kabsch)."""
    a, b = points.reshape(-1, 3), reference.reshape(-1, 3)
    a0, b0 = a - a.mean(0), b - b.mean(0)
    u, _, vt = np.linalg.svd(a0.T @ b0)
    sign = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.diag([1.0, 1.0, sign]) @ vt
    return float(np.linalg.norm(a0 @ rotation - b0, axis=1).max())


@pytest.mark.slow
def test_default_smoothing_is_the_retargeters(blender):
    panel, retargeter = blender[-1]["default_smoothing"]
    assert panel == pytest.approx(retargeter)


@pytest.mark.slow
def test_motion_npz_becomes_an_armature_on_the_motions_joints(blender):
    from videopose.core.layouts import H36M17

    _, world_joints, _, _, results = blender
    motion = results["motion"]
    assert motion["state"] == ["FINISHED"] and motion["name"] == "walk"
    assert motion["bones"] == list(H36M17.names) and motion["frames"] == [1, 90] and motion["fps"] == pytest.approx(25.0)
    # The 3D joints had constant bone lengths: the armature reproduces them up to the world placement
    # the retargeter chooses (floor, facing), so compare after a rigid alignment.
    error = _rigid_alignment_error(np.array(motion["heads"]), world_joints[[0, 31, 89]])
    assert error < 1e-3, f"{error * 1000:.3f} mm"


@pytest.mark.slow
def test_bvh_becomes_an_armature_on_its_joints(blender):
    folder, _, jump, _, results = blender
    from videopose.core.bvh import read_bvh

    bvh = results["bvh"]
    read = read_bvh(folder / "jump.bvh")
    assert bvh["state"] == ["FINISHED"] and bvh["name"] == "jump" and bvh["frames"] == [1, 40]
    assert bvh["fps"] == pytest.approx(30.0) and set(jump.skeleton.names) <= set(bvh["bones"])
    names = list(read.skeleton.names)
    expected = read.world_positions()[[0, 31]][:, [names.index(b) for b in bvh["bones"]]]
    assert np.abs(np.array(bvh["heads"]) - expected).max() < 1e-4
    by_name = np.array(bvh["heads"])[:, [bvh["bones"].index(name) for name in jump.skeleton.names]]
    np.testing.assert_allclose(by_name, jump.world_positions()[[0, 31]], atol=1e-3)  # BVH text rounds


@pytest.mark.slow
def test_onto_the_selected_rig_through_a_bone_map_preset(blender):
    _, _, _, clip, results = blender
    onto = results["onto"]
    assert onto["state"] == ["FINISHED"] and onto["objects"] == ["Hero", "jump", "walk"]  # no new armature
    assert onto["frames"] == [1, 40]
    assert set(onto["keyed"]) <= set(onto["map"]) and "mixamorig:LeftForeArm" in onto["keyed"]
    # Every mapped bone points where the performer's bone points (retargeting aligns bone directions).
    heads = np.array(onto["heads"])
    bones = onto["bones"]
    source = clip.world_positions()[[0, 20, 39]]
    names = list(clip.skeleton.names)
    checked = 0
    for bone, joint in onto["map"].items():
        child_joints = [j for j, p in zip(names, clip.skeleton.parents) if p >= 0 and names[p] == joint]
        child_bones = [b for b, j in onto["map"].items() if j in child_joints]
        if len(child_joints) != 1 or not child_bones or bone not in bones:
            continue
        rig_direction = heads[:, bones.index(child_bones[0])] - heads[:, bones.index(bone)]
        joint_direction = source[:, names.index(child_joints[0])] - source[:, names.index(joint)]
        cosine = np.einsum("fi,fi->f", rig_direction, joint_direction) / (
            np.linalg.norm(rig_direction, axis=1) * np.linalg.norm(joint_direction, axis=1))
        assert cosine.min() > np.cos(np.radians(0.5)), f"{bone} is off by {np.degrees(np.arccos(cosine.min())):.2f} deg"
        checked += 1
    assert checked >= 8


def test_keys_are_written_in_bulk_never_one_keyframe_insert_per_frame():
    code = "\n".join((REPO / "addon" / name).read_text() for name in ("armature.py", "headless.py", "operators.py"))
    calls = re.findall(r"\.keyframe_insert\(", code)
    assert not calls
    assert "keyframe_points.add(" in code and 'foreach_set("co"' in code
