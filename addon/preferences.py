"""Add-on preferences: where the videopose Python lives and whether to run in-process.

Blender forgets an add-on's preferences when it is disabled (and at quit, unless the user saves the
preferences), so they are also kept in ``videopose/preferences.json`` under Blender's user config folder
and put back when the add-on is enabled. Setting the Python finishes the add-on's registration at once:
no disable/enable and no restart.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass

import bpy

from .dependencies import in_process_possible, kept_settings, kept_settings_path, project_importable
from .jobs import default_python


def _keep(preferences, context) -> None:
    try:
        kept_settings_path().write_text(json.dumps({"python_executable": preferences.python_executable,
                                                    "in_process": bool(preferences.in_process)}), encoding="utf-8")
    except OSError as error:  # a read-only config folder: the preference still works for this session
        print(f"VideoPose: could not keep the preferences ({error})")


def _python_changed(preferences, context) -> None:
    _keep(preferences, context)
    # Finish registering (operators, panel) now that videopose may import through this Python.
    importlib.import_module(__package__).register_rest(preferences.python_executable)


class VIDEOPOSE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    python_executable: bpy.props.StringProperty(
        name="videopose Python",
        description="Python executable of the environment where videopose is installed (runs detection and "
                    "lifting in a background process); empty = this Python",
        subtype="FILE_PATH", default="", update=_python_changed,
    )
    in_process: bpy.props.BoolProperty(
        name="Run inside Blender when PyTorch is available",
        description="Run video jobs on a thread of this Blender (only if torch and mediapipe import here)",
        default=False, update=_keep,
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "python_executable")
        if not project_importable():
            layout.label(text="videopose does not import in this Blender: set the Python where it is installed "
                              "above", icon="ERROR")
        row = layout.row()
        row.prop(self, "in_process")
        row.enabled = in_process_possible()


def restore_kept(context: bpy.types.Context) -> None:
    """Put the kept preferences back into the add-on's (empty) preferences (setting the Python runs its
    update, which registers the rest of the add-on if videopose imports through it)."""
    addon = context.preferences.addons.get(__package__)
    kept = kept_settings()
    if addon is None or addon.preferences is None or not kept:
        return
    preferences = addon.preferences
    if "in_process" in kept:
        preferences.in_process = bool(kept["in_process"])
    if not preferences.python_executable and kept.get("python_executable"):
        preferences.python_executable = str(kept["python_executable"])


@dataclass(frozen=True)
class Settings:
    """Preferences as plain values (defaults when the add-on was registered without its preferences)."""

    python_executable: str
    in_process: bool


def get_preferences(context: bpy.types.Context) -> Settings:
    addon = context.preferences.addons.get(__package__)
    prefs = addon.preferences if addon is not None else None
    if prefs is None:  # registered without Blender's add-on entry (scripts): the kept ones, or the defaults
        kept = kept_settings()
        return Settings(str(kept.get("python_executable") or "") or default_python(), bool(kept.get("in_process")))
    return Settings(bpy.path.abspath(prefs.python_executable) or default_python(), bool(prefs.in_process))


CLASSES = (VIDEOPOSE_AP_preferences,)
