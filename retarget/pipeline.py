"""Motion3D -> finished Animation: the one call the CLI, ``videopose run`` and the Blender add-on make.

Stages: solve (constant bone lengths, rotations, world frame, root motion; retarget/solve.py) ->
smoothing (retarget/smoothing.py) -> foot contacts and foot locking (retarget/contact.py, retarget/ik.py)
-> twists made continuous (retarget/twist.py) and the canonical ankle bones (its feet) turned flat while
planted and never through the floor (retarget/rig_feet.py ``flatten_canonical_feet``; neither moves a
joint) -> transfer onto a target rig (retarget/rigs.py, which puts the rig's own feet on its floor). The
rig transfer starts from the canonical output, so a canonical Animation file moved onto a rig later (the
add-on's import onto a user's armature) gets exactly what ``retarget_motion`` with that rig gives.

With the 2D keypoints the motion was lifted from (``keypoints=``), the world is grounded in the static
camera that filmed it (retarget/grounding.py): the skeleton scaled to the performer's ``height``, the root
placed by reprojection, the floor and the contacts found from the planted feet in the image, the root path
solved so planted feet stay put. Without them (or where no foot is ever planted, with a warning) the
world comes from the lifter's depth (retarget/root.py) and the skeleton keeps the lifter's scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.animation import Animation, Skeleton
from videopose.retarget.contact import ContactThresholds, detect_contacts
from videopose.retarget.ik import FEET, lock_feet, sunken_ankles_raised
from videopose.retarget.rig_feet import flatten_canonical_feet
from videopose.retarget.rigs import Rig, load_rig, retarget_to_rig, twist_made_continuous
from videopose.retarget.root import ankle_height, ankles_kept_above_floor
from videopose.retarget.smoothing import DEFAULT_STRENGTH, smooth_positions, smooth_rotations
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.camera_motion import turned_degrees
from videopose.retarget.contact import ImageContactThresholds
from videopose.retarget.grounding import DEFAULT_HEIGHT_M
from videopose.retarget.solve import SharedWorld, scene_camera, solve_animation, solve_grounded_animation
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.progress import ProgressCallback, no_progress


@dataclass(frozen=True)
class RetargetOptions:
    """What retargeting can be told; the defaults are what a new user wants.

    rig: None (videopose's canonical H36M-named skeleton), a preset name (rigify, mixamo, ue5, cmu,
        smpl), a bone-map JSON path, or a :class:`~videopose.retarget.rigs.Rig`.
    rig_skeleton: the target rig at hand (e.g. the Blender armature); replaces the preset's/JSON's own.
    smooth: smoothing strength (0 = off; see retarget/smoothing.py).
    foot_lock: pin the feet during detected ground contact.
    height: the performer's height in metres (scales the skeleton; with keypoints it sets the camera distance).
    fov: the camera's diagonal field of view in degrees (default
        :data:`~videopose.retarget.camera_model.DEFAULT_DIAGONAL_FOV_DEGREES`); focal_mm: or its 35 mm-equivalent
        focal length. Both only matter with keypoints (the camera is built from their frame size).
    """

    rig: str | Rig | None = None
    smooth: float = DEFAULT_STRENGTH
    foot_lock: bool = True
    rig_skeleton: Skeleton | None = None
    foot_lock_blend_seconds: float = 0.12
    contact_thresholds: ContactThresholds = ContactThresholds()
    height: float = DEFAULT_HEIGHT_M
    fov: float | None = None
    focal_mm: float | None = None
    image_contact_thresholds: ImageContactThresholds = ImageContactThresholds()

    @classmethod
    def chosen(cls, rig: str | Rig | None = None, smooth: float | None = None, foot_lock: bool = True,
               height: float | None = None, fov: float | None = None, focal_mm: float | None = None) -> RetargetOptions:
        """The options a user picked in the CLI or the add-on; ``None`` keeps a default (smoothing strength,
        height 1.70 m, field of view)."""
        return cls(rig=rig, smooth=DEFAULT_STRENGTH if smooth is None else float(smooth), foot_lock=foot_lock,
                   height=DEFAULT_HEIGHT_M if height is None else float(height), fov=fov, focal_mm=focal_mm)

    def camera(self, keypoints: Keypoints2D, motion: Motion3D | None = None,
               world: SharedWorld | None = None) -> PinholeCamera:
        """The camera of the video the keypoints come from: frame size + ``fov`` / ``focal_mm``; given neither,
        the focal length of ``world`` (another person of the same clip) or, with the ``motion`` lifted from
        the keypoints, the one the background's vanishing points give where they give one
        (:func:`~videopose.retarget.solve.scene_camera`), else the default field of view."""
        camera = PinholeCamera.from_frame(keypoints.width, keypoints.height, self.fov, self.focal_mm)
        if self.fov is not None or self.focal_mm is not None:
            return camera
        if world is not None:
            return world.camera(camera)
        return camera if motion is None else scene_camera(camera, keypoints, motion)


def describe_world(animation: Animation) -> str:
    """One line on the world an animation of :func:`retarget_motion` stands in, for a person to read: how it was
    grounded, where its up axis came from, the camera's height over the floor and its focal length (and where
    that came from). E.g. "static camera: reprojection, floor from planted feet; up axis from the floor plane
    (and the background's 41 vertical lines); camera 2.09 m over the floor, focal length 1651 px (the
    background's vanishing points)"."""
    extras = animation.extras
    source = str(extras.get("up_source", "body"))
    lines = int(extras.get("scene_vertical_lines", 0))
    if source == "scene lines":
        up = f"up axis from the background's {lines} vertical lines"
    else:
        up = f"up axis from the {source}" + (f" (and the background's {lines} vertical lines)" if lines else "")
    parts = [str(extras.get("grounding", "from the lifter depth (no keypoints given)")), up]
    camera = []
    if "camera_position" in extras:
        height = float(np.asarray(extras["camera_position"])[2])
        camera.append(f"camera {abs(height):.2f} m {'over' if height >= 0 else 'under'} the floor")
    if "camera_turns" in extras:
        camera.append(f"turning up to {turned_degrees(np.asarray(extras['camera_turns'])):.0f} degrees from its first "
                      "frame's view")
    if "camera_focal_px" in extras:
        camera.append(f"focal length {float(extras['camera_focal_px']):.0f} px "
                      f"({extras.get('camera_focal_source', 'default field of view')})")
    if camera:
        parts.append(", ".join(camera))
    return "; ".join(parts)


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
                    progress: ProgressCallback = no_progress, *, keypoints: Keypoints2D | None = None,
                    world: SharedWorld | None = None) -> Animation:
    """Motion3D (camera frame, H36M17) -> Animation in the Z-up world frame, on the chosen rig.

    ``keypoints``: the 2D keypoints the motion was lifted from (same frames); with them the world is
    grounded in the camera (see the module docstring), without them it comes from the lifter's depth.
    ``world`` (with ``keypoints``): the world another person of the same clip was placed in
    (:meth:`SharedWorld.of` their animation); this performer is put on its floor, seen by its camera.
    """
    if options.smooth < 0:
        raise VideoposeError(f"smoothing strength must be 0 (off) or positive, got {options.smooth}")
    # Load the rig and build the camera first: bad options fail before any work is done.
    rig = options.rig if isinstance(options.rig, Rig) or options.rig is None else load_rig(options.rig, options.rig_skeleton)
    camera = options.camera(keypoints, motion, world) if keypoints is not None else None
    total = 5
    progress(0, total, "solving")
    grounded = keypoints is not None
    if grounded:
        animation = solve_grounded_animation(motion, keypoints, camera, options.height,
                                             contact_thresholds=options.image_contact_thresholds, world=world)
        grounded = "heel_contacts" in animation.extras  # False where it fell back to the lifter's depth
    else:
        animation = solve_animation(motion)
    progress(1, total, "smoothing")
    if grounded:  # the root path is already smooth, and moving it would let planted feet slide
        if options.smooth > 0:
            animation = Animation(animation.skeleton, smooth_rotations(animation.local_quats_xyzw, animation.fps,
                                                                       options.smooth),
                                  animation.root_positions, animation.fps, animation.contacts, dict(animation.extras))
    else:
        animation = smooth_animation(animation, options.smooth)
    progress(2, total, "foot contacts")
    if grounded:  # found from the image (heel down: the ankle stays put)
        contacts = np.asarray(animation.contacts, dtype=bool)
    else:
        contacts = animation_contacts(animation, options.contact_thresholds)
    progress(3, total, "foot locking")
    if options.foot_lock:
        blend = max(1, int(round(options.foot_lock_blend_seconds * motion.fps)))
        animation = lock_feet(animation, contacts, blend)
    else:
        animation = Animation(animation.skeleton, animation.local_quats_xyzw, animation.root_positions,
                              animation.fps, contacts, dict(animation.extras))
    if not grounded:  # the lifter-depth floor: no ankle under it
        animation = ankles_kept_above_floor(animation)
    else:  # a foot off its contacts sunk into the floor is lifted onto it (the knee bends)
        extras = animation.extras  # (both kept by every grounded solve)
        on_floor = np.asarray(extras["heel_contacts"], dtype=bool) & ~np.asarray(extras["off_floor_frames"], dtype=bool)
        animation = sunken_ankles_raised(animation, on_floor)
    progress(4, total, "twist, feet and rig transfer")
    animation = flatten_canonical_feet(twist_made_continuous(animation))  # no twist pops, feet on the floor
    if rig is not None:
        animation = retarget_to_rig(animation, rig)
    progress(total, total, "done")
    return animation
