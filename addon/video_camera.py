"""The video's camera in Blender (bpy): a camera object where the grounded clip's camera stood, with its lens,
turning with it where it turned, and the video behind it, so the figure can be checked against the footage
through the camera (Numpad 0).

The grounded animation's world is Blender's (Z up, metres, floor at z = 0): the camera goes at
``VideoCamera.position`` with each frame's ``world_from_camera`` (videopose.retarget.camera_model). A videopose
camera frame is x right, y down, z forward; a Blender camera looks along its local -Z with +Y up, so its
rotation is ``world_from_camera @ diag(1, -1, -1)``. The lens: with the sensor fitted to the frame's larger
side (``sensor_fit`` AUTO), ``lens = focal_px x sensor_width / max(width, height)``; the scene's render size
is set to the video's so the camera's view is the video's picture.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
from bpy_extras.anim_utils import action_ensure_channelbag_for_slot

from videopose.core.animation import Animation
from videopose.retarget.camera_model import VideoCamera

from . import posemath
from .armature import write_fcurve

_BLENDER_FROM_VIDEOPOSE_CAMERA = np.diag([1.0, -1.0, -1.0])
SENSOR_WIDTH_MM = 36.0


def add_video_camera(context: bpy.types.Context, animation: Animation, name: str,
                     video_path: str | Path | None = None, frame_start: int = 1,
                     scene: bpy.types.Scene | None = None) -> bpy.types.Object | None:
    """A camera object named ``name`` where ``animation``'s video camera stood (None where the animation was not
    grounded in a camera: :meth:`VideoCamera.of`), keyed per frame where the camera turned; the video as its
    background picture (``video_path``, starting at ``frame_start``); ``scene``'s (default: the context's) render
    size the video's, and it the scene's camera (linked into the context's collection and, if not there,
    ``scene``'s)."""
    camera = VideoCamera.of(animation)
    if camera is None:
        return None
    data = bpy.data.cameras.new(name)
    data.sensor_fit = "AUTO"
    data.sensor_width = SENSOR_WIDTH_MM
    data.lens = camera.focal_px * SENSOR_WIDTH_MM / max(camera.width, camera.height)
    data.clip_start, data.clip_end = 0.05, 500.0
    obj = bpy.data.objects.new(name, data)
    context.collection.objects.link(obj)
    obj.location = tuple(camera.position)
    obj.rotation_mode = "QUATERNION"
    pose = np.broadcast_to(np.eye(4), (len(camera.world_from_camera), 4, 4)).copy()
    pose[:, :3, :3] = camera.world_from_camera @ _BLENDER_FROM_VIDEOPOSE_CAMERA
    quats_wxyz, _ = posemath.basis_to_channels(pose)
    obj.rotation_quaternion = tuple(quats_wxyz[0])
    if not np.allclose(quats_wxyz, quats_wxyz[0], atol=1e-9):  # it turned: keyed per frame, in bulk
        action = bpy.data.actions.new(name)
        slot = action.slots.new(id_type="OBJECT", name=name)
        obj.animation_data_create()
        obj.animation_data.action = action
        obj.animation_data.action_slot = slot
        channelbag = action_ensure_channelbag_for_slot(action, slot)
        frames = np.arange(frame_start, frame_start + len(quats_wxyz), dtype=np.float64)
        for index in range(4):
            write_fcurve(channelbag, "rotation_quaternion", index, "Object Transforms", frames, quats_wxyz[:, index])
    scene = scene or context.scene
    if obj.name not in scene.collection.all_objects:
        scene.collection.objects.link(obj)
    scene.render.resolution_x, scene.render.resolution_y = camera.width, camera.height
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.camera = obj  # Numpad 0 looks through it (the import already sets the scene's rate and range)
    if video_path is not None and Path(video_path).is_file():
        try:
            clip = bpy.data.movieclips.load(str(video_path))
        except RuntimeError:  # a format Blender's movie reader does not take: the camera without its picture
            return obj
        clip.frame_start = frame_start
        background = data.background_images.new()
        background.source = "MOVIE_CLIP"
        background.clip = clip
        data.show_background_images = True
    return obj
