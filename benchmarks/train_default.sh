#!/usr/bin/env bash
# The exact command that trained lifter/weights/default.pt (see lifter/weights/MODEL_CARD.md):
# CPU, 1 thread (the other core stayed free for other work), about 50 minutes on this 2-core machine.
# Resumable: add --resume after an interruption. Then: python benchmarks/export_default.py
set -euo pipefail
[ -f /tmp/vp/cmu.npz ] || videopose prepare-data ../shared/mocap/cmu -o /tmp/vp/cmu.npz
videopose train --data /tmp/vp/cmu.npz -o /tmp/vp/runs/default --filter-widths 3,3,3,3 --channels 256 --epochs 60 --cameras-per-clip 4 --noise detector --seed 1234 --threads 1 --device cpu "$@"
