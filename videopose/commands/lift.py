"""``videopose lift``: 2D keypoints (.npz) -> 3D joints (.npz) with the temporal lifter."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "lift"
HELP = "2D keypoints (.npz) -> root-relative 3D joints (.npz) with the VideoPose3D temporal model"
EXAMPLE = """examples:
  videopose lift clip.keypoints.npz -o clip.motion.npz
  videopose lift clip.keypoints.npz -o clip.motion.npz --checkpoint my_lifter.pt --device cpu --no-flip
  # an original VideoPose3D checkpoint (e.g. pretrained_h36m_detectron_coco.bin) works as it is
  videopose lift clip.keypoints.npz -o clip.motion.npz --checkpoint pretrained_h36m_detectron_coco.bin"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keypoints", type=Path, help="KEYPOINTS.npz from `videopose detect` or `import-keypoints`")
    parser.add_argument("-o", "--output", type=Path, required=True, help="MOTION.npz to write")
    parser.add_argument("--checkpoint", default=None, help="lifter weights .pt (default: the shipped weights)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where to run the model")
    parser.add_argument("--no-flip", action="store_true", help="no test-time flip augmentation (twice as fast)")
    parser.add_argument("--no-turning-lifter", action="store_true",
                        help="the default weights only, also where the body turns over (otherwise, with the "
                             "shipped weights, lifted there with the shipped turning weights)")
    parser.add_argument("--chunk-frames", type=int, default=None, metavar="N",
                        help="output frames per forward pass (bounds memory; the result is the same)")
    parser.add_argument("--causal", action="store_true",
                        help="an original VideoPose3D checkpoint was trained causal (its file does not say)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    import time

    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import DEFAULT_CHUNK_FRAMES, prepare_clip, select_device
    from videopose.lifter.turning import lift_with_turning, turning_checkpoint_for
    from videopose.core.errors import VideoposeError
    from videopose.core.fileio import check_outputs
    from videopose.core.formats import Keypoints2D
    from videopose.core.progress import terminal_progress
    from videopose.core.validate import check_joint_positions, check_suffix

    check_suffix(args.output, (".npz",), "the output (a motion file)")
    check_outputs({"the output": args.output}, {"the keypoints file": args.keypoints,
                                                "the checkpoint": args.checkpoint}, args.overwrite)
    if args.chunk_frames is not None and args.chunk_frames < 1:
        raise VideoposeError(f"--chunk-frames must be at least 1, got {args.chunk_frames}")
    keypoints = Keypoints2D.load(args.keypoints)
    checkpoint_path = resolve_checkpoint(args.checkpoint)
    checkpoint = load_checkpoint(checkpoint_path, causal=True if args.causal else None)
    select_device(args.device)
    prepare_clip(keypoints, checkpoint.config)  # input errors now, before the progress bar
    began = time.perf_counter()
    turning = turning_checkpoint_for(args.checkpoint, not args.no_turning_lifter)
    with terminal_progress("lift", total=keypoints.num_frames, quiet=args.quiet) as progress:
        motion, turning_weights = lift_with_turning(
            keypoints, checkpoint, turning, device=args.device, flip=not args.no_flip, progress=progress,
            chunk_frames=args.chunk_frames or DEFAULT_CHUNK_FRAMES,
        )
    seconds = time.perf_counter() - began
    check_joint_positions(motion.joints_3d, "the lifted motion")  # broken weights: no file, a message
    motion.save(args.output, overwrite=args.overwrite)
    if not args.quiet:
        filled = int(motion.extras["filled_keypoints"])
        config = checkpoint.config
        print(
            f"wrote {args.output}: {motion.num_frames} frames at {motion.fps:g} fps, {config.output_layout} joints"
            f"{' with trajectory' if motion.trajectory is not None else ''}; "
            f"model {config.receptive_field} frames x {config.channels} channels{' causal' if config.causal else ''}"
            f" from {checkpoint_path.name}; {seconds:.1f} s ({motion.num_frames / max(seconds, 1e-9):,.0f} frames/s)"
        )
        if turning_weights.any():
            print(f"the body turns over in {int((turning_weights > 0).sum())} frames: lifted there with "
                  f"{turning.name} (--no-turning-lifter: the default weights only)")
        if filled:
            print(f"filled {filled} missing keypoints ({filled / keypoints.keypoints[..., 0].size:.1%}) "
                  "by interpolation over time")
        else:
            print("filled 0 missing keypoints")
    return 0
