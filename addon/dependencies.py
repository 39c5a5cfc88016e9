"""Make the videopose package (``videopose`` and its ``videopose.retarget``, ``videopose.lifter``) importable inside Blender.

In the bpy module or a Blender started from the project's environment they already are. In a plain
Blender install, the add-on asks the Python set in its preferences for its ``sys.path`` and appends
the entries Blender lacks (Blender 4.2-5.0 and videopose both use Python 3.11, so its scipy loads;
Blender's own numpy stays first on the path).
"""

from __future__ import annotations

import importlib.util
import json
import site
import subprocess
import sys
from pathlib import Path

_QUERY = "import json, sys, videopose.retarget; print(json.dumps(sys.path))"


def project_importable() -> bool:
    """Whether the installed videopose package (its retargeter and scipy) imports here."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("videopose", "videopose.retarget", "scipy"))
    except ImportError:  # find_spec of a submodule imports its parent, which may be missing
        return False


def _preferred_python() -> str | None:
    """The Python set in the add-on's preferences, else the one kept from an earlier session (or None)."""
    try:
        import bpy

        addon = bpy.context.preferences.addons.get(__package__)
        if addon is not None and addon.preferences is not None and addon.preferences.python_executable:
            return bpy.path.abspath(addon.preferences.python_executable)
        return str(kept_settings().get("python_executable") or "") or None
    except (ImportError, AttributeError):
        return None


def kept_settings_path() -> Path:
    """Where the add-on's preferences are kept between sessions and across disable/enable (``bpy``)."""
    import bpy

    return Path(bpy.utils.user_resource("CONFIG", path="videopose", create=True)) / "preferences.json"


def kept_settings() -> dict:
    """The kept preferences (``python_executable``, ``in_process``); {} when none are kept or readable."""
    try:
        data = json.loads(kept_settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ensure_project_importable(python: str | None = None, timeout: float = 30.0) -> bool:
    """True when videopose imports here (after extending ``sys.path`` from ``python`` if needed)."""
    if project_importable():
        return True
    python = python or _preferred_python()
    if not python:
        return False
    try:
        completed = subprocess.run([python, "-c", _QUERY], capture_output=True, text=True, timeout=timeout)
        paths = json.loads(completed.stdout) if completed.returncode == 0 else []
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return False
    for entry in paths:
        if entry and entry not in sys.path:
            site.addsitedir(entry)  # appends, and runs its .pth files (how `pip install -e .` is found)
    importlib.invalidate_caches()
    if not project_importable():  # a folder already on the path whose .pth files never ran (python -S)
        for entry in paths:
            if entry in sys.path and any(Path(entry).glob("*.pth")):
                site.addsitedir(entry)
        importlib.invalidate_caches()
    return project_importable()


def in_process_possible() -> bool:
    """Whether the whole pipeline (PyTorch and MediaPipe too) can run inside this Python."""
    return project_importable() and all(importlib.util.find_spec(name) is not None for name in ("torch", "mediapipe"))
