"""Blender add-on figures: keying an action in bulk vs ``keyframe_insert``, FBX export, file sizes.

    python benchmarks/bench_blender.py [--quick] [--frames N] [--out FILE.json]

In the ``bpy`` module, run in a subprocess with HOME in a temporary folder (``import bpy`` writes there):
  - import: :func:`videopose.addon.armature.import_animation` of an Animation of ``--frames`` (10,000) frames x 17
    bones (armature + action, keys by ``keyframe_points.add`` + ``foreach_set``), best of ``--repeats``;
  - baseline, measured in the same run: the ``keyframe_insert`` way (pose each bone, insert one key per
    channel per frame) on the first N frames only, since it takes minutes for 10,000; its time is
    extrapolated linearly to ``--frames`` (a lower bound: inserting into a longer F-curve costs a little
    more per key). Both ways' keys are compared to show they hold the same values;
  - FBX export of the clip through Blender's exporter (each preset bakes every frame), and the
    ``.fbx`` / ``.blend`` file sizes.
Writes JSON (with a ``markdown`` table that ``benchmarks/run.py`` shows) and prints the table.
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

REPO = Path(__file__).resolve().parents[1]

_WORKER = r'''
import json, sys, time
from pathlib import Path
import numpy as np
import bpy

sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]) / "tests" / "addon")]
from synthetic import smooth_animation
from videopose.addon import armature
from videopose.addon.fbx import get_fbx_writer
from videopose.addon.headless import export_animation_file

frames, baseline_frames, repeats, folder = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
animation = smooth_animation(frames, 30.0, seed=0)
results = {"frames": frames, "bones": animation.skeleton.num_joints}

def clear():
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    for collection in (bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)

def channels(action):
    bag = action.layers[0].strips[0].channelbags[0]
    out = {}
    for fcurve in bag.fcurves:
        values = np.empty(2 * len(fcurve.keyframe_points), dtype=np.float32)
        fcurve.keyframe_points.foreach_get("co", values)
        out[(fcurve.data_path, fcurve.array_index)] = values.reshape(-1, 2)
    return out

# 1. Bulk import (armature + action), the add-on's way.
times = []
for _ in range(repeats):
    clear()
    began = time.perf_counter()
    result = armature.import_animation(bpy.context, animation, "bench")
    times.append(time.perf_counter() - began)
results["import_seconds"] = min(times)
bulk = channels(result.action)
results["keys"] = int(sum(len(v) for v in bulk.values()))

# 2. The keyframe_insert way on the first baseline_frames frames, on the same armature and values.
rig = result.armature
rig.animation_data.action = None
names = {key[0].split('"')[1] for key in bulk}
began = time.perf_counter()
for frame in range(baseline_frames):
    for name in names:
        pose_bone = rig.pose.bones[name]
        path = f'pose.bones["{name}"]'
        pose_bone.rotation_quaternion = [float(bulk[(path + ".rotation_quaternion", i)][frame, 1]) for i in range(4)]
        pose_bone.keyframe_insert("rotation_quaternion", frame=frame + 1, group=name)
        if (path + ".location", 0) in bulk:
            pose_bone.location = [float(bulk[(path + ".location", i)][frame, 1]) for i in range(3)]
            pose_bone.keyframe_insert("location", frame=frame + 1, group=name)
baseline = time.perf_counter() - began
inserted = channels(rig.animation_data.action)
results["keyframe_insert_frames"] = baseline_frames
results["keyframe_insert_seconds"] = baseline
results["keyframe_insert_same_keys"] = bool(
    inserted.keys() == bulk.keys()
    and all(np.abs(inserted[key] - bulk[key][:baseline_frames]).max() < 1e-6 for key in bulk))

# 3. FBX export and file sizes.
times = []
for preset in ("blender", "unity"):
    began = time.perf_counter()
    path = get_fbx_writer().write(animation, folder / f"bench_{preset}.fbx", preset)
    results[f"fbx_export_seconds_{preset}"] = time.perf_counter() - began
    results[f"fbx_bytes_{preset}"] = path.stat().st_size
began = time.perf_counter()
results["blend_bytes"] = export_animation_file(animation, folder / "bench.blend").stat().st_size
results["blend_write_seconds"] = time.perf_counter() - began
print("@@RESULT@@" + json.dumps(results), flush=True)
'''


def measure(frames: int, baseline_frames: int, repeats: int) -> dict:
    """Run the measurements in a fresh Python with HOME in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench_blender_") as folder:
        completed = subprocess.run(
            [sys.executable, "-c", _WORKER, str(REPO), str(frames), str(baseline_frames), str(repeats), folder],
            cwd=REPO, capture_output=True, text=True, env={**os.environ, "HOME": folder},
        )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("@@RESULT@@")]
    if completed.returncode != 0 or not lines:
        raise SystemExit(f"bench_blender worker failed:\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1][len("@@RESULT@@"):])


def summarise(raw: dict) -> dict:
    frames, baseline_frames = raw["frames"], raw["keyframe_insert_frames"]
    extrapolated = raw["keyframe_insert_seconds"] * frames / baseline_frames
    summary = {
        **raw,
        "keyframe_insert_seconds_extrapolated": extrapolated,
        "speedup": extrapolated / raw["import_seconds"],
        "import_frames_per_second": frames / raw["import_seconds"],
        "fbx_export_seconds_per_1000_frames": 1000 * raw["fbx_export_seconds_blender"] / frames,
    }
    mib = 1024 * 1024
    rows = [
        (f"import {frames:,} frames x {raw['bones']} bones (armature + action, `foreach_set`)",
         f"{raw['import_seconds']:.3f} s ({summary['import_frames_per_second']:,.0f} frames/s, {raw['keys']:,} keys)"),
        (f"`keyframe_insert` per frame (baseline), measured on {baseline_frames:,} frames",
         f"{raw['keyframe_insert_seconds']:.2f} s; same keys: {'yes' if raw['keyframe_insert_same_keys'] else 'NO'}"),
        (f"`keyframe_insert` extrapolated to {frames:,} frames (linear, a lower bound)", f"{extrapolated:.1f} s"),
        ("speed-up of `foreach_set` over `keyframe_insert`", f"{summary['speedup']:,.0f}x"),
        (f"FBX export, {frames:,} frames, preset blender / unity",
         f"{raw['fbx_export_seconds_blender']:.2f} s / {raw['fbx_export_seconds_unity']:.2f} s "
         f"({summary['fbx_export_seconds_per_1000_frames']:.2f} s per 1,000 frames)"),
        ("`.fbx` size, preset blender / unity (every frame baked, 17 bones)",
         f"{raw['fbx_bytes_blender'] / mib:.2f} MiB / {raw['fbx_bytes_unity'] / mib:.2f} MiB"),
        ("`.blend` size (armature + action only)", f"{raw['blend_bytes'] / mib:.2f} MiB "
                                                    f"(written in {raw['blend_write_seconds']:.2f} s)"),
    ]
    summary["markdown"] = "\n".join(["| measure | value |", "| --- | --- |", *(f"| {a} | {b} |" for a, b in rows)])
    summary["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: smaller baseline, one repeat")
    parser.add_argument("--frames", type=int, default=10_000, help="frames of the imported clip (default 10,000)")
    parser.add_argument("--baseline-frames", type=int, default=None,
                        help="frames keyed the keyframe_insert way (default 1,000; 200 with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="best of N imports (default 3; 1 with --quick)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    baseline_frames = min(args.frames, args.baseline_frames or (200 if args.quick else 1000))
    repeats = args.repeats or (1 if args.quick else 3)
    summary = summarise(measure(args.frames, baseline_frames, repeats))
    summary["quick"] = args.quick
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2))
    print(summary["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
