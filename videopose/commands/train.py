"""``videopose train``: train the lifter on motion capture (BVH folder or prepared dataset)."""

from __future__ import annotations

import argparse
import json

NAME = "train"
HELP = "train the 2D->3D lifter on motion capture seen by virtual cameras (supervised or semi-supervised)"
EXAMPLE = """examples:
  videopose prepare-data ../shared/mocap -o data/mocap.npz
  videopose train --data data/mocap.npz -o runs/default --epochs 60 --channels 256 --filter-widths 3,3,3,3
  videopose train --data data/mocap.npz -o runs/semi10 --semi --labeled-fraction 0.1
  videopose train --data data/mocap.npz -o runs/default --resume   # continue after an interruption
  videopose lift clip.keypoints.npz --checkpoint runs/default/best.pt -o clip.motion.npz"""


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"filter widths must be comma-separated odd integers, got {text!r}") from None
    if not widths or any(width < 1 or width % 2 == 0 for width in widths):
        raise argparse.ArgumentTypeError(f"filter widths must be odd and positive, got {text!r}")
    return widths


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="DATASET.npz (videopose prepare-data), data_3d_*.npz, or a BVH folder")
    parser.add_argument("-o", "--output", required=True, help="RUN_DIR for last.pt, best.pt, log.csv, curves.png")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--channels", type=int, default=256, help="convolution channels (the paper: 1024, on a GPU)")
    parser.add_argument("--filter-widths", type=_widths, default=(3, 3, 3, 3),
                        help="e.g. 3,3,3 (27 frames), 3,3,3,3 (81), 3,3,3,3,3 (243), 1 (single frame)")
    parser.add_argument("--causal", action="store_true", help="causal model (only past frames; for real time)")
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=1024, help="output frames per batch")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--lr-decay", type=float, default=0.95, help="learning-rate factor per epoch")
    parser.add_argument("--cameras-per-clip", type=int, default=8, help="fresh virtual cameras per clip per epoch")
    parser.add_argument("--noise", choices=("detector", "none"), default="detector", help="2D noise on training inputs")
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: one pass over the labelled frames")
    parser.add_argument("--no-trajectory", action="store_true", help="do not train the trajectory model")
    parser.add_argument("--semi", action="store_true", help="semi-supervised training (Sec. 4 of the paper)")
    parser.add_argument("--labeled-fraction", type=float, default=1.0, help="fraction of training frames keeping 3D")
    parser.add_argument("--warmup-epochs", type=int, default=1, help="supervised-only epochs before the semi terms")
    parser.add_argument("--body-augmentation", type=float, default=0.8, metavar="P",
                        help="probability that a view's performer gets new bone lengths and height (0: off)")
    parser.add_argument("--spin", type=float, default=0.0, metavar="P",
                        help="probability that a view's body turns about the camera axis (flips, handstands; 0: off)")
    parser.add_argument("--gaps", type=float, default=0.0, metavar="P",
                        help="probability that a view has one long gap (body or limb, 8-45 frames) filled as inference fills it")
    parser.add_argument("--landmark-offsets", type=float, default=0.0, metavar="P",
                        help="probability that a view's 2D is rendered from detector-like landmarks (BlazePose's "
                             "hips, shoulders and knees off the joint centres; 0: off)")
    parser.add_argument("--unlabeled-keypoints", nargs="+", default=(), metavar="KEYPOINTS.npz",
                        help="real footage for --semi: keypoints files (videopose detect), their camera from the frame "
                             "size and the default field of view (or --fov)")
    parser.add_argument("--fov", type=float, default=None, help="diagonal field of view of --unlabeled-keypoints' cameras")
    parser.add_argument("--init", default=None, metavar="CHECKPOINT",
                        help="start from these weights (fine-tuning; same architecture)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument("--half", action="store_true", help="store checkpoint weights as float16")
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/train_state.pt")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.train import TrainConfig, train
    from videopose.core.progress import terminal_progress

    config = TrainConfig(
        data=str(args.data), output_dir=str(args.output), epochs=args.epochs, filter_widths=args.filter_widths,
        channels=args.channels, causal=args.causal, dropout=args.dropout, batch_size=args.batch_size,
        learning_rate=args.learning_rate, lr_decay=args.lr_decay, cameras_per_clip=args.cameras_per_clip,
        noise=args.noise, steps_per_epoch=args.steps_per_epoch, trajectory=not args.no_trajectory, semi=args.semi,
        labeled_fraction=args.labeled_fraction, warmup_epochs=args.warmup_epochs, seed=args.seed,
        threads=args.threads, half_weights=args.half, resume=args.resume, device=args.device,
        body_augmentation=args.body_augmentation, spin=args.spin, gaps=args.gaps,
        landmark_offsets=args.landmark_offsets,
        unlabeled_keypoints=tuple(str(path) for path in args.unlabeled_keypoints), init_checkpoint=args.init,
    )
    footage = None
    if config.unlabeled_keypoints:
        from videopose.pipeline import real_footage

        footage = real_footage(list(config.unlabeled_keypoints), config.lifter_config(), args.fov)
    with terminal_progress("training", total=1, unit="step", quiet=args.quiet) as progress:
        summary = train(config, progress=progress, footage=footage)
    best = summary["best"]
    if args.json:
        print(json.dumps({"best": best, "output_dir": summary["output_dir"]}))
    elif not args.quiet:
        print(f"best epoch {best['epoch']}: validation MPJPE {best['val_mpjpe_mm']:.1f} mm -> {args.output}/best.pt")
    return 0
