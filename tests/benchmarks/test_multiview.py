"""benchmarks/multiview.py: the Qualisys calibration reader, projection with distortion, robust DLT."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # benchmark helper, not in the wheel

from multiview import CalibratedCamera, project, read_qca, triangulate, undistort  # noqa: E402


def _ring_of_cameras(count: int = 4) -> tuple[CalibratedCamera, ...]:
    """Cameras 4 m around the origin at 1.8 m height, looking at (0, 0, 1), with real-lens distortion."""
    cameras = []
    for index in range(count):
        angle = 2 * np.pi * index / count + 0.3
        centre = np.array([4 * np.cos(angle), 4 * np.sin(angle), 1.8])
        forward = np.array([0.0, 0.0, 1.0]) - centre
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        camera_from_world = np.stack([right, down, forward])
        intrinsics = np.array([[1680.0, 0.0, 533.0], [0.0, 1679.0, 948.0], [0.0, 0.0, 1.0]])
        cameras.append(CalibratedCamera(f"cam{index}", 1088, 1920, intrinsics, np.array([-0.05, 0.14, 6e-4, 7e-4, 0.0]),
                                        camera_from_world, -camera_from_world @ centre))
    return tuple(cameras)


def test_triangulate_recovers_points_and_drops_the_outlier_view():
    cameras = _ring_of_cameras()
    rng = np.random.default_rng(0)
    points = rng.uniform([-0.5, -0.5, 0.0], [0.5, 0.5, 1.8], size=(20, 7, 3))
    pixels = np.stack([project(points, camera) for camera in cameras])
    scores = rng.uniform(0.5, 1.0, size=pixels.shape[:-1])
    in_camera = points @ cameras[0].camera_from_world.T + cameras[0].translation
    assert np.abs(undistort(pixels[0], cameras[0]) - in_camera[..., :2] / in_camera[..., 2:]).max() < 1e-9
    corrupted = pixels.copy()
    corrupted[2, 5, 3] += [80.0, -60.0]  # one view of one point far off
    scores[1, 7, 0] = 0.0  # one view unusable: still three others
    found, used, residuals = triangulate(corrupted, scores, cameras, max_residual_px=10.0)
    assert np.abs(found - points).max() < 1e-6
    assert not used[2, 5, 3] and used[:, 5, 3].sum() == 3
    assert not used[1, 7, 0]
    assert residuals[2, 5, 3] > 50 and np.delete(residuals.reshape(4, -1), 5 * 7 + 3, axis=1).max() < 1e-4


def test_triangulate_needs_two_views():
    cameras = _ring_of_cameras()
    pixels = np.stack([project(np.array([[0.1, 0.2, 1.0]]), camera) for camera in cameras])
    scores = np.array([[1.0], [0.0], [0.0], [0.0]])
    found, _, _ = triangulate(pixels, scores, cameras)
    assert np.isnan(found).all()


def test_read_qca_of_the_pose2sim_cameras(shared_dir: Path):
    path = shared_dir / "videos" / "pose2sim_single" / "Calib.qca.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    cameras = read_qca(path)
    assert [camera.name for camera in cameras] == ["cam01", "cam02", "cam03", "cam04"]
    assert np.allclose(cameras[0].centre, [1.4602323709, -1.9091590482, 1.8965058524])
    assert np.allclose(cameras[0].intrinsics[:2, 2], [34110.316406 / 64, 60680.792969 / 64])
    for camera in cameras:
        assert (camera.width, camera.height) == (1088, 1920)
        assert np.allclose(camera.camera_from_world @ camera.camera_from_world.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(camera.camera_from_world) == pytest.approx(1.0)
        # The performer's pelvis (about (-1.2, -0.05, 0.9) m in this capture) is in front of every camera and
        # inside its portrait frame; a wrong reading of the axes puts it behind a camera or off the image.
        depth = (camera.camera_from_world @ [-1.2, -0.05, 0.9] + camera.translation)[2]
        u, v = project(np.array([-1.2, -0.05, 0.9]), camera)
        assert depth > 1.0 and 0 < u < 1088 and 0 < v < 1920
        # Z is up: the camera's "down" image axis points down in the world.
        assert camera.camera_from_world[1] @ [0.0, 0.0, 1.0] < -0.5


def test_read_qca_refuses_a_file_without_cameras(tmp_path: Path):
    from videopose.core.errors import VideoposeError

    path = tmp_path / "empty.qca.txt"
    path.write_text("<calibration><cameras/></calibration>")
    with pytest.raises(VideoposeError, match="no cameras"):
        read_qca(path)
