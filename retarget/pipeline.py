"""Motion3D -> finished Animation: the one call the CLI, ``videopose run`` and the Blender add-on make.

Stages: solve (constant bone lengths, rotations, world frame, root motion; retarget/solve.py and
retarget/root.py) -> smoothing (retarget/smoothing.py) -> foot contacts and foot locking
(retarget/contact.py, retarget/ik.py) -> transfer onto a target rig (retarget/rigs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.animation import Animation, Skeleton
from videopose.retarget.contact import ContactThresholds, detect_contacts
from videopose.retarget.ik import FEET, lock_feet
from videopose.retarget.rigs import Rig, load_rig, retarget_to_rig
from videopose.retarget.root import ankle_height
from videopose.retarget.smoothing import DEFAULT_STRENGTH, smooth_positions, smooth_rotations
from videopose.retarget.solve import solve_animation
from videopose.core.errors import VideoposeError
from videopose.core.formats import Motion3D
from videopose.core.progress import ProgressCallback, no_progress


@dataclass(frozen=True)
class RetargetOptions:
    """What retargeting can be told; the defaults are what a new user wants.

    rig: None (videopose's canonical H36M-named skeleton), a preset name (rigify, mixamo, ue5, cmu,
        smpl), a bone-map JSON path, or a :class:`~videopose.retarget.rigs.Rig`.
    rig_skeleton: the target rig at hand (e.g. the Blender armature); replaces the preset's/JSON's own.
    smooth: smoothing strength (0 = off; see retarget/smoothing.py).
    foot_lock: pin the feet during detected ground contact.
    """

    rig: str | Rig | None = None
    smooth: float = DEFAULT_STRENGTH
    foot_lock: bool = True
    rig_skeleton: Skeleton | None = None
    foot_lock_blend_seconds: float = 0.12
    contact_thresholds: ContactThresholds = ContactThresholds()

    @classmethod
    def chosen(cls, rig: str | Rig | None = None, smooth: float | None = None, foot_lock: bool = True) -> RetargetOptions:
        """The options a user picked in the CLI or the add-on; ``smooth=None`` keeps the default strength."""
        return cls(rig=rig, smooth=DEFAULT_STRENGTH if smooth is None else float(smooth), foot_lock=foot_lock)


def smooth_animation(animation: Animation, strength: float) -> Animation:
    """Smooth every local rotation and the root trajectory (bone lengths are untouched)."""
    if strength <= 0:
        return animation
    quats = smooth_rotations(animation.local_quats_xyzw, animation.fps, strength)
    root = smooth_positions(animation.root_positions, animation.fps, strength)
    return Animation(animation.skeleton, quats, root, animation.fps, animation.contacts, dict(animation.extras))


def animation_contacts(animation: Animation, thresholds: ContactThresholds = ContactThresholds()) -> np.ndarray:
    """(frames, 2) left/right contacts of a canonical-skeleton Animation from its ankle heights and speeds."""
    positions = animation.world_positions()
    ankles = positions[:, [animation.skeleton.index(foot[2]) for foot in FEET]]
    return detect_contacts(ankles, animation.fps, ankle_height(animation.skeleton), thresholds)


def retarget_motion(motion: Motion3D, options: RetargetOptions = RetargetOptions(),
                    progress: ProgressCallback = no_progress) -> Animation:
    """Motion3D (camera frame, H36M17) -> Animation in the Z-up world frame, on the chosen rig."""
    if options.smooth < 0:
        raise VideoposeError(f"smoothing strength must be 0 (off) or positive, got {options.smooth}")
    # Load the rig first: a bad bone map fails before any work is done.
    rig = options.rig if isinstance(options.rig, Rig) or options.rig is None else load_rig(options.rig, options.rig_skeleton)
    total = 5
    progress(0, total, "solving")
    animation = solve_animation(motion)
    progress(1, total, "smoothing")
    animation = smooth_animation(animation, options.smooth)
    progress(2, total, "foot contacts")
    contacts = animation_contacts(animation, options.contact_thresholds)
    progress(3, total, "foot locking")
    if options.foot_lock:
        blend = max(1, int(round(options.foot_lock_blend_seconds * motion.fps)))
        animation = lock_feet(animation, contacts, blend)
    else:
        animation = Animation(animation.skeleton, animation.local_quats_xyzw, animation.root_positions,
                              animation.fps, contacts, dict(animation.extras))
    progress(4, total, "rig transfer")
    if rig is not None:
        animation = retarget_to_rig(animation, rig)
    progress(total, total, "done")
    return animation
