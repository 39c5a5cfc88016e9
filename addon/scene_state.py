"""Snapshot and restore of what the add-on touches, so a failed or cancelled job leaves the scene as it was.

Blender's undo covers a *finished* operator; an operator that fails half-way returns ``CANCELLED``
and pushes no undo step, so it must roll back its own changes: the new objects, armatures, actions, cameras
and movie clips, object actions it replaced, selection, active object, frame range and frame rate, the scene's
camera and render size.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator

import bpy

_COLLECTIONS = ("objects", "armatures", "actions", "cameras", "movieclips")


@dataclass
class SceneState:
    scene_name: str
    frame_range: tuple[int, int, int]
    frame_rate: tuple[int, float]
    active_name: str | None
    selected_names: tuple[str, ...]
    data_pointers: dict[str, set[int]] = field(default_factory=dict)
    camera_name: str | None = None  # the scene's camera and render size (the video camera sets them)
    resolution: tuple[int, int] = (1920, 1080)
    object_actions: dict[str, tuple[object, object]] = field(default_factory=dict)

    @classmethod
    def capture(cls, context: bpy.types.Context) -> "SceneState":
        scene = context.scene
        active = context.view_layer.objects.active
        return cls(
            scene_name=scene.name,
            frame_range=(scene.frame_start, scene.frame_end, scene.frame_current),
            frame_rate=(scene.render.fps, scene.render.fps_base),
            active_name=active.name if active is not None else None,
            selected_names=tuple(obj.name for obj in context.selected_objects),
            data_pointers={name: {block.as_pointer() for block in getattr(bpy.data, name)} for name in _COLLECTIONS},
            camera_name=scene.camera.name if scene.camera is not None else None,
            resolution=(scene.render.resolution_x, scene.render.resolution_y),
            object_actions={
                obj.name: (obj.animation_data.action, obj.animation_data.action_slot)
                for obj in bpy.data.objects if obj.animation_data is not None
            },
        )

    def remove_new_data(self) -> None:
        """Delete every object, armature, action, camera and movie clip created since the snapshot (objects first)."""
        for name in _COLLECTIONS:
            collection = getattr(bpy.data, name)
            for block in [b for b in collection if b.as_pointer() not in self.data_pointers[name]]:
                collection.remove(block)

    def restore(self, context: bpy.types.Context) -> None:
        """Put back object actions, frame range and rate, selection and the active object."""
        scene = bpy.data.scenes.get(self.scene_name, context.scene)
        for name, (action, slot) in self.object_actions.items():
            obj = bpy.data.objects.get(name)
            if obj is not None and obj.animation_data is not None and obj.animation_data.action != action:
                obj.animation_data.action = action
                if slot is not None:
                    obj.animation_data.action_slot = slot
        scene.render.fps, scene.render.fps_base = self.frame_rate
        scene.render.resolution_x, scene.render.resolution_y = self.resolution
        scene.camera = bpy.data.objects.get(self.camera_name) if self.camera_name else None
        scene.frame_start, scene.frame_end = self.frame_range[:2]
        scene.frame_set(self.frame_range[2])
        view_layer = context.view_layer
        if context.mode != "OBJECT" and view_layer.objects.active is not None:
            bpy.ops.object.mode_set(mode="OBJECT")
        for obj in view_layer.objects:
            obj.select_set(obj.name in self.selected_names)
        view_layer.objects.active = bpy.data.objects.get(self.active_name) if self.active_name else None


@contextlib.contextmanager
def preserved_scene(context: bpy.types.Context, remove_new: bool = False) -> Iterator[SceneState]:
    """Restore selection/timing/actions afterwards; with ``remove_new`` also delete what was created."""
    state = SceneState.capture(context)
    try:
        yield state
    finally:
        if remove_new:
            state.remove_new_data()
        state.restore(context)


@contextlib.contextmanager
def rollback_on_error(context: bpy.types.Context) -> Iterator[SceneState]:
    """Leave changes in place on success; on any exception delete new data and restore, then re-raise."""
    state = SceneState.capture(context)
    try:
        yield state
    except BaseException:
        state.remove_new_data()
        state.restore(context)
        raise
