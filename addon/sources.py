"""Files the add-on imports, turned into a :class:`~videopose.core.animation.Animation` (no bpy).

- Animation ``.npz`` (``videopose retarget``/``run -o X.npz``): loaded as is;
- motion ``.npz`` (``videopose lift``, 3D joints): retargeted with ``videopose.retarget.pipeline.retarget_motion``;
- ``.bvh``: ``videopose.core.bvh.read_bvh``.
"""

from __future__ import annotations

import os
from pathlib import Path

from videopose.core.errors import VideoposeError
from videopose.core.formats import clip_name, npz_kind  # noqa: F401  (clip_name: the add-on's naming)
from videopose.retarget.pipeline import RetargetOptions

MOTION_SUFFIXES = (".npz", ".bvh")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


def load_animation(path: str | os.PathLike, settings: RetargetOptions = RetargetOptions()):
    """Animation ``.npz``, motion ``.npz`` or ``.bvh`` -> Animation (Z up, metres)."""
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"file not found: {source}")
    suffix = source.suffix.lower()
    if suffix == ".bvh":
        from videopose.core.bvh import read_bvh

        animation = read_bvh(source)
        return retarget_animation(animation, settings.rig) if settings.rig else animation
    if suffix != ".npz":
        raise VideoposeError(f"cannot import {source.name}: expected an animation or motion .npz or a .bvh file")
    from videopose.core.animation import Animation

    if npz_kind(source) == "animation":
        animation = Animation.load(source)
        return retarget_animation(animation, settings.rig) if settings.rig else animation
    from videopose.core.formats import Motion3D

    from videopose.core.formats import Keypoints2D, clip_name

    motion = Motion3D.load(source)
    beside = source.with_name(f"{clip_name(source)}.keypoints.npz")  # as `videopose run` keeps them
    keypoints = Keypoints2D.load(beside) if beside.is_file() else None
    if keypoints is not None and keypoints.num_frames != motion.num_frames:
        keypoints = None
    return motion_to_animation(motion, settings, keypoints)


def motion_to_animation(motion, settings: RetargetOptions = RetargetOptions(), keypoints=None):
    """Motion3D -> Animation through the retargeter (bone rotations, root motion, foot lock, rig); grounded
    in the camera when the 2D ``keypoints`` it was lifted from are given."""
    from videopose.retarget.pipeline import retarget_motion

    return retarget_motion(motion, settings, keypoints=keypoints)


def retarget_animation(animation, rig: str):
    """An Animation on videopose's skeleton -> the same motion on a rig preset's skeleton."""
    from videopose.retarget.rigs import load_rig, retarget_to_rig

    return retarget_to_rig(animation, load_rig(rig))
