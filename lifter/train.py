"""Training the lifter on motion capture seen by virtual cameras (Pavllo et al. 2019, Sec. 4-5).

Recipe (the paper's): Adam with amsgrad, learning rate 1e-3 decayed by 0.95 per epoch, batch-norm
momentum decayed exponentially from 0.1 to 0.001 over training, batches of 1024 output frames,
flip augmentation (mirror x, swap left/right), the strided single-frame model for training and the
dilated sequence model for validation. Each epoch renders every training clip through
``cameras_per_clip`` fresh virtual cameras (lifter/synthetic.py), so the model sees many views.

The trajectory model (the pelvis in the camera frame) is trained in the same run with MPJPE weighted
by 1/depth on a quarter of each batch (``trajectory_fraction``). ``semi=True`` adds Sec. 4's
semi-supervised objective: only ``labeled_fraction`` of the training clips keep their 3D; on the
others, after ``warmup_epochs``, the 2D reprojection of pose + trajectory against the input 2D and
the bone-length term train both models.

Guards (a run must not break silently; the shipped 60-epoch run collapsed at epoch 33, see
docs/training.md): views whose 2D is not finite or lies beyond ``max_input`` (normalised units) are
dropped before training; a batch with such inputs, a non-finite loss or non-finite gradients is
skipped (its batch-norm statistics restored) and counted in ``log.csv``; after each epoch the
batch-norm running statistics are checked (finite, variances neither exploded nor collapsed) and
validation is checked for a collapse (not finite, or far worse than the best with a near-constant
output); either rolls the models and the optimiser back to the last good epoch, with a warning.
Bodies: each view's performer gets new bone lengths and height (``body_augmentation``,
videopose.lifter.synthetic.BodyAugmentation) on top of the real skeletons.

Outputs in ``output_dir``: ``last.pt``/``best.pt`` (videopose.lifter.checkpoint format), ``train_state.pt``
(optimiser etc., for ``resume``), ``log.csv`` and ``curves.png``. Same seed -> same weights on CPU:
every epoch draws its cameras, noise and batches from ``(seed, epoch)`` and reseeds torch.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model, save_checkpoint
from videopose.lifter.datasets import MocapDataset, load_training_data, split_dataset
from videopose.lifter.losses import bone_length_loss, mpjpe_loss, reprojection_loss, weighted_mpjpe_loss
from videopose.lifter.mocap import MOCAP_NAMES
from videopose.lifter.synthetic import (NO_NOISE, BodyAugmentation, BodySpin, DetectorNoise, LandmarkOffsets,
                                        augment_bodies, synthesize)
from videopose.core.errors import VideoposeError
from videopose.core.validate import finite_number
from videopose.core.layouts import COCO17, H36M17
from videopose.core.progress import ProgressCallback, no_progress

COCO_MIRROR = COCO17.mirror_permutation()
H36M_MIRROR = H36M17.mirror_permutation()
# The 12 COCO body points (shoulders..ankles) and the H36M joints at the same places, for the reprojection.
COCO_BODY = np.arange(5, 17)
H36M_FOR_COCO_BODY = np.array([MOCAP_NAMES.index(COCO17.names[i]) for i in COCO_BODY])


@dataclass(frozen=True)
class TrainConfig:
    data: str
    output_dir: str
    epochs: int = 40
    filter_widths: tuple[int, ...] = (3, 3, 3, 3, 3)
    channels: int = 256
    causal: bool = False
    dropout: float = 0.25
    batch_size: int = 1024
    learning_rate: float = 1e-3
    lr_decay: float = 0.95
    bn_momentum_start: float = 0.1
    bn_momentum_end: float = 0.001
    cameras_per_clip: int = 8
    noise: str = "detector"  # "detector" | "none": 2D noise on the training inputs
    noise_scale: float = 1.0
    flip: bool = True
    trajectory: bool = True
    trajectory_fraction: float = 0.25
    semi: bool = False
    labeled_fraction: float = 1.0
    warmup_epochs: int = 1
    steps_per_epoch: int | None = None  # default: one pass over the (labelled) training frames
    validation_cameras: int = 2
    validation_noise: str = "none"
    seed: int = 1234
    device: str = "auto"
    threads: int | None = None
    resume: bool = False
    half_weights: bool = False  # store best.pt/last.pt weights as float16
    body_augmentation: float = 0.8  # probability that a view gets new bone lengths and height (0: off)
    max_input: float = 8.0  # normalised 2D beyond this (the image spans about +-1) is refused as broken
    collapse_factor: float = 1.5  # validation this many times the best, with a near-constant output: collapse
    spin: float = 0.0  # probability that a view's body turns about the camera axis (flips; BodySpin)
    # Semi-supervised on real footage: keypoints files (videopose detect) whose 2D the reprojection term
    # fits, through each clip's camera (RealFootage; the CLI builds them with the default intrinsics).
    unlabeled_keypoints: tuple[str, ...] = ()
    init_checkpoint: str | None = None  # start from these weights (fine-tuning; same architecture)
    gaps: float = 0.0  # probability that a view has one long gap of the body or a limb (DetectorNoise.gap_probability)
    landmark_offsets: float = 0.0  # probability that a view's 2D is rendered from detector-like landmarks (LandmarkOffsets)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unlabeled_keypoints", tuple(self.unlabeled_keypoints))
        for name in ("body_augmentation", "spin", "gaps", "landmark_offsets"):  # probabilities (NaN refused too)
            finite_number(getattr(self, name), f"--{name.replace('_', '-')}", 0.0, 1.0)

    def lifter_config(self) -> LifterConfig:
        return LifterConfig(tuple(self.filter_widths), channels=self.channels, causal=self.causal, dropout=self.dropout)

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["filter_widths"] = list(self.filter_widths)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in values.items() if key in known}
        if "filter_widths" in values:
            values["filter_widths"] = tuple(values["filter_widths"])
        return cls(**values)


@dataclass
class _Views:
    """Training clips rendered through cameras: inputs padded per sequence, targets per frame."""

    inputs: np.ndarray  # (sum of padded lengths, 17, 2) normalised
    window_start: np.ndarray  # (frames,) index into inputs of each output frame's first input frame
    poses: np.ndarray  # (frames, 17, 3) root-relative camera frame
    trajectory: np.ndarray  # (frames, 3)
    intrinsics: np.ndarray  # (frames, 9)
    clean_2d: np.ndarray  # (frames, 17, 2) at the output frame, before noise
    dropped_views: int = 0  # views refused because their 2D was not finite or beyond max_input


@dataclass(frozen=True)
class RealFootage:
    """One real clip for the semi-supervised terms: inputs (frames, 17, 2) normalised COCO17 2D (as
    :func:`videopose.lifter.infer.prepare_clip` makes them) and intrinsics (9,) normalised (focal x, y,
    centre x, y, distortion: as :mod:`videopose.lifter.camera`) of the camera that filmed it."""

    name: str
    inputs: np.ndarray
    intrinsics: np.ndarray


def footage_views(footage: list[RealFootage], receptive_field: int, causal_shift: int) -> _Views:
    """Real clips -> a :class:`_Views` whose 2D the reprojection term fits (no 3D: poses and trajectory
    are zeros, never used as targets)."""
    half = receptive_field // 2
    inputs, starts, intrinsics, offset = [], [], [], 0
    for clip in footage:
        frames = len(clip.inputs)
        inputs.append(np.pad(clip.inputs.astype(np.float32), [(half + causal_shift, half - causal_shift), (0, 0), (0, 0)],
                             mode="edge"))
        starts.append(offset + np.arange(frames))
        offset += len(inputs[-1])
        intrinsics.append(np.repeat(np.asarray(clip.intrinsics, np.float32)[None], frames, axis=0))
    if not inputs:
        raise VideoposeError("no real footage given for the semi-supervised terms")
    frames = sum(len(clip.inputs) for clip in footage)
    flat_inputs = np.concatenate(inputs)
    return _Views(flat_inputs, np.concatenate(starts), np.zeros((frames, 17, 3), np.float32),
                  np.zeros((frames, 3), np.float32), np.concatenate(intrinsics),
                  flat_inputs[np.concatenate(starts) + half + causal_shift])


def _noise_model(name: str, scale: float = 1.0, gaps: float = 0.0) -> DetectorNoise:
    if name == "none":
        return NO_NOISE
    if name == "detector":
        return DetectorNoise(jitter_scale=scale, gap_probability=gaps) if scale != 1.0 or gaps else DetectorNoise()
    raise VideoposeError(f"noise must be 'detector' or 'none', got {name!r}")


def render_views(dataset: MocapDataset, rng: np.random.Generator, cameras_per_clip: int, noise: DetectorNoise,
                 receptive_field: int, causal_shift: int, bodies: BodyAugmentation | None = None,
                 max_input: float = np.inf, spin: BodySpin | None = None,
                 landmarks: LandmarkOffsets | None = None) -> _Views:
    """Every clip through ``cameras_per_clip`` virtual cameras -> one flat :class:`_Views`.

    ``bodies``: bone-length augmentation per view; ``landmarks``: detector-like landmark offsets per view;
    views whose 2D is not finite or beyond ``max_input``
    are dropped (counted in ``dropped_views``)."""
    half = receptive_field // 2
    inputs, starts, poses, trajectory, intrinsics, clean = [], [], [], [], [], []
    offset, dropped = 0, 0
    for clip in dataset.clips:
        repeated = np.repeat(clip.points[None], cameras_per_clip, axis=0)
        if bodies is not None and bodies.probability > 0:
            repeated = augment_bodies(rng, repeated, bodies)
        batch = synthesize(rng, repeated, noise, spin=spin, landmarks=landmarks)
        frames = clip.points.shape[0]
        good = (np.isfinite(batch.inputs_2d).all(axis=(1, 2, 3)) & np.isfinite(batch.poses_3d).all(axis=(1, 2, 3))
                & (np.abs(np.nan_to_num(batch.inputs_2d, nan=np.inf)).max(axis=(1, 2, 3)) <= max_input))
        dropped += int((~good).sum())
        if not good.any():
            continue
        padded = np.pad(batch.inputs_2d[good], [(0, 0), (half + causal_shift, half - causal_shift), (0, 0), (0, 0)], mode="edge")
        for view in range(len(padded)):
            inputs.append(padded[view])
            starts.append(offset + np.arange(frames))
            offset += padded.shape[1]
        poses.append(batch.poses_3d[good].reshape(-1, 17, 3))
        trajectory.append(batch.trajectory[good].reshape(-1, 3))
        intrinsics.append(np.repeat(batch.intrinsics[good], frames, axis=0))
        clean.append(batch.clean_2d[good].reshape(-1, 17, 2))
    if not inputs:
        raise VideoposeError(f"every one of the {dropped} training views had broken 2D (not finite or beyond {max_input})")
    return _Views(np.concatenate(inputs), np.concatenate(starts), np.concatenate(poses), np.concatenate(trajectory),
                  np.concatenate(intrinsics), np.concatenate(clean), dropped)


def _joined(first: _Views, second: _Views) -> _Views:
    """Two :class:`_Views` as one (the second's window starts shifted past the first's inputs)."""
    return _Views(np.concatenate([first.inputs, second.inputs]),
                  np.concatenate([first.window_start, second.window_start + len(first.inputs)]),
                  np.concatenate([first.poses, second.poses]), np.concatenate([first.trajectory, second.trajectory]),
                  np.concatenate([first.intrinsics, second.intrinsics]), np.concatenate([first.clean_2d, second.clean_2d]),
                  first.dropped_views + second.dropped_views)


def _load_initial_weights(path: str, lifter_config: LifterConfig, pose_model, trajectory_model) -> None:
    """Fine-tuning: the pose (and trajectory) weights of checkpoint ``path``, same architecture."""
    from videopose.lifter.checkpoint import load_checkpoint

    initial = load_checkpoint(path)
    if (tuple(initial.config.filter_widths), initial.config.channels) != (tuple(lifter_config.filter_widths),
                                                                          lifter_config.channels):
        raise VideoposeError(f"--init {path}: its model ({initial.config.filter_widths}, {initial.config.channels} "
                             f"channels) is not the one to train ({lifter_config.filter_widths}, {lifter_config.channels})")
    pose_model.load_state_dict(initial.pose_state)
    if trajectory_model is not None and initial.trajectory_state is not None:
        trajectory_model.load_state_dict(initial.trajectory_state)


def _bn_buffers(models) -> list[torch.Tensor]:
    return [buffer for model in models if model is not None for name, buffer in model.named_buffers()
            if name.endswith(("running_mean", "running_var"))]


def batch_norm_problems(model: torch.nn.Module, max_var: float = 1e6, min_var: float = 1e-12) -> list[str]:
    """-> descriptions of broken batch-norm running statistics (empty when all are fine): not finite, a
    variance beyond ``max_var`` (a huge input got into it: the eval-mode output becomes constant) or
    every variance of a layer below ``min_var`` (collapsed)."""
    problems = []
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.modules.batchnorm._BatchNorm) or module.running_var is None:
            continue
        mean, var = module.running_mean, module.running_var
        if not (torch.isfinite(mean).all() and torch.isfinite(var).all()):
            problems.append(f"{name}: running statistics not finite")
        elif float(var.max()) > max_var:
            problems.append(f"{name}: running variance {float(var.max()):.3g} exploded")
        elif float(var.max()) < min_var:
            problems.append(f"{name}: running variances collapsed to 0")
    return problems


def _batch_tensors(views: _Views, frames: np.ndarray, receptive_field: int, flip: np.ndarray,
                   device: torch.device) -> dict[str, torch.Tensor]:
    """Windows for output frames ``frames`` -> tensors; ``flip`` (batch,) bool mirrors those samples."""
    windows = views.inputs[views.window_start[frames][:, None] + np.arange(receptive_field)]
    poses, trajectory = views.poses[frames].copy(), views.trajectory[frames].copy()
    intrinsics = views.intrinsics[frames].copy()
    if flip.any():
        windows[flip] = windows[flip][:, :, COCO_MIRROR] * np.array([-1.0, 1.0], dtype=np.float32)
        poses[flip] = poses[flip][:, H36M_MIRROR] * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
        trajectory[flip] *= np.array([-1.0, 1.0, 1.0], dtype=np.float32)
        intrinsics[flip, 2] *= -1  # principal point x
        intrinsics[flip, 8] *= -1  # tangential p2 changes sign under x -> -x
    as_tensor = lambda array: torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(device)  # noqa: E731
    return dict(inputs=as_tensor(windows), poses=as_tensor(poses[:, None]), trajectory=as_tensor(trajectory[:, None, None]),
                intrinsics=as_tensor(intrinsics))


def select_labeled_clips(dataset: MocapDataset, fraction: float, seed: int) -> tuple[MocapDataset, MocapDataset]:
    """Clips in a seeded random order, taken until ``fraction`` of the frames -> (labelled, unlabelled)."""
    if not 0 < fraction <= 1:
        raise VideoposeError(f"labelled fraction must be in (0, 1], got {fraction}")
    order = np.random.default_rng(seed).permutation(len(dataset.clips))
    total = dataset.num_frames
    labeled, unlabeled, taken = [], [], 0
    for index in order:
        clip = dataset.clips[index]
        if taken < fraction * total - 1e-9:
            labeled.append(clip)
            taken += clip.points.shape[0]
        else:
            unlabeled.append(clip)
    return MocapDataset(labeled), MocapDataset(unlabeled)


def bn_momentum(epoch: int, epochs: int, start: float, end: float) -> float:
    """Exponential decay from ``start`` (epoch 0) to ``end`` (last epoch), as in the paper."""
    return start * math.exp(epoch / max(1, epochs - 1) * math.log(end / start)) if epochs > 1 else start


@dataclass
class ValidationSet:
    """Fixed views of the validation clips: sequences of normalised 2D and their targets."""

    names: list[str]
    inputs: list[np.ndarray]  # (frames, 17, 2)
    poses: list[np.ndarray]  # (frames, 17, 3)
    trajectory: list[np.ndarray]  # (frames, 3)
    fps: list[float] = field(default_factory=list)


def make_validation_set(dataset: MocapDataset, cameras_per_clip: int, noise: str, seed: int = 0) -> ValidationSet:
    """Deterministic: the fixed evaluation cameras of each clip (videopose.lifter.evaluate.evaluation_views)."""
    from videopose.lifter.evaluate import evaluation_views

    result = ValidationSet([], [], [], [], [])
    for clip in dataset.clips:
        batch = evaluation_views(clip.name, clip.points, cameras_per_clip, _noise_model(noise), seed)
        for view in range(cameras_per_clip):
            result.names.append(f"{clip.name}#cam{view}")
            result.inputs.append(batch.inputs_2d[view])
            result.poses.append(batch.poses_3d[view])
            result.trajectory.append(batch.trajectory[view])
            result.fps.append(clip.fps)
    return result


def predict_sequences(state: dict[str, torch.Tensor], config: LifterConfig, sequences: list[np.ndarray],
                      device: torch.device, num_joints_out: int | None = None) -> list[np.ndarray]:
    """Run the dilated model with ``state`` over whole sequences (edge-padded, one output per frame)."""
    from videopose.lifter.infer import run_model

    model = build_model(config, strided=False, num_joints_out=num_joints_out)
    model.load_state_dict(state)
    return run_model(model, sequences, device=device)


def validate(pose_state, trajectory_state, config: LifterConfig, validation: ValidationSet,
             device: torch.device) -> dict[str, float]:
    """MPJPE and MPJVE (mm, mm/frame) over all validation frames; trajectory error (mm) if present."""
    predicted = predict_sequences(pose_state, config, validation.inputs, device)
    predicted_all = np.concatenate(predicted)
    target_all = np.concatenate(validation.poses)
    errors = np.linalg.norm(predicted_all - target_all, axis=-1).mean()
    velocity = np.concatenate([np.linalg.norm(np.diff(p, axis=0) - np.diff(t, axis=0), axis=-1).ravel()
                               for p, t in zip(predicted, validation.poses)]).mean()
    # How much the output moves (mm, std over frames, mean over joints) against the targets: a collapsed
    # model gives the same pose for every input.
    spread = float(np.concatenate([p - p.mean(0) for p in predicted]).std(axis=0).mean() * 1000)
    target_spread = float(np.concatenate([t - t.mean(0) for t in validation.poses]).std(axis=0).mean() * 1000)
    result = {"val_mpjpe_mm": float(errors * 1000),
              "val_mpjpe_no_pelvis_mm": float(np.linalg.norm(predicted_all - target_all, axis=-1)[:, 1:].mean() * 1000),
              "val_mpjve_mm": float(velocity * 1000), "val_output_spread_mm": spread,
              "val_target_spread_mm": target_spread}
    if trajectory_state is not None:
        trajectories = predict_sequences(trajectory_state, config, validation.inputs, device, num_joints_out=1)
        error = np.linalg.norm(np.concatenate(trajectories)[:, 0] - np.concatenate(validation.trajectory), axis=-1)
        result["val_trajectory_mm"] = float(error.mean() * 1000)
    return result


def _write_plot(history: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(epochs, [row["train_loss_mm"] for row in history], label="train MPJPE (strided, noisy 2D)")
    axis.plot(epochs, [row["val_mpjpe_mm"] for row in history], label="validation MPJPE")
    axis.set_xlabel("epoch")
    axis.set_ylabel("mm")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _write_log(history: list[dict[str, float]], path: Path) -> None:
    columns = list(history[0].keys())
    for row in history:
        columns += [key for key in row if key not in columns]
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(history)


def _load_train_state(path: Path, device) -> dict[str, Any]:
    """``train_state.pt`` read with ``torch.load(weights_only=True)``: tensors, numbers, strings, lists and
    dicts only, so resuming never runs code from the file."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises many types for damaged or foreign files
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise VideoposeError(f"cannot resume from {path} ({first_line}): it is damaged or holds objects other than "
                             "training state; delete it to start afresh") from None
    if not isinstance(state, dict) or not {"config", "epoch", "pose_state", "optimizer"} <= set(state):
        raise VideoposeError(f"cannot resume from {path}: it is not a videopose training state; delete it to start afresh")
    return state


def _inputs_ok(inputs: torch.Tensor, max_input: float) -> bool:
    """Whether a batch's 2D is finite and within ``max_input`` (normalised units)."""
    return bool(torch.isfinite(inputs).all()) and float(inputs.abs().max()) <= max_input


def _restore(buffers: list[torch.Tensor], saved: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for buffer, value in zip(buffers, saved):
            buffer.copy_(value)


def _snapshot(pose_model, trajectory_model, optimizer, epoch: int) -> dict[str, Any]:
    """Deep copies of the models' and the optimiser's state, tagged with the epochs done."""
    return {"epoch": epoch, "pose": copy.deepcopy(pose_model.state_dict()),
            "trajectory": copy.deepcopy(trajectory_model.state_dict()) if trajectory_model is not None else None,
            "optimizer": copy.deepcopy(optimizer.state_dict())}


def _roll_back(snapshot: dict[str, Any], pose_model, trajectory_model, optimizer) -> None:
    pose_model.load_state_dict(snapshot["pose"])
    if trajectory_model is not None and snapshot["trajectory"] is not None:
        trajectory_model.load_state_dict(snapshot["trajectory"])
    optimizer.load_state_dict(copy.deepcopy(snapshot["optimizer"]))


def _collapse_reason(metrics: dict[str, float], best_mpjpe: float, bn_problems: list[str], factor: float) -> str:
    """'' when the epoch is fine, else why it counts as a collapse: broken batch-norm statistics, a
    non-finite validation error, or validation ``factor`` x the best with a near-constant output
    (its spread over frames under a fifth of the targets')."""
    if bn_problems:
        return "batch norm: " + "; ".join(bn_problems[:3])
    if not math.isfinite(metrics["val_mpjpe_mm"]):
        return "validation error is not finite"
    near_constant = metrics["val_output_spread_mm"] < 0.2 * metrics["val_target_spread_mm"]
    if math.isfinite(best_mpjpe) and metrics["val_mpjpe_mm"] > factor * best_mpjpe and near_constant:
        return (f"validation MPJPE {metrics['val_mpjpe_mm']:.0f} mm against the best {best_mpjpe:.0f} mm with a "
                f"near-constant output (spread {metrics['val_output_spread_mm']:.1f} mm)")
    return ""


def train(config: TrainConfig, progress: ProgressCallback | None = None,
          dataset: MocapDataset | None = None, footage: list[RealFootage] | None = None) -> dict[str, Any]:
    """Train per ``config``; returns the summary (best epoch and errors). See the module docstring.

    ``footage``: real clips for the semi-supervised terms (``config.semi``), in place of (or beside) the
    unlabelled mocap clips; ``config.unlabeled_keypoints`` names where they came from."""
    progress = progress or no_progress
    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    if config.threads:
        torch.set_num_threads(config.threads)
    from videopose.lifter.infer import select_device

    device = select_device(config.device)
    lifter_config = config.lifter_config()
    dataset = dataset if dataset is not None else load_training_data(config.data)
    train_set, validation_clips = split_dataset(dataset)
    if config.semi or config.labeled_fraction < 1:
        labeled_set, unlabeled_set = select_labeled_clips(train_set, config.labeled_fraction, config.seed)
    else:
        labeled_set, unlabeled_set = train_set, MocapDataset([])
    if not config.semi:
        unlabeled_set = MocapDataset([])
    if footage and not config.semi:
        raise VideoposeError("real footage is for semi-supervised training: add --semi")
    validation = make_validation_set(validation_clips, config.validation_cameras, config.validation_noise)

    torch.manual_seed(config.seed)
    pose_model = build_model(lifter_config, strided=True).to(device)
    trajectory_model = build_model(lifter_config, strided=True, num_joints_out=1).to(device) if (
        config.trajectory or config.semi) else None
    if config.init_checkpoint and not config.resume:
        _load_initial_weights(config.init_checkpoint, lifter_config, pose_model, trajectory_model)
    parameters = list(pose_model.parameters()) + (list(trajectory_model.parameters()) if trajectory_model else [])
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate, amsgrad=True)
    receptive_field = pose_model.receptive_field()
    causal_shift = pose_model.total_causal_shift()
    parents = torch.tensor(H36M17.parents, device=device)
    body_map = torch.tensor(H36M_FOR_COCO_BODY, device=device)
    center = receptive_field // 2 + causal_shift  # input frame aligned with the output frame
    real_views = footage_views(footage, receptive_field, causal_shift) if footage else None

    history: list[dict[str, float]] = []
    best = {"val_mpjpe_mm": float("inf"), "epoch": -1}
    start_epoch = 0
    state_path = output / "train_state.pt"
    if config.resume and state_path.exists():
        state = _load_train_state(state_path, device)
        if state["config"]["filter_widths"] != list(config.filter_widths) or state["config"]["channels"] != config.channels:
            raise VideoposeError(f"cannot resume {state_path}: it was trained with another architecture")
        pose_model.load_state_dict(state["pose_state"])
        if trajectory_model is not None and state.get("trajectory_state") is not None:
            trajectory_model.load_state_dict(state["trajectory_state"])
        optimizer.load_state_dict(state["optimizer"])
        history, best, start_epoch = state["history"], state["best"], state["epoch"] + 1
    (output / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    # The state a collapse rolls back to: the end of the last good epoch (here: the start).
    last_good = _snapshot(pose_model, trajectory_model, optimizer, start_epoch)
    bn_buffers = _bn_buffers((pose_model, trajectory_model))
    bodies = BodyAugmentation(probability=config.body_augmentation) if config.body_augmentation > 0 else None

    labeled_frames = labeled_set.num_frames
    steps = config.steps_per_epoch or max(1, labeled_frames // config.batch_size)
    total_steps = steps * config.epochs
    noise = _noise_model(config.noise, config.noise_scale, config.gaps)
    spin = BodySpin(probability=config.spin, fps=float(np.median([clip.fps for clip in labeled_set.clips]))) \
        if config.spin > 0 else None
    landmarks = LandmarkOffsets(probability=config.landmark_offsets) if config.landmark_offsets > 0 else None
    for epoch in range(start_epoch, config.epochs):
        epoch_start = time.time()
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(config.seed * 1000 + epoch)
        learning_rate = config.learning_rate * config.lr_decay ** epoch
        for group in optimizer.param_groups:
            group["lr"] = learning_rate
        # Fine-tuning keeps the trained batch-norm statistics: their last momentum throughout.
        momentum = config.bn_momentum_end if config.init_checkpoint else bn_momentum(
            epoch, config.epochs, config.bn_momentum_start, config.bn_momentum_end)
        for model in (pose_model, trajectory_model):
            if model is not None:
                model.set_bn_momentum(momentum)
                model.train()
        labeled_views = render_views(labeled_set, rng, config.cameras_per_clip, noise, receptive_field, causal_shift,
                                     bodies, config.max_input, spin, landmarks)
        use_unlabeled = config.semi and bool(unlabeled_set.clips or real_views) and epoch >= config.warmup_epochs
        unlabeled_views = render_views(unlabeled_set, rng, config.cameras_per_clip, noise, receptive_field,
                                       causal_shift, bodies, config.max_input, spin, landmarks) \
            if use_unlabeled and unlabeled_set.clips else None
        if use_unlabeled and real_views is not None:
            unlabeled_views = real_views if unlabeled_views is None else _joined(unlabeled_views, real_views)
        order = rng.permutation(len(labeled_views.poses))
        sums = {"loss_pose": 0.0, "loss_trajectory": 0.0, "loss_reprojection": 0.0, "loss_bone": 0.0}
        counts = {"skipped_bad_input": 0, "skipped_nonfinite_loss": 0, "skipped_nonfinite_grad": 0,
                  "dropped_views": labeled_views.dropped_views + (unlabeled_views.dropped_views if unlabeled_views else 0)}
        good_steps = 0
        for step in range(steps):
            chosen = order[(np.arange(config.batch_size) + step * config.batch_size) % len(order)]
            flip = rng.random(len(chosen)) < 0.5 if config.flip else np.zeros(len(chosen), bool)
            batch = _batch_tensors(labeled_views, chosen, receptive_field, flip, device)
            optimizer.zero_grad(set_to_none=True)
            if use_unlabeled:
                pick = rng.integers(0, len(unlabeled_views.poses), len(chosen))
                flip_u = rng.random(len(pick)) < 0.5 if config.flip else np.zeros(len(pick), bool)
                unlabeled = _batch_tensors(unlabeled_views, pick, receptive_field, flip_u, device)
            if not (_inputs_ok(batch["inputs"], config.max_input)
                    and (not use_unlabeled or _inputs_ok(unlabeled["inputs"], config.max_input))):
                counts["skipped_bad_input"] += 1  # before the forward pass: batch norm never sees it
                continue
            saved_bn = [buffer.clone() for buffer in bn_buffers]
            step_sums = {}
            predicted = pose_model(batch["inputs"])
            loss_pose = mpjpe_loss(predicted, batch["poses"])
            loss = loss_pose
            if trajectory_model is not None:
                count = max(1, int(round(len(chosen) * (1.0 if config.semi else config.trajectory_fraction))))
                predicted_trajectory = trajectory_model(batch["inputs"][:count])
                target = batch["trajectory"][:count]
                loss_trajectory = weighted_mpjpe_loss(predicted_trajectory, target, 1.0 / target[..., 2])
                loss = loss + loss_trajectory
                step_sums["loss_trajectory"] = loss_trajectory.item()
            if use_unlabeled:
                poses_u = pose_model(unlabeled["inputs"])
                trajectory_u = trajectory_model(unlabeled["inputs"])
                target_2d = unlabeled["inputs"][:, center:center + 1, COCO_BODY]
                loss_reprojection = reprojection_loss(poses_u, trajectory_u, unlabeled["intrinsics"], target_2d, body_map)
                loss_bone = bone_length_loss(predicted, poses_u, parents)
                loss = loss + loss_reprojection + loss_bone
                step_sums["loss_reprojection"] = loss_reprojection.item()
                step_sums["loss_bone"] = loss_bone.item()
            if not math.isfinite(loss.item()):
                _restore(bn_buffers, saved_bn)
                counts["skipped_nonfinite_loss"] += 1
                continue
            loss.backward()
            gradient_norm = torch.nn.utils.clip_grad_norm_(parameters, float("inf"))
            if not math.isfinite(float(gradient_norm)):
                _restore(bn_buffers, saved_bn)
                optimizer.zero_grad(set_to_none=True)
                counts["skipped_nonfinite_grad"] += 1
                continue
            optimizer.step()
            good_steps += 1
            step_sums["loss_pose"] = loss_pose.item()
            for key, value in step_sums.items():
                sums[key] += value
            progress(epoch * steps + step + 1, total_steps, f"epoch {epoch + 1}/{config.epochs} loss {loss_pose.item() * 1000:.1f} mm")
        train_seconds = time.time() - epoch_start
        pose_state = {k: v.detach().cpu().clone() for k, v in pose_model.state_dict().items()}
        trajectory_state = ({k: v.detach().cpu().clone() for k, v in trajectory_model.state_dict().items()}
                            if trajectory_model is not None else None)
        metrics = validate(pose_state, trajectory_state, lifter_config, validation, device)
        problems = batch_norm_problems(pose_model) + (batch_norm_problems(trajectory_model) if trajectory_model else [])
        reason = _collapse_reason(metrics, best["val_mpjpe_mm"], problems, config.collapse_factor)
        done = max(good_steps, 1)
        row = {"epoch": epoch + 1, "lr": learning_rate, "bn_momentum": momentum,
               "train_loss_mm": sums["loss_pose"] / done * 1000,
               "train_trajectory_loss": sums["loss_trajectory"] / done,
               "train_reprojection_loss": sums["loss_reprojection"] / done,
               "train_bone_loss_mm": sums["loss_bone"] / done * 1000,
               **metrics, "seconds": time.time() - epoch_start,
               "samples_per_second": good_steps * config.batch_size / max(train_seconds, 1e-9),
               **counts, "bn_problems": len(problems), "rolled_back": 0}
        if reason:
            warnings.warn(f"epoch {epoch + 1}: training collapsed ({reason}); rolled back to the state after epoch "
                          f"{last_good['epoch']} (the last good one)", RuntimeWarning, stacklevel=2)
            _roll_back(last_good, pose_model, trajectory_model, optimizer)
            pose_state = {k: v.detach().cpu().clone() for k, v in pose_model.state_dict().items()}
            trajectory_state = ({k: v.detach().cpu().clone() for k, v in trajectory_model.state_dict().items()}
                                if trajectory_model is not None else None)
            row["rolled_back"] = 1
        else:
            last_good = _snapshot(pose_model, trajectory_model, optimizer, epoch + 1)
        history.append(row)
        metadata = {"train_config": config.to_dict(), "epoch": epoch + 1, "metrics": metrics,
                    "validation": "clean 2D" if config.validation_noise == "none" else "detector-like 2D",
                    "training_frames": labeled_frames, "receptive_field": receptive_field}
        checkpoint = LifterCheckpoint(lifter_config, pose_state, trajectory_state, metadata)
        save_checkpoint(checkpoint, output / "last.pt", half=config.half_weights)
        if not reason and metrics["val_mpjpe_mm"] < best["val_mpjpe_mm"]:
            best = {"val_mpjpe_mm": metrics["val_mpjpe_mm"], "epoch": epoch + 1, **metrics}
            save_checkpoint(checkpoint, output / "best.pt", half=config.half_weights)
        torch.save({"config": json.loads(json.dumps(config.to_dict(), default=str)), "epoch": epoch, "pose_state": pose_state,
                    "trajectory_state": trajectory_state, "optimizer": optimizer.state_dict(),
                    "history": history, "best": best}, output / "train_state.tmp")
        (output / "train_state.tmp").replace(state_path)
        _write_log(history, output / "log.csv")
        _write_plot(history, output / "curves.png")
    return {"best": best, "history": history, "output_dir": str(output),
            "train_frames": labeled_frames, "validation_frames": int(sum(len(p) for p in validation.poses))}
