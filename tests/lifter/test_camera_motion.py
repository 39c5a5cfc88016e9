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


def _turning_video(path: Path, yaw_degrees: np.ndarray, pitch_degrees: np.ndarray, size=(480, 320),
                   focal: float = 400.0) -> tuple[Path, np.ndarray]:
    """A camera turning about its centre (pan ``yaw_degrees``, tilt ``pitch_degrees`` per frame) in front of
    a textured scene, with a bright 'performer' block fixed in the picture -> (video, (frames, 3, 3) the true
    homographies to the first frame: H_t = K R_t K^-1, R_t taking frame t's camera frame to frame 0's)."""
    from scipy.spatial.transform import Rotation

    width, height = size
    rng = np.random.default_rng(1)
    margin = 400
    texture = cv2.GaussianBlur((rng.random((height + 2 * margin, width + 2 * margin)) * 255).astype(np.uint8), (0, 0), 2.0)
    intrinsics = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1.0]])
    offset = np.array([[1.0, 0, margin], [0, 1.0, margin], [0, 0, 1.0]])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    truths = []
    for yaw, pitch in zip(yaw_degrees, pitch_degrees):
        turn = Rotation.from_euler("yx", [yaw, -pitch], degrees=True).as_matrix()  # camera t -> camera 0
        homography = intrinsics @ turn @ np.linalg.inv(intrinsics)
        truths.append(homography / homography[2, 2])
        frame = cv2.warpPerspective(texture, offset @ homography, (width, height), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        frame[100:260, 220:260] = 255
        writer.write(frame)
    writer.release()
    return path, np.asarray(truths)


def test_a_turning_cameras_homographies_are_chained_to_its_first_frame(tmp_path: Path) -> None:
    """A 12-degree pan with a 4-degree tilt over 40 frames: each frame's pixels mapped to the first frame's
    within 1.5 px over the picture (the chain's drift included); the performer's box is left out."""
    from videopose.lifter.camera import background_homographies

    frames = 40
    yaw, pitch = np.linspace(0.0, 12.0, frames), 4.0 * np.sin(np.linspace(0.0, np.pi, frames))
    video, truths = _turning_video(tmp_path / "turn.avi", yaw, pitch)
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0], points[..., 1] = np.linspace(220, 260, 17)[None], np.linspace(100, 260, 17)[None]
    keypoints = Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, 480, 320)
    found, shares = background_homographies(video, keypoints)
    assert np.isfinite(found).all() and shares[1:].min() > 0.8
    grid = np.stack(np.meshgrid(np.linspace(0, 480, 9), np.linspace(0, 320, 7)), axis=-1).reshape(-1, 2)
    grid = np.c_[grid, np.ones(len(grid))]

    def mapped(homographies: np.ndarray) -> np.ndarray:
        projected = np.einsum("fij,nj->fni", homographies, grid)
        return projected[..., :2] / projected[..., 2:]

    errors = np.linalg.norm(mapped(found) - mapped(truths), axis=-1)
    assert errors.max() < 1.5, errors.max(axis=1)


def test_the_detection_report_says_when_the_camera_moves_and_where_its_background_was_lost() -> None:
    from videopose.lifter.detect import describe_detection

    keypoints = _keypoints(10)
    assert not any("camera moves" in line for line in describe_detection(keypoints)[0])
    homographies = np.repeat(np.eye(3)[None], 10, axis=0)
    homographies[6:] = np.nan
    moving = Keypoints2D(**{**keypoints.__dict__, "extras": {"background_homographies": homographies}})
    lines = describe_detection(moving)[0]
    assert any("the camera moves: its background followed in 6 of 10 frames (lost from frame 6)" in line for line in lines)


def test_a_frame_whose_background_cannot_be_followed_is_bridged(tmp_path: Path) -> None:
    """One black frame in a pan (nothing to track): it is left unknown, and the next frames are tracked from
    the last one that was, so the chain to the first frame goes on (it broke for good there before)."""
    from videopose.lifter.camera import background_homographies

    frames = 30
    yaw, pitch = np.linspace(0.0, 9.0, frames), np.zeros(frames)
    video, truths = _turning_video(tmp_path / "turn.avi", yaw, pitch)
    capture = cv2.VideoCapture(str(video))
    pictures = [capture.read()[1] for _ in range(frames)]
    capture.release()
    pictures[12][:] = 0
    writer = cv2.VideoWriter(str(tmp_path / "blink.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (480, 320))
    for picture in pictures:
        writer.write(picture)
    writer.release()
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0], points[..., 1] = np.linspace(220, 260, 17)[None], np.linspace(100, 260, 17)[None]
    keypoints = Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, 480, 320)
    found, _ = background_homographies(tmp_path / "blink.avi", keypoints)
    known = np.isfinite(found).all(axis=(1, 2))
    assert not known[12] and known[:12].all() and known[13:].all()
    corner = np.array([480.0, 320.0, 1.0])
    mapped = lambda h: (h @ corner)[:2] / (h @ corner)[2]  # noqa: E731
    assert np.linalg.norm(mapped(found[-1]) - mapped(truths[-1])) < 1.5


def test_a_slow_pan_is_taken_for_a_moving_camera(tmp_path: Path) -> None:
    """A pan of 0.8 degrees over 1.3 s (0.8 % of the diagonal per second: 7 degrees over 10 s) moves the
    background faster than a tripod's 0.06 % at most: the camera moves, and detection follows it (it was taken
    for a still one under 2 %/s)."""
    from videopose.lifter.detect import with_background

    frames = 40
    video, _ = _turning_video(tmp_path / "slow.avi", np.linspace(0.0, 0.8, frames), np.zeros(frames))
    points = np.zeros((frames, 17, 2), np.float32)
    points[..., 0], points[..., 1] = np.linspace(220, 260, 17)[None], np.linspace(100, 260, 17)[None]
    keypoints = Keypoints2D(points, np.ones((frames, 17), np.float32), "coco17", 30.0, 480, 320)
    assert MOVING_CAMERA_SPEED < background_motion(video, keypoints) < 0.02
    assert "background_homographies" in with_background([keypoints], video)[0].extras
