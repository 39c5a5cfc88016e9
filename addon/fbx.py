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

    def exporter_options(self) -> dict[str, Any]:
        """Keyword arguments for ``bpy.ops.export_scene.fbx`` (without ``filepath``)."""
        options = {key: value for key, value in asdict(self).items() if key not in ("name", "description")}
        options.update(
            use_selection=True, object_types={"ARMATURE"}, use_armature_deform_only=True, add_leaf_bones=False,
            armature_nodetype="NULL", apply_unit_scale=True, use_custom_props=False,
            bake_anim=True, bake_anim_use_all_bones=True, bake_anim_use_nla_strips=False,
            bake_anim_use_all_actions=False, bake_anim_force_startend_keying=True, bake_anim_step=1.0,
            bake_anim_simplify_factor=0.0, path_mode="AUTO", embed_textures=False, use_metadata=True,
        )
        return options


PRESETS: dict[str, FbxPreset] = {
    preset.name: preset for preset in (
        FbxPreset("blender", "Blender's defaults (Y up, -Z forward in the file); re-imports into Blender exactly"),
        FbxPreset(
            "unity", "Unity: scale 1 on import (FBX All), transform applied so the root carries no -90 deg X "
            "rotation; Y-up, -Z forward",
            apply_scale_options="FBX_SCALE_ALL", bake_space_transform=True,
        ),
        FbxPreset(
            "unreal", "Unreal Engine: units written as FBX units (UE converts to cm and to its axes on import); "
            "bones' X axis along the bone like the UE mannequin",
            apply_scale_options="FBX_SCALE_UNITS", primary_bone_axis="X", secondary_bone_axis="-Y",
        ),
        FbxPreset(
            "mixamo", "Mixamo-style pipelines (Y-up, -Z forward, bones' Y along the bone, all scale applied)",
            apply_scale_options="FBX_SCALE_ALL",
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
                result = armature_module.import_animation(bpy.context, source, target.stem)
                return self._export(bpy.context, result.armature, target, settings, overwrite)
        if getattr(source, "type", None) != "ARMATURE":
            raise VideoposeError(f"can only export an Animation or an armature object to FBX, got {source!r}")
        return self._export(bpy.context, source, target, settings, overwrite)

    def _export(self, context, armature, target: Path, settings: FbxPreset, overwrite: bool) -> Path:
        import bpy

        from .scene_state import preserved_scene

        action = armature.animation_data.action if armature.animation_data else None
        with preserved_scene(context, remove_new=False):
            from . import armature as armature_module

            armature_module.object_mode(context)
            for obj in context.selected_objects:
                obj.select_set(False)
            armature.select_set(True)
            context.view_layer.objects.active = armature
            if action is not None:
                # The exporter bakes the scene's frame range: make it the action's.
                start, end = (int(round(frame)) for frame in action.frame_range)
                context.scene.frame_start, context.scene.frame_end = start, end
            with atomic_output(target, overwrite=overwrite) as temporary:
                with contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress chatter
                    result = bpy.ops.export_scene.fbx(filepath=str(temporary), **settings.exporter_options())
                if "FINISHED" not in result:
                    raise VideoposeError(f"Blender's FBX exporter did not finish ({result}) for {target}")
        return target


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
