"""The lines of a static camera's background: walls' corners, door and window frames, posts, floor edges.

The retargeter finds the scene's vertical among them (``retarget.scene_vertical``): vertical lines in the
world meet in the picture at one vanishing point, which gives the world's up axis in the camera without
any depth (docs/grounding.md, "the scene's verticals").

1. **Background** (:func:`background_image`): the per-pixel median of a few frames spread over the clip,
   each with the performer's box left out (a performer who stays put leaves a hole).
2. **Segments** (:func:`line_segments`): OpenCV's line segment detector on it, segments at least
   ``MIN_LENGTH`` of the frame diagonal, none touching the hole.

The pipeline hands them to the retargeter as ``Keypoints2D.extras["background_lines_px"]``.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

MIN_LENGTH = 0.02  # segments shorter than this x the frame diagonal are not used


def background_image(video_path: str | os.PathLike, people, frames: int = 7, max_side: int = 1280,
                     homographies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """The video's background: (h, w) uint8 grey median of ``frames`` frames spread over the clip without the
    people's boxes (``people``: a Keypoints2D of the clip, or a list of them), (h, w) bool where some frame saw
    it, and the scale from video pixels to the image's (at most ``max_side`` px). ``homographies``: (frames, 3, 3)
    of a camera that turns (frame t's pixels -> the first frame's, ``lifter.camera.background_homographies``):
    each frame is carried into the first frame's picture first (frames whose homography is unknown are left out),
    so the median is the first frame's view of the background."""
    import cv2

    from videopose.lifter.camera import person_boxes
    from videopose.lifter.video import iter_frames_at

    people = [people] if hasattr(people, "keypoints") else list(people)
    boxes = [person_boxes(np.asarray(person.keypoints, dtype=np.float64), np.asarray(person.scores)) for person in people]
    count = min(len(box) for box in boxes)
    wanted = np.unique(np.linspace(0, max(0, count - 1), frames).round().astype(int))
    stack, scale = [], 1.0
    for index, frame in iter_frames_at(video_path, wanted):
        scale = min(1.0, max_side / max(frame.shape[:2]))
        grey = cv2.cvtColor(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
                            cv2.COLOR_BGR2GRAY).astype(np.float32)
        for box in (person_box[index] for person_box in boxes):
            if np.isfinite(box).all():
                x0, y0, x1, y1 = np.clip(np.round(box * scale), 0, [grey.shape[1], grey.shape[0]] * 2).astype(int)
                grey[y0:y1, x0:x1] = np.nan
        if homographies is not None:
            if not np.isfinite(homographies[index]).all():
                continue
            resize = np.diag([scale, scale, 1.0])
            grey = cv2.warpPerspective(grey, resize @ homographies[index] @ np.linalg.inv(resize),
                                       (grey.shape[1], grey.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                       borderValue=np.nan)
        stack.append(grey)
    if not stack:
        from videopose.core.errors import VideoposeError

        raise VideoposeError(f"no frame of {video_path} could be read for its background")
    seen = np.isfinite(np.stack(stack)).any(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # All-NaN pixels: the performer in every frame
        median = np.nanmedian(np.stack(stack), axis=0)
    return np.where(seen, median, 0).round().astype(np.uint8), seen, scale


def line_segments(image: np.ndarray, seen: np.ndarray, scale: float) -> np.ndarray:
    """(n, 4) segments [x0, y0, x1, y1] in video pixels on a :func:`background_image`: at least MIN_LENGTH
    of the diagonal long, neither end nor middle where no frame saw the background (or next to it)."""
    import cv2

    found = cv2.createLineSegmentDetector().detect(image)[0]
    if found is None:
        return np.zeros((0, 4))
    segments = found[:, 0, :].astype(np.float64)
    length = np.linalg.norm(segments[:, 2:] - segments[:, :2], axis=1)
    segments = segments[length >= MIN_LENGTH * np.hypot(*image.shape)]
    hole = cv2.dilate((~seen).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    points = np.stack([segments[:, :2], segments[:, 2:], 0.5 * (segments[:, :2] + segments[:, 2:])], axis=1)
    columns = np.clip(points[..., 0].round().astype(int), 0, image.shape[1] - 1)
    rows = np.clip(points[..., 1].round().astype(int), 0, image.shape[0] - 1)
    return segments[~hole[rows, columns].any(axis=1)] / scale


def background_lines(video_path: str | os.PathLike, people, homographies: np.ndarray | None = None) -> np.ndarray:
    """(n, 4) float32 segments [x0, y0, x1, y1] (video pixels) of a video's background, the people
    (``people``: a Keypoints2D, or a list of them) left out (:func:`background_image`, :func:`line_segments`);
    with a turning camera's ``homographies``, of its first frame's view."""
    return line_segments(*background_image(video_path, people, homographies=homographies)).astype(np.float32)


def with_background_lines(people: list, lines: np.ndarray) -> list:
    """The Keypoints2D ``people`` with the (n, 4) ``lines`` of their video in ``extras["background_lines_px"]``."""
    return [person.with_extras(background_lines_px=lines) for person in people]
