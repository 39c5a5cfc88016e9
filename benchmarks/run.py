"""Run every benchmark and write ``benchmarks/results.md`` and ``benchmarks/results.json``.

    python benchmarks/run.py [--quick] [--skip detect,blender,...]

Each part is its own script (``bench_*.py``) that writes a JSON file; this script runs them one
after another (so they do not compete for the CPU), adds the end-to-end measurement of
``videopose run`` on the sample clip (seconds per minute of 30 fps video, peak memory), and
renders one report. Every figure stands beside a baseline or bound measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
PARTS = {
    "detect": "bench_detect.py",
    "lift": "bench_lift.py",
    "retarget": "bench_retarget.py",
    "blender": "bench_blender.py",
}


def run_part(name: str, quick: bool) -> dict:
    out = BENCHMARKS / f"results_{name}.json"
    command = [sys.executable, str(BENCHMARKS / PARTS[name]), "--out", str(out)]
    if quick:
        usage = subprocess.run([sys.executable, str(BENCHMARKS / PARTS[name]), "--help"], cwd=REPO,
                               capture_output=True, text=True).stdout
        if "--quick" in usage:
            command.append("--quick")
    began = time.perf_counter()
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-5:], "seconds": time.perf_counter() - began}
    return json.loads(out.read_text())


_PEAK_MEMORY_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print('peak_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def end_to_end(quick: bool) -> dict:
    """``videopose run`` on the sample clip, cold (detection + lifting) and warm (reusing them)."""
    sample = REPO / "samples" / "tfjs_pose_1.mp4"
    import cv2

    capture = cv2.VideoCapture(str(sample))
    frames, fps = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    results = {"clip": sample.name, "frames": frames, "fps": fps}
    with tempfile.TemporaryDirectory() as folder:
        for label, extra in (("cold", []), ("warm (reuses keypoints and motion)", ["--overwrite"])):
            output = Path(folder) / "clip.fbx"
            # A wrapper process reports the peak memory of this run alone (its only child).
            command = [sys.executable, "-c", _PEAK_MEMORY_WRAPPER, sys.executable, "-m", "videopose", "run",
                       str(sample), "-o", str(output), "-q", *extra]
            began = time.perf_counter()
            completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                                       env={**os.environ, "HOME": folder})
            seconds = time.perf_counter() - began
            if completed.returncode != 0:
                results[label] = {"error": completed.stderr.strip()[-500:]}
                continue
            video_minutes = frames / 30.0 / 60.0
            peak_kb = int(completed.stderr.strip().splitlines()[-1].split()[-1])
            results[label] = {
                "peak_memory_mb": round(peak_kb / 1024, 1),
                "seconds": round(seconds, 2),
                "seconds_per_minute_of_30fps_video": round(seconds / video_minutes, 1),
                "realtime_factor": round((frames / fps) / seconds, 3),
            }
    return results


def _rows(prefix: str, value) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows = []
        for key, inner in value.items():
            rows.extend(_rows(f"{prefix} / {key}" if prefix else str(key), inner))
        return rows
    if isinstance(value, list) and value and isinstance(value[0], dict):
        rows = []
        for index, inner in enumerate(value):
            label = inner.get("name") or inner.get("model") or inner.get("case") or str(index)
            rows.extend(_rows(f"{prefix} / {label}", {k: v for k, v in inner.items() if k not in ("name",)}))
        return rows
    if isinstance(value, float):
        value = f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return [(prefix, str(value))]


REAL_VIDEO_NOTE = ("Accuracy on real video (world-grounded motion against four calibrated cameras, squats, a performer "
                   "in place; each labelled run with its pictures): [results/real_video.md](results/real_video.md), "
                   "written by `python benchmarks/real_video.py --label LABEL`.")


def render_markdown(report: dict) -> str:
    lines = [
        "# Benchmarks", "",
        f"Measured {report['date']} on {report['machine']} by `python benchmarks/run.py`"
        f"{' --quick' if report['quick'] else ''}. Each part's own JSON has every number.", "",
        REAL_VIDEO_NOTE, "",
    ]
    for name, result in report["parts"].items():
        lines += [f"## {name}", ""]
        if isinstance(result, dict) and isinstance(result.get("markdown"), str):
            lines.append(result["markdown"].strip())  # the part's own table
        else:
            lines += ["| measure | value |", "| --- | --- |"]
            lines += [f"| {label} | {value} |" for label, value in _rows("", result)]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats (a smoke run)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: " + ",".join([*PARTS, "e2e"]))
    args = parser.parse_args()
    skip = {part for part in args.skip.split(",") if part}
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
        "parts": {},
    }
    for name in PARTS:
        if name not in skip:
            print(f"benchmark: {name} ...", flush=True)
            report["parts"][name] = run_part(name, args.quick)
    if "e2e" not in skip:
        print("benchmark: end to end ...", flush=True)
        report["parts"]["end to end (videopose run on the sample)"] = end_to_end(args.quick)
    (BENCHMARKS / "results.json").write_text(json.dumps(report, indent=2))
    (BENCHMARKS / "results.md").write_text(render_markdown(report))
    print(render_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
