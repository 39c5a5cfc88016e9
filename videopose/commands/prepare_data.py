"""``videopose prepare-data``: read a folder of BVH motion capture into one training dataset file."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "prepare-data"
HELP = "BVH folder (daz or CC_Base skeletons) -> DATASET.npz of H36M17 + face points per clip"
EXAMPLE = """example:
  videopose prepare-data ../shared/mocap/cmu -o data/cmu.npz"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bvh_dir", type=Path, help="folder searched recursively for .bvh files")
    parser.add_argument("-o", "--output", type=Path, required=True, help="DATASET.npz")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.datasets import dataset_from_bvh, find_bvh_files, split_dataset
    from videopose.core.fileio import refuse_existing
    from videopose.core.progress import terminal_progress

    refuse_existing(args.output, args.overwrite)
    files = find_bvh_files(args.bvh_dir)
    with terminal_progress("reading BVH", total=len(files), unit="clip", quiet=args.quiet) as progress:
        dataset = dataset_from_bvh(args.bvh_dir, progress=progress)
    dataset.save(args.output)
    if not args.quiet:
        train, validation = split_dataset(dataset)
        print(f"{len(dataset.clips)} clips, {dataset.num_frames} frames -> {args.output} "
              f"(train {len(train.clips)} clips / {train.num_frames} frames, "
              f"validation {len(validation.clips)} clips / {validation.num_frames} frames)")
    return 0
