"""``videopose evaluate``: errors of a lifter checkpoint on motion capture seen by fixed virtual cameras."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "evaluate"
HELP = "MPJPE (with and without the pelvis), P-MPJPE, N-MPJPE and MPJVE (mm) of a checkpoint on the validation clips (fixed cameras)"
EXAMPLE = """examples:
  videopose evaluate --checkpoint lifter/weights/default.pt --data data/mocap.npz
  videopose evaluate --checkpoint runs/default/best.pt --data ../shared/mocap --noise detector --json out.json"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None, help="checkpoint .pt (default: the shipped weights)")
    parser.add_argument("--data", required=True, help="BVH folder, DATASET.npz or data_3d_*.npz")
    parser.add_argument("--noise", choices=("none", "detector"), default="none", help="2D noise (fixed seed)")
    parser.add_argument("--clips", choices=("validation", "all"), default="validation")
    parser.add_argument("--cameras-per-clip", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0,
                        help="the fixed evaluation camera set and its noise (per clip, separate streams; keep it fixed to compare checkpoints)")
    parser.add_argument("--no-flip", action="store_true", help="no test-time flip augmentation")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.checkpoint import default_checkpoint_path
    from videopose.lifter.evaluate import METRICS, TRAJECTORY_METRICS, evaluate
    from videopose.core.fileio import atomic_output
    from videopose.core.progress import terminal_progress

    checkpoint = args.checkpoint or default_checkpoint_path()
    with terminal_progress("evaluating", total=1, unit="frame", quiet=args.quiet) as progress:
        result = evaluate(checkpoint, args.data, noise=args.noise, cameras_per_clip=args.cameras_per_clip,
                          seed=args.seed, clips=args.clips, device=args.device, flip=not args.no_flip,
                          progress=progress)
    if not args.quiet:
        header = f"{'clip':28s} {'cam':>3s} {'frames':>6s} " + " ".join(f"{name[:-3]:>9s}" for name in METRICS)
        print(header)
        for row in result.rows:
            print(f"{row['clip']:28s} {row['camera']:3d} {row['frames']:6d} " + " ".join(f"{row[m]:9.1f}" for m in METRICS))
        overall = result.overall
        print(f"{'overall (mm)':28s} {'':3s} {overall['frames']:6d} " + " ".join(f"{overall[m]:9.1f}" for m in METRICS))
        if TRAJECTORY_METRICS[0] in overall:
            print(f"trajectory (pelvis in the camera frame): {overall['trajectory_mm']:.1f} mm, "
                  f"of which depth {overall['trajectory_depth_mm']:.1f} mm")
    if args.json:
        with atomic_output(args.json) as temp:
            Path(temp).write_text(json.dumps({"checkpoint": str(checkpoint), "noise": args.noise, "seed": args.seed,
                                              **result.to_dict()}, indent=2))
    return 0
