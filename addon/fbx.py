"""FBX output: presets for game engines and a small writer interface.

:class:`BlenderFbxWriter` (the default) drives Blender's bundled exporter (``io_scene_fbx``).
Autodesk's FBX SDK Python bindings are not installable from the package registries here; an
implementation on them only needs :class:`FbxWriter`'s one method and a
``register_fbx_writer("fbxsdk", FbxSdkWriter)`` call. This module imports ``bpy`` only inside the
Blender writer, so presets and the registry work without Blender.

Every preset bakes the animation with ``bake_anim_simplify_factor=0``: Blender's default (1.0)
thins keys and moves joints by ~5 mm; 0 keeps every frame exact (files grow ~2x).
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output


@dataclass(frozen=True)
class FbxPreset:
    """Export settings for one target pipeline (names are Blender's FBX exporter options)."""

    name: str
    description: str
    axis_forward: str = "-Z"
    axis_up: str = "Y"
    primary_bone_axis: str = "Y"
    secondary_bone_axis: str = "X"
    apply_scale_options: str = "FBX_SCALE_NONE"
    global_scale: float = 1.0
    bake_space_transform: bool = False
    # Not exporter options: what the writer does to (a copy of) the armature before exporting.
    armature_name: str = ""  # the armature's FBX node name ("" = the object's); Unreal drops a node named "Armature"
    upright_node: bool = False  # turn the armature's bones instead of its node by the axis conversion
    video_camera: bool = False  # an Animation grounded in its camera brings that camera (DCCs; game engines take none)

    def exporter_options(self) -> dict[str, Any]:
        """Keyword arguments for ``bpy.ops.export_scene.fbx`` (without ``filepath``)."""
        options = {key: value for key, value in asdict(self).items()
                   if key not in ("name", "description", "armature_name", "upright_node", "video_camera")}
        options.update(
            use_selection=True, object_types={"ARMATURE", "CAMERA"} if self.video_camera else {"ARMATURE"},
            use_armature_deform_only=True, add_leaf_bones=False,
            armature_nodetype="NULL", apply_unit_scale=True, use_custom_props=False,
            bake_anim=True, bake_anim_use_all_bones=True, bake_anim_use_nla_strips=False,
            bake_anim_use_all_actions=False, bake_anim_force_startend_keying=True, bake_anim_step=1.0,
            bake_anim_simplify_factor=0.0, path_mode="AUTO", embed_textures=False, use_metadata=True,
        )
        return options


PRESETS: dict[str, FbxPreset] = {
    preset.name: preset for preset in (
        FbxPreset("blender", "Blender's defaults (Y up, -Z forward in the file); re-imports into Blender exactly; "
                  "a clip grounded in its camera brings the video's camera (where it stood, its lens, its turns)",
                  video_camera=True),
        FbxPreset(
            "unity", "Unity: metres at scale 1 (FBX All); the armature node carries no rotation (the Y-up axis "
            "conversion is in the bones), so the root GameObject is not turned -90 deg about X; Y-up, -Z forward",
            apply_scale_options="FBX_SCALE_ALL", upright_node=True,
        ),
        FbxPreset(
            "unreal", "Unreal Engine: the armature node named 'Armature', which UE's importer drops, so the rig's "
            "root bone is the skeleton's root; FBX units (UE converts to cm and to its axes on import); bones' X "
            "axis along the bone like the UE mannequin",
            apply_scale_options="FBX_SCALE_UNITS", primary_bone_axis="X", secondary_bone_axis="-Y",
            armature_name="Armature",
        ),
        FbxPreset(
            "mixamo", "Mixamo-style files: the armature node named 'Armature' with no rotation (the axis "
            "conversion in the bones), Y-up, -Z forward, bones' Y along the bone, metres at scale 1",
            apply_scale_options="FBX_SCALE_ALL", armature_name="Armature", upright_node=True,
        ),
    )
}


def get_preset(preset: str | FbxPreset) -> FbxPreset:
    if isinstance(preset, FbxPreset):
        return preset
    try:
        return PRESETS[preset.lower()]
    except KeyError:
        raise VideoposeError(f"unknown FBX preset {preset!r}: choose one of {', '.join(PRESETS)}") from None


@runtime_checkable
class FbxWriter(Protocol):
    """Writes one animated skeleton to an ``.fbx`` file."""

    name: str

    def write(self, source: Any, path: str | os.PathLike, preset: str | FbxPreset = "blender",
              overwrite: bool = True) -> Path:
        """Write ``source`` (a :class:`~videopose.core.animation.Animation`, or for Blender writers an armature
        object with its active action) to ``path`` atomically; returns the path written."""
        ...


class BlenderFbxWriter:
    """FBX through Blender's bundled exporter, in the running Blender (or bpy module) session.

    An Animation is imported into a temporary armature that is removed again afterwards, so the
    session's scene is left as it was (timing included).
    """

    name = "blender"

    def write(self, source: Any, path: str | os.PathLike, preset: str | FbxPreset = "blender",
              overwrite: bool = True) -> Path:
        import bpy

        from videopose.core.animation import Animation

        settings = get_preset(preset)
        target = Path(path)
        if target.suffix.lower() != ".fbx":
            raise VideoposeError(f"FBX output must end in .fbx, got {target.name}")
        if isinstance(source, Animation):
            from . import armature as armature_module
            from .scene_state import preserved_scene

            with preserved_scene(bpy.context, remove_new=True):
                result = armature_module.import_animation(bpy.context, source, target.stem, frame_start=0)
                camera = None
                if settings.video_camera:
                    from .video_camera import add_video_camera

                    camera = add_video_camera(bpy.context, source, f"{target.stem} camera", None, 0)
                return self._export(bpy.context, result.armature, target, settings, overwrite,
                                    [camera] if camera is not None else [])
        if getattr(source, "type", None) != "ARMATURE":
            raise VideoposeError(f"can only export an Animation or an armature object to FBX, got {source!r}")
        return self._export(bpy.context, source, target, settings, overwrite)

    def _export(self, context, armature, target: Path, settings: FbxPreset, overwrite: bool, others=()) -> Path:
        import bpy

        from .scene_state import preserved_scene

        action = armature.animation_data.action if armature.animation_data else None
        with preserved_scene(context, remove_new=False), _export_copy(context, armature, settings) as armature, \
                _keys_from_time_zero(armature) as frames:
            from . import armature as armature_module

            armature_module.object_mode(context)
            for obj in context.selected_objects:
                obj.select_set(False)
            armature.select_set(True)
            for other in others:  # the video's camera, keyed from 0 like the armature
                other.select_set(True)
            context.view_layer.objects.active = armature
            if frames is not None:
                # The exporter bakes the scene's frame range: make it the action's, moved to start at 0.
                context.scene.frame_start, context.scene.frame_end = frames
            with _scene_named(context.scene, action.name if action is not None else target.stem), \
                    atomic_output(target, overwrite=overwrite) as temporary:
                with contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress chatter
                    result = bpy.ops.export_scene.fbx(filepath=str(temporary), **settings.exporter_options())
                if "FINISHED" not in result:
                    raise VideoposeError(f"Blender's FBX exporter did not finish ({result}) for {target}")
        return target


@contextlib.contextmanager
def _export_copy(context, armature, settings: FbxPreset):
    """The armature to export: itself, or for presets that rename the node or keep it upright, a temporary
    copy (its own data, the same action) that is removed afterwards.

    ``upright_node``: the exporter puts its axis conversion C (Blender's Z up -> the file's Y up) on the
    armature's node; the copy's node matrix is made ``C^-1`` (translation and scale kept) and its bones are
    turned by the rest of the object's rotation instead, so the node reads as no rotation in the file and
    every bone lands where it was (bone keys are relative to the rest pose and need no change).
    """
    if not settings.armature_name and not settings.upright_node:
        yield armature
        return
    import bpy
    from bpy_extras.io_utils import axis_conversion
    from mathutils import Matrix

    name = settings.armature_name or armature.name
    copy = armature.copy()
    copy.data = armature.data.copy()
    context.collection.objects.link(copy)
    holder = bpy.data.objects.get(name)  # the object holding the node's name (the armature itself, or another)
    try:
        if holder is not None:
            holder.name = name + ".videopose-export"
        copy.name = name
        if settings.upright_node:
            conversion = axis_conversion(to_forward=settings.axis_forward, to_up=settings.axis_up).to_4x4()
            translation, rotation, scale = armature.matrix_world.decompose()
            node = conversion.inverted() @ Matrix.Translation(conversion @ translation) @ Matrix.Diagonal(
                scale.to_4d())
            turn = (conversion @ rotation.to_matrix().to_4x4())
            copy.data.transform(turn)
            copy.matrix_world = node
            context.view_layer.update()
        yield copy
    finally:
        data = copy.data
        bpy.data.objects.remove(copy)
        bpy.data.armatures.remove(data)
        if holder is not None:
            holder.name = name


@contextlib.contextmanager
def _keys_from_time_zero(armature):
    """While exporting, let ``armature`` play a copy of its action moved so its first key is on frame 0.

    Blender's exporter writes a key on frame f at FBX time f / fps, and its importer (default
    ``anim_offset=1``), Unity and Unreal play FBX time 0 as the clip's first frame: a clip keyed from
    Blender frame 1 would arrive one frame late. Yields the copy's (first, last) frame or None without
    an action; the armature gets its own action back afterwards and the copy is removed.
    """
    import bpy

    data = armature.animation_data
    action = data.action if data is not None else None
    if action is None:
        yield None
        return
    start, end = (int(round(frame)) for frame in action.frame_range)
    if start == 0:
        yield (0, end)
        return
    slot = data.action_slot
    moved = action.copy()
    try:
        for layer in moved.layers:
            for strip in layer.strips:
                for channelbag in strip.channelbags:
                    for fcurve in channelbag.fcurves:
                        points = fcurve.keyframe_points
                        for prop in ("co", "handle_left", "handle_right"):
                            values = np.empty(2 * len(points), dtype=np.float32)
                            points.foreach_get(prop, values)
                            values[0::2] -= start
                            points.foreach_set(prop, values)
                        fcurve.update()
        data.action = moved
        if slot is not None:
            data.action_slot = moved.slots[slot.identifier]
        yield (0, end - start)
    finally:
        data.action = action
        if slot is not None:
            data.action_slot = slot
        bpy.data.actions.remove(moved)


@contextlib.contextmanager
def _scene_named(scene, name: str):
    """The exporter names its one take after the scene: call the scene ``name`` while exporting."""
    import bpy

    original = scene.name
    if original == name:
        yield
        return
    holder = bpy.data.scenes.get(name)
    if holder is not None:
        holder.name = name + ".videopose-export"
    scene.name = name
    try:
        yield
    finally:
        scene.name = original
        if holder is not None:
            holder.name = name


_WRITERS: dict[str, Callable[[], FbxWriter]] = {"blender": BlenderFbxWriter}


def register_fbx_writer(name: str, factory: Callable[[], FbxWriter]) -> None:
    """Make another FBX writer (e.g. one on Autodesk's FBX SDK) available by name."""
    _WRITERS[name] = factory


def available_fbx_writers() -> tuple[str, ...]:
    return tuple(_WRITERS)


def get_fbx_writer(name: str = "blender") -> FbxWriter:
    try:
        return _WRITERS[name]()
    except KeyError:
        raise VideoposeError(f"unknown FBX writer {name!r}: available are {', '.join(_WRITERS)}") from None
