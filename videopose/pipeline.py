"""Video -> keypoints -> motion -> animation -> file: the whole job behind ``videopose run``.

Intermediate files are kept next to the output (``NAME.keypoints.npz``, ``NAME.motion.npz``) and
stamped with what they were made from, so a re-run with other retarget or export options skips
detection and lifting.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import check_outputs, output_lock, refuse_existing
from videopose.core.progress import ProgressCallback, no_progress
from videopose.core.validate import check_joint_positions
from videopose.retarget.pipeline import RetargetOptions, retarget_motion

OUTPUT_SUFFIXES = (".fbx", ".bvh", ".blend", ".npz")
PREVIEW_SUFFIXES = (".mp4", ".m4v", ".mov", ".png")

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
    bvh_up_axis: str = "Y"              # BVH output: Y up (what importers assume) or Z (docs/formats.md)
    bvh_units_per_metre: float = 1.0    # BVH output: 1 = metres, 100 = centimetres
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
    warnings: tuple[str, ...] = ()      # lines the user should read (e.g. a performer rarely found)


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


def _has_stamp(path: Path, stamp_key: str) -> bool:
    """Whether the ``.npz`` at ``path`` carries ``extra_<stamp_key>``: ``run`` made it (read from the index)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return f"extra_{stamp_key}.npy" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _refuse_unstamped(path: Path, stamp_key: str, overwrite: bool) -> None:
    """A file where ``run`` keeps an intermediate that ``run`` did not make is the user's: never replaced
    without ``overwrite``."""
    if not overwrite and path.exists() and not _has_stamp(path, stamp_key):
        raise VideoposeError(
            f"{path} exists and was not made by `videopose run` (run keeps its intermediate file there): "
            "pass --overwrite to replace it, or choose another output name"
        )


def _check_keypoints_for_run(keypoints, source: str) -> str | None:
    """Refuse keypoints a run cannot animate honestly (performer rarely found, variable frame rate);
    a warning line when the performer was found in few frames."""
    from videopose.core.validate import check_constant_rate, check_detected_share

    extras = keypoints.extras
    detected = (int(np.count_nonzero(extras["detected"])) if "detected" in extras
                else int((keypoints.scores > 0).any(axis=1).sum()))
    check_constant_rate(bool(extras.get("variable_frame_rate", False)), extras.get("timestamps"), source)
    return check_detected_share(detected, keypoints.num_frames, source)


def _kept_or_made(path: Path, load: Callable, stamp_key: str, stamp: str, reuse: bool, make: Callable,
                  check: Callable | None = None):
    """The file kept at ``path`` if it carries ``stamp`` (what it was made from), else ``make()`` stamped
    and saved there; ``check`` (raising) sees either before it is used or saved. Returns
    (Keypoints2D or Motion3D, whether it was reused)."""
    if reuse and path.exists():
        kept = load(path)
        if stamp_key in kept.extras and str(kept.extras[stamp_key]) == stamp:
            if check is not None:
                check(kept)
            return kept, True
    made = make()
    if check is not None:
        check(made)
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
    """Detect, lift, retarget and export ``video`` into ``output`` (.fbx, .bvh, .blend or .npz animation).

    Before any work: the output, the preview and the kept intermediate files may not be an input,
    an existing folder, a user's own file (``overwrite`` off) or each other; they stay locked for the
    whole run, so a second run on the same output fails at once instead of racing this one.
    """
    video_path, output_path, checkpoint_path = check_run(video, output, options)
    keypoints_path, motion_path = intermediate_paths(output_path)
    preview = Path(options.preview) if options.preview is not None else None
    with contextlib.ExitStack() as locks:
        for path in (output_path, keypoints_path, motion_path, preview):
            if path is not None:
                _make_folder(path.parent)
                locks.enter_context(output_lock(path))
        refuse_existing(output_path, options.overwrite)  # again, now that no other run can write it
        return _run_stages(video_path, output_path, checkpoint_path, options, progress, on_stage)


def check_run(video: str | os.PathLike, output: str | os.PathLike,
              options: RunOptions = RunOptions()) -> tuple[Path, Path, Path]:
    """The checks :func:`run_pipeline` makes before any work (none writes anything); returns the video,
    output and checkpoint paths. The CLI calls it first so that errors come before a progress bar."""
    video_path, output_path = Path(video), Path(output)
    if output_path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise VideoposeError(f"output must end in one of {', '.join(OUTPUT_SUFFIXES)}, got {output_path.name}")
    if video_path.is_dir():
        raise VideoposeError(f"{video_path} is a folder: give one video file (the Blender add-on's batch converts folders)")
    if not video_path.is_file():
        raise VideoposeError(f"video not found: {video_path}")
    preview = Path(options.preview) if options.preview is not None else None
    if preview is not None and preview.suffix.lower() not in PREVIEW_SUFFIXES:
        raise VideoposeError(f"--preview must end in .mp4 (video) or .png (contact sheet), got {preview.name}")
    from videopose.lifter.video import probe_video

    probe_video(video_path)  # an empty or unreadable video fails now, before torch and the models load
    from videopose.lifter.checkpoint import resolve_checkpoint

    checkpoint_path = resolve_checkpoint(options.checkpoint)
    keypoints_path, motion_path = intermediate_paths(output_path)
    inputs = {"the input video": video_path, "the lifter checkpoint": checkpoint_path}
    kept = {"the kept keypoints file": keypoints_path, "the kept motion file": motion_path}
    check_outputs({"the output": output_path, "--preview": preview}, {**inputs, **kept}, options.overwrite)
    check_outputs(kept, inputs, overwrite=True)
    _refuse_unstamped(keypoints_path, "video_signature", options.overwrite)
    _refuse_unstamped(motion_path, "lift_signature", options.overwrite)
    for path in (output_path, keypoints_path, motion_path, preview):
        if path is not None and path.parent.is_dir():
            with output_lock(path):  # another run writing it now: fail before the models load
                pass
    return video_path, output_path, checkpoint_path


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VideoposeError(f"cannot create the output folder {folder}: {error.strerror}") from None


def _run_stages(video_path: Path, output_path: Path, checkpoint_path: Path, options: RunOptions,
                progress: ProgressCallback, on_stage: Callable[[str], None] | None) -> RunResult:
    """The stages of :func:`run_pipeline` once its inputs and outputs are checked and locked."""
    import time

    from videopose.lifter.checkpoint import load_checkpoint
    from videopose.core.formats import Keypoints2D, Motion3D
    from videopose.core.progress import scaled

    keypoints_path, motion_path = intermediate_paths(output_path)
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
                                    options.reuse, detect,
                                    check=lambda found: _check_keypoints_for_run(found, video_path.name))
    note = _check_keypoints_for_run(keypoints, video_path.name)
    if kept:
        reused.append("detect")
    else:
        seconds["detect"] = time.perf_counter() - began

    began = time.perf_counter()
    lift_stamp = f"{file_signature(keypoints_path)}|{file_signature(checkpoint_path)}|flip={options.flip}"
    motion, kept = _kept_or_made(motion_path, Motion3D.load, "lift_signature", lift_stamp, options.reuse, lift,
                                 check=lambda lifted: check_joint_positions(lifted.joints_3d, "the lifted motion"))
    if kept:
        reused.append("lift")
    else:
        seconds["lift"] = time.perf_counter() - began

    began = time.perf_counter()
    stage_progress("retarget")(0, 1)
    animation = retarget_motion(motion, options.retarget, keypoints=grounding_keypoints(video_path, keypoints))
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
                     tuple(reused), seconds, (note,) if note else ())


def grounding_keypoints(video_path: Path, keypoints):
    """The keypoints to ground the motion in the camera with (docs/grounding.md), or None (with a warning)
    where the video's background moves: the static-camera assumption fails, the lifter's depth is used."""
    import warnings

    from videopose.lifter.camera import MOVING_CAMERA_SPEED, background_motion

    speed = background_motion(video_path, keypoints)
    if speed <= MOVING_CAMERA_SPEED:
        return keypoints
    warnings.warn(f"the camera seems to move (the background moves {speed:.0%} of the frame diagonal per second): "
                  "grounding assumes a static camera, so the root path and floor come from the lifter's depth",
                  stacklevel=2)
    return None


def export_animation(animation, output: Path, options: RunOptions, progress: ProgressCallback = no_progress) -> None:
    """Write an Animation as .npz, .bvh, or (through Blender) .fbx / .blend."""
    suffix = output.suffix.lower()
    if suffix == ".npz":
        animation.save(output, overwrite=options.overwrite)
    elif suffix == ".bvh":
        from videopose.core.bvh import write_bvh

        write_bvh(animation, output, up_axis=options.bvh_up_axis, units_per_metre=options.bvh_units_per_metre,
                  overwrite=options.overwrite)
    else:
        from videopose.addon.headless import export_animation_file

        export_animation_file(animation, output, preset=options.fbx_preset)
    progress(1, 1)


def make_preview(motion, keypoints, video_path: Path, preview_path: Path, options: RunOptions,
                 progress: ProgressCallback = no_progress) -> None:
    """The video with its 2D skeleton beside the lifted 3D skeleton (.mp4), or a contact sheet (.png)."""
    from videopose.preview.render import render_contact_sheet, render_preview_video

    if preview_path.suffix.lower() == ".png":
        render_contact_sheet(motion, preview_path, video_path=video_path, keypoints=keypoints,
                             overwrite=options.overwrite)
    else:
        render_preview_video(motion, preview_path, video_path=video_path, keypoints=keypoints, progress=progress,
                             overwrite=options.overwrite)
