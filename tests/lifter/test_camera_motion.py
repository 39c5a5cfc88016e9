"""The moving-camera check: background optical flow outside the performer's box (issue 11)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from videopose.core.formats import Keypoints2D
from videopose.lifter.camera import MOVING_CAMERA_SPEED, background_motion, person_boxes


def _video(path: Path, pan_px_per_frame: float, frames: int = 30, size: tuple[int, int] = (320, 240)) -> Path:
    """A textured background, panning by ``pan_px_per_frame``, with a bright 'performer' walking in the middle."""
    width, height = size
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur((rng.random((height, width * 3)) * 255).astype(np.uint8), (0, 0), 2.0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for index in range(frames):
        shift = int(round(index * pan_px_per_frame))
        frame = cv2.cvtColor(np.ascontiguousarray(texture[:, shift:shift + width]), cv2.COLOR_GRAY2BGR)
        x = 140 + 2 * index
        frame[60:200, x:x + 40] = 255
        writer.write(frame)
    writer.release()
    return path


def _keypoints(frames: int = 30) -> Keypoints2D:
    x = 140 + 2 * np.arange(frames, dtype=np.float32)
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0] = x[:, None] + np.linspace(0, 40, 17)[None]
    points[..., 1] = np.linspace(60, 200, 17)[None]
    return Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, 320, 240)


def test_person_boxes_cover_the_confident_joints_and_grow() -> None:
    points = np.array([[[10.0, 20.0], [30.0, 60.0], [500.0, 500.0]]])
    boxes = person_boxes(points, np.array([[1.0, 1.0, 0.0]]), grow=0.5)
    # The confident joints span 20 x 40 px: half of that on each side, plus 10 px.
    assert boxes[0].tolist() == [10 - 10 - 10, 20 - 20 - 10, 30 + 10 + 10, 60 + 20 + 10]


def test_a_panning_camera_is_told_from_a_static_one(tmp_path: Path) -> None:
    static = background_motion(_video(tmp_path / "static.avi", 0.0), _keypoints())
    panning = background_motion(_video(tmp_path / "pan.avi", 3.0), _keypoints())
    assert static < 0.25 * MOVING_CAMERA_SPEED  # the performer moves, the background does not
    assert panning > 5 * MOVING_CAMERA_SPEED  # 3 px per frame at 30 fps = 0.23 diagonals per second
