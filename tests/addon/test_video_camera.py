"""The video's camera in Blender (addon/video_camera.py): Blender's own projection through it
(``bpy_extras.object_utils.world_to_camera_view``) puts the figure's joints where the grounded clip's camera
sees them (``VideoCamera.project``), also for a camera that turns; the video is its background."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from blender_runner import REPO, run_python

sys.path.insert(0, str(REPO / "tests" / "helpers"))

_SCENARIO = """
import numpy as np, bpy
from pathlib import Path
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector
from videopose.core.animation import Animation
from videopose.addon import armature
from videopose.addon.video_camera import add_video_camera

folder = Path(sys.argv[1])
results = {}
for name in ("still", "turning"):
    animation = Animation.load(folder / f"{name}.npz")
    armature.import_animation(bpy.context, animation, name)
    camera = add_video_camera(bpy.context, animation, f"{name} camera", video_path=folder / "clip.avi")
    scene = bpy.context.scene
    points = np.load(folder / f"{name}_points.npy")
    seen = []
    for frame in range(animation.num_frames):
        scene.frame_set(1 + frame)
        view = [world_to_camera_view(scene, camera, Vector(point)) for point in points[frame]]
        seen.append([[v.x * scene.render.resolution_x, (1 - v.y) * scene.render.resolution_y] for v in view])
    results[name] = {"pixels": seen, "lens": camera.data.lens, "keyed": camera.animation_data is not None,
                     "background": [b.source for b in camera.data.background_images],
                     "scene_camera": scene.camera.name, "size": [scene.render.resolution_x, scene.render.resolution_y]}

# Import Motion of a grounded animation file: its camera too, with the clip's video found beside it.
from videopose.addon.headless import import_motion_file
imported = import_motion_file(folder / "still.npz", video_camera=True)
camera = bpy.context.scene.camera
results["import_motion"] = [imported.armature.name, camera.name, [b.clip.filepath for b in camera.data.background_images]]

# A failure after the camera was added leaves the scene as it was (the operator's rollback).
from videopose.addon.scene_state import rollback_on_error
scene = bpy.context.scene
before = (len(bpy.data.objects), len(bpy.data.cameras), len(bpy.data.movieclips), scene.camera.name,
          scene.render.resolution_x)
scene.render.resolution_x = 640
before = before[:4] + (640,)
try:
    with rollback_on_error(bpy.context):
        add_video_camera(bpy.context, Animation.load(folder / "still.npz"), "failed camera", video_path=folder / "clip.avi")
        raise RuntimeError("a later step failed")
except RuntimeError:
    pass
results["rollback"] = [list(before), [len(bpy.data.objects), len(bpy.data.cameras), len(bpy.data.movieclips),
                                      scene.camera.name, scene.render.resolution_x]]
emit(results)
"""


def test_blenders_view_through_the_video_camera_is_the_videos(tmp_path: Path) -> None:
    import cv2
    from grounding_scene import camera_scene, seen_turning, turning_camera
    from synthetic_motion import walking_motion

    from videopose.retarget.camera_model import VideoCamera
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    world, _ = walking_motion(40)
    motion, keypoints, truth = camera_scene(world)
    options = RetargetOptions(height=truth["height"], fov=60.0)
    animations = {"still": retarget_motion(motion, options, keypoints=keypoints)}
    turned_motion, turned_keypoints = seen_turning(motion, keypoints, truth["camera"], turning_camera(motion.num_frames))
    animations["turning"] = retarget_motion(turned_motion, options, keypoints=turned_keypoints)
    expected = {}
    for name, animation in animations.items():
        animation.save(tmp_path / f"{name}.npz")
        names = animation.skeleton.names
        points = animation.world_positions()[:, [names.index(joint) for joint in ("head", "left_ankle", "right_wrist")]]
        np.save(tmp_path / f"{name}_points.npy", points)
        expected[name] = VideoCamera.of(animation).project(points)
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (192, 108))
    for _ in range(5):
        writer.write(np.zeros((108, 192, 3), np.uint8))
    writer.release()

    (tmp_path / "still.avi").write_bytes((tmp_path / "clip.avi").read_bytes())  # the clip's video beside it
    results = run_python(_SCENARIO, tmp_path / "home", args=[str(tmp_path)])
    for name in ("still", "turning"):
        seen = np.asarray(results[name]["pixels"])
        assert np.abs(seen - expected[name]).max() < 0.5, (name, np.abs(seen - expected[name]).max())
        assert results[name]["size"] == [1920, 1080] and results[name]["background"] == ["MOVIE_CLIP"]
        # 60 degrees diagonal over 1920 x 1080 px: 1908 px, 35.8 mm on a 36 mm sensor fitted to the width.
        assert abs(results[name]["lens"] - 1907.6 * 36 / 1920) < 0.05
    assert not results["still"]["keyed"] and results["turning"]["keyed"]
    assert results["still"]["scene_camera"] == "still camera" and results["turning"]["scene_camera"] == "turning camera"
    assert results["rollback"][0] == results["rollback"][1]
    assert results["import_motion"] == ["still.001", "still.001 camera", [str(tmp_path / "still.avi")]]
    # The turning camera's view differs from the still one's over the clip (it follows the pan).
    assert np.abs(np.asarray(results["turning"]["pixels"]) - np.asarray(results["still"]["pixels"])).max() > 50


_FBX_EXPORT = """
from pathlib import Path
import bpy
from videopose.core.animation import Animation
from videopose.addon.headless import export_animation_file
folder = Path(sys.argv[1])
for preset in ("blender", "unity"):
    export_animation_file(Animation.load(folder / "turning.npz"), folder / f"{preset}.fbx", preset=preset)
emit({})
"""

_FBX_IMPORT = """
import numpy as np, bpy
from pathlib import Path
folder = Path(sys.argv[1])
results = {}
for preset in ("blender", "unity"):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30  # the clip's: the importer turns the file's times into this scene's frames
    bpy.ops.import_scene.fbx(filepath=str(folder / f"{preset}.fbx"))
    cameras = [o for o in bpy.data.objects if o.type == "CAMERA"]
    entry = {"cameras": len(cameras)}
    if cameras:
        camera, scene = cameras[0], bpy.context.scene
        frames = []
        for frame in (0, 20, 39):
            scene.frame_set(frame + 1)  # the importer puts the file's time 0 at frame 1 (its animation offset)
            frames.append(np.array(camera.matrix_world).tolist())
        entry.update(lens=camera.data.lens, matrices=frames)
    results[preset] = entry
emit(results)
"""


def test_the_blender_fbx_preset_carries_the_video_camera_and_game_engine_presets_do_not(tmp_path: Path) -> None:
    """Blender's own FBX importer reads the camera back where the grounding's camera stood, looking as it looked
    and turning with it, with its lens; the Unity preset's file holds the armature only."""
    from grounding_scene import camera_scene, seen_turning, turning_camera
    from synthetic_motion import walking_motion

    from videopose.retarget.camera_model import VideoCamera
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(walking_motion(40)[0])
    turned_motion, turned_keypoints = seen_turning(motion, keypoints, truth["camera"], turning_camera(40))
    animation = retarget_motion(turned_motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=turned_keypoints)
    animation.save(tmp_path / "turning.npz")
    run_python(_FBX_EXPORT, tmp_path / "home", args=[str(tmp_path)])
    read = run_python(_FBX_IMPORT, tmp_path / "home", args=[str(tmp_path)])
    assert read["unity"]["cameras"] == 0 and read["blender"]["cameras"] == 1
    assert abs(read["blender"]["lens"] - 1907.6 * 36 / 1920) < 0.05
    camera = VideoCamera.of(animation)
    for matrix, frame in zip(np.asarray(read["blender"]["matrices"]), (0, 20, 39)):
        assert np.abs(matrix[:3, 3] - camera.position).max() < 1e-3
        looking = -matrix[:3, 2] / np.linalg.norm(matrix[:3, 2])  # a Blender camera looks along its -Z
        assert np.degrees(np.arccos(np.clip(looking @ camera.world_from_camera[frame][:, 2], -1, 1))) < 0.1
