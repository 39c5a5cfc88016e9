"""2D keypoints from a video with MediaPipe's BlazePose (mediapipe 0.10.21, legacy ``solutions.pose``).

The legacy solution's full model (``model_complexity=1``) ships inside the mediapipe wheel, so
detection runs offline; the lite (0) and heavy (2) models are downloaded by mediapipe on first use,
which videopose never lets it do: they work only where their ``.tflite`` files were installed.

Decoding runs in a background thread that fills a small bounded queue, so OpenCV decodes frame t+1
while BlazePose works on frame t (both release the GIL in their native code). BlazePose runs in
tracking mode: it finds the person once, then follows them from frame to frame, which is faster and
steadier than detecting in every frame.

Output: a :class:`~videopose.core.formats.Keypoints2D` in ``coco17`` (what the lifter takes; picked by
joint name from the 33 landmarks) with the full ``mediapipe33`` landmarks as ``source_*``. Scores are
BlazePose's per-landmark visibility, 0 where nothing was found. The track is cleaned by
:func:`videopose.lifter.tracking.clean_track` (one performer, left/right swaps fixed, gaps up to
``fill_gap_seconds`` filled at reduced score). Extras written to the file (``extra_*``):
``timestamps`` (frames,) seconds of each frame, ``detected`` (frames,) bool BlazePose found a person,
``filled`` (frames,) bool frame gap-filled, ``swapped`` (frames,) bool some body part's labels were
swapped back, ``other_person`` (frames,) bool frame dropped as someone else, ``variable_frame_rate``.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from videopose.lifter.tracking import clean_track
from videopose.lifter.video import iter_frames_with_times, is_variable_frame_rate, probe_video
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import COCO17, MEDIAPIPE33
from videopose.core.progress import ProgressCallback, no_progress

# COCO-17 joints as indices into BlazePose's 33 landmarks (same names).
COCO17_FROM_MEDIAPIPE33 = np.array([MEDIAPIPE33.names.index(name) for name in COCO17.names])
# The landmark model each complexity needs, as mediapipe names it inside its package.
_LANDMARK_MODELS = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}
# Decoded frames waiting for the detector: enough to absorb jitter, small enough for 4K frames.
QUEUE_FRAMES = 8
FILL_GAP_SECONDS = 0.25

_END = object()


def landmark_model_available(model_complexity: int) -> bool:
    """Whether BlazePose's landmark model for ``model_complexity`` is installed (no download needed)."""
    import mediapipe

    if model_complexity not in _LANDMARK_MODELS:
        return False
    folder = Path(mediapipe.__file__).parent / "modules" / "pose_landmark"
    return (folder / _LANDMARK_MODELS[model_complexity]).is_file()


def _check_model(model_complexity: int) -> None:
    if model_complexity not in _LANDMARK_MODELS:
        raise VideoposeError(f"model complexity must be 0, 1 or 2, got {model_complexity}")
    if not landmark_model_available(model_complexity):
        raise VideoposeError(
            f"BlazePose model complexity {model_complexity} needs {_LANDMARK_MODELS[model_complexity]}, which the "
            "mediapipe wheel does not ship (mediapipe would download it, and videopose never downloads at run time). "
            "Use --model-complexity 1 (the default, shipped), or copy that file into "
            f"{Path(__import__('mediapipe').__file__).parent / 'modules' / 'pose_landmark'}"
        )


def _decode_in_background(
    path: str | os.PathLike, max_frames: int | None, capacity: int
) -> tuple[Iterator[tuple[np.ndarray, float]], threading.Event]:
    """Frames from a decoder thread through a bounded queue; set the returned event to stop it early."""
    frames: queue.Queue = queue.Queue(maxsize=capacity)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                frames.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for item in iter_frames_with_times(path, rgb=True, max_frames=max_frames):
                if not put(item):
                    return
            put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)

    worker = threading.Thread(target=decode, name="videopose-decode", daemon=True)
    worker.start()

    def consume() -> Iterator[tuple[np.ndarray, float]]:
        try:
            while True:
                item = frames.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            worker.join(timeout=5)

    return consume(), stop


def detect_frames(
    frames: Iterator[tuple[np.ndarray, float]], total: int, model_complexity: int = 1,
    progress: ProgressCallback = no_progress, min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """BlazePose on (RGB frame, seconds) pairs -> (frames, 33, 2) pixels (NaN where no person),
    (frames, 33) visibility (0 where no person), (frames,) seconds, and the (width, height) of the frames."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ start-up chatter on stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import mediapipe as mp

    points, visibility, times = [], [], []
    size = (0, 0)
    with mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=model_complexity, smooth_landmarks=True,
        enable_segmentation=False, min_detection_confidence=min_detection_confidence,
        min_tracking_confidence=min_tracking_confidence,
    ) as pose:
        for index, (frame, seconds) in enumerate(frames):
            height, width = frame.shape[:2]
            size = (width, height)
            result = pose.process(frame)
            if result.pose_landmarks is None:
                points.append(np.full((MEDIAPIPE33.num_joints, 2), np.nan, dtype=np.float32))
                visibility.append(np.zeros(MEDIAPIPE33.num_joints, dtype=np.float32))
            else:
                landmarks = np.array([(mark.x, mark.y, mark.visibility) for mark in result.pose_landmarks.landmark],
                                     dtype=np.float32)
                points.append(landmarks[:, :2] * np.array([width, height], dtype=np.float32))
                visibility.append(np.clip(landmarks[:, 2], 0.0, 1.0))
            times.append(seconds)
            progress(index + 1, max(total, index + 1), "")
    if not points:
        return (np.zeros((0, MEDIAPIPE33.num_joints, 2), np.float32), np.zeros((0, MEDIAPIPE33.num_joints), np.float32),
                np.zeros(0), size)
    return np.stack(points), np.stack(visibility), np.asarray(times, dtype=np.float64), size


def detect_video(
    path: str | os.PathLike,
    *,
    progress: ProgressCallback | None = no_progress,
    model_complexity: int = 1,
    pipelined: bool = True,
    max_frames: int | None = None,
    fill_gap_seconds: float = FILL_GAP_SECONDS,
    clean: bool = True,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> Keypoints2D:
    """Detect one performer's 2D keypoints in every frame of a video (see the module docstring).

    progress: ``(done, total, message)`` per frame. pipelined: decode in a background thread (False:
    decode and detect in turn, for comparison). max_frames: stop after that many frames. clean:
    apply :func:`videopose.lifter.tracking.clean_track`. Raises VideoposeError for unreadable videos and when no
    person is found in any frame.
    """
    progress = progress or no_progress
    _check_model(model_complexity)
    info = probe_video(path)
    total = info.frame_count if max_frames is None else min(info.frame_count or max_frames, max_frames)
    if pipelined:
        frames, stop = _decode_in_background(path, max_frames, QUEUE_FRAMES)
    else:
        frames, stop = iter_frames_with_times(path, rgb=True, max_frames=max_frames), None
    try:
        source_points, source_scores, timestamps, (width, height) = detect_frames(
            frames, total, model_complexity, progress, min_detection_confidence, min_tracking_confidence
        )
    finally:
        if stop is not None:
            stop.set()
        frames.close()
    detected = np.isfinite(source_points).all(axis=(1, 2))
    if not detected.any():
        raise VideoposeError(
            f"no person found in any of the {len(detected)} frames of {path}: the performer's whole body should be "
            "visible, lit, and not too small (at least about a fifth of the frame height)"
        )
    extras: dict[str, np.ndarray] = {
        "timestamps": timestamps,
        "detected": detected,
        "variable_frame_rate": np.array(is_variable_frame_rate(timestamps)),
        "rotation": np.array(info.rotation),
        "model_complexity": np.array(model_complexity),
    }
    if clean:
        max_gap = max(0, int(round(fill_gap_seconds * info.fps)))  # 0: fill nothing
        cleaned = clean_track(source_points, source_scores, MEDIAPIPE33, max_gap=max_gap)
        source_points, source_scores = cleaned.keypoints, cleaned.scores
        extras.update(
            filled=cleaned.filled.all(axis=1) & ~detected,
            swapped=np.any(np.stack(list(cleaned.swapped.values())), axis=0) if cleaned.swapped
            else np.zeros(len(detected), dtype=bool),
            other_person=cleaned.other_person,
        )
    return Keypoints2D(
        keypoints=source_points[:, COCO17_FROM_MEDIAPIPE33], scores=source_scores[:, COCO17_FROM_MEDIAPIPE33],
        layout=COCO17.name, fps=info.fps, width=width or info.width, height=height or info.height,
        source_keypoints=source_points, source_scores=source_scores, source_layout=MEDIAPIPE33.name,
        extras=extras,
    )


def detection_summary(keypoints: Keypoints2D) -> dict[str, float | int | bool]:
    """Counts for a one-line report: frames, frames with a person, filled, swapped, someone else, VFR."""
    extras = keypoints.extras
    frames = keypoints.num_frames

    def count(key: str) -> int:
        return int(np.count_nonzero(extras[key])) if key in extras else 0

    detected = count("detected") if "detected" in extras else int((keypoints.scores > 0).any(axis=1).sum())
    return {
        "frames": frames,
        "detected": detected,
        "detected_percent": 100.0 * detected / frames,
        "filled": count("filled"),
        "swaps_fixed": count("swapped"),
        "other_person": count("other_person"),
        "missing": int((~(keypoints.scores > 0).any(axis=1)).sum()),
        "variable_frame_rate": bool(extras.get("variable_frame_rate", False)),
    }
