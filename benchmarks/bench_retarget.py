"""Retargeting throughput (frames/s, 17 joints) and foot sliding with and without foot locking.

    python benchmarks/bench_retarget.py [--quick] [--frames N] [--out FILE.json] [--plot FILE.png]

Measures on a synthetic clip (FK of smooth random rotations, seen by a tilted camera, 1 cm noise):
  - ``solve``: :func:`videopose.retarget.solve.solve_animation` (bone lengths, world frame, rotations, root);
  - the whole :func:`videopose.retarget.pipeline.retarget_motion` with foot lock and smoothing on/off;
  - the baseline, measured in the same run: the same solve called frame by frame in a Python loop
    (what a naive implementation does) on a subset of frames.
Times are the best of ``--repeats`` runs (least disturbed by other load). Then, on a real CMU walk
(``../shared/mocap/cmu/cc/005/005_01.bvh`` when present, else the synthetic walk) with 1 cm of
lifter-like noise, foot sliding during detected contact (mm per frame) with and without locking, and
a figure of ankle height and speed over time with the contact spans. Writes JSON, prints markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "helpers"))  # synthetic_motion: a test helper, not in the wheel

from videopose.retarget.contact import foot_sliding, point_speeds  # noqa: E402
from videopose.retarget.pipeline import RetargetOptions, retarget_motion  # noqa: E402
from videopose.retarget.solve import solve_animation  # noqa: E402
from synthetic_motion import random_smooth_motion, to_camera, walking_motion  # noqa: E402
from videopose.core.formats import Motion3D  # noqa: E402
from videopose.core.layouts import H36M17  # noqa: E402

ANKLES = [H36M17.index("left_ankle"), H36M17.index("right_ankle")]


def best_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def per_frame_baseline(motion: Motion3D, frames: int) -> float:
    """Seconds per frame of the same solve run one frame at a time (a 2-frame clip per call: the minimum)."""
    joints, trajectory = motion.joints_3d[:frames], motion.trajectory[:frames]
    began = time.perf_counter()
    for frame in range(frames - 1):
        solve_animation(Motion3D(joints[frame:frame + 2], motion.fps, trajectory=trajectory[frame:frame + 2]))
    return (time.perf_counter() - began) / (frames - 1)


def throughput(frames: int, repeats: int, baseline_frames: int) -> dict:
    motion = to_camera(random_smooth_motion(frames, seed=0), noise_m=0.01)
    rows = {"solve": best_seconds(lambda: solve_animation(motion), repeats)}
    for foot_lock in (False, True):
        for smooth in (0.0, 1.0):
            name = f"pipeline lock={'on' if foot_lock else 'off'} smooth={smooth:g}"
            options = RetargetOptions(foot_lock=foot_lock, smooth=smooth)
            rows[name] = best_seconds(lambda: retarget_motion(motion, options), repeats)
    baseline = per_frame_baseline(motion, baseline_frames)
    result = {name: {"seconds": seconds, "frames_per_second": frames / seconds,
                     "speedup_vs_baseline": (frames / seconds) * baseline} for name, seconds in rows.items()}
    result["baseline per-frame loop"] = {"seconds": baseline * frames, "frames_per_second": 1.0 / baseline,
                                         "speedup_vs_baseline": 1.0, "measured_frames": baseline_frames}
    return result


def walk_motion(shared: Path) -> tuple[Motion3D, str]:
    clip = shared / "mocap" / "cmu" / "cc" / "005" / "005_01.bvh"
    if clip.is_file():
        from videopose.lifter.mocap import mocap_points
        from videopose.core.bvh import read_bvh

        animation = read_bvh(clip)
        return to_camera(mocap_points(animation)[:, :17], animation.fps, noise_m=0.01, seed=1), "CMU cc/005/005_01 (walk)"
    world, _ = walking_motion(150)
    return to_camera(world, noise_m=0.01, seed=1), "synthetic walk"


def sliding(motion: Motion3D) -> tuple[dict, dict]:
    free = retarget_motion(motion, RetargetOptions(foot_lock=False))
    locked = retarget_motion(motion, RetargetOptions(foot_lock=True))
    contacts = free.contacts
    ankles = {"without lock": free.world_positions()[:, ANKLES], "with lock": locked.world_positions()[:, ANKLES]}
    numbers = {name: foot_sliding(positions, contacts) * 1000 for name, positions in ankles.items()}
    numbers["reduction"] = 1 - numbers["with lock"] / numbers["without lock"]
    numbers["contact_fraction_left_right"] = contacts.mean(axis=0).round(3).tolist()
    return numbers, {"ankles": ankles, "contacts": contacts, "fps": motion.fps}


def plot(series: dict, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    time_s = np.arange(len(series["contacts"])) / series["fps"]
    figure, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True)
    for column, side in enumerate(("left", "right")):
        contact = series["contacts"][:, column]
        for row in range(2):
            ax = axes[row, column]
            edges = np.flatnonzero(np.diff(np.concatenate([[0], contact.astype(int), [0]])))
            for start, stop in zip(edges[::2], edges[1::2]):
                ax.axvspan(time_s[start], time_s[stop - 1], color="tab:green", alpha=0.15, lw=0)
            for name, style in (("without lock", "tab:red"), ("with lock", "tab:blue")):
                ankle = series["ankles"][name][:, column]
                value = ankle[:, 2] * 100 if row == 0 else np.r_[0, np.linalg.norm(np.diff(ankle[:, :2], axis=0), axis=1) * 1000]
                ax.plot(time_s, value, color=style, lw=1.2, label=name)
            ax.set_ylabel("ankle height (cm)" if row == 0 else "horizontal step (mm/frame)")
            if row == 1:
                ax.set_xlabel("time (s)")
                ax.set_ylim(0, 40)
        axes[0, column].set_title(f"{side} foot (green: detected contact)")
    axes[0, 0].legend(loc="upper right")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats (a few seconds)")
    parser.add_argument("--frames", type=int, default=None, help="frames in the throughput clip (default 20000, quick 3000)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "retarget.json")
    parser.add_argument("--plot", type=Path, default=REPO / "benchmarks" / "results" / "retarget_sliding.png")
    args = parser.parse_args()
    frames = args.frames or (3000 if args.quick else 20000)
    repeats = args.repeats or (2 if args.quick else 5)
    shared = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared"))

    rates = throughput(frames, repeats, 100 if args.quick else 300)
    plot_name = os.path.relpath(args.plot.resolve(), (REPO / "benchmarks").resolve())  # as results.md links it
    motion, clip_name = walk_motion(shared)
    slide, series = sliding(motion)
    plot(series, f"Foot locking on {clip_name} + 1 cm noise: sliding during contact "
                 f"{slide['without lock']:.2f} -> {slide['with lock']:.2f} mm/frame", args.plot)
    lines = [f"| retargeting, {frames} frames x 17 joints | frames/s | x baseline |", "|---|---:|---:|"]
    lines += [f"| {name} | {row['frames_per_second']:,.0f} | {row['speedup_vs_baseline']:,.0f} |" for name, row in rates.items()]
    lines += ["", f"| foot sliding during contact ({clip_name}, 1 cm noise) | mm/frame |", "|---|---:|",
              f"| without foot lock | {slide['without lock']:.2f} |", f"| with foot lock | {slide['with lock']:.2f} |",
              f"| reduction | {slide['reduction']:.0%} |", "", f"![foot sliding]({plot_name})"]
    markdown = "\n".join(lines)
    result = {"frames": frames, "repeats": repeats, "joints": 17, "machine": platform.processor() or platform.machine(),
              "cpu_count": os.cpu_count(), "throughput": rates, "sliding_mm_per_frame": slide, "sliding_clip": clip_name,
              "plot": plot_name, "markdown": markdown}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown)
    print(f"\nwrote {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
