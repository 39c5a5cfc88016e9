"""Files that open right with the importers' DEFAULT settings: BVH in Blender's BVH importer, FBX in
Blender's FBX importer and ufbx (first key at time 0, take named after the clip), ``.blend`` files
opened without Blender's "Library file" warning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from blender_runner import REPO, read_fbx_with_ufbx, run_python

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared"))
CMU_BVH = SHARED / "mocap" / "cmu" / "cc" / "001" / "001_01.bvh"

_BVH_DEFAULT_IMPORT = """
import numpy as np, bpy
from pathlib import Path
path, frames = sys.argv[1], json.loads(sys.argv[2])
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
bpy.ops.import_anim.bvh(filepath=path)          # Blender's defaults: forward -Z, up Y, scale 1, frame 1
rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
matrix = np.array(rig.matrix_world)
names = [b.name for b in rig.data.bones]
positions = []
for frame in frames:
    bpy.context.scene.frame_set(1 + frame)
    positions.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in names])
emit({"names": names, "positions": positions})
"""


@pytest.mark.slow
@pytest.mark.skipif(not CMU_BVH.is_file(), reason=f"real mocap not found at {CMU_BVH} (../shared)")
def test_bvh_opens_upright_and_true_size_in_blender_at_default_settings(tmp_path):
    from videopose.core.bvh import read_bvh, write_bvh

    animation = read_bvh(CMU_BVH)
    written = tmp_path / "jump.bvh"
    write_bvh(animation, written)  # the defaults `videopose retarget/run` use: Y up, metres
    frames = [0, 60, animation.num_frames - 1]
    read = run_python(_BVH_DEFAULT_IMPORT, tmp_path / "home", args=[str(written), json.dumps(frames)])
    expected = animation.world_positions()[frames][:, [animation.skeleton.index(n) for n in read["names"]]]
    positions = np.array(read["positions"])
    error = np.abs(positions - expected).max()
    assert error < 1e-4, f"{error * 1000:.3f} mm from the animation"
    head, feet = read["names"].index("CC_Base_Head"), [read["names"].index(f"CC_Base_{s}_Foot") for s in "LR"]
    assert (positions[:, head, 2] - positions[:, feet, 2].max(axis=1) > 1.0).all()  # standing, Z up, > 1 m tall


_BLEND_AND_RIG_FBX = """
import numpy as np, bpy, io, contextlib
from pathlib import Path
from videopose.core.animation import Animation
from videopose.addon import armature as armature_module
from videopose.addon.headless import export_animation_file
from videopose.addon.fbx import get_fbx_writer
folder = Path(sys.argv[1])
animation = Animation.load(folder / "clip.npz")
export_animation_file(animation, folder / "walk.blend")
# An armature keyed from Blender frame 1 (what Import Motion does), exported as it is.
result = armature_module.import_animation(bpy.context, animation, "hero_walk")
get_fbx_writer().write(result.armature, folder / "hero.fbx")
emit({"scene_after_export": bpy.context.scene.name, "keys_start": result.action.frame_range[0]})
"""

_OPEN_BLEND = """
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
scene = bpy.context.scene
rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
emit({"scene": scene.name, "objects": sorted(o.name for o in bpy.data.objects), "screens": len(bpy.data.screens),
      "range": [scene.frame_start, scene.frame_end], "action": rig.animation_data.action.name})
"""


@pytest.mark.slow
def test_blend_opens_without_library_warning_and_rig_fbx_keys_start_at_time_zero(tmp_path):
    from synthetic import smooth_animation
    from blender_runner import run_python_process

    animation = smooth_animation(40, 30.0, seed=3)
    animation.save(tmp_path / "clip.npz")
    made = run_python(_BLEND_AND_RIG_FBX, tmp_path / "home", args=[str(tmp_path)])
    assert made["keys_start"] == 1.0 and made["scene_after_export"] == "Scene"  # the session's scene is left alone
    opened, completed = run_python_process(_OPEN_BLEND, tmp_path / "home", args=[str(tmp_path / "walk.blend")])
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Library file" not in completed.stdout + completed.stderr
    assert opened["scene"] == "walk" and opened["objects"] == ["walk"] and opened["screens"] > 0
    assert opened["range"] == [1, 40] and opened["action"] == "walk"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix.startswith(".blend")) == ["walk.blend"]

    read = read_fbx_with_ufbx(tmp_path / "hero.fbx", list(animation.skeleton.names), [0, 39], tmp_path / "home")
    assert read["time_begin"] == pytest.approx(0.0, abs=1e-9) and read["stack_names"] == ["hero_walk"]
    error = np.abs(np.array(read["positions"]) - animation.world_positions()[[0, 39]]).max()
    assert error < 1e-3, f"{error * 1000:.3f} mm"


_BLEND_WITH_CAMERA = """
from pathlib import Path
import bpy
from videopose.core.animation import Animation
from videopose.addon.headless import export_animation_file
folder = Path(sys.argv[1])
export_animation_file(Animation.load(folder / "grounded.npz"), folder / "walk.blend", video_path=folder / "clip.avi")
emit({"session_cameras": len(bpy.data.cameras), "session_clips": len(bpy.data.movieclips)})
"""

_OPEN_BLEND_CAMERA = """
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
scene = bpy.context.scene
camera = scene.camera
emit({"objects": sorted(o.name for o in bpy.data.objects), "camera": camera.name if camera else None,
      "size": [scene.render.resolution_x, scene.render.resolution_y], "lens": camera.data.lens,
      "clips": [bpy.path.abspath(b.clip.filepath) for b in camera.data.background_images if b.clip]})
"""


@pytest.mark.slow
def test_a_grounded_clips_blend_holds_its_video_camera_with_the_video_behind_it(tmp_path):
    """``videopose run ... -o OUT.blend`` of a clip grounded in its camera: the .blend opens with the video's
    camera as the scene's camera (its lens, the video's render size) and the video as its background, so the
    figure can be checked over the footage at once; the session that wrote it keeps no camera."""
    import sys

    import cv2

    sys.path.insert(0, str(REPO / "tests" / "helpers"))
    from grounding_scene import camera_scene
    from synthetic_motion import walking_motion
    from blender_runner import run_python_process

    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(walking_motion(30)[0])
    retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints).save(
        tmp_path / "grounded.npz")
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (192, 108))
    for _ in range(5):
        writer.write(np.zeros((108, 192, 3), np.uint8))
    writer.release()
    made = run_python(_BLEND_WITH_CAMERA, tmp_path / "home", args=[str(tmp_path)])
    assert made == {"session_cameras": 1, "session_clips": 0}  # the factory scene's own camera only
    opened, completed = run_python_process(_OPEN_BLEND_CAMERA, tmp_path / "home", args=[str(tmp_path / "walk.blend")])
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert opened["objects"] == ["walk", "walk camera"] and opened["camera"] == "walk camera"
    assert opened["size"] == [1920, 1080] and abs(opened["lens"] - 1907.6 * 36 / 1920) < 0.05
    assert opened["clips"] == [str(tmp_path / "clip.avi")]
