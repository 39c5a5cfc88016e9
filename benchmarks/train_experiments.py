"""The paper's two training findings on our mocap, at a CPU-sized scale (docs/training.md).

1. Temporal gain (Pavllo et al., Sec. 5, Table 5): an 81-frame model (filter widths 3,3,3,3) against
   a single-frame model (widths 1,1,1,1: receptive field 1, same depth and channels), same steps.
2. Semi-supervised (Sec. 4, Fig. 5): labelled fractions 5%, 10%, 25%, 100% of the training frames,
   supervised only against ``--semi`` (the remaining clips as unlabelled 2D), same steps.

Every run trains with :func:`videopose.lifter.train.train` and is scored with :func:`videopose.lifter.evaluate.evaluate`
on the validation clips (fixed cameras, seed 0) with clean and with detector-like 2D. Finished runs
are cached in ``--work`` (``result.json`` per run), so re-running only does what is missing.

    nice -n 10 python benchmarks/train_experiments.py            # ~30 min of one CPU core
    python benchmarks/train_experiments.py --report-only         # tables and plot from the JSON

Writes benchmarks/results/training_experiments.{json,md,png}.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
FRACTIONS = (0.05, 0.10, 0.25, 1.0)
TEMPORAL_WIDTHS = (3, 3, 3, 3)  # receptive field 81
SINGLE_FRAME_WIDTHS = (1, 1, 1, 1)  # receptive field 1, same depth


@dataclass(frozen=True)
class Run:
    name: str
    filter_widths: tuple[int, ...]
    labeled_fraction: float = 1.0
    semi: bool = False


def planned_runs() -> list[Run]:
    """Experiment 1 first, then each fraction supervised/semi side by side (useful when cut short).

    The 100% supervised run is also the 81-frame run of experiment 1; at 100% there is nothing
    unlabelled, so semi-supervised equals supervised there.
    """
    runs = [Run("single_frame", SINGLE_FRAME_WIDTHS), Run("supervised_100", TEMPORAL_WIDTHS)]
    for fraction in FRACTIONS[:-1]:
        runs.append(Run(f"supervised_{int(fraction * 100):03d}", TEMPORAL_WIDTHS, fraction))
        runs.append(Run(f"semi_{int(fraction * 100):03d}", TEMPORAL_WIDTHS, fraction, semi=True))
    return runs


def run_one(run: Run, args: argparse.Namespace, dataset) -> dict:
    """Train ``run`` (or read its cached result) -> metrics dict."""
    from videopose.lifter.evaluate import evaluate
    from videopose.lifter.train import TrainConfig, train

    directory = Path(args.work) / run.name
    cached = directory / "result.json"
    if cached.exists():
        return json.loads(cached.read_text())
    config = TrainConfig(
        data=str(args.data), output_dir=str(directory), epochs=args.epochs, filter_widths=run.filter_widths,
        channels=args.channels, steps_per_epoch=args.steps_per_epoch, cameras_per_clip=args.cameras_per_clip,
        noise="detector", semi=run.semi, labeled_fraction=run.labeled_fraction, warmup_epochs=args.warmup_epochs,
        seed=args.seed, threads=args.threads, device="cpu",
    )
    start = time.time()
    summary = train(config, dataset=dataset)
    seconds = time.time() - start
    result = {"name": run.name, "filter_widths": list(run.filter_widths), "labeled_fraction": run.labeled_fraction,
              "semi": run.semi, "train_frames": summary["train_frames"], "train_seconds": round(seconds, 1),
              "threads": args.threads,
              "best_epoch": summary["best"]["epoch"]}
    for noise in ("none", "detector"):
        overall = evaluate(directory / "best.pt", dataset, noise=noise, device="cpu").overall
        result[noise] = {key: round(value, 2) for key, value in overall.items() if key.endswith("_mm")}
    cached.write_text(json.dumps(result, indent=2))
    return result


def markdown_tables(results: dict[str, dict], settings: dict) -> str:
    def metrics(row: dict, noise: str) -> str:
        values = row[noise]
        return f"{values['mpjpe_mm']:.1f} | {values['p_mpjpe_mm']:.1f} | {values['mpjve_mm']:.2f}"

    def mpjpe_and_p_mpjpe(row: dict | None, noise: str, absent: str) -> str:
        return f"{row[noise]['mpjpe_mm']:.1f} / {row[noise]['p_mpjpe_mm']:.1f}" if row else absent

    threads = sorted({str(row.get("threads", "?")) for row in results.values()})

    lines = [
        f"Settings: {settings['channels']} channels, {settings['epochs']} epochs x {settings['steps_per_epoch']} steps "
        f"of 1024 frames, detector-like training noise, {settings['cameras_per_clip']} cameras per clip per epoch, "
        f"seed {settings['seed']}, CPU ({' or '.join(threads)} thread{'' if threads == ['1'] else 's'} per run). Validation clips, 2 fixed cameras each (seed 0), test-time flip. "
        "MPJPE / P-MPJPE in mm, MPJVE in mm per frame.",
        "",
        "**Temporal gain** (same steps, same channels and depth)",
        "",
        "| model | receptive field | clean MPJPE | clean P-MPJPE | clean MPJVE | noisy MPJPE | noisy P-MPJPE | noisy MPJVE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label, field in (("single_frame", "single frame (1,1,1,1)", 1), ("supervised_100", "temporal (3,3,3,3)", 81)):
        if name in results:
            row = results[name]
            lines.append(f"| {label} | {field} | {metrics(row, 'none')} | {metrics(row, 'detector')} |")
    lines += [
        "",
        "**Semi-supervised** (validation MPJPE / P-MPJPE in mm; the unlabelled clips are the other training clips, "
        "3D dropped)",
        "",
        "| labelled fraction | labelled frames | supervised clean | semi clean | supervised noisy | semi noisy |",
        "|---|---|---|---|---|---|",
    ]
    for fraction in FRACTIONS:
        supervised = results.get(f"supervised_{int(fraction * 100):03d}")
        semi = results.get(f"semi_{int(fraction * 100):03d}")
        if supervised is None:
            continue
        absent = "(same)" if fraction == 1 else "not run"  # at 100% nothing is unlabelled
        cells = [mpjpe_and_p_mpjpe(supervised, "none", absent), mpjpe_and_p_mpjpe(semi, "none", absent),
                 mpjpe_and_p_mpjpe(supervised, "detector", absent), mpjpe_and_p_mpjpe(semi, "detector", absent)]
        lines.append(f"| {fraction:.0%} | {supervised['train_frames']} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    names = [("single_frame", "single frame"), ("supervised_100", "81 frames")]
    present = [(name, label) for name, label in names if name in results]
    for offset, (noise, colour) in enumerate((("none", "tab:blue"), ("detector", "tab:orange"))):
        left.bar([i + offset * 0.38 for i in range(len(present))],
                 [results[name][noise]["mpjve_mm"] for name, _ in present], width=0.38, color=colour,
                 label=f"MPJVE, {'clean' if noise == 'none' else 'detector-like'} 2D")
    left.set_xticks([i + 0.19 for i in range(len(present))], [label for _, label in present])
    left.set_ylabel("mm per frame")
    left.set_title("temporal gain: velocity error")
    left.legend()
    for semi, style in ((False, "o-"), (True, "s--")):
        xs, ys = [], []
        for fraction in FRACTIONS:
            name = f"{'semi' if semi and fraction < 1 else 'supervised'}_{int(fraction * 100):03d}"
            if name in results:
                xs.append(fraction * 100)
                ys.append(results[name]["none"]["mpjpe_mm"])
        right.plot(xs, ys, style, label="semi-supervised" if semi else "supervised only")
    right.set_xscale("log")
    right.set_xticks([5, 10, 25, 100], ["5%", "10%", "25%", "100%"])
    right.set_xlabel("labelled fraction of training frames")
    right.set_ylabel("validation MPJPE (mm, clean 2D)")
    right.set_title("semi-supervised training")
    right.grid(alpha=0.3)
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(results: dict[str, dict], settings: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "training_experiments.json").write_text(json.dumps({"settings": settings, "runs": results}, indent=2))
    (RESULTS / "training_experiments.md").write_text(markdown_tables(results, settings))
    plot(results, RESULTS / "training_experiments.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/vp/mocap.npz", help="dataset from `videopose prepare-data` (or a mocap folder)")
    parser.add_argument("--work", default="/tmp/vp/experiments", help="run folders (cached results)")
    parser.add_argument("--channels", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps-per-epoch", type=int, default=60)
    parser.add_argument("--cameras-per-clip", type=int, default=2)
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="run names to do (default: all)")
    parser.add_argument("--report-only", action="store_true", help="only rewrite tables and plot from the JSON")
    args = parser.parse_args(argv)
    settings = {key: getattr(args, key) for key in ("channels", "epochs", "steps_per_epoch", "cameras_per_clip",
                                                    "warmup_epochs", "seed", "threads")}
    if args.report_only:
        stored = json.loads((RESULTS / "training_experiments.json").read_text())
        write_report(stored["runs"], stored["settings"])
        return 0

    from videopose.lifter.datasets import load_training_data

    dataset = load_training_data(args.data)
    results: dict[str, dict] = {}
    for run in planned_runs():
        if args.only and run.name not in args.only:
            continue
        print(f"[{time.strftime('%H:%M:%S')}] {run.name} ...", flush=True)
        results[run.name] = run_one(run, args, dataset)
        print(f"  {json.dumps(results[run.name])}", flush=True)
        write_report(results, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
