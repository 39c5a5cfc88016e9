"""Receptive field and width on a fixed step budget: 81 vs 243 frames, 256 vs 512 channels (issue 12).

    nice python benchmarks/train_config_compare.py --data /tmp/vp/mocap.npz [--steps 120] [--threads 2] \
        [--out benchmarks/results/training_config_compare.json]

Every configuration trains from the same seed on the same data, cameras, noise and body augmentation
for the same number of steps of the same batch size (``--epochs`` x ``--steps``), then is validated on
the fixed evaluation cameras (1 per validation clip, clean 2D). Also written: the training samples per
second of each (this machine), which is what a longer run of each would cost. A fixed step budget
favours the configurations that learn fastest, not those that end best; read it as "which to train
longer on this CPU", not as final accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
CONFIGS = (((3, 3, 3, 3), 256), ((3, 3, 3, 3, 3), 256), ((3, 3, 3, 3), 512), ((3, 3, 3, 3, 3), 512))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=120, help="steps per epoch")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results" / "training_config_compare.json")
    args = parser.parse_args()
    from videopose.core.fileio import atomic_output
    from videopose.lifter.datasets import load_training_data
    from videopose.lifter.train import TrainConfig, train

    dataset = load_training_data(args.data)
    rows = []
    for widths, channels in CONFIGS:
        with tempfile.TemporaryDirectory() as folder:
            config = TrainConfig(data=Path(args.data).name, output_dir=folder, epochs=args.epochs, filter_widths=widths,
                                 channels=channels, batch_size=args.batch_size, steps_per_epoch=args.steps,
                                 cameras_per_clip=2, validation_cameras=1, trajectory=False, seed=1234,
                                 threads=args.threads, device="cpu")
            started = time.time()
            summary = train(config, dataset=dataset)
        last = summary["history"][-1]
        rows.append({"receptive_field": 3 ** len(widths), "channels": channels,
                     "val_mpjpe_mm": round(last["val_mpjpe_mm"], 1), "val_mpjve_mm": round(last["val_mpjve_mm"], 2),
                     "samples_per_second": round(sum(r["samples_per_second"] for r in summary["history"]) / len(summary["history"])),
                     "minutes": round((time.time() - started) / 60, 1)})
        print(rows[-1], flush=True)
    result = {"definition": __doc__.split("\n\n", 2)[1].strip(),
              "settings": {"epochs": args.epochs, "steps_per_epoch": args.steps, "batch_size": args.batch_size,
                           "threads": args.threads, "cameras_per_clip": 2, "validation": "1 fixed camera per clip, clean 2D"},
              "runs": rows}
    with atomic_output(args.out, overwrite=True) as temp:
        Path(temp).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
