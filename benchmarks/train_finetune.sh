#!/usr/bin/env bash
# Issue 12: 20 more epochs of the shipped weights (lifter/weights/default.pt) on the same data and recipe,
# at the learning rate where the 40-epoch run ended (1.5e-4 x 0.95 per epoch), 4 cameras per clip.
# Usage: bash benchmarks/train_finetune.sh RUN_DIR [extra videopose-train args, e.g. --landmark-offsets 0.5]
# INIT=CHECKPOINT, LR=RATE and SEED=N override the start (a second stage: INIT=runs/ft_control/best.pt LR=7e-5).
# CPU, 1 thread, 0.5-0.7 h on this 2-core machine (two runs side by side); resumable with --resume.
# Then: python benchmarks/train_real_video_compare.py --checkpoint shipped=lifter/weights/default.pt --checkpoint new=RUN_DIR/best.pt
set -euo pipefail
run_dir=${1:?usage: train_finetune.sh RUN_DIR [args]}; shift
mkdir -p /tmp/vp
[ -f /tmp/vp/mocap.npz ] || videopose prepare-data ../shared/mocap -o /tmp/vp/mocap.npz
videopose train --data /tmp/vp/mocap.npz -o "$run_dir" --init "${INIT:-lifter/weights/default.pt}" --filter-widths 3,3,3,3 \
    --channels 256 --epochs 20 --learning-rate "${LR:-1.5e-4}" --lr-decay 0.95 --cameras-per-clip 4 --noise detector \
    --seed "${SEED:-4321}" --threads 1 --device cpu "$@"
