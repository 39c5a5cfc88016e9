"""``videopose import-keypoints``: other detectors' 2D keypoints -> a videopose keypoints ``.npz``."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "import-keypoints"
HELP = "convert OpenPose, COCO-style (AlphaPose/MMPose/Detectron2), VideoPose3D or MediaPipe 2D keypoints to KEYPOINTS.npz"
EXAMPLE = """examples:
  videopose import-keypoints openpose_json/ -o clip.keypoints.npz --video clip.mp4
  videopose import-keypoints alphapose-results.json -o clip.keypoints.npz --fps 30 --width 1920 --height 1080
  videopose import-keypoints data_2d_custom_myvideos.npz --format videopose3d --subject clip.mp4 --fps 25 -o clip.keypoints.npz
  videopose import-keypoints landmarks.json -o clip.keypoints.npz --layout coco17
formats are described in docs/formats.md ("Detector outputs that import-keypoints reads")."""


def register(parser: argparse.ArgumentParser) -> None:
    from videopose.core.layouts import LAYOUTS

    parser.add_argument("source", type=Path, help="OpenPose JSON folder, results .json, or .npz")
    parser.add_argument("-o", "--output", type=Path, required=True, help="KEYPOINTS.npz to write")
    parser.add_argument("--format", default="auto", choices=("auto", "openpose", "coco", "videopose3d", "mediapipe"),
                        help="source format (default: auto; a VideoPose3D .npz must be named: it holds pickles)")
    parser.add_argument("--layout", default=None, choices=sorted(LAYOUTS),
                        help="write the keypoints in this layout (converted by joint name, the original kept as "
                             "source_*); default: the source's own layout")
    parser.add_argument("--source-layout", default=None, choices=sorted(LAYOUTS),
                        help="the source's layout when its file does not say it (e.g. h36m17 for a VideoPose3D .npz)")
    parser.add_argument("--fps", type=float, default=None, help="frames per second of the video (overrides the file)")
    parser.add_argument("--width", type=int, default=None, help="video frame width in pixels (overrides the file)")
    parser.add_argument("--height", type=int, default=None, help="video frame height in pixels (overrides the file)")
    parser.add_argument("--video", type=Path, default=None,
                        help="the video the keypoints came from: supplies fps, width and height the file lacks")
    parser.add_argument("--subject", default=None, help="VideoPose3D .npz: the subject (video) to take (default: the first)")
    parser.add_argument("--action", default=None, help="VideoPose3D .npz: the action to take (default: the first)")
    parser.add_argument("--camera", type=int, default=0, help="VideoPose3D .npz: the camera index (default 0)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    import sys

    from videopose.lifter.importers import import_keypoints
    from videopose.core.errors import VideoposeError
    from videopose.core.progress import terminal_progress

    from videopose.core.fileio import check_outputs
    from videopose.core.validate import check_fps, check_frame_size, check_suffix

    check_suffix(args.output, (".npz",), "the output (a keypoints file)")
    check_outputs({"the output": args.output}, {"the source": args.source, "--video": args.video}, args.overwrite)
    if args.fps is not None:
        check_fps(args.fps, "--fps")
    if args.width is not None or args.height is not None:
        check_frame_size(1 if args.width is None else args.width, 1 if args.height is None else args.height,
                         "--width/--height:")
    # Only an OpenPose folder (one file per frame) takes long enough to need a bar.
    with terminal_progress("import", total=0, unit="file", quiet=args.quiet or not args.source.is_dir()) as progress:
        imported = import_keypoints(
            args.source, format=args.format, layout=args.layout, source_layout=args.source_layout,
            fps=args.fps, width=args.width, height=args.height, video=args.video,
            subject=args.subject, action=args.action, camera=args.camera, progress=progress,
        )
    keypoints = imported.keypoints
    keypoints.save(args.output, overwrite=args.overwrite)
    if not args.quiet:
        for note in imported.notes:
            print(f"note: {note}", file=sys.stderr)
        source = f" (source {keypoints.source_layout} kept)" if keypoints.source_layout else ""
        print(
            f"wrote {args.output}: {keypoints.num_frames} frames of {keypoints.layout}{source} keypoints from "
            f"{imported.format} at {keypoints.fps:g} fps, {keypoints.width}x{keypoints.height}"
        )
    return 0
