"""Lifting throughput (frames/s) of the temporal models next to the bound their arithmetic allows.

    python benchmarks/bench_lift.py [--frames N] [--out benchmarks/results_lift.json] [--threads T] [--quick]

For each model (receptive field 27/81/243 frames, 1024 and 256 channels) it measures
  - the model's forward pass over one long sequence (no flip), in output frames per second;
  - ``lift_keypoints`` end to end with flip augmentation (two passes, padding, normalisation);
  - the bound: this machine's float32 matmul rate (``torch.matmul`` on 2048x2048 matrices, same
    threads) divided by the model's FLOPs per output frame (2 x multiply-adds of the convolutions of
    the dilated model on a long sequence, where each layer computes about one column per frame).
The same on CUDA when a GPU is present (TF32 off, so both the bound and the models are float32).
Times are the best of ``--repeats`` runs (the least disturbed by other load on the machine).
A model can beat its "bound" where PyTorch's convolutions (oneDNN kernels) run faster than its
matmul (MKL sgemm, slower on AMD CPUs), or where other load disturbed the matmul measurement (it is
measured again after the models: compare ``matmul_gflops`` and ``matmul_gflops_after``).
Writes JSON and prints a markdown table.
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
import torch

REPO = Path(__file__).resolve().parents[1]

from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model  # noqa: E402
from videopose.lifter.infer import lift_keypoints  # noqa: E402
from videopose.core.formats import Keypoints2D  # noqa: E402

MODELS = [((3, 3, 3), 1024), ((3, 3, 3, 3), 1024), ((3, 3, 3, 3, 3), 1024),
          ((3, 3, 3), 256), ((3, 3, 3, 3), 256), ((3, 3, 3, 3, 3), 256)]


def convolution_macs_per_frame(config: LifterConfig, joints_in: int = 17, joints_out: int = 17) -> int:
    """Multiply-adds per output frame of the dilated model on a long sequence."""
    channels, widths = config.channels, config.filter_widths
    macs = joints_in * config.in_features * channels * widths[0]  # expand_conv
    for width in widths[1:]:
        macs += channels * channels * width + channels * channels  # dilated conv + 1x1 conv
    return macs + channels * joints_out * 3  # shrink


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def best_seconds(work, device: torch.device, repeats: int) -> float:
    work()  # warm-up (allocations, kernel selection)
    _synchronize(device)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        _synchronize(device)
        times.append(time.perf_counter() - began)
    return min(times)


def matmul_flops_per_second(device: torch.device, sizes: tuple[int, ...], repeats: int) -> float:
    """The best float32 ``torch.matmul`` rate over square sizes: the machine's attainable FLOP/s."""
    rates = []
    for size in sizes:
        left, right = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
        rates.append(2 * size ** 3 / best_seconds(lambda: torch.matmul(left, right), device, repeats))
    return max(rates)


def _clip(frames: int) -> Keypoints2D:
    rng = np.random.default_rng(0)
    points = rng.uniform(100, 500, (17, 2)) + 20 * np.sin(np.arange(frames)[:, None, None] / 9.0)
    return Keypoints2D(points, np.ones((frames, 17)), "coco17", 30.0, 640, 480)


def measure(device: torch.device, frames: int, repeats: int, matmul_rate: float) -> list[dict]:
    rows = []
    clip = _clip(frames)
    for widths, channels in MODELS:
        config = LifterConfig(widths, channels=channels)
        model = build_model(config).eval().to(device)
        inputs = torch.randn(1, frames + config.receptive_field - 1, 17, 2, device=device)
        with torch.inference_mode():
            model_seconds = best_seconds(lambda: model(inputs), device, repeats)
        checkpoint = LifterCheckpoint(config, {k: v.cpu() for k, v in model.state_dict().items()})
        lift_seconds = best_seconds(lambda: lift_keypoints(clip, checkpoint, device=device.type, flip=True), device, repeats)
        flops = 2 * convolution_macs_per_frame(config)
        bound = matmul_rate / flops
        rows.append({
            "name": f"{config.receptive_field} frames x {channels} channels ({device.type})",
            "receptive_field": config.receptive_field, "channels": channels, "device": device.type,
            "parameters_millions": round(sum(p.numel() for p in model.parameters()) / 1e6, 3),
            "mflop_per_frame": round(flops / 1e6, 2),
            "bound_frames_per_s": round(bound),
            "model_frames_per_s": round(frames / model_seconds),
            "fraction_of_bound": round(frames / model_seconds / bound, 3),
            "lift_flip_frames_per_s": round(frames / lift_seconds),
        })
        print(f"  {rows[-1]['name']}: {rows[-1]['model_frames_per_s']:,} frames/s "
              f"(bound {rows[-1]['bound_frames_per_s']:,})", file=sys.stderr, flush=True)
    return rows


def render_markdown(report: dict) -> str:
    lines = [
        f"Lifting throughput, {report['frames']:,}-frame clip, best of {report['repeats']}; "
        f"CPU: {report['cpu']['threads']} threads, float32 matmul {report['cpu']['matmul_gflops']:.1f} GFLOP/s "
        f"({report['cpu']['matmul_gflops_after']:.1f} after the models)"
        + (f"; CUDA ({report['cuda']['name']}): matmul {report['cuda']['matmul_gflops']:.0f} GFLOP/s" if report.get("cuda")
           else "; no CUDA GPU on this machine (GPU rows appear when one is present)"),
        "",
        "| model | device | params (M) | MFLOP/frame | bound frames/s | model frames/s | of bound | lift with flip frames/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['receptive_field']} frames, {row['channels']} ch | {row['device']} | {row['parameters_millions']:.2f} | "
            f"{row['mflop_per_frame']:.1f} | {row['bound_frames_per_s']:,} | {row['model_frames_per_s']:,} | "
            f"{row['fraction_of_bound']:.0%} | {row['lift_flip_frames_per_s']:,} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=10_000, help="clip length in frames (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement; the best counts")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 frames, 1 repeat")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results_lift.json")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.repeats = min(args.frames, 1000), 1
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    cpu_rate = matmul_flops_per_second(cpu, (2048, 4096), args.repeats)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "frames": args.frames, "repeats": args.repeats,
        "cpu": {"threads": torch.get_num_threads(), "matmul_gflops": round(cpu_rate / 1e9, 2)},
        "results": measure(cpu, args.frames, args.repeats, cpu_rate),
    }
    # Measured again after the models: on a shared machine the first figure may have been disturbed.
    cpu_rate_after = matmul_flops_per_second(cpu, (2048, 4096), args.repeats)
    report["cpu"]["matmul_gflops_after"] = round(cpu_rate_after / 1e9, 2)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        gpu = torch.device("cuda")
        gpu_rate = matmul_flops_per_second(gpu, (4096, 8192), args.repeats)
        report["cuda"] = {"name": torch.cuda.get_device_name(0), "matmul_gflops": round(gpu_rate / 1e9, 1)}
        report["results"] += measure(gpu, args.frames, args.repeats, gpu_rate)
    report["markdown"] = render_markdown(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(report["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
