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
    parser.add_argument("--people", choices=("one", "all"), default="one",
                        help="one: the main performer (default); all: everyone in the shot, one file per person "
                             "(OUTPUT with .personN before .keypoints/.npz, person 1 the main performer)")
    parser.add_argument("--person", type=int, default=None, metavar="N",
                        help="with --people all: write only person N (numbers as in the preview) to OUTPUT")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.detect import describe_detection, detect_people, detect_video, detection_summary, person_path
    from videopose.preview.render import write_detection_preview
    from videopose.core.errors import VideoposeError
    from videopose.core.fileio import check_outputs
    from videopose.core.progress import terminal_progress
    from videopose.core.validate import check_fill_gap

    check_outputs({"the output": args.output, "--preview": args.preview}, {"the input video": args.video},
                  args.overwrite)
    check_fill_gap(args.fill_gap)
    if args.output.suffix.lower() != ".npz":
        raise VideoposeError(f"the output must be a .npz file, got {args.output.name!r}")
    if args.preview is not None and args.preview.suffix.lower() != ".mp4":
        raise VideoposeError(f"the preview must be an .mp4 file, got {args.preview.name!r}")
    if args.preview is not None and args.preview.resolve() == args.output.resolve():
        raise VideoposeError("the preview and the output must be different files")

    from videopose.lifter.video import probe_video

    if args.person is not None and (args.people != "all" or args.person < 1):
        raise VideoposeError(f"--person N needs --people all and N >= 1 (got --person {args.person})")
    info = probe_video(args.video)  # input errors before the bar opens
    with terminal_progress("detect", total=info.frame_count, quiet=args.quiet) as progress:
        if args.people == "all":
            everyone = detect_people(args.video, progress=progress, model_complexity=args.model_complexity,
                                     fill_gap_seconds=args.fill_gap, clean=True)
        else:
            everyone = [detect_video(args.video, progress=progress, model_complexity=args.model_complexity,
                                     fill_gap_seconds=args.fill_gap, clean=True)]
    if args.person is not None and args.person > len(everyone):
        raise VideoposeError(f"--person {args.person}: only {len(everyone)} people were found in {args.video}; "
                             "see the preview (--preview) for their numbers")
    keypoints = everyone[args.person - 1] if args.person is not None else everyone[0]
    if args.people == "all" and args.person is None:
        outputs = [person_path(args.output, number) for number in range(1, len(everyone) + 1)]
        check_outputs({f"person {n + 1}'s output": path for n, path in enumerate(outputs)},
                      {"the input video": args.video}, args.overwrite)
        for person, path in zip(everyone, outputs):
            person.save(path, overwrite=args.overwrite)
    else:
        outputs = [args.output]
        keypoints.save(args.output, overwrite=args.overwrite)
    if args.preview is not None:
        with terminal_progress("preview", total=keypoints.num_frames, quiet=args.quiet) as progress:
            write_detection_preview(args.video, keypoints, args.preview, progress=progress, overwrite=args.overwrite,
                                    others=[person for person in everyone if person is not keypoints])

    summary = detection_summary(keypoints)
    if args.json:
        print(json.dumps({"output": str(args.output), "preview": str(args.preview) if args.preview else None,
                          "fps": keypoints.fps, "width": keypoints.width, "height": keypoints.height, **summary,
                          "people": len(everyone), "outputs": [str(path) for path in outputs]}))
    elif not args.quiet:
        rotation = int(keypoints.extras.get("rotation", 0))
        print(f"{summary['frames']} frames ({keypoints.width}x{keypoints.height}, {keypoints.fps:g} fps"
              f"{', rotated %d deg' % rotation if rotation else ''}"
              f"{', variable frame rate: true frame times kept' if summary['variable_frame_rate'] else ''}); "
              f"person found in {summary['detected']} ({summary['detected_percent']:.1f} %); "
              f"{summary['filled']} filled; {summary['swaps_fixed']} left/right swaps fixed; "
              f"{summary['other_person']} dropped as another person; {summary['missing']} left missing")
        for person in everyone if args.person is None else [keypoints]:
            print("\n".join(describe_detection(person)[0]))
        print(f"wrote {', '.join(map(str, outputs))}" + (f" and {args.preview}" if args.preview else ""))
    if not args.quiet:
        for warning in describe_detection(keypoints)[1]:
            print(f"videopose detect: warning: {warning}", file=sys.stderr)
    return 0
