#!/usr/bin/env bash
# The exact command of the issue-12 training run (see lifter/weights/MODEL_CARD.md and docs/training.md):
# all of ../shared/mocap (CMU BVH + ASF/AMC, HDM05; 45 minutes), bone-length augmentation, the guarded trainer;
# CPU, 1 thread (the other core stayed free for other work), about 1 hour on this 2-core machine.
# Resumable: add --resume after an interruption. Then: python benchmarks/export_default.py --run runs/issue12
set -euo pipefail
mkdir -p /tmp/vp
[ -f /tmp/vp/mocap.npz ] || videopose prepare-data ../shared/mocap -o /tmp/vp/mocap.npz
videopose train --data /tmp/vp/mocap.npz -o runs/issue12 --filter-widths 3,3,3,3 --channels 256 --epochs 40 --cameras-per-clip 4 --noise detector --seed 1234 --threads 1 --device cpu "$@"
