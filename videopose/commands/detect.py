"""``videopose detect``: a video -> 2D keypoints (.npz) with MediaPipe BlazePose, offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "detect"
HELP = "find one performer's 2D keypoints in every frame of a video (MediaPipe BlazePose, offline) -> KEYPOINTS.npz"
EXAMPLE = """examples:
  videopose detect samples/tfjs_pose_1.mp4 -o out/clip.keypoints.npz
  videopose detect clip.mp4 -o clip.keypoints.npz --preview clip_detect.mp4 --overwrite
the file holds coco17 keypoints (for lift) and all 33 BlazePose landmarks; see docs/formats.md."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="the video (mp4, mov, webm, avi, mkv; rotation metadata is honoured)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="KEYPOINTS.npz to write")
    parser.add_argument("--preview", type=Path, default=None, metavar="PREVIEW.mp4",
                        help="also write the video with the detected skeleton drawn on it")
    parser.add_argument("--model-complexity", type=int, choices=(0, 1, 2), default=1,
                        help="BlazePose model: 1 (full, default) ships with mediapipe; 0 (lite) and 2 (heavy) "
                             "only if their model files were installed")
    parser.add_argument("--fill-gap", type=float, default=0.25, metavar="SECONDS",
                        help="fill gaps up to this long by interpolation (default 0.25 s; 0 = never)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.detect import detect_video, detection_summary
    from videopose.preview.render import write_detection_preview
    from videopose.core.errors import VideoposeError
    from videopose.core.fileio import refuse_existing
    from videopose.core.progress import terminal_progress

    for path in (args.output, args.preview):
        refuse_existing(path, args.overwrite)
    if args.output.suffix.lower() != ".npz":
        raise VideoposeError(f"the output must be a .npz file, got {args.output.name!r}")
    if args.preview is not None and args.preview.suffix.lower() != ".mp4":
        raise VideoposeError(f"the preview must be an .mp4 file, got {args.preview.name!r}")
    if args.preview is not None and args.preview.resolve() == args.output.resolve():
        raise VideoposeError("the preview and the output must be different files")

    from videopose.lifter.video import probe_video

    info = probe_video(args.video)  # input errors before the bar opens
    with terminal_progress("detect", total=info.frame_count, quiet=args.quiet) as progress:
        keypoints = detect_video(args.video, progress=progress, model_complexity=args.model_complexity,
                                 fill_gap_seconds=args.fill_gap, clean=True)
    keypoints.save(args.output, overwrite=args.overwrite)
    if args.preview is not None:
        with terminal_progress("preview", total=keypoints.num_frames, quiet=args.quiet) as progress:
            write_detection_preview(args.video, keypoints, args.preview, progress=progress, overwrite=args.overwrite)

    summary = detection_summary(keypoints)
    if args.json:
        print(json.dumps({"output": str(args.output), "preview": str(args.preview) if args.preview else None,
                          "fps": keypoints.fps, "width": keypoints.width, "height": keypoints.height, **summary}))
    elif not args.quiet:
        rotation = int(keypoints.extras.get("rotation", 0))
        print(f"{summary['frames']} frames ({keypoints.width}x{keypoints.height}, {keypoints.fps:g} fps"
              f"{', rotated %d deg' % rotation if rotation else ''}"
              f"{', variable frame rate: true frame times kept' if summary['variable_frame_rate'] else ''}); "
              f"person found in {summary['detected']} ({summary['detected_percent']:.1f} %); "
              f"{summary['filled']} filled; {summary['swaps_fixed']} left/right swaps fixed; "
              f"{summary['other_person']} dropped as another person; {summary['missing']} left missing")
        print(f"wrote {args.output}" + (f" and {args.preview}" if args.preview else ""))
    if summary["detected_percent"] < 50 and not args.quiet:
        print(f"videopose detect: warning: a person was found in only {summary['detected_percent']:.0f} % of the "
              "frames; check the preview (--preview) and the lighting/framing", file=sys.stderr)
    return 0
