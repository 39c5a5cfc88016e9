"""Export a training run as the shipped weights, evaluate them and write the model card.

    python benchmarks/export_default.py                       # /tmp/vp/runs/default -> lifter/weights/
    python benchmarks/export_default.py --run RUN --out /tmp/x/default.pt --results-dir /tmp/x

Copies the run's ``best.pt`` (the epoch with the lowest validation MPJPE) to ``--out``, evaluates the
copy on the validation clips of the run's own dataset and split (``videopose.lifter.evaluate``: the fixed
evaluation camera set, 2 cameras per clip, seed 0, test-time flip) with clean 2D and with detector-like 2D
(the same cameras), and writes
``MODEL_CARD.md`` next to it, plus ``training_default.{json,md}`` in ``--results-dir`` (the md is the
table for docs/training.md), and the run's ``curves.png`` / ``log.csv`` as
``training_default_curves.png`` / ``training_default_log.csv``. ``--real-video JSON`` (written by
``benchmarks/train_real_video_compare.py``) adds the real-video P-MPJPE per camera to the card. The card
names no path of the machine it was made on (run folder and dataset by their names only).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def read_log(run: Path) -> list[dict[str, float]]:
    """log.csv -> rows of floats (one per finished epoch)."""
    with open(run / "log.csv", newline="") as stream:
        return [{key: float(value) for key, value in row.items() if value not in ("", None)} for row in csv.DictReader(stream)]


def cpu_description() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({model})"


def dataset_summary(dataset) -> dict:
    """Clip/frame counts per split and skeleton type of a MocapDataset."""
    from videopose.lifter.datasets import VALIDATION_DAZ_CLIPS, VALIDATION_SUBJECTS, split_dataset

    train, validation = split_dataset(dataset)

    def counts(part) -> dict:
        by_type: dict[str, dict[str, float]] = {}
        for clip in part.clips:
            entry = by_type.setdefault(clip.skeleton, {"clips": 0, "frames": 0, "minutes": 0.0})
            entry["clips"] += 1
            entry["frames"] += int(clip.points.shape[0])
            entry["minutes"] += clip.points.shape[0] / clip.fps / 60
        for entry in by_type.values():
            entry["minutes"] = round(entry["minutes"], 1)
        return {"clips": len(part.clips), "frames": part.num_frames, "by_skeleton": by_type}

    return {"train": counts(train), "validation": counts(validation),
            "validation_rule": f"subjects {', '.join(VALIDATION_SUBJECTS)} and clips {', '.join(VALIDATION_DAZ_CLIPS)}",
            "validation_clips": [clip.name for clip in validation.clips]}


def minutes_summary(dataset) -> dict:
    """Minutes of motion per source folder, for the training and the validation part."""
    from videopose.lifter.datasets import minutes_by_source, split_dataset

    train, validation = split_dataset(dataset)
    return {"train": {k: round(v, 2) for k, v in minutes_by_source(train).items()},
            "validation": {k: round(v, 2) for k, v in minutes_by_source(validation).items()}}


LICENCES = {
    "cmu": ("CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu): free for all uses. \"The data used in "
            "this project was obtained from mocap.cs.cmu.edu. The database was created with funding from NSF "
            "EIA-0196217.\""),
    "hdm05": ("HDM05 (Universität Bonn), Creative Commons Attribution-ShareAlike 3.0 Unported "
              "(https://creativecommons.org/licenses/by-sa/3.0/). \"The data used in this project was obtained "
              "from HDM05.\" M. Müller, T. Röder, M. Clausen, B. Eberhardt, B. Krüger, A. Weber: Documentation "
              "Mocap Database HDM05, Technical report CG-2007-2, Universität Bonn, June 2007 "
              "(http://resources.mpi-inf.mpg.de/HDM05/). These weights are derived from it and carry that licence "
              "and attribution."),
}


def _without_paths(config: dict) -> dict:
    """The training config with file paths reduced to their last name (no machine paths in the card)."""
    return {key: (Path(value).name if key in ("data", "output_dir") and isinstance(value, str) else value)
            for key, value in config.items()}


def real_video_table(results: dict, label: str) -> str:
    """P-MPJPE per camera of ``label`` (and of the other checkpoints) from train_real_video_compare.py."""
    lines = ["| checkpoint | 2D | " + " | ".join(next(iter(results["checkpoints"].values()))["cameras"]) + " |",
             "|---|---|" + "---|" * len(next(iter(results["checkpoints"].values()))["cameras"])]
    for name, entry in results["checkpoints"].items():
        for kind in ("detected", "clean"):
            cells = " | ".join(f"{row[kind]['p_mpjpe_mm']:.1f}" for row in entry["cameras"].values())
            lines.append(f"| {'**' + name + '**' if name == label else name} | {kind} | {cells} |")
    average = " | ".join(f"{row['detected']['average_pose_mm']:.0f}"
                         for row in results["checkpoints"][label]["cameras"].values())
    lines.append(f"| (average pose repeated, detected) | | {average} |")
    return "\n".join(lines)


def parameter_count(state) -> int:
    return int(sum(tensor.numel() for name, tensor in state.items() if tensor.is_floating_point() and "running" not in name))


def metrics_table(evaluations: dict[str, dict]) -> str:
    lines = ["| 2D input | MPJPE | MPJPE without pelvis | P-MPJPE | N-MPJPE | MPJVE (mm/frame) | trajectory | trajectory depth |",
             "|---|---|---|---|---|---|---|---|"]
    for noise, label in (("none", "clean (exact projection)"), ("detector", "detector-like noise")):
        overall = evaluations[noise]
        trajectory = (f"{overall['trajectory_mm']:.0f} | {overall['trajectory_depth_mm']:.0f}"
                      if "trajectory_mm" in overall else "- | -")
        no_pelvis = f"{overall['mpjpe_no_pelvis_mm']:.1f}" if "mpjpe_no_pelvis_mm" in overall else "-"
        lines.append(f"| {label} | {overall['mpjpe_mm']:.1f} | {no_pelvis} | {overall['p_mpjpe_mm']:.1f} | {overall['n_mpjpe_mm']:.1f} "
                     f"| {overall['mpjve_mm']:.2f} | {trajectory} |")
    return "\n".join(lines)


def model_card(info: dict) -> str:
    from videopose.lifter.synthetic import BodyAugmentation, CameraSampling, DetectorNoise

    config, train_config, data, log = info["lifter_config"], info["train_config"], info["data"], info["training"]
    camera = CameraSampling()
    noise = DetectorNoise()
    bodies = BodyAugmentation()
    minutes = info["minutes"]
    minutes_line = lambda part: ", ".join(f"{name} {value:.2f} min" for name, value in minutes[part].items())  # noqa: E731
    guards = info["guards"]
    by_type = lambda part: ", ".join(  # noqa: E731
        f"{name}: {entry['clips']} clips, {entry['frames']} frames ({entry['minutes']} min)"
        for name, entry in sorted(data[part]["by_skeleton"].items()))
    finished = (f"all {log['epochs_done']} epochs" if log["epochs_done"] >= train_config["epochs"]
                else f"{log['epochs_done']} of the {train_config['epochs']} configured epochs (stopped early)")
    widths = "x".join(str(width) for width in config["filter_widths"])
    return f"""# Model card: videopose default lifter (`lifter/weights/default.pt`)

Generated by `python benchmarks/export_default.py` on {info['exported']} from the run `{Path(info['run']).name}`.

## What it is
A VideoPose3D temporal convolutional lifter (Pavllo et al., CVPR 2019): COCO-17 2D keypoints
(what `videopose detect` writes) over a window of **{info['receptive_field']} frames** -> the 17
Human3.6M joints in metres, camera frame, root-relative; plus the paper's **trajectory model** (same
architecture, one output: the pelvis position in the camera frame). Filter widths {widths},
{config['channels']} channels, dropout {config['dropout']}, {'causal' if config['causal'] else 'symmetric (non-causal)'},
{info['parameters']['pose']:,} + {info['parameters']['trajectory']:,} parameters (pose + trajectory),
float32, {info['file_mb']:.1f} MB. Loaded by default by `videopose lift`, `videopose run` and the add-on.

## Data
Real optical motion capture at 30 fps (`../shared/mocap`, its `clips.csv` and README): {data['total_clips']} clips,
{data['total_frames']} frames. CMU in three BVH conversions (`cmu/daz`: one Daz figure; `cmu/cc`: one
Character Creator figure; `cmu/asfbvh`: subject 16's own skeleton) and in its original ASF/AMC
(`cmu/asf`, subjects 01 and 03), and HDM05 in ASF/AMC (five actors): eight real bodies of 1.45-1.76 m
beside the two retargeted figures. BVH (`videopose/core/bvh.py`) and ASF/AMC (`videopose/core/asf_amc.py`)
-> world joints by forward kinematics -> H36M17 + five face points (`lifter/mocap.py`).

- Training: {data['train']['clips']} clips, {data['train']['frames']} frames; minutes per source: {minutes_line('train')}
  (by skeleton: {by_type('train')}).
- Validation (never trained on; split by subject, and by clip where the subject is unknown):
  {data['validation']['clips']} clips, {data['validation']['frames']} frames; minutes per source: {minutes_line('validation')};
  rule: {data['validation_rule']}.
- Licences: {LICENCES['cmu']} {LICENCES['hdm05']}
- **Bodies it has not seen**: with probability {bodies.probability:.0%} per view the performer gets a new
  standing height ({bodies.height_m[0]}-{bodies.height_m[1]} m) and per-part proportions (sd {bodies.proportion_sd:.0%}; thigh, shin,
  upper arm, forearm, torso, neck/head, hip and shoulder width) on top of the real skeletons.

The mocap has no video. The 2D input is rendered through **virtual cameras** (`lifter/synthetic.py`):
{train_config['cameras_per_clip']} fresh cameras per clip per epoch, any yaw, camera height
{camera.camera_height_m[0]}-{camera.camera_height_m[1]} m above the floor (kept when a camera steps back), pitch at most
{camera.max_pitch_deg:.0f} degrees, the whole path at least {camera.near_m} m in front of the camera, horizontal field of view
{camera.horizontal_fov_deg[0]:.0f}-{camera.horizontal_fov_deg[1]:.0f} degrees, the person {camera.person_fraction[0]:.0%}-{camera.person_fraction[1]:.0%}
of the image height, landscape/portrait/square image sizes, principal point jitter
{camera.principal_jitter:.0%} of the width, roll {camera.roll_deg:.0f} degrees, radial distortion on
{camera.distortion_probability:.0%} of cameras. **Detector-like noise** calibrated on MediaPipe
BlazePose detections of the real videos (`benchmarks/results/detector_noise.json`): per-joint white
jitter of 0.05-0.20% of the person's 2D size (median measured), scaled per sequence by
{noise.jitter_range[0]}-{noise.jitter_range[1]}x; a slow correlated offset of {noise.slow:.1%} of the size;
outliers ({noise.outlier_probability:.1%} of joints, {noise.outlier_size:.0%} of the size); dropped joints
({noise.drop_probability:.1%}, score 0, interpolated); short left/right swaps.

## Training
{info.get('command', '`bash benchmarks/train_default.sh`')} (`videopose train`, config below). The paper's recipe: Adam with
amsgrad, learning rate {train_config['learning_rate']} x {train_config['lr_decay']} per epoch, batch-norm momentum
{train_config['bn_momentum_start']} -> {train_config['bn_momentum_end']}, batches of {train_config['batch_size']} output frames,
flip augmentation, the strided single-frame training model; MPJPE loss; the trajectory model with
MPJPE weighted by 1/depth. Seed {train_config['seed']}. Supervised only (semi-supervised training is available
with `--semi`; see docs/training.md).

- Hardware: {info['hardware']}, torch {info['torch']}, {train_config['threads'] or 'all'} threads, no GPU;
  it shared the CPU with other work.
- Guards (`lifter/train.py`): {guards['skipped']} batches skipped (broken 2D, non-finite loss or gradients),
  {guards['dropped_views']} views dropped, {guards['rolled_back']} collapse roll-backs over the run.
- Trained {finished}, {log['hours']:.2f} hours of wall time ({log['seconds_per_epoch']:.0f} s per epoch);
  best validation epoch {log['best_epoch']} (these weights).
{info.get('history_section', '')}
```json
{json.dumps(_without_paths(train_config), indent=2)}
```

## Validation errors
{data['validation']['clips']} validation clips x {info['cameras_per_clip']} cameras of the fixed evaluation set (seed {info['seed']};
the same cameras for clean and detector-like 2D; `lifter/evaluate.py`),
{info['evaluations']['none']['frames']} frames, test-time flip; `videopose evaluate --checkpoint lifter/weights/default.pt
--data {Path(info['data_path']).name} [--noise detector]`. Millimetres (MPJVE: mm per frame at 30 fps);
trajectory: mean distance of the predicted pelvis from the true one, camera frame, and its depth part.

{metrics_table(info['evaluations'])}

These are errors on motion capture seen by virtual cameras, not on real video; they are not
comparable with the paper's Human3.6M numbers (other subjects, motions and cameras, and no
real detector). On real video expect larger errors, mostly from detection.
{info.get('real_video_section', '')}
## The turning weights
`lifter/weights/turning.pt`, blended in only where the picture shows the body turning over
(`lifter/turning.py`), has its own card: `lifter/weights/TURNING_MODEL_CARD.md`.

## Limitations
- **Absolute depth from one view is ambiguous**: the focal length of a video is unknown, and a
  large person far away looks like a small one near. The trajectory model guesses the distance from
  the person's 2D size with a typical body height, so its error is mostly depth (see the table); the
  root-relative pose is not affected by that. Use the trajectory for relative motion (walking,
  jumping), and fix the scale or the camera distance in the scene where it matters.
- Training motions are CMU's (walking, running, climbing, dance, martial arts, basketball, everyday
  actions) and HDM05's (depositing, grabbing high, hopping, jogging, kicking, lying down, sneaking,
  squatting, throwing); handstands, acrobatics and sitting on the floor are rare or absent.
  One person, whole body visible; heavy occlusion and cropped bodies are seen only as dropped joints.
- The 2D noise is synthetic (calibrated on six short videos); systematic detector errors (a limb
  placed consistently wrong) are only roughly modelled.
- Trained on a 2-core CPU: {config['channels']} channels and {info['receptive_field']} frames instead of the
  paper's 1024 channels and 243 frames, and few epochs.

## What a longer GPU run would improve
The paper's full configuration, 243 frames and 1024 channels (about 16 times the multiply-adds per
frame of these weights), with more epochs and more cameras per clip, is GPU work: on this 2-core CPU
it would take about a day. It should lower the errors: 4 times the channels give the model the capacity
the paper used, a 243-frame window smooths the motion (lower MPJVE)
and sees past short detector failures, and more epochs and cameras cover more viewpoints.
Semi-supervised training with real-video detections as the unlabelled part (`--semi`) would adapt
it to real 2D. Command:

    videopose train --data mocap.npz -o runs/gpu243 --filter-widths 3,3,3,3,3 --channels 1024 \
        --epochs 80 --cameras-per-clip 8 --noise detector --seed 1234 --device cuda
    python benchmarks/export_default.py --run runs/gpu243
"""


def export(run: Path, out: Path, results_dir: Path | None, card: Path, data: str | None, device: str,
           cameras_per_clip: int, seed: int, half: bool, quiet: bool, real_video: Path | None = None,
           history: Path | None = None) -> dict:
    import torch

    from videopose.lifter.checkpoint import LifterCheckpoint, load_checkpoint, save_checkpoint
    from videopose.lifter.datasets import load_training_data
    from videopose.lifter.evaluate import evaluate
    from videopose.core.errors import VideoposeError
    from videopose.core.fileio import atomic_output
    from videopose.core.progress import terminal_progress

    best_path = run / "best.pt"
    if not best_path.is_file():
        raise VideoposeError(f"{best_path} not found: train first (bash benchmarks/train_default.sh)")
    train_config = json.loads((run / "config.json").read_text())
    log = read_log(run)
    data_path = data or train_config["data"]
    dataset = load_training_data(data_path)
    checkpoint = load_checkpoint(best_path)
    best_epoch = int(checkpoint.metadata.get("epoch", min(log, key=lambda row: row["val_mpjpe_mm"])["epoch"]))
    training = {"epochs_done": len(log), "best_epoch": best_epoch,
                "hours": sum(row["seconds"] for row in log) / 3600,
                "seconds_per_epoch": sum(row["seconds"] for row in log) / max(1, len(log)),
                "best_row": next((row for row in log if int(row["epoch"]) == best_epoch), {})}

    evaluations = {}
    for noise in ("none", "detector"):
        with terminal_progress(f"evaluating ({noise} noise)", total=1, unit="frame", quiet=quiet) as progress:
            result = evaluate(checkpoint, dataset, noise=noise, cameras_per_clip=cameras_per_clip, seed=seed,
                              device=device, progress=progress)
        evaluations[noise] = result.overall
    info = {
        "run": str(run), "exported": time.strftime("%Y-%m-%d"), "data_path": str(data_path),
        "lifter_config": checkpoint.config.to_dict(), "train_config": train_config,
        "receptive_field": checkpoint.config.receptive_field,
        "parameters": {"pose": parameter_count(checkpoint.pose_state),
                       "trajectory": parameter_count(checkpoint.trajectory_state or {})},
        "data": {"total_clips": len(dataset.clips), "total_frames": dataset.num_frames, **dataset_summary(dataset)},
        "training": training, "hardware": cpu_description(), "torch": torch.__version__,
        "cameras_per_clip": cameras_per_clip, "seed": seed, "evaluations": evaluations,
        "minutes": minutes_summary(dataset),
        "guards": {"skipped": int(sum(row.get("skipped_bad_input", 0) + row.get("skipped_nonfinite_loss", 0)
                                      + row.get("skipped_nonfinite_grad", 0) for row in log)),
                   "dropped_views": int(sum(row.get("dropped_views", 0) for row in log)),
                   "rolled_back": int(sum(row.get("rolled_back", 0) for row in log))},
    }
    if history is not None:  # a fine-tuned run: the stages before it, in the card's Training section
        info["history_section"] = Path(history).read_text().strip() + "\n"
        info["command"] = "The last of the stages listed below"
    if real_video is not None:
        results = json.loads(Path(real_video).read_text())
        # train_real_video_compare.py names each checkpoint by its folder and file ("RUN/best.pt").
        label = next((name for name, entry in results["checkpoints"].items()
                      if entry["path"] == f"{run.name}/{best_path.name}"), list(results["checkpoints"])[-1])
        info["real_video"] = results
        info["real_video_section"] = (
            "\n## Real video\nThe four-camera pose2sim clip (`benchmarks/train_real_video_compare.py`, the reference of "
            "`benchmarks/real_video.py`): P-MPJPE in mm per camera against BlazePose triangulated from the four "
            "calibrated views, for BlazePose's own detections and for the reference's exact projection (clean).\n\n"
            f"{real_video_table(results, label)}\n")
    metadata = {**checkpoint.metadata, "model_card": "MODEL_CARD.md", "exported_from": str(run),
                "validation_errors_mm": {"clean": evaluations["none"], "detector_noise": evaluations["detector"]},
                "training_hours": round(training["hours"], 3)}
    save_checkpoint(LifterCheckpoint(checkpoint.config, checkpoint.pose_state, checkpoint.trajectory_state, metadata),
                    out, half=half)
    info["file_mb"] = out.stat().st_size / 1e6
    with atomic_output(card) as temp:
        Path(temp).write_text(model_card(info))
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        with atomic_output(results_dir / "training_default.json") as temp:
            Path(temp).write_text(json.dumps(info, indent=2, default=str))
        with atomic_output(results_dir / "training_default.md") as temp:
            Path(temp).write_text(
                f"Shipped model ({info['receptive_field']} frames, {checkpoint.config.channels} channels, best epoch "
                f"{best_epoch} of {training['epochs_done']}, {training['hours']:.2f} h on {info['hardware']}); "
                f"validation: {info['data']['validation']['clips']} clips x {cameras_per_clip} cameras, "
                f"{evaluations['none']['frames']} frames, mm.\n\n{metrics_table(evaluations)}\n")
        for name, kept in (("curves.png", "training_default_curves.png"), ("log.csv", "training_default_log.csv")):
            if (run / name).is_file():
                shutil.copyfile(run / name, results_dir / kept)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("/tmp/vp/runs/default"), help="training run folder")
    parser.add_argument("--out", type=Path, default=REPO / "lifter" / "weights" / "default.pt")
    parser.add_argument("--card", type=Path, default=None, help="default: MODEL_CARD.md next to --out")
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results",
                        help="where training_default.{json,md} go")
    parser.add_argument("--data", default=None, help="dataset to evaluate on (default: the run's own)")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--cameras-per-clip", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--half", action="store_true", help="store float16 weights (half the size)")
    parser.add_argument("--real-video", type=Path, default=None,
                        help="JSON of benchmarks/train_real_video_compare.py, for the card's real-video table")
    parser.add_argument("--history", type=Path, default=None,
                        help="markdown for the card's Training section: the stages a fine-tuned run started from")
    parser.add_argument("--quiet", "-q", action="store_true")
    args = parser.parse_args(argv)
    from videopose.core.errors import VideoposeError

    try:
        info = export(args.run, args.out, args.results_dir, args.card or args.out.with_name("MODEL_CARD.md"),
                      args.data, args.device, args.cameras_per_clip, args.seed, args.half, args.quiet, args.real_video,
                      args.history)
    except VideoposeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.out} ({info['file_mb']:.1f} MB), card {args.card or args.out.with_name('MODEL_CARD.md')}")
    print(metrics_table(info["evaluations"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
