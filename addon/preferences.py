"""Add-on preferences: where the videopose Python lives and whether to run in-process."""

from __future__ import annotations

from dataclasses import dataclass

import bpy

from .dependencies import in_process_possible, project_importable
from .jobs import default_python


class VIDEOPOSE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    python_executable: bpy.props.StringProperty(
        name="videopose Python",
        description="Python executable of the environment where videopose is installed (runs detection and "
                    "lifting in a background process); empty = this Python",
        subtype="FILE_PATH", default="",
    )
    in_process: bpy.props.BoolProperty(
        name="Run inside Blender when PyTorch is available",
        description="Run video jobs on a thread of this Blender (only if torch and mediapipe import here)",
        default=False,
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "python_executable")
        if not project_importable():
            layout.label(text="videopose does not import in this Blender: set its Python above, then disable and "
                              "enable the add-on", icon="ERROR")
        row = layout.row()
        row.prop(self, "in_process")
        row.enabled = in_process_possible()


@dataclass(frozen=True)
class Settings:
    """Preferences as plain values (defaults when the add-on was registered without its preferences)."""

    python_executable: str
    in_process: bool


def get_preferences(context: bpy.types.Context) -> Settings:
    addon = context.preferences.addons.get(__package__)
    prefs = videopose.addon.preferences if addon is not None else None
    if prefs is None:
        return Settings(default_python(), False)
    return Settings(bpy.path.abspath(prefs.python_executable) or default_python(), bool(prefs.in_process))


CLASSES = (VIDEOPOSE_AP_preferences,)
