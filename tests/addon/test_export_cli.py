"""``videopose export``: real CMU BVH and animation files -> FBX, read back with ufbx; onto a rig in a .blend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blender_runner import REPO, read_fbx_with_ufbx, run_python
from synthetic import smooth_animation

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared"))
CMU_BVH = SHARED / "mocap" / "cmu" / "cc" / "001" / "001_01.bvh"


def _videopose(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "videopose", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "HOME": str(home)}, timeout=150)


@pytest.mark.slow
@pytest.mark.skipif(not CMU_BVH.is_file(), reason=f"real mocap not found at {CMU_BVH} (../shared)")
def test_export_real_bvh_matches_its_joints(tmp_path):
    from videopose.core.bvh import read_bvh

    output = tmp_path / "jump.fbx"
    completed = _videopose("export", str(CMU_BVH), "-o", str(output), "--preset", "unity", home=tmp_path / "home")
    assert completed.returncode == 0, completed.stderr
    assert "wrote" in completed.stdout and "FBX export starting" not in completed.stdout
    animation = read_bvh(CMU_BVH)
    frames = [0, 100, animation.num_frames - 1]
    names = list(animation.skeleton.names)
    read = read_fbx_with_ufbx(output, names, frames, tmp_path / "home")
    assert read["fps"] == pytest.approx(animation.fps)
    error = np.abs(np.array(read["positions"]) - animation.world_positions()[frames]).max()
    assert error < 1e-3, f"{error * 1000:.3f} mm"

    again = _videopose("export", str(CMU_BVH), "-o", str(output), "-q", home=tmp_path / "home")
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr


_MAKE_RIG = """
import numpy as np, bpy, mathutils
from pathlib import Path
from videopose.core.animation import Animation
folder = Path(sys.argv[1])
animation = Animation.load(folder / "clip.npz")
names, parents = animation.skeleton.names, animation.skeleton.parents
rng = np.random.default_rng(4)
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
data = bpy.data.armatures.new("Hero")
rig = bpy.data.objects.new("Hero", data)
bpy.context.collection.objects.link(rig)
rig.rotation_euler = (np.pi / 2, 0, 0.3)
rig.scale = (0.01, 0.01, 0.01)
bpy.context.view_layer.update()
bpy.context.view_layer.objects.active = rig
bpy.ops.object.mode_set(mode="EDIT")
to_object = np.linalg.inv(np.array(rig.matrix_world))
rest = animation.skeleton.rest_positions() + np.array([0, 0, 0.9])
bones = []
for joint, name in enumerate(names):
    bone = data.edit_bones.new("mixamorig:" + name)
    head = (to_object @ np.append(rest[joint], 1.0))[:3]
    direction = rng.normal(size=3)
    bone.head, bone.tail, bone.roll = head.tolist(), (head + 8 * direction / np.linalg.norm(direction)).tolist(), rng.uniform(-3, 3)
    if parents[joint] >= 0:
        bone.parent = bones[parents[joint]]
    bones.append(bone)
bpy.ops.object.mode_set(mode="OBJECT")
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "hero.blend"))
emit({"bones": len(data.bones)})
"""


@pytest.mark.slow
def test_export_onto_a_rig_blend_with_a_bone_map(tmp_path):
    animation = smooth_animation(50, 30.0, seed=8)
    animation.save(tmp_path / "clip.npz")
    assert run_python(_MAKE_RIG, tmp_path / "home", args=[str(tmp_path)])["bones"] == 17
    bone_map = {name: "mixamorig:" + name for name in animation.skeleton.names}
    # The bone-map JSON format of docs/formats.md: target bone -> videopose joint.
    (tmp_path / "map.json").write_text(json.dumps({"name": "hero", "map": {b: j for j, b in bone_map.items()}}))
    output = tmp_path / "hero_clip.fbx"
    completed = _videopose("export", str(tmp_path / "clip.npz"), "-o", str(output), "--rig", str(tmp_path / "hero.blend"),
                           "--bone-map", str(tmp_path / "map.json"), home=tmp_path / "home")
    assert completed.returncode == 0, completed.stderr
    frames = [0, 25, 49]
    read = read_fbx_with_ufbx(output, list(bone_map.values()), frames, tmp_path / "home")
    error = np.abs(np.array(read["positions"]) - animation.world_positions()[frames]).max()
    assert error < 1e-3, f"{error * 1000:.3f} mm"

    missing = _videopose("export", str(tmp_path / "clip.npz"), "-o", str(tmp_path / "x.fbx"), "--rig",
                         str(tmp_path / "nothing.blend"), home=tmp_path / "home")
    assert missing.returncode == 1 and "rig file not found" in missing.stderr
    assert not (tmp_path / "x.fbx").exists()


_BLEND_CHECK = """
import bpy, numpy as np
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
scene = bpy.context.scene
armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
rig = armatures[0]
matrix = np.array(rig.matrix_world)
positions = []
for frame in json.loads(sys.argv[2]):
    scene.frame_set(scene.frame_start + frame)
    positions.append([(matrix @ np.append(np.array(b.head), 1.0))[:3].tolist() for b in rig.pose.bones])
emit(dict(objects=[o.name for o in bpy.data.objects], armatures=len(armatures), bones=[b.name for b in rig.pose.bones],
          frames=[scene.frame_start, scene.frame_end], fps=scene.render.fps / scene.render.fps_base,
          action=rig.animation_data.action.name, positions=positions))
"""

_EXPORT_FILES = """
from pathlib import Path
import bpy
from videopose.core.animation import Animation
from videopose.addon.headless import export_animation_file
folder = Path(sys.argv[1])
animation = Animation.load(folder / "clip.npz")
before = sorted(o.name for o in bpy.data.objects), len(bpy.data.actions)
written = [export_animation_file(animation, folder / name, preset=preset).name
           for name, preset in (("clip.fbx", "unity"), ("clip.blend", "blender"))]
emit(dict(written=written, unchanged=before == (sorted(o.name for o in bpy.data.objects), len(bpy.data.actions))))
"""


@pytest.mark.slow
def test_pipeline_contract_writes_fbx_and_blend_from_an_animation(tmp_path):
    """``videopose.addon.headless.export_animation_file`` as ``videopose run -o X.fbx|X.blend`` calls it."""
    animation = smooth_animation(45, 24.0, seed=11)
    animation.save(tmp_path / "clip.npz")
    result = run_python(_EXPORT_FILES, tmp_path / "home", args=[str(tmp_path)])
    assert result == {"written": ["clip.fbx", "clip.blend"], "unchanged": True}
    frames = [0, 22, 44]
    names = list(animation.skeleton.names)
    expected = animation.world_positions()[frames]
    read = read_fbx_with_ufbx(tmp_path / "clip.fbx", names, frames, tmp_path / "home")
    assert read["fps"] == pytest.approx(24.0) and np.abs(np.array(read["positions"]) - expected).max() < 1e-3
    blend = run_python(_BLEND_CHECK, tmp_path / "home", args=[str(tmp_path / "clip.blend"), json.dumps(frames)])
    assert blend["armatures"] == 1 and blend["objects"] == ["clip"] and blend["bones"] == names
    assert blend["frames"] == [1, 45] and blend["fps"] == pytest.approx(24.0) and blend["action"] == "clip"
    assert np.abs(np.array(blend["positions"]) - expected).max() < 1e-4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.blend", "clip.fbx", "clip.npz", "home"]
