"""A folder of videos or motions -> one FBX per input, skipping existing outputs unless asked.

Used by the ``videopose.batch`` operator and headless (:func:`batch_convert`). A file that
fails is reported and the batch goes on; each output is written atomically.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from videopose.core.errors import VideoposeError
from videopose.core.progress import ProgressCallback, no_progress

from videopose.retarget.pipeline import RetargetOptions

from .headless import export_fbx
from .jobs import run_command
from .sources import MOTION_SUFFIXES, VIDEO_SUFFIXES, clip_name


@dataclass(frozen=True)
class BatchItem:
    source: Path
    output: Path
    kind: str                       # "motion" (npz/bvh) or "video"
    status: str = "pending"         # "written", "skipped", "failed"
    message: str = ""
    seconds: float = 0.0


def plan_batch(input_dir: str | os.PathLike, output_dir: str | os.PathLike, overwrite: bool = False) -> list[BatchItem]:
    """Every video / motion / BVH directly in ``input_dir`` (sorted) with its ``output_dir/NAME.fbx``;
    items whose output exists are marked ``skipped`` unless ``overwrite``. Keypoint files are ignored.

    Inputs that share a clip name (``clip.mp4``, ``clip.bvh``, ``clip.npz``) are named after their
    whole file name instead (``clip_mp4.fbx``, ...), so no output is written twice; a name that still
    collides marks the item ``failed``."""
    source_dir, target_dir = Path(input_dir), Path(output_dir)
    if not source_dir.is_dir():
        raise VideoposeError(f"input folder not found: {source_dir}")
    sources = []
    for source in sorted(p for p in source_dir.iterdir() if p.is_file()):
        suffix = source.suffix.lower()
        if source.name.lower().endswith(".keypoints.npz") or source.name.startswith("."):
            continue
        kind = "video" if suffix in VIDEO_SUFFIXES else "motion" if suffix in MOTION_SUFFIXES else None
        if kind is not None:
            sources.append((source, kind))
    names = [clip_name(source).lower() for source, _ in sources]
    items, taken = [], set()
    for (source, kind), name in zip(sources, names):
        stem = clip_name(source) if names.count(name) == 1 else source.name.replace(".", "_")
        output = target_dir / f"{stem}.fbx"
        if output.name.lower() in taken:
            items.append(BatchItem(source, output, kind, "failed",
                                   f"its output name {output.name} is taken by another input: rename the file"))
            continue
        taken.add(output.name.lower())
        skip = output.exists() and not overwrite
        items.append(BatchItem(source, output, kind, "skipped" if skip else "pending",
                               "output exists (overwrite is off)" if skip else ""))
    return items


def run_video_to_fbx(video: Path, output: Path, preset: str, settings: RetargetOptions,
                     python: str | None = None, device: str = "auto") -> None:
    """``videopose run VIDEO -o OUT.fbx`` in a subprocess (detection and lifting stay out of this process)."""
    command = run_command(python or sys.executable, video, output, settings.rig, settings.smooth,
                          settings.foot_lock, device, fbx_preset=preset, overwrite=True, height=settings.height,
                          fov=settings.fov)
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip() and not line.startswith("{")]
        raise VideoposeError(lines[-1] if lines else f"videopose run exited with status {completed.returncode}")


def convert_item(item: BatchItem, preset: str, settings: RetargetOptions, rig_blend=None, bone_map=None,
                 video_runner: Callable[[Path, Path], None] | None = None) -> BatchItem:
    """Convert one pending item; errors become a ``failed`` item, never an exception."""
    began = time.perf_counter()
    try:
        if item.kind == "video":
            runner = video_runner or (lambda video, output: run_video_to_fbx(video, output, preset, settings))
            runner(item.source, item.output)
        else:
            export_fbx(item.source, item.output, preset=preset, rig_blend=rig_blend, bone_map=bone_map,
                       settings=settings, overwrite=True)
        return BatchItem(item.source, item.output, item.kind, "written", "", time.perf_counter() - began)
    except Exception as error:  # one bad file must not stop the batch; the message says what went wrong
        message = str(error) if isinstance(error, VideoposeError) else f"{type(error).__name__}: {error}"
        return BatchItem(item.source, item.output, item.kind, "failed", message, time.perf_counter() - began)


def batch_convert(
    input_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    preset: str = "blender",
    overwrite: bool = False,
    settings: RetargetOptions = RetargetOptions(),
    rig_blend: str | os.PathLike | None = None,
    bone_map: str | None = None,
    video_runner: Callable[[Path, Path], None] | None = None,
    progress: ProgressCallback = no_progress,
) -> list[BatchItem]:
    """Convert a folder; returns one :class:`BatchItem` per input (written, skipped or failed)."""
    items = plan_batch(input_dir, output_dir, overwrite)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    results = []
    for index, item in enumerate(items):
        progress(index, len(items), item.source.name)
        if item.status == "pending":
            item = convert_item(item, preset, settings, rig_blend, bone_map, video_runner)
        results.append(item)
    progress(len(items), len(items), "done")
    return results


def summary(items: list[BatchItem]) -> str:
    counts = {status: sum(item.status == status for item in items) for status in ("written", "skipped", "failed")}
    return ", ".join(f"{count} {status}" for status, count in counts.items())
