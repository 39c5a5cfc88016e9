"""Lifter checkpoints on the real four-camera clip: P-MPJPE per camera against the triangulated reference.

    python benchmarks/train_real_video_compare.py --checkpoint shipped=lifter/weights/default.pt \
        --checkpoint new=runs/issue12/best.pt [--out benchmarks/results/training_real_video.json]

The reference is ``benchmarks/real_video.py``'s (BlazePose on the four calibrated pose2sim cameras,
triangulated, mapped to the H36M17 joints as the mocap defines them; cached in
``benchmarks/results/real_video_reference.npz``). Each camera is lifted by every checkpoint from two 2D
inputs: **detected** (``videopose.lifter.detect.detect_video`` on that camera's video, what a user gets;
detections cached under ``--cache``) and **clean** (the reference's 33 landmarks projected through that
camera's calibration: the lifter alone, without detector error). Scored as real_video.py scores a run:
the lifted 17 joints Procrustes-aligned (with scale) to the reference in the camera frame, mean error in
mm over the frames where every reference joint exists; ``average pose``: the same for the clip's mean
lifted pose repeated in every frame (a lifter that ignores the motion scores about that).
Only the lifting step is measured here (no retargeting), so the numbers differ slightly from a
``videopose run`` of real_video.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

import real_video  # noqa: E402
from multiview import project  # noqa: E402
from videopose.core.fileio import atomic_output  # noqa: E402
from videopose.core.formats import Keypoints2D  # noqa: E402


def _score(lifted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    from videopose.lifter.metrics import procrustes_align

    frames = min(len(lifted), len(truth))
    lifted, truth = lifted[:frames].astype(np.float64), truth[:frames]
    valid = np.isfinite(truth).all(axis=(1, 2)) & np.isfinite(lifted).all(axis=(1, 2))
    errors = np.linalg.norm(procrustes_align(lifted[valid], truth[valid]) - truth[valid], axis=-1)
    average = np.broadcast_to((lifted - lifted[:, :1]).mean(axis=0), lifted[valid].shape)
    baseline = np.linalg.norm(procrustes_align(average, truth[valid]) - truth[valid], axis=-1)
    return {"p_mpjpe_mm": 1000 * float(errors.mean()), "average_pose_mm": 1000 * float(baseline.mean()),
            "frames": int(valid.sum())}


def detected_keypoints(camera: str, cache: Path) -> Keypoints2D:
    from videopose.lifter.detect import detect_video

    path = cache / f"{camera}.keypoints.npz"
    if path.exists():
        return Keypoints2D.load(path)
    keypoints = detect_video(real_video.POSE2SIM / f"{camera}.mp4", progress=None)
    cache.mkdir(parents=True, exist_ok=True)
    keypoints.save(path)
    return keypoints


def clean_keypoints(landmarks: np.ndarray, camera, fps: float) -> Keypoints2D:
    """(frames, 33, 3) world landmarks -> their exact projection in ``camera`` as MediaPipe33 keypoints."""
    filled = real_video._fill_nan(landmarks)
    pixels = project(filled, camera)
    scores = np.isfinite(pixels).all(axis=-1).astype(np.float32)
    return Keypoints2D(np.nan_to_num(pixels).astype(np.float32), scores, "mediapipe33", fps, camera.width, camera.height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", action="append", required=True, help="LABEL=PATH (repeat)")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results" / "training_real_video.json")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vp/real_video_keypoints"))
    args = parser.parse_args()
    from videopose.lifter.infer import lift_keypoints

    reference = real_video.load_reference(rebuild=False)
    data = np.load(real_video.REFERENCE_CACHE, allow_pickle=False)
    landmarks = np.asarray(data["landmarks"], dtype=np.float64)
    inputs = {}
    for name in real_video.CAMERAS:
        camera = reference["cameras"][name]
        inputs[name] = {"detected": detected_keypoints(name, args.cache),
                        "clean": clean_keypoints(landmarks, camera, reference["fps"])}
    results: dict = {"definition": __doc__.split("\n\n", 2)[1].strip(), "checkpoints": {}}
    for item in args.checkpoint:
        label, _, path = item.partition("=")
        started = time.time()
        rows = {}
        for name, camera_inputs in inputs.items():
            camera = reference["cameras"][name]
            truth = reference["h36m"] @ camera.camera_from_world.T
            rows[name] = {kind: _score(lift_keypoints(keypoints, path, device="cpu").joints_3d, truth)
                          for kind, keypoints in camera_inputs.items()}
        # Folder and file only ("RUN/best.pt"): which run, without the machine's paths.
        named = f"{Path(path).parent.name}/{Path(path).name}"
        results["checkpoints"][label] = {"path": named, "cameras": rows, "seconds": time.time() - started}
        print(label, " ".join(f"{name}: detected {row['detected']['p_mpjpe_mm']:.1f} clean {row['clean']['p_mpjpe_mm']:.1f} "
                              f"(average pose {row['detected']['average_pose_mm']:.0f})" for name, row in rows.items()))
    with atomic_output(args.out, overwrite=True) as temp:
        Path(temp).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
