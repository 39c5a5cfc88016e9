"""Lift 2D keypoint sequences to 3D joints with a trained temporal model (Pavllo et al., CVPR 2019).

Steps per clip: convert to the checkpoint's input layout, fill missing keypoints by interpolation over
time, normalise screen coordinates, pad the sequence by replicating its edge frames so that every
frame gets an output (Sec. 3: the model itself never pads), run the model in bounded chunks, average
with the prediction for the mirrored input (test-time flip augmentation, Sec. 5.2), and make the
joints root-relative.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
import torch

from videopose.lifter.camera import normalize_screen_coordinates
from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, load_checkpoint
from videopose.lifter.model import TemporalModel
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import Layout, convert_layout, get_layout
from videopose.core.progress import ProgressCallback, no_progress

log = logging.getLogger(__name__)

# Output frames per forward pass (summed over the batch). 4096 frames of a 1024-channel model hold
# ~16 MB per activation; each chunk recomputes receptive_field - 1 overlapping input frames.
DEFAULT_CHUNK_FRAMES = 4096


def select_device(device: str = "auto") -> torch.device:
    """``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"`` (an error without a GPU)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise VideoposeError("--device cuda was asked for, but PyTorch sees no CUDA GPU here: use --device cpu or auto")
        return torch.device("cuda")
    raise VideoposeError(f"unknown device {device!r}: use auto, cpu or cuda")


def keypoints_in_layout(keypoints: Keypoints2D, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(frames, layout joints, 2) pixels and (frames, layout joints) scores, converted by joint name.

    Uses the file's main keypoints, or its detector-native ``source_*`` keypoints when only those
    hold every joint ``layout`` needs.
    """
    if keypoints.layout == layout.name:
        return keypoints.keypoints, keypoints.scores
    candidates = [(keypoints.layout, keypoints.keypoints, keypoints.scores)]
    if keypoints.source_layout is not None and keypoints.source_keypoints is not None:
        candidates.append((keypoints.source_layout, keypoints.source_keypoints, keypoints.source_scores))
    for layout_name, points, scores in candidates:
        source = get_layout(layout_name)
        if all(name in source.names for name in layout.names):
            return convert_layout(np.asarray(points, dtype=np.float32), np.asarray(scores, dtype=np.float32), source, layout)
    held = " or ".join(name for name, _, _ in candidates)
    missing = [name for name in layout.names if name not in get_layout(keypoints.layout).names]
    raise VideoposeError(
        f"the lifter checkpoint reads {layout.name} keypoints, but the keypoints file holds {held}, which lacks "
        f"{', '.join(missing)}: use a checkpoint trained on {keypoints.layout} or keypoints with those joints"
    )


def fill_missing(points: np.ndarray, scores: np.ndarray, joint_names: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """(frames, joints, 2) with NaN or score-0 entries filled by linear interpolation over time per joint.

    Before the first and after the last valid frame a joint keeps its nearest valid value.
    Returns the filled copy and how many (frame, joint) keypoints were filled.
    """
    valid = np.isfinite(points).all(axis=-1) & (np.nan_to_num(scores, nan=0.0) > 0)
    if not valid.any():
        raise VideoposeError("no frame has any detected keypoint: is there a person in the video?")
    never_seen = [joint_names[joint] for joint in np.flatnonzero(~valid.any(axis=0))]
    if never_seen:
        raise VideoposeError(
            f"joint(s) {', '.join(never_seen)} missing in every frame: the lifter needs every joint at least once "
            "(is the whole body in view?)"
        )
    filled = np.array(points, dtype=np.float32, copy=True)
    frames = np.arange(points.shape[0])
    for joint in np.flatnonzero(~valid.all(axis=0)):
        known = valid[:, joint]
        for axis in range(points.shape[-1]):
            filled[:, joint, axis] = np.interp(frames, frames[known], points[known, joint, axis])
    return filled, int((~valid).sum())


@dataclass(frozen=True)
class PreparedClip:
    """A clip ready for the model: (frames, joints_in, 2) normalised coordinates, and what was filled."""

    inputs: np.ndarray
    filled_keypoints: int


def prepare_clip(keypoints: Keypoints2D, config: LifterConfig) -> PreparedClip:
    """Layout conversion, gap filling and screen normalisation of one clip."""
    if keypoints.num_frames < 2:
        raise VideoposeError(
            f"lifting needs at least 2 frames, the keypoints hold {keypoints.num_frames}: use a longer clip"
        )
    if not (keypoints.width > 0 and keypoints.height > 0):
        raise VideoposeError(f"keypoints file has image size {keypoints.width}x{keypoints.height}; width and height must be positive")
    layout = get_layout(config.input_layout)
    if config.in_features != 2:
        raise VideoposeError(f"the checkpoint's model reads {config.in_features} numbers per joint; lifting supports 2 (x, y)")
    points, scores = keypoints_in_layout(keypoints, layout)
    filled, count = fill_missing(points, scores, layout.names)
    normalized = normalize_screen_coordinates(filled.astype(np.float64), keypoints.width, keypoints.height)
    return PreparedClip(normalized.astype(np.float32), count)


def pad_for_model(inputs: np.ndarray, receptive_field: int, causal_shift: int) -> np.ndarray:
    """(frames, ...) -> (frames + receptive_field - 1, ...) by repeating the first and last frames.

    Output frame t of the padded sequence then sees input frames t - rf//2 .. t + rf//2, or, for a
    causal model (causal_shift = rf//2), t - rf + 1 .. t only.
    """
    half = receptive_field // 2
    widths = [(half + causal_shift, half - causal_shift)] + [(0, 0)] * (inputs.ndim - 1)
    return np.pad(inputs, widths, mode="edge")


def mirror_inputs(inputs: np.ndarray, input_layout: Layout) -> np.ndarray:
    """(..., joints, 2) normalised coordinates of the mirrored image: x negated, left/right joints swapped."""
    mirrored = inputs[..., input_layout.mirror_permutation(), :].copy()
    mirrored[..., 0] *= -1
    return mirrored


def unmirror_outputs(outputs: np.ndarray, output_layout: Layout | None) -> np.ndarray:
    """(..., joints, 3) prediction for a mirrored input, mapped back: x negated, left/right swapped."""
    restored = outputs[..., output_layout.mirror_permutation(), :].copy() if output_layout is not None else outputs.copy()
    restored[..., 0] *= -1
    return restored


@dataclass(frozen=True)
class _Window:
    sequence: int  # index into the list of padded sequences
    start: int  # first output frame
    stop: int  # one past the last output frame


def _plan_windows(lengths: list[int], chunk_frames: int, receptive_field: int) -> list[list[_Window]]:
    """Split every sequence's output frames into windows of <= chunk_frames, grouped into batches.

    A batch holds at most as many input frames as one full window (chunk_frames + receptive_field - 1),
    which bounds memory; windows are sorted by length so that a batch holds windows of nearly equal
    length (each is extended to the batch's longest, see :func:`_window_inputs`).
    """
    windows = [
        _Window(sequence, start, min(start + chunk_frames, length))
        for sequence, length in enumerate(lengths)
        for start in range(0, length, chunk_frames)
    ]
    windows.sort(key=lambda window: window.stop - window.start, reverse=True)
    budget = chunk_frames + receptive_field - 1
    batches: list[list[_Window]] = []
    for window in windows:
        batch = batches[-1] if batches else None
        # The first window of a batch is its longest.
        if batch and (len(batch) + 1) * (batch[0].stop - batch[0].start + receptive_field - 1) <= budget:
            batch.append(window)
        else:
            batches.append([window])
    return batches


def _window_inputs(padded: np.ndarray, window: _Window, receptive_field: int, output_frames: int) -> np.ndarray:
    """The padded input frames that ``window``'s outputs need, extended to ``output_frames`` outputs.

    A window shorter than its batch's longest is extended by repeating its last input frame: the
    extra outputs are dropped, and the kept ones never see the extension (it lies after their window).
    """
    inputs = padded[window.start: window.stop + receptive_field - 1]
    extra = output_frames - (window.stop - window.start)
    if extra > 0:
        inputs = np.concatenate([inputs, np.repeat(inputs[-1:], extra, axis=0)])
    return inputs


def run_model(
    model: TemporalModel, sequences: list[np.ndarray], chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    device: torch.device | str = "cpu", progress: ProgressCallback = no_progress,
    progress_offset: int = 0, progress_total: int | None = None,
) -> list[np.ndarray]:
    """Run ``model`` on each (frames, joints_in, features) sequence, one output per input frame.

    Each sequence is edge-padded (:func:`pad_for_model`) and cut into windows of at most
    ``chunk_frames`` output frames whose inputs overlap by receptive_field - 1 frames, so the result
    equals one pass over the whole sequence while memory stays bounded. Windows of several
    sequences share a forward pass. Returns (frames, joints_out, 3) float32 arrays.
    """
    if chunk_frames < 1:
        raise VideoposeError(f"chunk size must be at least 1 frame, got {chunk_frames}")
    receptive_field, causal_shift = model.receptive_field(), model.total_causal_shift()
    padded = [pad_for_model(np.asarray(sequence, dtype=np.float32), receptive_field, causal_shift) for sequence in sequences]
    lengths = [len(sequence) for sequence in sequences]
    outputs = [np.empty((length, model.num_joints_out, 3), dtype=np.float32) for length in lengths]
    total = progress_total if progress_total is not None else sum(lengths)
    done = progress_offset
    model = model.to(device).eval()
    with torch.inference_mode():
        for batch in _plan_windows(lengths, chunk_frames, receptive_field):
            longest = batch[0].stop - batch[0].start
            inputs = np.stack([_window_inputs(padded[w.sequence], w, receptive_field, longest) for w in batch])
            predicted = model(torch.from_numpy(inputs).to(device)).float().cpu().numpy()
            for row, window in enumerate(batch):
                outputs[window.sequence][window.start: window.stop] = predicted[row, : window.stop - window.start]
                done += window.stop - window.start
            progress(done, total, "lifting")
    return outputs


def lift_clips(
    clips: list[Keypoints2D], checkpoint: LifterCheckpoint | str | os.PathLike, device: str = "auto",
    flip: bool = True, progress: ProgressCallback | None = None, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
) -> list[Motion3D]:
    """Lift several clips (batched together) to root-relative 3D joints; see :func:`lift_keypoints`."""
    if not isinstance(checkpoint, LifterCheckpoint):
        checkpoint = load_checkpoint(checkpoint)
    progress = progress or no_progress
    config = checkpoint.config
    input_layout, output_layout = get_layout(config.input_layout), get_layout(config.output_layout)
    torch_device = select_device(device)
    prepared = [prepare_clip(clip, config) for clip in clips]
    sequences = [clip.inputs for clip in prepared]
    if flip:
        sequences += [mirror_inputs(inputs, input_layout) for inputs in sequences]
    models = [("pose", checkpoint.pose_model())]
    trajectory_model = checkpoint.trajectory_model()
    if trajectory_model is not None:
        models.append(("trajectory", trajectory_model))
    frames_per_model = sum(len(sequence) for sequence in sequences)
    total_work = frames_per_model * len(models)
    clip_frames = sum(clip.num_frames for clip in clips)

    def report(done: int, total: int, message: str = "") -> None:
        # Progress in frames of the clips (so a bar's frames/s is the user's), whatever the passes.
        progress(int(done * clip_frames // total_work), clip_frames, message)

    predictions: dict[str, list[np.ndarray]] = {}
    for index, (name, model) in enumerate(models):
        raw = run_model(model, sequences, chunk_frames, torch_device, report,
                        progress_offset=index * frames_per_model, progress_total=total_work)
        if flip:
            count = len(clips)
            mirror_layout = output_layout if name == "pose" else None
            raw = [(raw[i] + unmirror_outputs(raw[count + i], mirror_layout)) / 2 for i in range(count)]
        predictions[name] = raw

    pelvis = output_layout.index("pelvis") if "pelvis" in output_layout.names else 0
    motions = []
    for clip_index, (clip, ready) in enumerate(zip(clips, prepared)):
        joints = predictions["pose"][clip_index]
        joints = joints - joints[:, pelvis: pelvis + 1]  # root-relative, as the model was trained (Sec. 4)
        trajectory = predictions["trajectory"][clip_index][:, 0] if "trajectory" in predictions else None
        if ready.filled_keypoints:
            log.info("filled %d missing keypoints by interpolation over time", ready.filled_keypoints)
        motions.append(Motion3D(
            joints_3d=joints, fps=clip.fps, layout=config.output_layout, trajectory=trajectory,
            extras={"filled_keypoints": np.array(ready.filled_keypoints, dtype=np.int64)},
        ))
    return motions


def lift_keypoints(
    keypoints: Keypoints2D, checkpoint: LifterCheckpoint | str | os.PathLike, device: str = "auto",
    flip: bool = True, progress: ProgressCallback | None = None, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
) -> Motion3D:
    """Lift one clip of any length >= 2 frames to 3D joints (camera frame, metres, pelvis at 0).

    keypoints: in the checkpoint's input layout, or one that holds its joints (converted by name).
    flip: average with the prediction for the mirrored clip (test-time augmentation, Sec. 5.2).
    chunk_frames: output frames per forward pass; bounds memory, does not change the result.
    The result has ``trajectory`` if the checkpoint has a trajectory model, and
    ``extras["filled_keypoints"]``: how many missing keypoints were interpolated.
    """
    return lift_clips([keypoints], checkpoint, device=device, flip=flip, progress=progress, chunk_frames=chunk_frames)[0]
