"""``videopose prepare-data``: read a folder of motion capture (BVH, ASF/AMC) into one training dataset file."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "prepare-data"
HELP = "mocap folder (BVH: daz, CC_Base, ASF-named; ASF/AMC: CMU, HDM05; clips.csv if present) -> DATASET.npz of H36M17 + face points per clip"
EXAMPLE = """example:
  videopose prepare-data ../shared/mocap -o data/mocap.npz"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bvh_dir", type=Path, help="mocap folder: its clips.csv, or every .bvh/.amc below it")
    parser.add_argument("-o", "--output", type=Path, required=True, help="DATASET.npz")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    from videopose.lifter.datasets import dataset_from_bvh, find_bvh_files, minutes_by_source, mocap_table, split_dataset
    from videopose.core.fileio import check_outputs
    from videopose.core.progress import terminal_progress
    from videopose.core.validate import check_suffix

    check_suffix(args.output, (".npz",), "the output (a dataset)")
    check_outputs({"the output": args.output}, {}, args.overwrite)
    rows = mocap_table(args.bvh_dir) if args.bvh_dir.is_dir() else None
    files = rows if rows is not None else find_bvh_files(args.bvh_dir)
    with terminal_progress("reading mocap", total=len(files), unit="clip", quiet=args.quiet) as progress:
        dataset = dataset_from_bvh(args.bvh_dir, progress=progress)
    dataset.save(args.output)
    if not args.quiet:
        train, validation = split_dataset(dataset)
        print(f"{len(dataset.clips)} clips, {dataset.num_frames} frames -> {args.output} "
              f"(train {len(train.clips)} clips / {train.num_frames} frames, "
              f"validation {len(validation.clips)} clips / {validation.num_frames} frames)")
        for source, minutes in minutes_by_source(dataset).items():
            print(f"  {source}: {minutes:.2f} min")
    return 0
