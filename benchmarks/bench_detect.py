"""Detection speed: frames/s of decoding alone (the bound) and of decoding + BlazePose, at 720p and 1080p.

    python benchmarks/bench_detect.py [--quick] [--people-only] [--out benchmarks/results_detect.json]

The clips are made here from a real video (``../shared/videos/sports2d_demo.mp4``, one person walking,
1768x994) resized with OpenCV to 1280x720 and 1920x1080 and written as MPEG-4 (OpenCV's pip wheel has
no H.264 encoder) into a temporary folder. Measured per clip: decode only (``videopose.lifter.video``, RGB,
the baseline), and ``videopose.lifter.detect.detect_video`` sequential (decode then detect, in turn) vs pipelined
(decoder thread + bounded queue), for each BlazePose model complexity installed (only 1 ships with
mediapipe 0.10.21; 0 and 2 are reported as unavailable). frames/s is the steady rate between the first
and the last frame; ``seconds`` is the whole call including the model's start-up.

People: the original clip (1768x994, a performer and a passer-by) detected for the main performer only
(``--people one``, the default: BlazePose on the frame, searched again around the performer when lost)
and for everyone (``--people all``: HOG people detector every few frames, BlazePose on each person's
region), so the cost of the option is known; ``--people-only`` measures just these two rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
from videopose.lifter.detect import detect_people_video, detect_video, landmark_model_available  # noqa: E402
from videopose.lifter.video import iter_frames, iter_frames_with_times  # noqa: E402

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared"))
SOURCE = SHARED / "videos" / "sports2d_demo.mp4"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def make_clip(source: Path, size: tuple[int, int], frames: int, target: Path) -> Path:
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for rgb in iter_frames(source, max_frames=frames):
        writer.write(cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA))
    writer.release()
    return target


def steady_rate(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else float("nan")


def measure_decode(clip: Path) -> dict:
    began = time.perf_counter()
    stamps = [time.perf_counter() for _ in iter_frames_with_times(clip)]
    return {"frames_per_second": steady_rate(stamps), "seconds": time.perf_counter() - began, "frames": len(stamps)}


def measure_detect(clip: Path, complexity: int, pipelined: bool) -> dict:
    stamps: list[float] = []
    began = time.perf_counter()
    keypoints = detect_video(clip, model_complexity=complexity, pipelined=pipelined, clean=False,
                             progress=lambda done, total, message="": stamps.append(time.perf_counter()))
    return {"frames_per_second": steady_rate(stamps), "seconds": time.perf_counter() - began,
            "frames": keypoints.num_frames, "detected_percent": 100.0 * float(keypoints.extras["detected"].mean())}


def measure_people(clip: Path, people: str) -> dict:
    stamps: list[float] = []
    began = time.perf_counter()
    detections = detect_people_video(clip, people=people,
                                     progress=lambda done, total, message="": stamps.append(time.perf_counter()))
    tracks = {int(t) for t in detections.identities}
    return {"frames_per_second": steady_rate(stamps), "seconds": time.perf_counter() - began,
            "frames": detections.num_frames, "detections": int(len(detections.frames)), "tracks": len(tracks),
            "detected_percent": 100.0 * len(set(detections.frames.tolist())) / max(detections.num_frames, 1)}


def render_markdown(result: dict) -> str:
    lines = [f"Clip: {result['source']} resized, {result['frames']} frames; {result['machine']}.", "",
             "| clip | work | model complexity | frames/s | seconds (incl. start-up) | person found |",
             "| --- | --- | --- | --- | --- | --- |"]
    for case in result["cases"]:
        if "unavailable" in case:
            lines.append(f"| {case['clip']} | {case['work']} | {case['model_complexity']} | unavailable: {case['unavailable']} | | |")
            continue
        found = f"{case['detected_percent']:.0f} %" if "detected_percent" in case else ""
        lines.append(f"| {case['clip']} | {case['work']} | {case.get('model_complexity', '')} | "
                     f"{case['frames_per_second']:.1f} | {case['seconds']:.2f} | {found} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 frames per clip instead of 150")
    parser.add_argument("--people-only", action="store_true", help="only the --people one/all rows")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results_detect.json")
    args = parser.parse_args()
    if not SOURCE.exists():
        sys.exit(f"source video not found: {SOURCE} (set VIDEOPOSE_SHARED)")
    frames = 60 if args.quick else 150
    result = {"source": SOURCE.name, "frames": frames, "quick": args.quick, "codec": "mpeg4 (mp4v)",
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores", "cases": []}
    for people in ("one", "all"):
        result["cases"].append({"clip": "original 1768x994", "work": f"decode + detect, --people {people}",
                                "model_complexity": 1, **measure_people(SOURCE, people)})
        print(result["cases"][-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        for label, size in SIZES.items() if not args.people_only else ():
            clip = make_clip(SOURCE, size, frames, Path(folder) / f"{label}.mp4")
            result["cases"].append({"clip": label, "work": "decode only (baseline)", **measure_decode(clip)})
            for complexity in (0, 1):
                if not landmark_model_available(complexity):
                    result["cases"].append({"clip": label, "work": "decode + detect", "model_complexity": complexity,
                                            "unavailable": "model not shipped with mediapipe 0.10.21"})
                    continue
                for pipelined in (False, True):
                    work = "decode + detect, " + ("pipelined" if pipelined else "sequential")
                    result["cases"].append({"clip": label, "work": work, "model_complexity": complexity,
                                            **measure_detect(clip, complexity, pipelined)})
            print(result["cases"][-1], file=sys.stderr)
    result["markdown"] = render_markdown(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(result["markdown"])


if __name__ == "__main__":
    main()
