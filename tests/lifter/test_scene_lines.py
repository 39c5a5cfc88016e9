"""The background's lines of a static camera, the performer left out (issue 11: the scene's verticals)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from videopose.core.formats import Keypoints2D
from videopose.lifter.scene_lines import background_lines

_POSTS = (40, 90, 250, 290)  # x of dark upright posts on a grey wall


def _video(path: Path, frames: int = 20, size: tuple[int, int] = (320, 240)) -> Path:
    """Dark posts from top to bottom and one across, a bright 'performer' (x 140-180) standing in front of a
    post at x 160 in every frame, and walking in front of the post at x 250 in some."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for index in range(frames):
        frame = np.full((height, width, 3), 128, np.uint8)
        for x in _POSTS + (160,):
            frame[10:230, x - 2:x + 3] = 30
        frame[200:205, 10:310] = 30
        frame[40:200, 140:180] = 255
        if index < 5:  # a second person passing the post at x 250 early on: the median sees through them
            frame[40:200, 235:265] = 255
        writer.write(frame)
    writer.release()
    return path


def _keypoints(frames: int = 20) -> Keypoints2D:
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0] = np.linspace(145, 175, 17)[None]
    points[..., 1] = np.linspace(45, 195, 17)[None]
    return Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, 320, 240)


def test_the_backgrounds_lines_leave_the_performer_out(tmp_path: Path) -> None:
    lines = background_lines(_video(tmp_path / "posts.avi"), _keypoints())
    assert lines.dtype == np.float32 and lines.shape[1] == 4
    upright = np.abs(lines[:, 2] - lines[:, 0]) < 0.1 * np.abs(lines[:, 3] - lines[:, 1])
    middle_x = 0.5 * (lines[:, 0] + lines[:, 2])
    # Every post's edges are found, also the one a passer-by hid in a quarter of the frames ...
    for x in _POSTS:
        assert (upright & (np.abs(middle_x - x) < 5)).any(), x
    # ... and nothing where the performer always stands (the post behind them, their own outline).
    assert not (np.abs(middle_x - 160) < 30).any()
