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

from videopose.errors import VideoposeError
from videopose.progress import ProgressCallback, no_progress

OUTPUT_SUFFIXES = (".fbx", ".bvh", ".blend", ".npz")

# Share of the whole job each stage takes (measured on the sample clip: detection dominates).
_STAGE_WEIGHTS = {"detect": 0.70, "lift": 0.10, "retarget": 0.05, "export": 0.10, "preview": 0.05}


@dataclass(frozen=True)
class RunOptions:
    """What ``videopose run`` can be told; every field has the default a new user wants."""

    rig: str | None = None              # rig preset or bone-map JSON; None = videopose's own skeleton
    smooth: float | None = None         # rotation smoothing strength; None = the retargeter's default
    foot_lock: bool = True
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


def _stamp_matches(extras: dict[str, np.ndarray], key: str, expected: str) -> bool:
    return key in extras and str(extras[key]) == expected


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
    if output_path.exists() and not options.overwrite:
        raise VideoposeError(f"{output_path} already exists: pass --overwrite to replace it")
    keypoints_path, motion_path = intermediate_paths(output_path)

    from lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.formats import Keypoints2D, Motion3D
    from videopose.progress import scaled

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

    video_stamp = file_signature(video_path)
    keypoints = None
    if options.reuse and keypoints_path.exists():
        cached = Keypoints2D.load(keypoints_path)
        if _stamp_matches(cached.extras, "video_signature", video_stamp):
            keypoints, _ = cached, reused.append("detect")
    if keypoints is None:
        from lifter.detect import detect_video

        began = time.perf_counter()
        detected = detect_video(video_path, progress=stage_progress("detect"))
        keypoints = Keypoints2D(**{**detected.__dict__, "extras": {**detected.extras, "video_signature": np.array(video_stamp)}})
        keypoints.save(keypoints_path)
        seconds["detect"] = time.perf_counter() - began

    lift_stamp = f"{file_signature(keypoints_path)}|{file_signature(checkpoint_path)}|flip={options.flip}"
    motion = None
    if options.reuse and motion_path.exists():
        cached_motion = Motion3D.load(motion_path)
        if _stamp_matches(cached_motion.extras, "lift_signature", lift_stamp):
            motion, _ = cached_motion, reused.append("lift")
    if motion is None:
        began = time.perf_counter()
        from lifter.infer import lift_keypoints

        checkpoint = load_checkpoint(checkpoint_path)
        lifted = lift_keypoints(keypoints, checkpoint, device=options.device, flip=options.flip,
                                progress=stage_progress("lift"))
        motion = Motion3D(**{**lifted.__dict__, "extras": {**lifted.extras, "lift_signature": np.array(lift_stamp)}})
        motion.save(motion_path)
        seconds["lift"] = time.perf_counter() - began

    began = time.perf_counter()
    stage_progress("retarget")(0, 1)
    animation = retarget(motion, options)
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


def retarget(motion, options: RunOptions):
    """Motion3D -> Animation on the chosen rig, through the retarget package."""
    from retarget.pipeline import RetargetOptions, retarget_motion

    fields = {"foot_lock": options.foot_lock, "rig": options.rig}
    if options.smooth is not None:
        fields["smooth"] = options.smooth
    return retarget_motion(motion, RetargetOptions(**fields))


def export_animation(animation, output: Path, options: RunOptions, progress: ProgressCallback = no_progress) -> None:
    """Write an Animation as .npz, .bvh, or (through Blender) .fbx / .blend."""
    suffix = output.suffix.lower()
    if suffix == ".npz":
        animation.save(output, overwrite=options.overwrite)
    elif suffix == ".bvh":
        from retarget.bvh import write_bvh

        write_bvh(animation, output)
    else:
        from addon.headless import export_animation_file

        export_animation_file(animation, output, preset=options.fbx_preset)
    progress(1, 1)


def make_preview(motion, keypoints, video_path: Path, preview_path: Path, options: RunOptions,
                 progress: ProgressCallback = no_progress) -> None:
    """The video with its 2D skeleton beside the lifted 3D skeleton (.mp4), or a contact sheet (.png)."""
    from lifter.preview import render_contact_sheet, render_preview_video

    if preview_path.suffix.lower() == ".png":
        render_contact_sheet(motion, preview_path, video_path=video_path, keypoints=keypoints)
    else:
        render_preview_video(motion, preview_path, video_path=video_path, keypoints=keypoints, progress=progress)
