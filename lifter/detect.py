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
BlazePose's per-landmark visibility, 0 where nothing was found.

Identity: every detection gets a track from :func:`videopose.lifter.tracking.assign_identities`
(position with velocity, size, colour histogram; never the pose). When the full-frame pass does not
give the performer (BlazePose lost a fast, rotating body, or its tracker jumped to someone else), it is
run again, in still-image mode, on the square of ``CROP_SIZES`` body sizes around where the performer
was heading, the crop turned first so that their last pose stands upright (90/180/270 degrees), the
landmarks mapped back. ``people="all"`` (:func:`detect_people`) also runs OpenCV's HOG people detector
(no weights to download) every ``DISCOVER_EVERY`` frames and follows everyone it finds the same way.
The main performer is the most prominent track (most frames, largest, most central).

The track is then cleaned by :func:`videopose.lifter.tracking.clean_track` (left/right swaps fixed, gaps
up to ``fill_gap_seconds`` filled at reduced score; longer gaps stay missing, score 0, for the lifter).
Extras written to the file (``extra_*``, docs/formats.md): ``timestamps``, ``detected``, ``recovered``
(found by searching again), ``rotated``, ``other_person`` (the full-frame pass was on someone else),
``filled``, ``swapped``, ``person``, ``people``, ``people_mode``, ``variable_frame_rate``.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from videopose.lifter.tracking import (
    TrackerSettings, TrackState, assign_identities, association_costs, bounding_boxes, clean_track,
    track_prominence,
)
from videopose.lifter.scene_lines import background_lines, with_background_lines
from videopose.lifter.video import iter_frames_with_times, is_variable_frame_rate, probe_video
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.frame_runs import frame_ranges, frame_runs
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


# Where a person is searched for again: a square of this many body sizes (box diagonals) around where
# they are expected, at least MIN_CROP pixels.
CROP_SIZES = 1.6
MIN_CROP = 160
# A lost person is searched for around their last place for this long, then only re-identified.
FOLLOW_SECONDS = 1.0
# With --people all: the HOG people detector looks for new people every this many frames, on the
# frame scaled to HOG_HEIGHT rows; a track shorter than MIN_TRACK_SECONDS is dropped as noise.
DISCOVER_EVERY = 10
HOG_HEIGHT = 540
MIN_TRACK_SECONDS = 0.5
# Colour histogram of a person's box (hue x saturation bins), their appearance for the tracker.
HISTOGRAM_BINS = (16, 4)
PEOPLE_CHOICES = ("one", "all")

# Where a detection came from (``PeopleDetections.sources``).
SOURCE_FULL_FRAME, SOURCE_FOLLOWED, SOURCE_DISCOVERED = 0, 1, 2
_ROTATE_CODES = {90: 0, 180: 1, 270: 2}  # cv2.ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE


def appearance_histogram(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(hue x saturation bins,) float32 colour histogram of the middle half of ``box`` [x0, y0, x1, y1]
    (pixels) in an RGB uint8 frame; zeros where the box is empty or outside the frame."""
    import cv2

    height, width = frame.shape[:2]
    box = np.asarray(box, dtype=np.float64)
    centre, half = 0.5 * (box[:2] + box[2:]), 0.25 * (box[2:] - box[:2])
    x0, y0 = np.clip(np.floor(centre - half), 0, [width, height]).astype(int)
    x1, y1 = np.clip(np.ceil(centre + half), 0, [width, height]).astype(int)
    bins = int(np.prod(HISTOGRAM_BINS))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros(bins, dtype=np.float32)
    hsv = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    histogram = cv2.calcHist([hsv], [0, 1], None, list(HISTOGRAM_BINS), [0, 180, 0, 256]).ravel()
    return (histogram / max(float(histogram.sum()), 1.0)).astype(np.float32)


def rotation_order(up: np.ndarray | None) -> tuple[int, ...]:
    """Clockwise image rotations (0, 90, 180, 270) to try on a body whose (2,) up vector (hip centre ->
    shoulder centre, pixels, y down) was ``up``: first the one that stands it upright, then the nearest."""
    if up is None or not np.isfinite(up).all() or not np.any(up):
        return (0, 180, 90, 270)
    lean = np.degrees(np.arctan2(up[0], -up[1]))          # clockwise from straight up
    upright = (-lean) % 360.0                              # rotating the image by this stands it up
    distance = lambda r: min(abs(r - upright) % 360, 360 - abs(r - upright) % 360)  # noqa: E731
    return tuple(sorted((0, 90, 180, 270), key=lambda r: (distance(r), r)))


def unrotate_points(points: np.ndarray, rotation: int, width: int, height: int) -> np.ndarray:
    """(..., 2) pixels in an image rotated clockwise by ``rotation`` degrees -> pixels in the original
    (width x height) image."""
    x, y = points[..., 0], points[..., 1]
    if rotation == 90:
        x, y = y, height - x
    elif rotation == 180:
        x, y = width - x, height - y
    elif rotation == 270:
        x, y = width - y, x
    return np.stack([x, y], axis=-1)


def _landmarks(result, width: int, height: int) -> tuple[np.ndarray, np.ndarray] | None:
    if result.pose_landmarks is None:
        return None
    marks = np.array([(m.x, m.y, m.visibility) for m in result.pose_landmarks.landmark], dtype=np.float32)
    return marks[:, :2] * np.array([width, height], dtype=np.float32), np.clip(marks[:, 2], 0.0, 1.0)


def body_up_vector(points: np.ndarray) -> np.ndarray:
    """(33, 2) BlazePose landmarks -> (2,) hip centre -> shoulder centre, pixels (y down)."""
    return points[[11, 12]].mean(axis=0) - points[[23, 24]].mean(axis=0)


def detect_in_region(
    pose, frame: np.ndarray, centre: np.ndarray, side: float, rotations: tuple[int, ...] = (0,),
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """BlazePose (a ``static_image_mode`` instance) on the square of ``side`` pixels around ``centre``
    of an RGB frame, trying each clockwise rotation of the crop in turn until a body is found.

    Returns (33, 2) landmarks in frame pixels, (33,) visibility and the rotation that found them, or None.
    """
    import cv2

    height, width = frame.shape[:2]
    half = 0.5 * max(side, MIN_CROP)
    x0, y0 = (int(v) for v in np.clip(np.floor(np.asarray(centre) - half), 0, [width - 1, height - 1]))
    x1, y1 = (int(v) for v in np.clip(np.ceil(np.asarray(centre) + half), [x0 + 1, y0 + 1], [width, height]))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
    for rotation in rotations:
        image = np.ascontiguousarray(cv2.rotate(crop, _ROTATE_CODES[rotation])) if rotation else crop
        found = _landmarks(pose.process(image), image.shape[1], image.shape[0])
        if found is not None:
            points = unrotate_points(found[0], rotation, x1 - x0, y1 - y0) + np.array([x0, y0], dtype=np.float32)
            return points.astype(np.float32), found[1], rotation
    return None


def hog_people(hog, frame: np.ndarray, rows: int = HOG_HEIGHT) -> np.ndarray:
    """(k, 4) [x0, y0, x1, y1] pixel boxes of standing people found by OpenCV's HOG people detector
    on the RGB frame scaled to ``rows`` rows."""
    import cv2

    scale = min(1.0, rows / frame.shape[0])
    small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
    rectangles, _ = hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
    if len(rectangles) == 0:
        return np.zeros((0, 4))
    rectangles = np.asarray(rectangles, dtype=np.float64) / scale
    return np.concatenate([rectangles[:, :2], rectangles[:, :2] + rectangles[:, 2:]], axis=1)


def _histograms(frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(k, bins) :func:`appearance_histogram` of each of (k, 4) boxes."""
    bins = int(np.prod(HISTOGRAM_BINS))
    return np.array([appearance_histogram(frame, box) for box in boxes], dtype=np.float32).reshape(len(boxes), bins)


def _inside(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(k,) bool: each (k, 2) point lies in any of (m, 4) boxes."""
    if len(boxes) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    p, b = points[:, None], boxes[None]
    return ((p[..., 0] >= b[..., 0]) & (p[..., 0] <= b[..., 2]) & (p[..., 1] >= b[..., 1]) & (p[..., 1] <= b[..., 3])).any(axis=1)


@dataclass(frozen=True)
class PeopleDetections:
    """Everyone found in a clip, one row per (frame, person) detection, with their track identity.

    frames (n,) int frame index; keypoints (n, 33, 2) BlazePose landmarks, pixels; scores (n, 33)
    visibility; boxes (n, 4) [x0, y0, x1, y1] pixels; histograms (n, bins) colour histograms;
    sources (n,) int8 ``SOURCE_*`` (full-frame pass, search around a followed person, a newly
    discovered person); rotations (n,) int clockwise degrees the crop was turned to find the body;
    identities (n,) track; timestamps (frames,) seconds; size (width, height) pixels.
    """

    frames: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    histograms: np.ndarray
    sources: np.ndarray
    rotations: np.ndarray
    identities: np.ndarray
    timestamps: np.ndarray
    size: tuple[int, int]

    @property
    def num_frames(self) -> int:
        return int(len(self.timestamps))


def detect_people_in_frames(
    frames: Iterator[tuple[np.ndarray, float]], total: int, fps: float, people: str = "one",
    model_complexity: int = 1, progress: ProgressCallback = no_progress, min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5, settings: TrackerSettings = TrackerSettings(),
) -> PeopleDetections:
    """BlazePose on (RGB frame, seconds) pairs, following people by identity (see :func:`detect_video`).

    people: ``"one"`` follows the performer (the person seen most so far): when the full-frame pass
    does not find them (lost, or on someone else), BlazePose is run again on the region where they are
    expected, turned so that their last pose stands upright, then the other ways. ``"all"`` also runs
    OpenCV's HOG people detector every ``DISCOVER_EVERY`` frames and follows everyone it finds.
    """
    os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ start-up chatter on stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import cv2
    import mediapipe as mp

    if people not in PEOPLE_CHOICES:
        raise VideoposeError(f"people must be one of {', '.join(PEOPLE_CHOICES)}, got {people!r}")
    follow_frames = max(1, int(round(FOLLOW_SECONDS * fps)))
    hog = None
    if people == "all":
        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    state = TrackState.empty(int(np.prod(HISTOGRAM_BINS)))
    last_up: dict[int, np.ndarray] = {}
    rows: dict[str, list] = {key: [] for key in ("frames", "keypoints", "scores", "boxes", "histograms", "sources",
                                                 "rotations", "identities")}
    times: list[float] = []
    size = (0, 0)
    options = dict(model_complexity=model_complexity, enable_segmentation=False,
                   min_detection_confidence=min_detection_confidence)
    with mp.solutions.pose.Pose(static_image_mode=False, smooth_landmarks=True,
                                min_tracking_confidence=min_tracking_confidence, **options) as pose, \
            mp.solutions.pose.Pose(static_image_mode=True, **options) as region_pose:
        for index, (frame, seconds) in enumerate(frames):
            height, width = frame.shape[:2]
            size = (width, height)
            found: list[tuple[np.ndarray, np.ndarray, int, int]] = []  # points, visibility, source, rotation
            full = _landmarks(pose.process(frame), width, height)
            if full is not None:
                found.append((*full, SOURCE_FULL_FRAME, 0))

            def boxes_of(entries) -> np.ndarray:
                return np.array([bounding_boxes(p[None], v[None])[0] for p, v, _, _ in entries]).reshape(-1, 4)

            recent = np.flatnonzero(index - state.last_frame <= follow_frames)
            if people == "one" and len(recent):
                recent = recent[[int(np.argmax(state.frames_seen[recent]))]]
            if len(recent):
                boxes = boxes_of(found)
                histograms = _histograms(frame, boxes)
                costs = association_costs(state, index, boxes, histograms if len(boxes) else None, settings)
                best = np.argmin(costs, axis=0) if costs.size else np.zeros(0, dtype=int)
                claimed = {int(best[j]) for j in range(len(boxes)) if np.isfinite(costs[best[j], j])}
                expected = state.predicted_centres(index, settings)
                for track in recent:
                    if int(track) in claimed:
                        continue
                    again = detect_in_region(region_pose, frame, expected[track], CROP_SIZES * state.size[track],
                                             rotation_order(last_up.get(int(track))))
                    if again is None:
                        continue
                    box = bounding_boxes(again[0][None], again[1][None])
                    histogram = appearance_histogram(frame, box[0])[None]
                    cost = association_costs(state, index, box, histogram, settings)[track, 0]
                    if np.isfinite(cost):
                        found.append((again[0], again[1], SOURCE_FOLLOWED, again[2]))
            if hog is not None and index % DISCOVER_EVERY == 0:
                known = boxes_of(found)
                margin = 0.1 * (known[:, 2:] - known[:, :2])
                known = np.concatenate([known[:, :2] - margin, known[:, 2:] + margin], axis=1)
                for box in hog_people(hog, frame):
                    centre = 0.5 * (box[:2] + box[2:])
                    if _inside(centre[None], known)[0]:
                        continue
                    seeded = detect_in_region(region_pose, frame, centre, 1.2 * float(np.max(box[2:] - box[:2])))
                    if seeded is not None:
                        seeded_box = bounding_boxes(seeded[0][None], seeded[1][None])
                        if np.isfinite(seeded_box).all() and _inside(0.5 * (seeded_box[:, :2] + seeded_box[:, 2:]), box[None])[0]:
                            found.append((seeded[0], seeded[1], SOURCE_DISCOVERED, seeded[2]))
                            known = np.concatenate([known, seeded_box])
            boxes = boxes_of(found)
            keep = np.isfinite(boxes).all(axis=1)
            found = [entry for entry, ok in zip(found, keep) if ok]
            boxes = boxes[keep]
            histograms = _histograms(frame, boxes)
            identities, state = assign_identities(state, index, boxes, histograms if len(boxes) else None, settings)
            for (points, visibility, source, rotation), box, histogram, identity in zip(found, boxes, histograms, identities):
                last_up[int(identity)] = body_up_vector(points)
                for key, value in (("frames", index), ("keypoints", points), ("scores", visibility), ("boxes", box),
                                   ("histograms", histogram), ("sources", source), ("rotations", rotation),
                                   ("identities", identity)):
                    rows[key].append(value)
            times.append(seconds)
            progress(index + 1, max(total, index + 1), "")
    count = len(rows["frames"])
    bins = int(np.prod(HISTOGRAM_BINS))
    return PeopleDetections(
        frames=np.array(rows["frames"], dtype=np.int64),
        keypoints=np.array(rows["keypoints"], dtype=np.float32).reshape(count, MEDIAPIPE33.num_joints, 2),
        scores=np.array(rows["scores"], dtype=np.float32).reshape(count, MEDIAPIPE33.num_joints),
        boxes=np.array(rows["boxes"], dtype=np.float64).reshape(count, 4),
        histograms=np.array(rows["histograms"], dtype=np.float32).reshape(count, bins),
        sources=np.array(rows["sources"], dtype=np.int8), rotations=np.array(rows["rotations"], dtype=np.int16),
        identities=np.array(rows["identities"], dtype=np.int64), timestamps=np.asarray(times, dtype=np.float64),
        size=size,
    )


def ranked_tracks(detections: PeopleDetections, min_frames: int = 1) -> list[int]:
    """Track identities with at least ``min_frames`` detections, most prominent first
    (:func:`videopose.lifter.tracking.track_prominence`: most frames, most central, largest)."""
    prominence = track_prominence(detections.identities, detections.boxes, *detections.size)
    counts = np.bincount(detections.identities, minlength=len(prominence)) if len(detections.identities) else np.zeros(0)
    tracks = [int(t) for t in np.argsort(-prominence, kind="stable") if counts[t] >= min_frames]
    return tracks


def track_arrays(detections: PeopleDetections, track: int) -> dict[str, np.ndarray]:
    """One track as per-frame arrays: ``keypoints`` (frames, 33, 2) NaN where not found, ``scores``
    (frames, 33), ``detected``, ``recovered`` (found only by searching again around them),
    ``other_person`` (the full-frame pass was on someone else) (frames,) bool, ``rotation`` (frames,) int."""
    frames = detections.num_frames
    mine = detections.identities == track
    at = detections.frames[mine]
    keypoints = np.full((frames, MEDIAPIPE33.num_joints, 2), np.nan, dtype=np.float32)
    scores = np.zeros((frames, MEDIAPIPE33.num_joints), dtype=np.float32)
    keypoints[at], scores[at] = detections.keypoints[mine], detections.scores[mine]
    detected = np.zeros(frames, dtype=bool)
    detected[at] = True
    recovered = np.zeros(frames, dtype=bool)
    recovered[at] = detections.sources[mine] != SOURCE_FULL_FRAME
    rotation = np.zeros(frames, dtype=np.int16)
    rotation[at] = detections.rotations[mine]
    full_elsewhere = (detections.sources == SOURCE_FULL_FRAME) & ~mine
    other_person = np.zeros(frames, dtype=bool)
    other_person[detections.frames[full_elsewhere]] = True
    return {"keypoints": keypoints, "scores": scores, "detected": detected, "recovered": recovered,
            "other_person": other_person & ~(detected & ~recovered), "rotation": rotation}


def detect_people_video(
    path: str | os.PathLike,
    *,
    people: str = "one",
    progress: ProgressCallback | None = no_progress,
    model_complexity: int = 1,
    pipelined: bool = True,
    max_frames: int | None = None,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> PeopleDetections:
    """Every detection of :func:`detect_people_in_frames` on a video file (decoding in a background
    thread when ``pipelined``)."""
    progress = progress or no_progress
    _check_model(model_complexity)
    info = probe_video(path)
    total = info.frame_count if max_frames is None else min(info.frame_count or max_frames, max_frames)
    if pipelined:
        frames, stop = _decode_in_background(path, max_frames, QUEUE_FRAMES)
    else:
        frames, stop = iter_frames_with_times(path, rgb=True, max_frames=max_frames), None
    try:
        return detect_people_in_frames(frames, total, info.fps, people, model_complexity, progress,
                                       min_detection_confidence, min_tracking_confidence)
    finally:
        if stop is not None:
            stop.set()
        frames.close()


def keypoints_from_detections(
    detections: PeopleDetections, path: str | os.PathLike, *, people: str = "one",
    fill_gap_seconds: float = FILL_GAP_SECONDS, clean: bool = True, model_complexity: int = 1,
) -> list[Keypoints2D]:
    """One :class:`Keypoints2D` per person, most prominent first (the main performer first); with
    ``people="one"`` only the main performer. See :func:`detect_video` for what the files hold."""
    info = probe_video(path)
    width, height = detections.size if detections.size[0] else (info.width, info.height)
    fps = info.fps
    if not len(detections.frames):
        raise VideoposeError(
            f"no person found in any of the {detections.num_frames} frames of {path}: the performer's whole body "
            "should be visible, lit, and not too small (at least about a fifth of the frame height)"
        )
    min_frames = 1 if people == "one" else max(2, int(round(MIN_TRACK_SECONDS * fps)))
    tracks = ranked_tracks(detections, min_frames)[: 1 if people == "one" else None]
    timestamps = detections.timestamps
    results = []
    for number, track in enumerate(tracks, start=1):
        arrays = track_arrays(detections, track)
        points, scores, detected = arrays["keypoints"], arrays["scores"], arrays["detected"]
        extras: dict[str, np.ndarray] = {
            "timestamps": timestamps, "detected": detected, "recovered": arrays["recovered"],
            "rotated": arrays["rotation"],
            # With everyone tracked, the full-frame pass being on another person is no switch.
            "other_person": arrays["other_person"] if people == "one" else np.zeros_like(detected),
            "variable_frame_rate": np.array(is_variable_frame_rate(timestamps)),
            "rotation": np.array(info.rotation), "model_complexity": np.array(model_complexity),
            "person": np.array(number), "people": np.array(len(tracks)), "people_mode": np.array(people),
        }
        if clean:
            max_gap = max(0, int(round(fill_gap_seconds * fps)))  # 0: fill nothing
            cleaned = clean_track(points, scores, MEDIAPIPE33, max_gap=max_gap, identify=False)
            points, scores = cleaned.keypoints, cleaned.scores
            extras.update(
                filled=cleaned.filled.all(axis=1) & ~detected,
                swapped=np.any(np.stack(list(cleaned.swapped.values())), axis=0) if cleaned.swapped
                else np.zeros(len(detected), dtype=bool),
            )
        results.append(Keypoints2D(
            keypoints=points[:, COCO17_FROM_MEDIAPIPE33], scores=scores[:, COCO17_FROM_MEDIAPIPE33],
            layout=COCO17.name, fps=fps, width=width or info.width, height=height or info.height,
            source_keypoints=points, source_scores=scores, source_layout=MEDIAPIPE33.name, extras=extras,
        ))
    return results


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
    """Detect the main performer's 2D keypoints in every frame of a video (see the module docstring).

    progress: ``(done, total, message)`` per frame. pipelined: decode in a background thread (False:
    decode and detect in turn, for comparison). max_frames: stop after that many frames. clean: fix
    left/right swaps and fill gaps up to ``fill_gap_seconds`` (:func:`videopose.lifter.tracking.clean_track`).
    Raises VideoposeError for unreadable videos and when no person is found in any frame. ``extras``
    hold what the video's background says (:func:`with_background`).
    """
    detections = detect_people_video(
        path, people="one", progress=progress, model_complexity=model_complexity, pipelined=pipelined,
        max_frames=max_frames, min_detection_confidence=min_detection_confidence,
        min_tracking_confidence=min_tracking_confidence)
    found = keypoints_from_detections(detections, path, people="one", fill_gap_seconds=fill_gap_seconds,
                                      clean=clean, model_complexity=model_complexity)
    return with_background(found, path, progress)[0]


def detect_people(
    path: str | os.PathLike,
    *,
    progress: ProgressCallback | None = no_progress,
    model_complexity: int = 1,
    pipelined: bool = True,
    max_frames: int | None = None,
    fill_gap_seconds: float = FILL_GAP_SECONDS,
    clean: bool = True,
) -> list[Keypoints2D]:
    """Everyone in the shot (``--people all``): one :class:`Keypoints2D` per person tracked for at least
    ``MIN_TRACK_SECONDS``, the main performer first (``extras["person"]`` is 1, 2, ... in that order)."""
    detections = detect_people_video(path, people="all", progress=progress, model_complexity=model_complexity,
                                     pipelined=pipelined, max_frames=max_frames)
    found = keypoints_from_detections(detections, path, people="all", fill_gap_seconds=fill_gap_seconds,
                                      clean=clean, model_complexity=model_complexity)
    return with_background(found, path, progress)


def with_background(people: list[Keypoints2D], path: str | os.PathLike,
                    progress: ProgressCallback | None = no_progress) -> list[Keypoints2D]:
    """The people's keypoints with what their video's background says (the people left out): its lines
    (``extras["background_lines_px"]``, the scene's verticals), how fast it moves (``extras["background_speed"]``,
    frame diagonals per second: a moving camera) and, where it moves, how (:func:`with_background_homographies`),
    for ``videopose retarget`` to ground them as ``videopose run`` does."""
    from videopose.lifter.camera import MOVING_CAMERA_SPEED, background_motion

    speed = np.array(background_motion(path, people[0]))
    people = [person.with_extras(background_speed=speed) for person in people]
    if speed > MOVING_CAMERA_SPEED:
        return with_background_homographies(people, path, progress)
    return with_background_lines(people, background_lines(path, people))


def with_background_homographies(people: list[Keypoints2D], path: str | os.PathLike,
                                 progress: ProgressCallback | None = no_progress) -> list[Keypoints2D]:
    """The people's keypoints with how their moving camera's picture moves: ``extras["background_homographies"]``
    ((frames, 3, 3), frame t's pixels -> the first frame's) and ``extras["background_tracked"]`` ((frames,) the
    share of tracked background corners each frame's homography explains), from the background outside the
    first person's box (``videopose.lifter.camera.background_homographies``); and the lines of the first frame's
    view of the background (``extras["background_lines_px"]``, the frames carried into it). ``progress``: per
    frame ("following the camera"; it may raise Cancelled)."""
    from videopose.lifter.camera import background_homographies

    report = progress or no_progress
    homographies, tracked = background_homographies(
        path, people[0], progress=lambda done, total: report(done, total, "following the camera"))
    people = [person.with_extras(background_homographies=homographies, background_tracked=tracked) for person in people]
    return with_background_lines(people, background_lines(path, people, homographies))


def person_path(path: str | os.PathLike, number: int) -> Path:
    """Where person ``number``'s file of ``path`` goes with ``--people all``: ``.personN`` before the
    suffix, and before ``.keypoints``/``.motion`` (``out/clip.fbx`` -> ``out/clip.person2.fbx``,
    ``clip.keypoints.npz`` -> ``clip.person2.keypoints.npz``)."""
    path = Path(path)
    name, suffix = path.name, path.suffix
    stem = name[: -len(suffix)] if suffix else name
    for inner in (".keypoints", ".motion"):
        if stem.endswith(inner):
            return path.with_name(f"{stem[: -len(inner)]}.person{number}{inner}{suffix}")
    return path.with_name(f"{stem}.person{number}{suffix}")


def detection_summary(keypoints: Keypoints2D) -> dict:
    """Counts for the report: frames, frames with the person, filled, swapped, someone else, recovered,
    missing, the gaps left to the lifter (frame runs with score 0) and the frames of each kind."""
    extras = keypoints.extras
    frames = keypoints.num_frames

    def mask(key: str) -> np.ndarray:
        return np.asarray(extras[key], dtype=bool) if key in extras else np.zeros(frames, dtype=bool)

    present = (keypoints.scores > 0).any(axis=1)
    detected = mask("detected") if "detected" in extras else present
    missing = ~present
    gaps = [b - a for a, b in frame_runs(missing)]
    filled_runs = [b - a for a, b in frame_runs(mask("filled"))]
    return {
        "frames": frames,
        "detected": int(detected.sum()),
        "detected_percent": 100.0 * int(detected.sum()) / frames,
        "filled": int(mask("filled").sum()),
        "swaps_fixed": int(mask("swapped").sum()),
        "other_person": int(mask("other_person").sum()),
        "recovered": int(mask("recovered").sum()),
        "missing": int(missing.sum()),
        "gaps": gaps,
        "filled_gaps": filled_runs,
        "lost_frames": frame_ranges(missing),
        "filled_frames": frame_ranges(mask("filled")),
        "switched_frames": frame_ranges(mask("other_person")),
        "recovered_frames": frame_ranges(mask("recovered")),
        "person": int(extras["person"]) if "person" in extras else 1,
        "variable_frame_rate": bool(extras.get("variable_frame_rate", False)),
    }


def describe_detection(keypoints: Keypoints2D, low_percent: float = 80.0) -> tuple[list[str], list[str]]:
    """(report lines, warnings) saying where the performer was lost, switched, recovered or filled,
    for ``detect`` and ``run``; a warning when they were found in fewer than ``low_percent`` % of frames."""
    summary = detection_summary(keypoints)
    who = f"person {summary['person']}" if "people" in keypoints.extras and int(keypoints.extras["people"]) > 1 \
        else "performer"
    lines = [f"{who} found in {summary['detected']} of {summary['frames']} frames ({summary['detected_percent']:.1f} %)"
             f", {summary['recovered']} of them by searching again around them (turned if upside down)"]
    if summary["other_person"]:
        lines.append(f"  the detector was on someone else in frames {summary['switched_frames']} (not used)")
    if summary["filled"]:
        lines.append(f"  filled by interpolation: frames {summary['filled_frames']} "
                     f"(gaps of {', '.join(map(str, summary['filled_gaps']))} frames)")
    if summary["missing"]:
        lines.append(f"  lost (left missing for the lifter): frames {summary['lost_frames']} "
                     f"(gaps of {', '.join(map(str, summary['gaps']))} frames)")
    if "background_homographies" in keypoints.extras:
        homographies = np.asarray(keypoints.extras["background_homographies"], dtype=np.float64)
        followed = np.isfinite(homographies).all(axis=(1, 2))
        lines.append(f"  the camera moves: its background followed in {int(followed.sum())} of {len(followed)} frames"
                     + ("" if followed.all() else f" (lost from frame {int(np.flatnonzero(~followed)[0])})")
                     + "; a camera that only turns is grounded in its first frame's view")
    warnings = []
    if summary["detected_percent"] < low_percent:
        warnings.append(f"{'the performer' if who == 'performer' else who} was found in only {summary['detected_percent']:.0f} % of the frames: check the "
                        "preview (--preview) and the lighting/framing")
    return lines, warnings
