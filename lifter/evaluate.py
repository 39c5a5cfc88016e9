"""Evaluate a lifter checkpoint on motion capture seen by fixed virtual cameras.

The 2D goes through the same code path as real use: synthetic pixels become a ``Keypoints2D`` (COCO17,
the sampled image size) and are lifted by :func:`videopose.lifter.infer.lift_clips` (layout conversion,
normalisation, edge padding, test-time flip).

**The evaluation camera set** is fixed and documented: clip ``name`` is seen by ``cameras_per_clip`` cameras
drawn by :func:`videopose.lifter.synthetic.place_cameras` from ``numpy.random.default_rng([seed, crc32(name), 0])``
(so a clip's cameras depend on its name and the seed only, not on which other clips are evaluated), and
its detector noise from a separate stream, ``default_rng([seed, crc32(name), 1])``: clean and
detector-like runs see the same cameras, and two checkpoints the same 2D (:func:`evaluation_views`).
Errors in millimetres: MPJPE (protocol 1, all 17 joints; the pelvis, root-relative, is 0 in both),
``mpjpe_no_pelvis_mm`` (the 16 others), P-MPJPE
(protocol 2, Procrustes-aligned), N-MPJPE (scale-aligned) and MPJVE (velocity error, mm per frame);
with a trajectory model also ``trajectory_mm`` (mean distance of the predicted pelvis from the true
one in the camera frame) and ``trajectory_depth_mm`` (its depth part alone). Joints that the detector
noise drops reach the lifter with score 0, as missing detections do.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

import numpy as np

from videopose.lifter.camera import image_coordinates
from videopose.lifter.datasets import MocapDataset, load_training_data, split_dataset
from videopose.lifter.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe
from videopose.lifter.synthetic import NO_NOISE, DetectorNoise, SyntheticBatch, synthesize
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.progress import ProgressCallback, no_progress

METRICS = ("mpjpe_mm", "mpjpe_no_pelvis_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm")
TRAJECTORY_METRICS = ("trajectory_mm", "trajectory_depth_mm")


@dataclass(frozen=True)
class EvaluationResult:
    """Per-sequence rows (clip, camera, frames, metrics) and the frame-weighted overall means."""

    rows: list[dict]
    overall: dict[str, float]

    def to_dict(self) -> dict:
        return {"overall": self.overall, "sequences": self.rows}


def evaluation_rngs(name: str, seed: int = 0) -> tuple[np.random.Generator, np.random.Generator]:
    """-> (camera stream, noise stream) of clip ``name``: the fixed evaluation set (module docstring)."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng([seed, key, 0]), np.random.default_rng([seed, key, 1])


def evaluation_views(name: str, points: np.ndarray, cameras_per_clip: int, noise: DetectorNoise,
                     seed: int = 0) -> SyntheticBatch:
    """One clip's (frames, 22, 3) world points seen by its fixed evaluation cameras -> SyntheticBatch."""
    camera_rng, noise_rng = evaluation_rngs(name, seed)
    return synthesize(camera_rng, np.repeat(points[None], cameras_per_clip, axis=0), noise, noise_rng=noise_rng)


def _sequence_metrics(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    return {
        "mpjpe_mm": 1000 * float(mpjpe(predicted, target)),
        "mpjpe_no_pelvis_mm": 1000 * float(mpjpe(predicted[:, 1:], target[:, 1:])),
        "p_mpjpe_mm": 1000 * float(p_mpjpe(predicted, target)),
        "n_mpjpe_mm": 1000 * float(n_mpjpe(predicted, target)),
        "mpjve_mm": 1000 * float(mpjve(predicted, target)) if len(predicted) > 1 else float("nan"),
    }


def evaluate(checkpoint, data: str | os.PathLike | MocapDataset, noise: str = "none", cameras_per_clip: int = 2,
             seed: int = 0, clips: str = "validation", device: str = "auto", flip: bool = True,
             progress: ProgressCallback | None = None) -> EvaluationResult:
    """Lift every (validation) clip as seen by ``cameras_per_clip`` fixed cameras and measure the errors.

    checkpoint: a LifterCheckpoint or a path; data: BVH folder, dataset .npz or MocapDataset;
    noise: 'none' (exact projections) or 'detector' (videopose.lifter.synthetic.DetectorNoise);
    clips: 'validation' (the fixed split) or 'all'.
    """
    from videopose.lifter.checkpoint import LifterCheckpoint, load_checkpoint
    from videopose.lifter.infer import lift_clips

    progress = progress or no_progress
    if not isinstance(checkpoint, LifterCheckpoint):
        checkpoint = load_checkpoint(checkpoint)
    dataset = data if isinstance(data, MocapDataset) else load_training_data(data)
    if clips == "validation":
        dataset = split_dataset(dataset)[1]
    elif clips != "all":
        raise VideoposeError(f"clips must be 'validation' or 'all', got {clips!r}")
    noise_model = {"none": NO_NOISE, "detector": DetectorNoise()}.get(noise)
    if noise_model is None:
        raise VideoposeError(f"noise must be 'none' or 'detector', got {noise!r}")
    keypoints, targets, trajectories, names = [], [], [], []
    for clip in dataset.clips:
        batch = evaluation_views(clip.name, clip.points, cameras_per_clip, noise_model, seed)
        for view in range(cameras_per_clip):
            width, height = (int(v) for v in batch.image_size[view])
            pixels = image_coordinates(batch.inputs_2d[view].astype(np.float64), width, height)
            keypoints.append(Keypoints2D(pixels.astype(np.float32), batch.scores[view].astype(np.float32), "coco17",
                                         clip.fps, width, height))
            targets.append(batch.poses_3d[view])
            trajectories.append(batch.trajectory[view])
            names.append((clip.name, view))
    motions = lift_clips(keypoints, checkpoint, device=device, flip=flip, progress=progress)
    rows = []
    for (name, view), motion, target, trajectory in zip(names, motions, targets, trajectories):
        row = {"clip": name, "camera": view, "frames": int(len(target)),
               **_sequence_metrics(motion.joints_3d.astype(np.float64), target.astype(np.float64))}
        if motion.trajectory is not None:
            difference = motion.trajectory.astype(np.float64) - trajectory.astype(np.float64)
            row["trajectory_mm"] = 1000 * float(np.linalg.norm(difference, axis=-1).mean())
            row["trajectory_depth_mm"] = 1000 * float(np.abs(difference[:, 2]).mean())
        rows.append(row)
    frames = np.array([row["frames"] for row in rows], dtype=np.float64)
    present = METRICS + tuple(key for key in TRAJECTORY_METRICS if rows and key in rows[0])
    overall = {key: float(np.nansum(np.array([row[key] for row in rows]) * frames) / frames.sum()) for key in present}
    overall["frames"] = int(frames.sum())
    overall["sequences"] = len(rows)
    return EvaluationResult(rows, overall)
