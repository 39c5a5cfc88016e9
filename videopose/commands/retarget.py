"""``videopose retarget``: 3D joints (.npz) -> skeletal animation (.bvh or animation .npz), optionally on a rig."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "retarget"
HELP = "3D joints (.npz) -> bone rotations with constant lengths, root motion and foot locking (.bvh or .npz)"
EXAMPLE = """examples:
  videopose retarget clip.motion.npz -o clip.bvh              # Y up, metres: opens upright in Blender
  videopose retarget clip.motion.npz -o clip_mb.bvh --units cm # centimetres for MotionBuilder / Maya
  videopose retarget clip.motion.npz -o clip_mixamo.bvh --rig mixamo --smooth 1
  videopose retarget clip.motion.npz -o clip.anim.npz --rig my_rig_map.json --no-foot-lock
rig presets: rigify, metarig, mixamo, ue5, cmu, smpl (or a bone-map JSON, see docs/formats.md)"""

_SUFFIXES = (".bvh", ".npz")
DEFAULT_STRENGTH = 1.0  # videopose.retarget.smoothing.DEFAULT_STRENGTH (not imported here: the CLI starts without scipy)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motion", type=Path, help="MOTION.npz from `videopose lift`")
    parser.add_argument("-o", "--output", type=Path, required=True, help="OUT.bvh or OUT.npz (animation)")
    parser.add_argument("--rig", default=None, metavar="PRESET|MAP.json",
                        help="target rig: rigify, metarig, mixamo, ue5, cmu, smpl or a bone-map JSON (default: videopose's "
                             "own H36M-named skeleton)")
    parser.add_argument("--smooth", type=float, default=DEFAULT_STRENGTH, metavar="STRENGTH",
                        help=f"rotation and root smoothing strength, 0 = off (default {DEFAULT_STRENGTH})")
    parser.add_argument("--no-foot-lock", action="store_true", help="do not pin the feet during ground contact")
    parser.add_argument("--keypoints", type=Path, default=None, metavar="KEYPOINTS.npz",
                        help="the 2D keypoints the motion was lifted from, to ground it in the camera (default: "
                             "NAME.keypoints.npz beside NAME.motion.npz, if there; without: the lifter's depth)")
    add_grounding_arguments(parser)
    add_bvh_arguments(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def add_grounding_arguments(parser: argparse.ArgumentParser) -> None:
    """``--height``, ``--fov`` and ``--focal-mm``: the performer and the camera the motion is grounded with
    (shared with ``videopose run``; docs/grounding.md)."""
    parser.add_argument("--height", type=float, default=None, metavar="METRES",
                        help="the performer's height, scales the skeleton and sets the camera distance (default 1.70)")
    parser.add_argument("--fov", type=float, default=None, metavar="DEGREES",
                        help="the camera's diagonal field of view (default: from the background's vanishing "
                             "points where a room's edges are seen, or a turning camera's turn, else 70, a phone "
                             "or webcam)")
    parser.add_argument("--focal-mm", type=float, default=None, metavar="MM",
                        help="or the camera's 35 mm-equivalent focal length (instead of --fov)")


def add_bvh_arguments(parser: argparse.ArgumentParser) -> None:
    """``--up`` and ``--units`` of BVH output (shared with ``videopose run``; docs/formats.md, "BVH")."""
    parser.add_argument("--up", choices=("y", "z"), default="y",
                        help="BVH up axis: y (default; Blender's importer at its defaults, MotionBuilder and most "
                             "tools assume it) or z (Blender's own frame; import with forward Y, up Z)")
    parser.add_argument("--units", choices=("m", "cm"), default="m",
                        help="BVH units: m (default; true size in Blender at import scale 1) or cm (MotionBuilder, Maya)")


def run(args: argparse.Namespace) -> int:
    import time
    import warnings

    import numpy as np

    from videopose.retarget.pipeline import RetargetOptions, describe_world, retarget_motion
    from videopose.retarget.rigs import load_rig
    from videopose.core.errors import VideoposeError
    from videopose.core.formats import Keypoints2D, Motion3D
    from videopose.core.fileio import check_outputs
    from videopose.core.progress import terminal_progress
    from videopose.core.validate import check_performer_height, check_smooth

    suffix = args.output.suffix.lower()
    if suffix not in _SUFFIXES:
        raise VideoposeError(f"output must end in .bvh or .npz (animation), got {args.output.name!r}")
    check_outputs({"the output": args.output}, {"the motion file": args.motion, "the bone map": args.rig,
                                                "--keypoints": args.keypoints}, args.overwrite)
    check_smooth(args.smooth)
    check_performer_height(args.height)
    rig = load_rig(args.rig) if args.rig else None  # map errors before any work
    motion = Motion3D.load(args.motion)
    options = RetargetOptions.chosen(rig, args.smooth, not args.no_foot_lock, args.height, args.fov, args.focal_mm)
    keypoints_path = args.keypoints
    if keypoints_path is None:
        from videopose.core.formats import clip_name

        beside = args.motion.with_name(f"{clip_name(args.motion)}.keypoints.npz")
        keypoints_path = beside if beside.is_file() else None
    keypoints = Keypoints2D.load(keypoints_path) if keypoints_path is not None else None
    if args.keypoints is None and keypoints is not None and keypoints.num_frames != motion.num_frames:
        keypoints = None  # a file of another clip beside it: not the motion's own keypoints
    if keypoints is not None and "background_speed" in keypoints.extras:  # measured at detection, as run does
        from videopose.lifter.camera import MOVING_CAMERA_SPEED
        from videopose.pipeline import moving_camera_warning

        speed = float(keypoints.extras["background_speed"])
        # A moving background with its homographies (detection kept them): the retargeter follows a turning
        # camera, or warns; without them (a file of an earlier detection) the static camera cannot be assumed.
        if speed > MOVING_CAMERA_SPEED and "background_homographies" not in keypoints.extras:
            print(f"videopose retarget: warning: {moving_camera_warning(speed)}", file=sys.stderr)
            keypoints = None
    began = time.perf_counter()
    with terminal_progress("retarget", total=5, unit="stage", quiet=args.quiet) as progress, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        animation = retarget_motion(motion, options, progress=progress, keypoints=keypoints)
    for message in dict.fromkeys(str(warning.message) for warning in caught):  # once each, in one line
        print(f"videopose retarget: warning: {message}", file=sys.stderr)
    seconds = time.perf_counter() - began
    if suffix == ".bvh":
        from videopose.core.bvh import BVH_UNITS, write_bvh

        write_bvh(animation, args.output, up_axis=args.up.upper(), units_per_metre=BVH_UNITS[args.units],
                  overwrite=args.overwrite)
    else:
        animation.save(args.output, overwrite=args.overwrite)
    if not args.quiet:
        contacts = animation.contacts.mean(axis=0) if animation.contacts is not None else (0.0, 0.0)
        filled = int(animation.extras["filled_frames"].sum()) if "filled_frames" in animation.extras else 0
        fit_error = animation.extras.get("fit_error_m")
        print(f"wrote {args.output}: {animation.num_frames} frames at {animation.fps:g} fps on "
              f"{rig.name if rig else 'the videopose skeleton'} ({animation.skeleton.num_joints} joints); "
              f"{seconds:.2f} s ({animation.num_frames / max(seconds, 1e-9):,.0f} frames/s)")
        print(f"feet in contact: left {contacts[0]:.0%}, right {contacts[1]:.0%}"
              f"{'' if options.foot_lock else ' (not locked)'}; smoothing {args.smooth:g}; "
              f"{filled} frames filled by interpolation")
        print(f"world: {describe_world(animation)}")
        if fit_error is not None:
            print(f"fit error of the constant-length skeleton: mean {float(np.mean(fit_error)) * 1000:.1f} mm, "
                  f"worst frame {float(np.max(fit_error)) * 1000:.1f} mm")
    return 0

