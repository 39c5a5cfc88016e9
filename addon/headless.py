"""The add-on's work without its UI: in the ``bpy`` module (``import bpy`` in plain Python) or
``blender -b --python-expr``. Used by ``videopose export``, ``videopose run -o X.fbx|.blend`` and the
batch tool. Each call leaves the session's scene as it found it unless it is asked to import.

    from videopose.addon import headless
    headless.export_fbx("walk.motion.npz", "walk.fbx", preset="unity")

A folder of clips: :func:`videopose.addon.batch.batch_convert`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import bpy

from videopose.core.errors import VideoposeError
from videopose.core.fileio import refuse_existing
from videopose.core.fileio import atomic_output
from videopose.retarget.pipeline import RetargetOptions

from . import armature as armature_module
from .fbx import get_fbx_writer
from .scene_io import skeleton_from_armature
from .scene_state import preserved_scene, rollback_on_error
from .sources import VIDEO_SUFFIXES, clip_name, load_animation


def import_motion_file(
    path: str | os.PathLike,
    armature: bpy.types.Object | None = None,
    bone_map: str | dict[str, str] | None = None,
    settings: RetargetOptions = RetargetOptions(),
    context: bpy.types.Context | None = None,
    video_camera: bool = False,
    video_path: str | os.PathLike | None = None,
) -> armature_module.ImportResult:
    """Import an animation/motion ``.npz`` or ``.bvh``: a new armature, or onto ``armature`` through
    ``bone_map`` (a rig preset name, a bone-map JSON path, or a dict joint -> bone). With ``video_camera``
    and an animation grounded in its camera, that camera too (:func:`.video_camera.add_video_camera`), with
    the clip's video behind it (``video_path``, else one of the same name beside the file). The result's
    ``camera`` is the camera added, if any, and its ``animation`` what was imported. On failure the scene is left unchanged."""
    context = context or bpy.context
    animation = load_animation(path, settings if armature is None else replace(settings, rig=None))
    with rollback_on_error(context):
        if armature is None:
            result = armature_module.import_animation(context, animation, clip_name(path))
        else:
            result = apply_to_armature(context, animation, armature, bone_map, clip_name(path))
        if video_camera:
            from .video_camera import add_video_camera

            beside = [Path(path).with_name(clip_name(path) + suffix) for suffix in VIDEO_SUFFIXES]
            video = video_path or next((candidate for candidate in beside if candidate.is_file()), None)
            camera = add_video_camera(context, animation, f"{result.armature.name} camera", video, result.frame_start)
            result = replace(result, camera=camera)
        return replace(result, animation=animation)


def apply_to_armature(context, animation, armature: bpy.types.Object, bone_map, name: str):
    """Key ``animation`` onto the user's ``armature``.

    With a rig preset / bone-map JSON and the retargeter's rig support, the motion is first retargeted
    onto the armature's own rest pose (read by :func:`skeleton_from_armature`), so rigs in any rest pose
    and bone orientation work; with a dict (or without rig support) rotations are copied joint -> bone.
    A generated Rigify rig (with no map, or ``rigify``) is keyed through its FK controls
    (:func:`~videopose.addon.armature.key_rigify_controls`).
    """
    from videopose.retarget.rigs import is_generated_rigify, load_rig, retarget_to_rig

    from . import rigmap

    context.view_layer.update()  # matrix_world of a just-linked or just-moved object is stale until then
    if bone_map in (None, "", "rigify") and is_generated_rigify(bone.name for bone in armature.data.bones):
        # Its DEF bones follow its controls through constraints: the motion goes onto the FK controls.
        rig = load_rig("rigify", skeleton=armature_module.rigify_def_skeleton(armature))
        return armature_module.key_rigify_controls(context, armature, retarget_to_rig(animation, rig), name)
    animation, mapping = rigmap.animation_for_armature(animation, skeleton_from_armature(armature), bone_map)
    return armature_module.import_animation(context, animation, name, armature=armature, bone_map=mapping)


def load_rig_armature(blend_path: str | os.PathLike, context: bpy.types.Context | None = None) -> bpy.types.Object:
    """Append the armatures of a ``.blend`` into the current scene -> the one with the most bones (the rig)."""
    context = context or bpy.context
    source = Path(blend_path)
    if not source.is_file():
        raise VideoposeError(f"rig file not found: {source}")
    try:
        with bpy.data.libraries.load(str(source), link=False) as (data_from, data_to):
            data_to.objects = list(data_from.objects)
    except OSError as error:
        raise VideoposeError(f"cannot read {source} as a .blend file ({error})") from error
    armatures = [obj for obj in data_to.objects if obj is not None and obj.type == "ARMATURE"]
    for obj in data_to.objects:
        if obj is not None and obj not in armatures:
            bpy.data.objects.remove(obj)
    if not armatures:
        raise VideoposeError(f"{source} holds no armature object")
    armatures.sort(key=lambda obj: -len(obj.data.bones))
    for obj in armatures:
        context.collection.objects.link(obj)
    context.view_layer.update()  # an appended object's matrix_world is the identity until evaluated
    return armatures[0]


def export_fbx(
    source: str | os.PathLike,
    output: str | os.PathLike,
    preset: str = "blender",
    rig_blend: str | os.PathLike | None = None,
    bone_map: str | dict[str, str] | None = None,
    settings: RetargetOptions = RetargetOptions(),
    overwrite: bool = False,
    writer: str = "blender",
    context: bpy.types.Context | None = None,
) -> Path:
    """Motion/animation ``.npz`` or ``.bvh`` -> ``.fbx``, on videopose's armature or on the rig in
    ``rig_blend`` (through ``bone_map``). Nothing is left in the session's scene."""
    context = context or bpy.context
    target = Path(output)
    refuse_existing(target, overwrite)
    if rig_blend is None:
        animation = load_animation(source, settings)
        return get_fbx_writer(writer).write(animation, target, preset, overwrite=overwrite)
    with preserved_scene(context, remove_new=True):
        rig = load_rig_armature(rig_blend, context)
        import_motion_file(source, armature=rig, bone_map=bone_map, settings=settings, context=context)
        return get_fbx_writer(writer).write(rig, target, preset, overwrite=overwrite)


def export_animation_file(animation, output: str | os.PathLike, preset: str = "blender",
                          overwrite: bool = True, context: bpy.types.Context | None = None,
                          video_path: str | os.PathLike | None = None) -> Path:
    """An Animation -> ``.fbx`` (through the FBX writer) or ``.blend`` (a file holding its armature and, where
    the animation was grounded in its camera, the video's camera with ``video_path`` behind it:
    :func:`videopose.addon.video_camera.add_video_camera`)."""
    context = context or bpy.context
    target = Path(output)
    suffix = target.suffix.lower()
    if suffix == ".fbx":
        return get_fbx_writer().write(animation, target, preset, overwrite=overwrite)
    if suffix != ".blend":
        raise VideoposeError(f"Blender can write .fbx or .blend, not {target.name}")
    with preserved_scene(context, remove_new=True):
        result = armature_module.import_animation(context, animation, clip_name(target))
        # A scene holding only the armature, with the clip's timing: what the user sees on opening it.
        scene = bpy.data.scenes.new(clip_name(target))
        try:
            scene.collection.objects.link(result.armature)
            armature_module.set_scene_timing(scene, animation.fps, result.frame_start, animation.num_frames)
            from .video_camera import add_video_camera

            add_video_camera(context, animation, f"{clip_name(target)} camera", video_path, result.frame_start, scene)
            with tempfile.TemporaryDirectory(prefix="videopose-blend-") as folder, \
                    atomic_output(target, overwrite=overwrite) as temporary:
                partial = Path(folder) / "partial.blend"
                bpy.data.libraries.write(str(partial), {scene}, fake_user=True, compress=True)
                save_as_full_blend(partial, Path(temporary))
        finally:
            bpy.data.scenes.remove(scene)
    return target


_RESAVE = ("import bpy, sys; bpy.context.preferences.filepaths.save_version = 0; "  # no .blend1 backup
           "bpy.ops.wm.open_mainfile(filepath=sys.argv[-2], load_ui=False); "
           "bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1], compress=True, relative_remap=False)")


def save_as_full_blend(partial: Path, output: Path) -> None:
    """A ``bpy.data.libraries.write`` file (data only) -> a full ``.blend`` at ``output``.

    ``libraries.write`` writes no window manager or file globals, so Blender opens its files with the
    warning "Library file, loading empty scene" and no UI of their own. Only a full save writes those,
    and a full save in this session would also write everything else the session holds: a fresh
    Blender opens the data-only file (with its factory UI) and saves it whole (~1 s).
    """
    binary = bpy.app.binary_path  # Blender's executable; empty in the bpy module (plain Python)
    command = ([binary, "-b", "--factory-startup", "--python-expr", _RESAVE, "--", str(partial), str(output)]
               if binary else [sys.executable, "-c", _RESAVE, str(partial), str(output)])
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise VideoposeError(f"could not start Blender to write {output.name} ({error})") from error
    if completed.returncode != 0 or not output.is_file():
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
        raise VideoposeError(f"Blender could not write {output.name}: {tail[0]}")
