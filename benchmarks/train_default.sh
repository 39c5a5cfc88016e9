#!/usr/bin/env bash
# The exact commands that produced lifter/weights/default.pt (see lifter/weights/MODEL_CARD.md).
# CPU, 2 threads, in the background; resumable: re-run with --resume after an interruption.
# Then export: python -c "from benchmarks.export_default import main; main()" (see docs/training.md).
set -euo pipefail
DATA=${DATA:-/tmp/vp/cmu.npz}
RUN=${RUN:-/tmp/vp/runs/default}
[ -f "$DATA" ] || videopose prepare-data ../shared/mocap/cmu -o "$DATA"
videopose train --data "$DATA" -o "$RUN" --filter-widths 3,3,3,3 --channels 256 --epochs 36 \
  --batch-size 1024 --cameras-per-clip 8 --noise detector --seed 1234 --threads 2 --device cpu "$@"
