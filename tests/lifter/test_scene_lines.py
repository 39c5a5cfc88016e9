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


def test_a_turning_cameras_background_lines_are_those_of_its_first_frame(tmp_path: Path) -> None:
    """The posts filmed by a camera panning 6 degrees: with the background's homographies each frame is carried
    into the first frame's picture before the median, so the posts' lines are where the first frame sees them;
    without, the median of the moving pictures smears them."""
    from scipy.spatial.transform import Rotation

    width, height, focal, frames = 320, 240, 300.0, 20
    wall = np.full((height, width + 200, 3), 128, np.uint8)  # the posts, 100 px of wall on each side
    for x in _POSTS:
        wall[10:230, 100 + x - 2:100 + x + 3] = 30
    intrinsics = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1.0]])
    shift = np.array([[1.0, 0, 100], [0, 1.0, 0], [0, 0, 1.0]])
    writer = cv2.VideoWriter(str(tmp_path / "pan.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    homographies = []
    for yaw in np.linspace(0.0, 6.0, frames):
        homography = intrinsics @ Rotation.from_euler("y", yaw, degrees=True).as_matrix() @ np.linalg.inv(intrinsics)
        homographies.append(homography / homography[2, 2])
        frame = cv2.warpPerspective(wall, shift @ homographies[-1], (width, height), flags=cv2.WARP_INVERSE_MAP)
        frame[40:200, 150:170] = 255  # the performer, followed by the camera: fixed in the picture
        writer.write(frame)
    writer.release()
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0], points[..., 1] = np.linspace(152, 168, 17)[None], np.linspace(45, 195, 17)[None]
    keypoints = Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, width, height)

    def posts_found(lines: np.ndarray) -> list[bool]:
        upright = np.abs(lines[:, 2] - lines[:, 0]) < 0.1 * np.abs(lines[:, 3] - lines[:, 1])
        middle_x = 0.5 * (lines[:, 0] + lines[:, 2])
        return [bool((upright & (np.abs(middle_x - x) < 4)).any()) for x in _POSTS]

    assert all(posts_found(background_lines(tmp_path / "pan.avi", keypoints, np.asarray(homographies))))
    assert not all(posts_found(background_lines(tmp_path / "pan.avi", keypoints)))
