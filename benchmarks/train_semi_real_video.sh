#!/usr/bin/env bash
# Issue 12, item 7: does semi-supervised training on real footage help on the real-video benchmark?
# Three fine-tunes of the default weights with the same steps, learning rate and seed:
#   supervised  - mocap only (what the extra steps alone do);
#   semi-other  - + the reprojection and bone-length terms on real footage that is NOT the benchmark's
#                 (sports2d_demo, tfjs_pose_squats, tfjs_pose_1), its camera from the default field of view;
#   semi-all    - + the four pose2sim cameras themselves (transductive: the benchmark's own 2D, no 3D).
# Then P-MPJPE on the four pose2sim cameras (benchmarks/train_real_video_compare.py) and validation on mocap.
#   bash benchmarks/train_semi_real_video.sh      # ~20-30 min on 2 CPU cores
# Results: benchmarks/results/training_semi_real_video.json (+ _validation_*.json).
set -euo pipefail
WORK=${WORK:-/tmp/vp/semi_real}
DATA=${DATA:-/tmp/vp/mocap.npz}
VIDEOS=../shared/videos
mkdir -p "$WORK/keypoints"
[ -f "$DATA" ] || videopose prepare-data ../shared/mocap -o "$DATA"
detect() { [ -f "$WORK/keypoints/$2.keypoints.npz" ] || videopose detect "$1" -o "$WORK/keypoints/$2.keypoints.npz" -q; }
detect "$VIDEOS/sports2d_demo.mp4" sports2d
detect "$VIDEOS/tfjs_pose_squats.mp4" squats
detect "$VIDEOS/tfjs_pose_1.mp4" tfjs_pose_1
for camera in cam01 cam02 cam03 cam04; do detect "$VIDEOS/pose2sim_single/$camera.mp4" "pose2sim_$camera"; done
OTHER="$WORK/keypoints/sports2d.keypoints.npz $WORK/keypoints/squats.keypoints.npz $WORK/keypoints/tfjs_pose_1.keypoints.npz"
ALL="$OTHER $(ls "$WORK"/keypoints/pose2sim_cam0?.keypoints.npz | tr '\n' ' ')"
COMMON="--data $DATA --init lifter/weights/default.pt --filter-widths 3,3,3,3 --channels 256 --epochs 3 --steps-per-epoch 40
        --learning-rate 2e-4 --cameras-per-clip 2 --noise detector --seed 1234 --threads 1 --device cpu -q"
[ -f "$WORK/supervised/best.pt" ] || videopose train $COMMON -o "$WORK/supervised"
[ -f "$WORK/semi-other/best.pt" ] || videopose train $COMMON -o "$WORK/semi-other" --semi --warmup-epochs 0 --unlabeled-keypoints $OTHER
[ -f "$WORK/semi-all/best.pt" ] || videopose train $COMMON -o "$WORK/semi-all" --semi --warmup-epochs 0 --unlabeled-keypoints $ALL
python benchmarks/train_real_video_compare.py --checkpoint default=lifter/weights/default.pt \
    --checkpoint supervised="$WORK/supervised/last.pt" --checkpoint semi-other="$WORK/semi-other/last.pt" \
    --checkpoint semi-all="$WORK/semi-all/last.pt" --out benchmarks/results/training_semi_real_video.json
for run in supervised semi-other semi-all; do
    videopose evaluate --checkpoint "$WORK/$run/last.pt" --data "$DATA" --json "benchmarks/results/training_semi_real_video_validation_$run.json"
done
