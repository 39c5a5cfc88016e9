"""``videopose preview``: look at a motion or animation (video beside 3D, or a contact sheet)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from pathlib import Path

NAME = "preview"
HELP = "draw a motion or animation .npz: the video with 2D keypoints beside the 3D skeleton (.mp4) or a contact sheet (.png)"
EXAMPLE = """examples:
  videopose preview out/clip.motion.npz --video samples/tfjs_pose_1.mp4 -o out/clip_preview.mp4
  videopose preview out/clip.npz --video samples/tfjs_pose_1.mp4 -o out/clip_sheet.png --azimuth 90
  # keypoints are found beside the motion (clip.keypoints.npz next to clip.motion.npz) or given:
  videopose preview clip.motion.npz --video clip.mp4 --keypoints detections.npz -o check.mp4"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motion", type=Path, help="MOTION.npz (from lift) or ANIMATION.npz (from retarget/run)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PREVIEW.mp4 (video) or PREVIEW.png (contact sheet)")
    parser.add_argument("--video", type=Path, default=None, help="the video the motion was made from (drawn on the left)")
    parser.add_argument("--keypoints", type=Path, default=None,
                        help="KEYPOINTS.npz to draw in 2D (default: NAME.keypoints.npz beside the motion, if any)")
    parser.add_argument("--azimuth", type=float, default=40.0,
                        help="3D view direction in degrees: 0 = from the front (the video camera), 90 = from the performer's left")
    parser.add_argument("--elevation", type=float, default=15.0, help="3D camera height in degrees above the horizon")
    parser.add_argument("--view", choices=("auto", "follow", "fit"), default="auto",
                        help="follow the performer, fit the whole clip, or choose by how far they travel")
    parser.add_argument("--size", type=int, default=720, help="video height in pixels (default 720)")
    parser.add_argument("--columns", type=int, default=6, help="contact sheet columns (default 6)")
    parser.add_argument("--rows", type=int, default=2, help="contact sheet rows (default 2)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def keypoints_beside(motion_path: Path) -> Path | None:
    """``clip.keypoints.npz`` next to ``clip.motion.npz`` (or ``clip.npz``), as ``videopose run`` keeps them."""
    from videopose.core.formats import clip_name

    candidate = motion_path.with_name(f"{clip_name(motion_path)}.keypoints.npz")
    return candidate if candidate.exists() else None


def run(args: argparse.Namespace) -> int:
    from videopose.preview.render import OrbitCamera, render_contact_sheet, render_preview_video
    from videopose.core.errors import VideoposeError
    from videopose.core.formats import Keypoints2D, load_motion_or_animation
    from videopose.core.progress import terminal_progress

    suffix = args.output.suffix.lower()
    if suffix not in (".mp4", ".png"):
        raise VideoposeError(f"unknown preview type {args.output.name!r}: the output must end in .mp4 (video) or .png (contact sheet)")
    from videopose.core.fileio import check_outputs
    from videopose.core.validate import check_preview_size, check_sheet_grid, check_view

    check_outputs({"the output": args.output}, {"the motion file": args.motion, "--video": args.video,
                                                "--keypoints": args.keypoints}, args.overwrite)
    if suffix == ".mp4":
        check_preview_size(args.size)
    else:
        check_sheet_grid(args.columns, args.rows)
    check_view(args.azimuth, args.elevation)
    if args.video is not None and not args.video.exists():
        raise VideoposeError(f"video not found: {args.video}")
    motion = load_motion_or_animation(args.motion)
    keypoints_path = args.keypoints
    if keypoints_path is None and args.video is not None:
        keypoints_path = keypoints_beside(args.motion)
        if keypoints_path is not None and not args.quiet:
            print(f"drawing 2D keypoints from {keypoints_path}", file=sys.stderr)
    keypoints = Keypoints2D.load(keypoints_path) if keypoints_path is not None else None
    camera = OrbitCamera(azimuth_deg=args.azimuth, elevation_deg=args.elevation, view=args.view)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if suffix == ".png":
            render_contact_sheet(motion, args.output, video_path=args.video, keypoints=keypoints, columns=args.columns,
                                 rows=args.rows, camera=camera, overwrite=args.overwrite)
        else:
            # The bar opens at the first frame, so input errors are not printed under an empty bar.
            with contextlib.ExitStack() as stack:
                bar = []

                def progress(done: int, total: int, message: str = "") -> None:
                    if not bar:
                        bar.append(stack.enter_context(terminal_progress("preview", total=total, quiet=args.quiet)))
                    bar[0](done, total, message)

                render_preview_video(motion, args.output, video_path=args.video, keypoints=keypoints, progress=progress,
                                     size=args.size, camera=camera, overwrite=args.overwrite)
    for warning in caught:
        print(f"videopose preview: warning: {warning.message}", file=sys.stderr)
    if not args.quiet:
        print(f"wrote {args.output}")
    return 0
