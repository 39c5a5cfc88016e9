"""Measure MediaPipe's 2D jitter on the real videos, to calibrate videopose.lifter.synthetic.DetectorNoise.

For each video: run the detector (videopose.lifter.detect.detect_video when present, else MediaPipe's legacy
pose directly), keep the COCO17 points, and estimate per joint the white-noise standard deviation
from second differences (for white noise n, n[t+1] - 2 n[t] + n[t-1] has variance 6 sigma^2; smooth
motion contributes little at 30-60 fps), robustly (1.4826 x median absolute value), in units of the
person's 2D height (median bounding-box diagonal). Outliers: second differences beyond 8 sigma;
drops: frames where a joint's visibility is below 0.5.

    python benchmarks/measure_detector_noise.py  # -> benchmarks/results/detector_noise.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
from videopose.core.layouts import COCO17, MEDIAPIPE33  # noqa: E402

SHARED = ROOT / ".." / "shared"
VIDEOS = ["pose2sim_single/cam01.mp4", "pose2sim_single/cam02.mp4", "pose2sim_single/cam03.mp4",
          "pose2sim_single/cam04.mp4", "sports2d_demo.mp4", "tfjs_pose_1.mp4"]


def detect_mediapipe(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """-> COCO17 pixels (frames, 17, 2), visibility (frames, 17), fps."""
    import cv2
    import mediapipe as mp

    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    index = np.array([MEDIAPIPE33.names.index(name) for name in COCO17.names])
    points, visibility = [], []
    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            height, width = frame.shape[:2]
            result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks is None:
                points.append(np.full((17, 2), np.nan))
                visibility.append(np.zeros(17))
                continue
            landmarks = result.pose_landmarks.landmark
            points.append(np.array([[landmarks[i].x * width, landmarks[i].y * height] for i in index]))
            visibility.append(np.array([landmarks[i].visibility for i in index]))
    return np.array(points), np.array(visibility), float(fps)


def noise_statistics(points: np.ndarray, visibility: np.ndarray) -> dict:
    valid = np.isfinite(points).all(-1).all(-1)
    points, visibility = points[valid], visibility[valid]
    extent = points.max(axis=1) - points.min(axis=1)
    person = float(np.median(np.linalg.norm(extent, axis=-1)))
    second = points[2:] - 2 * points[1:-1] + points[:-2]  # (frames-2, 17, 2)
    robust_sigma = 1.4826 * np.median(np.abs(second), axis=(0, 2)) / np.sqrt(6)  # per joint, pixels
    outliers = (np.abs(second) > 8 * np.sqrt(6) * robust_sigma[None, :, None]).any(-1).mean()
    return {"person_px": person, "frames": int(len(points)), "jitter": (robust_sigma / person).tolist(),
            "outlier_rate": float(outliers), "low_visibility_rate": float((visibility < 0.5).mean())}


def main() -> None:
    results = {}
    for name in VIDEOS:
        path = SHARED / "videos" / name
        if not path.exists():
            continue
        points, visibility, fps = detect_mediapipe(path)
        results[name] = {"fps": fps, **noise_statistics(points, visibility)}
        print(name, {k: (np.round(v, 4).tolist() if isinstance(v, list) else v) for k, v in results[name].items()})
    jitter = np.array([r["jitter"] for r in results.values()])
    results["summary"] = {"joints": list(COCO17.names), "median_jitter": np.median(jitter, axis=0).tolist(),
                          "median_outlier_rate": float(np.median([r["outlier_rate"] for r in results.values()])),
                          "median_low_visibility_rate": float(np.median([r["low_visibility_rate"] for r in results.values()]))}
    print("summary", json.dumps(results["summary"]))
    output = ROOT / "benchmarks" / "results" / "detector_noise.json"
    output.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
