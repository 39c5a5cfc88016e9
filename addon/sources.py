"""Files the add-on imports, turned into a :class:`~retarget.animation.Animation` (no bpy).

- Animation ``.npz`` (``videopose retarget``/``run -o X.npz``): loaded as is;
- motion ``.npz`` (``videopose lift``, 3D joints): retargeted with ``retarget.pipeline.retarget_motion``;
- ``.bvh``: ``retarget.bvh.read_bvh``.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from videopose.errors import VideoposeError

MOTION_SUFFIXES = (".npz", ".bvh")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


@dataclass(frozen=True)
class RetargetSettings:
    """What the add-on's panel lets the user choose for a motion file (None = the retargeter's default)."""

    rig: str | None = None
    smooth: float | None = None
    foot_lock: bool = True


def npz_kind(path: Path) -> str:
    """``"animation"`` or ``"motion"`` from the arrays an ``.npz`` holds."""
    try:
        with zipfile.ZipFile(path) as archive:
            keys = {Path(name).stem for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as error:
        raise VideoposeError(f"{path} is not a readable .npz ({error}): is it a videopose file?") from error
    if "local_quats_xyzw" in keys:
        return "animation"
    if "joints_3d" in keys:
        return "motion"
    raise VideoposeError(
        f"{path} holds neither an animation (local_quats_xyzw) nor a motion (joints_3d); "
        f"it has: {', '.join(sorted(keys)) or 'nothing'}"
    )


def load_animation(path: str | os.PathLike, settings: RetargetSettings = RetargetSettings()):
    """Animation ``.npz``, motion ``.npz`` or ``.bvh`` -> Animation (Z up, metres)."""
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"file not found: {source}")
    suffix = source.suffix.lower()
    if suffix == ".bvh":
        from retarget.bvh import read_bvh

        animation = read_bvh(source)
        return retarget_animation(animation, settings.rig) if settings.rig else animation
    if suffix != ".npz":
        raise VideoposeError(f"cannot import {source.name}: expected an animation or motion .npz or a .bvh file")
    from retarget.animation import Animation

    if npz_kind(source) == "animation":
        animation = Animation.load(source)
        return retarget_animation(animation, settings.rig) if settings.rig else animation
    from videopose.formats import Motion3D

    return motion_to_animation(Motion3D.load(source), settings)


def motion_to_animation(motion, settings: RetargetSettings = RetargetSettings()):
    """Motion3D -> Animation through the retargeter (bone rotations, root motion, foot lock, rig)."""
    try:
        from retarget.pipeline import RetargetOptions, retarget_motion
    except ImportError as error:
        raise VideoposeError(f"the retargeter (retarget.pipeline) is not available: {error}") from error
    fields = {"rig": settings.rig, "foot_lock": settings.foot_lock}
    if settings.smooth is not None:
        fields["smooth"] = settings.smooth
    return retarget_motion(motion, RetargetOptions(**fields))


def retarget_animation(animation, rig: str):
    """An Animation on videopose's skeleton -> the same motion on a rig preset's skeleton."""
    try:
        from retarget.rigs import load_rig, retarget_to_rig
    except ImportError as error:
        raise VideoposeError(f"rig presets (retarget.rigs) are not available: {error}") from error
    return retarget_to_rig(animation, load_rig(rig))


def clip_name(path: str | os.PathLike) -> str:
    """``walk.motion.npz`` -> ``walk``: the name for the armature, action and output file."""
    name = Path(path).name
    for suffix in (".animation.npz", ".motion.npz", ".anim.npz", ".npz", ".bvh"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return Path(path).stem
