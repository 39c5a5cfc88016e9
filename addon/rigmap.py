"""Which animation joint drives which bone of the user's armature (no bpy).

A bone map is given as a rig preset name (``mixamo``, ``rigify``, ``ue5``, ... from ``retarget.rigs``),
a bone-map JSON file (see docs/formats.md, "Bone maps"), a dict ``{joint: bone}``, or nothing (joints
drive the bones of the same name).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from retarget.animation import Animation, Skeleton
from videopose.errors import VideoposeError


def read_bone_map_json(path: str | os.PathLike) -> dict[str, str]:
    """``{"joint": "bone", ...}`` or ``{"bones": {"joint": "bone"}}`` from a JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VideoposeError(f"cannot read bone map {path} ({error}): expected a JSON object joint -> bone") from error
    if isinstance(data, dict) and isinstance(data.get("bones"), dict):
        data = data["bones"]
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise VideoposeError(f"bone map {path} must be a JSON object mapping joint names to bone names")
    return dict(data)


def _rig_support():
    try:
        from retarget import rigs
    except ImportError:
        return None
    return rigs if hasattr(rigs, "retarget_to_rig") and hasattr(rigs, "load_rig") else None


def animation_for_armature(
    animation: Animation, armature_skeleton: Skeleton, bone_map: str | dict[str, str] | None
) -> tuple[Animation, dict[str, str]]:
    """The animation to key onto an armature and the joint -> bone map to key it through.

    A preset or JSON understood by ``retarget.rigs`` retargets the motion onto the armature's rest
    skeleton (any rest pose, proportions, extra bones); the result's joints are bone names. A dict,
    or a JSON when rig support is missing, copies rotations joint -> bone.
    """
    if bone_map is None or bone_map == "":
        mapping = {name: name for name in animation.skeleton.names if name in armature_skeleton.names}
        if not mapping:
            raise VideoposeError("no bone of the armature is named like an animation joint: choose a bone map preset")
        return animation, mapping
    if isinstance(bone_map, dict):
        return animation, dict(bone_map)
    rigs = _rig_support()
    if rigs is not None:
        rig = rig_on_skeleton(rigs, bone_map, armature_skeleton)
        retargeted = rigs.retarget_to_rig(animation, rig)
        return retargeted, {name: name for name in retargeted.skeleton.names if name in armature_skeleton.names}
    if Path(str(bone_map)).suffix.lower() == ".json":
        return animation, read_bone_map_json(bone_map)
    raise VideoposeError(f"bone map preset {bone_map!r} needs the retargeter's rig presets (retarget.rigs)")


def rig_on_skeleton(rigs, preset: str, skeleton: Skeleton):
    """A rig preset (or JSON) whose target skeleton is the user's armature rest pose."""
    import dataclasses

    rig = rigs.load_rig(preset)
    if hasattr(rigs, "rig_with_skeleton"):
        return rigs.rig_with_skeleton(rig, skeleton)
    if dataclasses.is_dataclass(rig):
        fields = {f.name for f in dataclasses.fields(rig)}
        for name in ("skeleton", "target_skeleton", "rest_skeleton"):
            if name in fields:
                return dataclasses.replace(rig, **{name: skeleton})
    raise VideoposeError("this version of retarget.rigs cannot take a rest skeleton from a Blender armature")
