"""``videopose run``: the whole job, video -> FBX/BVH/blend/npz, with one progress display."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "run"
HELP = "video -> 2D keypoints -> 3D joints -> retargeted animation -> FBX, BVH, .blend or .npz"
EXAMPLE = """examples:
  videopose run samples/tfjs_pose_1.mp4 -o out/clip.fbx --preview out/clip_preview.mp4
  videopose run dance.mp4 -o dance.bvh --rig mixamo --smooth 0.5
  # a second run with other retarget options reuses out/clip.keypoints.npz and out/clip.motion.npz
  videopose run samples/tfjs_pose_1.mp4 -o out/clip_ue5.fbx --rig ue5 --fbx-preset unreal
  # everyone in the shot, in one world: out/two.person1.fbx, out/two.person2.fbx, ...; then person 2 alone
  videopose run two_people.mp4 -o out/two.fbx --people all --preview out/two.mp4
  videopose run two_people.mp4 -o out/two.fbx --person 2"""


def register(parser: argparse.ArgumentParser) -> None:
    from videopose.commands.retarget import add_bvh_arguments, add_grounding_arguments

    parser.add_argument("video", help="video of one person (mp4, mov, avi, webm, ...)")
    parser.add_argument("-o", "--output", required=True, help="OUT.fbx | OUT.bvh | OUT.blend | OUT.npz (animation)")
    parser.add_argument("--rig", default=None, help="rig preset (rigify, metarig, mixamo, ue5, cmu, smpl) or bone-map JSON")
    parser.add_argument("--smooth", type=float, default=None, help="rotation smoothing strength (0 = off)")
    parser.add_argument("--no-foot-lock", action="store_true", help="do not pin feet during ground contact")
    add_grounding_arguments(parser)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where to run the lifter")
    parser.add_argument("--checkpoint", default=None, help="lifter weights (default: the shipped weights)")
    parser.add_argument("--no-flip", action="store_true", help="no test-time flip augmentation (a little faster)")
    parser.add_argument("--no-turning-lifter", action="store_true",
                        help="the default weights only, also where the body turns over (flips, handstands; "
                             "otherwise lifted there with the shipped turning weights)")
    parser.add_argument("--preview", type=Path, default=None, help="PREVIEW.mp4 (video beside 3D) or PREVIEW.png")
    parser.add_argument("--people", choices=("one", "all"), default="one",
                        help="one: the main performer (default); all: everyone in the shot, one output per person "
                             "(OUT.person1.fbx, OUT.person2.fbx, ...; person 1 the main performer), all in one world")
    parser.add_argument("--person", type=int, default=None, metavar="N",
                        help="animate only person N of everyone in the shot (numbers as the preview labels them)")
    parser.add_argument("--fbx-preset", default="blender", choices=("blender", "unity", "unreal", "mixamo"))
    add_bvh_arguments(parser)
    parser.add_argument("--no-reuse", action="store_true", help="redo detection and lifting even if kept files match")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--progress-json", action="store_true",
                        help="print progress as one JSON object per line on stderr (for the Blender add-on)")


def run(args: argparse.Namespace) -> int:
    from videopose.core.progress import terminal_progress
    from videopose.core.validate import check_performer_height, check_smooth
    from videopose.pipeline import RunOptions, check_run, run_pipeline
    from videopose.retarget.pipeline import RetargetOptions

    options = RunOptions(
        retarget=RetargetOptions.chosen(args.rig, args.smooth, not args.no_foot_lock, args.height, args.fov,
                                        args.focal_mm), device=args.device,
        checkpoint=args.checkpoint, flip=not args.no_flip, turning_lifter=not args.no_turning_lifter,
        preview=args.preview, fbx_preset=args.fbx_preset,
        bvh_up_axis=args.up.upper(), bvh_units_per_metre={"m": 1.0, "cm": 100.0}[args.units],
        reuse=not args.no_reuse, overwrite=args.overwrite, people=args.people, person=args.person,
    )
    check_smooth(args.smooth)
    check_performer_height(args.height)
    check_run(args.video, args.output, options)  # input errors before the progress display opens
    if args.progress_json:
        stage = {"name": "start"}

        def report(done: int, total: int, message: str = "") -> None:
            print(json.dumps({"stage": stage["name"], "done": done, "total": total, "message": message}),
                  file=sys.stderr, flush=True)

        result = run_pipeline(args.video, args.output, options, progress=report,
                              on_stage=lambda name: stage.__setitem__("name", name))
    else:
        with terminal_progress("videopose run", total=1000, unit="‰", quiet=args.quiet) as bar:
            stage_bar = {"name": "start"}

            def report(done: int, total: int, message: str = "") -> None:
                bar(done, total, message or stage_bar["name"])

            result = run_pipeline(args.video, args.output, options, progress=report,
                                  on_stage=lambda name: stage_bar.__setitem__("name", name))
    for warning in result.warnings:
        print(f"videopose run: warning: {warning}", file=sys.stderr)
    people = result.people or ()
    if not args.quiet:
        reused = f" (reused: {', '.join(result.reused)})" if result.reused else ""
        timing = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.seconds.items())
        written = ", ".join(str(person.output) for person in people) if people else str(result.output)
        print(f"wrote {written}: {result.frames} frames at {result.fps:g} fps{reused}; {timing}")
        kept = [path for person in people for path in (person.keypoints_path, person.motion_path)] if people \
            else [result.keypoints_path, result.motion_path]
        print(f"kept {', '.join(map(str, kept))}")
        if result.world:
            print(f"world: {result.world}")
        if result.preview is not None:
            print(f"preview: {result.preview}")
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.detect import describe_detection

    for path in [person.keypoints_path for person in people] or [result.keypoints_path]:
        lines, detection_warnings = describe_detection(Keypoints2D.load(path))
        if not args.quiet:
            print("\n".join(lines))  # where each person was lost, switched, found again or filled
            for warning in detection_warnings:
                print(f"videopose run: warning: {warning}", file=sys.stderr)
    return 0
