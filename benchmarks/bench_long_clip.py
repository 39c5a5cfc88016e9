"""Time and peak memory of `lift` and `retarget` on a one-hour clip (docs/reliability.md).

    python benchmarks/bench_long_clip.py [--minutes 60] [--out benchmarks/results/long_clip.json]

The clip is synthetic but made of real detections: the sample's keypoints
(samples/tfjs_pose_1.expected_keypoints.npz, 120 frames at 30 fps) played forwards and backwards
until it lasts ``--minutes`` (108,000 frames for an hour), so the motion stays continuous. Each stage
runs as its own `videopose` command in a fresh process (the shipped lifter weights, default options)
and reports its wall time and peak resident memory (``ru_maxrss``), file reading, checks and the
verified atomic write included. ``VIDEOPOSE_TREE=/path/to/checkout`` runs another checkout of the
code (the editable install is pointed there), to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLE_KEYPOINTS = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"

# Runs one CLI command and prints {"code", "seconds", "max_rss_mb"} as the last line.
_CHILD = """
import json, os, resource, sys, time
tree = os.environ.get("VIDEOPOSE_TREE")
if tree:
    import __editable___videopose_0_1_0_finder as finder
    finder.MAPPING.update({name: path.replace(os.environ["VIDEOPOSE_REPO"], tree) for name, path in finder.MAPPING.items()})
from videopose.cli import main
began = time.perf_counter()
code = main(sys.argv[1:])
print(json.dumps({"code": code, "seconds": time.perf_counter() - began,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def long_keypoints(minutes: float, path: Path) -> int:
    """Write the sample's keypoints played back and forth for ``minutes``; returns the frame count."""
    from videopose.core.formats import Keypoints2D

    sample = Keypoints2D.load(SAMPLE_KEYPOINTS)
    frames = int(round(minutes * 60 * sample.fps))
    cycle = np.r_[np.arange(sample.num_frames), np.arange(sample.num_frames - 2, 0, -1)]
    order = np.resize(cycle, frames)
    Keypoints2D(sample.keypoints[order], sample.scores[order], sample.layout, sample.fps, sample.width,
                sample.height).save(path)
    return frames


def measure(argv: list[str]) -> dict:
    env = {**os.environ, "VIDEOPOSE_REPO": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, env=env,
                          cwd=os.environ.get("VIDEOPOSE_TREE", REPO), timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result['code']}:\n{done.stderr[-2000:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "long_clip.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        frames = long_keypoints(args.minutes, work / "hour.keypoints.npz")
        stages = {
            "lift": ["lift", str(work / "hour.keypoints.npz"), "-o", str(work / "hour.motion.npz"), "-q"],
            "retarget_bvh": ["retarget", str(work / "hour.motion.npz"), "-o", str(work / "hour.bvh"), "-q"],
            "retarget_npz": ["retarget", str(work / "hour.motion.npz"), "-o", str(work / "hour.npz"), "-q"],
        }
        results = {}
        for name, argv in stages.items():
            results[name] = measure(argv)
            output = Path(argv[3])
            results[name]["output_mb"] = output.stat().st_size / 2**20
            print(f"{name}: {results[name]['seconds']:.1f} s, peak {results[name]['max_rss_mb']:.0f} MB, "
                  f"output {results[name]['output_mb']:.1f} MB", flush=True)
    report = {"minutes": args.minutes, "frames": frames, "fps": 30.0, "tree": os.environ.get("VIDEOPOSE_TREE", str(REPO)),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "stages": results}
    from videopose.core.fileio import atomic_output

    with atomic_output(args.out) as temporary:
        temporary.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
