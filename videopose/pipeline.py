"""Video -> keypoints -> motion -> animation -> file: the whole job behind ``videopose run``.

Intermediate files are kept next to the output (``NAME.keypoints.npz``, ``NAME.motion.npz``) and
stamped with what they were made from, so a re-run with other retarget or export options skips
detection and lifting.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import refuse_existing
from videopose.core.progress import ProgressCallback, no_progress
from videopose.retarget.pipeline import RetargetOptions, retarget_motion

OUTPUT_SUFFIXES = (".fbx", ".bvh", ".blend", ".npz")

# Share of the whole job each stage takes (measured on the sample clip: detection dominates).
_STAGE_WEIGHTS = {"detect": 0.70, "lift": 0.10, "retarget": 0.05, "export": 0.10, "preview": 0.05}


@dataclass(frozen=True)
class RunOptions:
    """What ``videopose run`` can be told; every field has the default a new user wants."""

    retarget: RetargetOptions = RetargetOptions()  # rig, smoothing, foot lock
    device: str = "auto"
    checkpoint: str | None = None       # None = shipped default weights
    flip: bool = True                   # test-time flip augmentation
    preview: Path | None = None         # .mp4 (video beside 3D) or .png (contact sheet)
    fbx_preset: str = "blender"
    reuse: bool = True                  # reuse matching intermediate files
    overwrite: bool = False


@dataclass(frozen=True)
class RunResult:
    output: Path
    keypoints_path: Path
    motion_path: Path
    preview: Path | None
    frames: int
    fps: float
    reused: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)


def intermediate_paths(output: Path) -> tuple[Path, Path]:
    """Where the keypoints and the motion of ``output`` are kept: beside it, named after it."""
    stem = output.name[: -len(output.suffix)] if output.suffix else output.name
    return output.with_name(f"{stem}.keypoints.npz"), output.with_name(f"{stem}.motion.npz")


def file_signature(path: Path) -> str:
    """Identity of an input file (name, size, content hash of its first and last MiB)."""
    stat = path.stat()
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        digest.update(stream.read(1 << 20))
        if stat.st_size > 2 << 20:
            stream.seek(-(1 << 20), os.SEEK_END)
            digest.update(stream.read())
    return f"{path.name}|{stat.st_size}|{digest.hexdigest()}"


def _kept_or_made(path: Path, load: Callable, stamp_key: str, stamp: str, reuse: bool, make: Callable):
    """The file kept at ``path`` if it carries ``stamp`` (what it was made from), else ``make()`` stamped
    and saved there. Returns (Keypoints2D or Motion3D, whether it was reused)."""
    if reuse and path.exists():
        kept = load(path)
        if stamp_key in kept.extras and str(kept.extras[stamp_key]) == stamp:
            return kept, True
    made = make()
    made = type(made)(**{**made.__dict__, "extras": {**made.extras, stamp_key: np.array(stamp)}})
    made.save(path)
    return made, False


def run_pipeline(
    video: str | os.PathLike,
    output: str | os.PathLike,
    options: RunOptions = RunOptions(),
    progress: ProgressCallback = no_progress,
    on_stage: Callable[[str], None] | None = None,
) -> RunResult:
    """Detect, lift, retarget and export ``video`` into ``output`` (.fbx, .bvh, .blend or .npz animation)."""
    import time

    video_path, output_path = Path(video), Path(output)
    if output_path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise VideoposeError(f"output must end in one of {', '.join(OUTPUT_SUFFIXES)}, got {output_path.name}")
    if not video_path.is_file():
        raise VideoposeError(f"video not found: {video_path}")
    refuse_existing(output_path, options.overwrite)
    keypoints_path, motion_path = intermediate_paths(output_path)

    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.core.formats import Keypoints2D, Motion3D
    from videopose.core.progress import scaled

    checkpoint_path = resolve_checkpoint(options.checkpoint)
    stage_bounds, start = {}, 0.0
    for stage, weight in _STAGE_WEIGHTS.items():
        stage_bounds[stage] = (start, start + weight)
        start += weight

    def stage_progress(stage: str) -> ProgressCallback:
        if on_stage is not None:
            on_stage(stage)
        return scaled(progress, *stage_bounds[stage])

    reused: list[str] = []
    seconds: dict[str, float] = {}

    def detect():
        from videopose.lifter.detect import detect_video

        return detect_video(video_path, progress=stage_progress("detect"))

    def lift():
        from videopose.lifter.infer import lift_keypoints

        return lift_keypoints(keypoints, load_checkpoint(checkpoint_path), device=options.device, flip=options.flip,
                              progress=stage_progress("lift"))

    began = time.perf_counter()
    keypoints, kept = _kept_or_made(keypoints_path, Keypoints2D.load, "video_signature", file_signature(video_path),
                                    options.reuse, detect)
    if kept:
        reused.append("detect")
    else:
        seconds["detect"] = time.perf_counter() - began

    began = time.perf_counter()
    lift_stamp = f"{file_signature(keypoints_path)}|{file_signature(checkpoint_path)}|flip={options.flip}"
    motion, kept = _kept_or_made(motion_path, Motion3D.load, "lift_signature", lift_stamp, options.reuse, lift)
    if kept:
        reused.append("lift")
    else:
        seconds["lift"] = time.perf_counter() - began

    began = time.perf_counter()
    stage_progress("retarget")(0, 1)
    animation = retarget_motion(motion, options.retarget)
    seconds["retarget"] = time.perf_counter() - began

    began = time.perf_counter()
    export_animation(animation, output_path, options, progress=stage_progress("export"))
    seconds["export"] = time.perf_counter() - began

    if options.preview is not None:
        began = time.perf_counter()
        make_preview(motion, keypoints, video_path, Path(options.preview), options, stage_progress("preview"))
        seconds["preview"] = time.perf_counter() - began
    progress(1000, 1000, "done")
    return RunResult(output_path, keypoints_path, motion_path, options.preview, motion.num_frames, motion.fps,
                     tuple(reused), seconds)


def export_animation(animation, output: Path, options: RunOptions, progress: ProgressCallback = no_progress) -> None:
    """Write an Animation as .npz, .bvh, or (through Blender) .fbx / .blend."""
    suffix = output.suffix.lower()
    if suffix == ".npz":
        animation.save(output, overwrite=options.overwrite)
    elif suffix == ".bvh":
        from videopose.core.bvh import write_bvh

        write_bvh(animation, output)
    else:
        from videopose.addon.headless import export_animation_file

        export_animation_file(animation, output, preset=options.fbx_preset)
    progress(1, 1)


def make_preview(motion, keypoints, video_path: Path, preview_path: Path, options: RunOptions,
                 progress: ProgressCallback = no_progress) -> None:
    """The video with its 2D skeleton beside the lifted 3D skeleton (.mp4), or a contact sheet (.png)."""
    from videopose.preview.render import render_contact_sheet, render_preview_video

    if preview_path.suffix.lower() == ".png":
        render_contact_sheet(motion, preview_path, video_path=video_path, keypoints=keypoints)
    else:
        render_preview_video(motion, preview_path, video_path=video_path, keypoints=keypoints, progress=progress)
