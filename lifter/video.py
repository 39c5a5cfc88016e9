"""Reading videos with OpenCV: properties, rotation, per-frame timestamps, clear errors.

Rotation: phones store portrait video as landscape pixels plus a rotation in the container
(``tkhd`` display matrix / ``rotate`` tag). OpenCV 4.11's pip wheels do not apply it by default
(``CAP_PROP_ORIENTATION_AUTO`` reads 0), so this module turns OpenCV's auto-rotation off and
rotates every frame itself by ``CAP_PROP_ORIENTATION_META`` degrees clockwise: the frames, sizes and
keypoints are then always in display orientation, whatever the OpenCV build does.

Frame rate: ``fps`` is the container's average rate. Each frame's presentation time
(``CAP_PROP_POS_MSEC``) is kept too, so a variable-frame-rate clip (common from phones) keeps its true
timing; :func:`is_variable_frame_rate` says whether the times stray from a constant rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from videopose.core.errors import VideoposeError

# Clockwise display rotation in degrees -> the cv2.rotate code that applies it.
_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}

# Fewer decoded frames than this share of the container's count means a truncated or corrupt file.
TRUNCATION_TOLERANCE = 0.9

# A frame interval straying more than this from the median one marks a variable-frame-rate stream.
VFR_TOLERANCE = 0.2

_REENCODE_HINT = "re-encode it (e.g. `ffmpeg -i INPUT -c:v libx264 -pix_fmt yuv420p OUTPUT.mp4`) or use the original file"


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, in display orientation.

    width/height: pixels after ``rotation`` (degrees clockwise) is applied.
    frame_count: the container's count (an estimate for some formats; decoding gives the truth).
    duration: seconds, ``frame_count / fps``.
    """

    path: Path
    fps: float
    width: int
    height: int
    frame_count: int
    rotation: int
    duration: float
    codec: str


def _fourcc_text(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else "unknown"


def open_video(path: str | os.PathLike) -> tuple[cv2.VideoCapture, int]:
    """An opened capture with OpenCV's auto-rotation off, and the rotation (0/90/180/270 clockwise) to apply.

    Raises VideoposeError for a missing, empty or unreadable file.
    """
    source = Path(path)
    if not source.exists():
        raise VideoposeError(f"video not found: {source}")
    if not source.is_file():
        raise VideoposeError(f"not a video file (it is a folder): {source}")
    if source.stat().st_size == 0:
        raise VideoposeError(f"video file is empty (0 bytes): {source}")
    capture = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoposeError(
            f"cannot open {source} as a video: is it a video file (mp4, mov, webm, avi, mkv)? "
            f"If it is, it may be truncated or corrupt: {_REENCODE_HINT}"
        )
    rotation = int(round(capture.get(cv2.CAP_PROP_ORIENTATION_META) or 0)) % 360
    if rotation not in _ROTATE_CODES:
        rotation = 0
    if not capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0) and capture.get(cv2.CAP_PROP_ORIENTATION_AUTO):
        rotation = 0  # this OpenCV build rotates by itself and will not stop: trust it
    return capture, rotation


def _rotated_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, 270) else (width, height)


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """The video's :class:`VideoInfo`, after checking that at least one frame decodes."""
    capture, rotation = open_video(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        width, height = _rotated_size(
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), rotation
        )
        frame_count = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        codec = _fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        raise VideoposeError(f"video has 0 readable frames: is it a video file? ({path}); if so, {_REENCODE_HINT}")
    if not (0 < fps < 1000):
        raise VideoposeError(f"video {path} does not state a usable frame rate ({fps}): {_REENCODE_HINT}")
    if width <= 0 or height <= 0:
        height, width = _rotate(frame, rotation).shape[:2]
    return VideoInfo(Path(path), fps, width, height, frame_count, rotation, frame_count / fps, codec)


read_video_info = probe_video  # the name other modules were first told


def _rotate(frame: np.ndarray, rotation: int) -> np.ndarray:
    return cv2.rotate(frame, _ROTATE_CODES[rotation]) if rotation else frame


def iter_frames_with_times(
    path: str | os.PathLike, rgb: bool = True, max_frames: int | None = None
) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(frame, seconds)``: (height, width, 3) uint8 frames in display orientation (RGB, or
    OpenCV's BGR with ``rgb=False``) and each frame's presentation time in seconds.

    After the last frame, raises VideoposeError if far fewer frames decoded than the container
    announced (a truncated or corrupt file) or if none decoded at all.
    """
    capture, rotation = open_video(path)
    expected = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    decoded = 0
    try:
        while max_frames is None or decoded < max_frames:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            milliseconds = capture.get(cv2.CAP_PROP_POS_MSEC)
            seconds = milliseconds / 1000.0 if milliseconds >= 0 else (decoded / fps if fps > 0 else float(decoded))
            frame = _rotate(frame, rotation)
            yield (cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if rgb else frame), seconds
            decoded += 1
    finally:
        capture.release()
    if decoded == 0:
        raise VideoposeError(f"video has 0 readable frames: is it a video file? ({path}); if so, {_REENCODE_HINT}")
    if max_frames is None and expected and decoded < TRUNCATION_TOLERANCE * expected and expected - decoded > 2:
        raise VideoposeError(
            f"video {path} stopped decoding after {decoded} of the {expected} frames its header announces: "
            f"the file is truncated or corrupt; {_REENCODE_HINT}"
        )


def iter_frames_at(path: str | os.PathLike, indices) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, frame)`` for the wanted frame ``indices`` in order: (height, width, 3) uint8 BGR frames
    in display orientation. The frames between are grabbed, not converted (55-70 % of the time of reading them);
    indices past the video's end are not yielded."""
    wanted = sorted({int(index) for index in indices if index >= 0})
    capture, rotation = open_video(path)
    try:
        position = 0
        for index in wanted:
            while position < index and capture.grab():
                position += 1
            if position < index:
                return
            ok, frame = capture.read()
            position += 1
            if not ok or frame is None:
                return
            yield index, _rotate(frame, rotation)
    finally:
        capture.release()


def iter_frames(path: str | os.PathLike, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield (height, width, 3) RGB uint8 frames in display orientation (container rotation applied)."""
    for frame, _ in iter_frames_with_times(path, rgb=True, max_frames=max_frames):
        yield frame


def is_variable_frame_rate(timestamps: np.ndarray, tolerance: float = VFR_TOLERANCE) -> bool:
    """True when any interval of (frames,) timestamps in seconds strays more than ``tolerance``
    (a fraction) from the median interval."""
    intervals = np.diff(np.asarray(timestamps, dtype=np.float64))
    if len(intervals) < 2:
        return False
    median = float(np.median(intervals))
    if median <= 0:
        return True
    return bool(np.any(np.abs(intervals - median) > tolerance * median))
