"""Camera maths: normalisation, world <-> camera, projection (numpy, torch, OpenCV agree)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from videopose.lifter.camera import (
    Camera, camera_to_world, image_coordinates, normalize_screen_coordinates, project_to_2d,
    project_to_2d_linear, world_to_camera,
)


def _points(count: int = 17, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-0.8, 0.8, count), rng.uniform(-0.9, 0.9, count), rng.uniform(2.5, 5.0, count)])


def test_normalize_screen_coordinates_known_values_and_round_trip():
    pixels = np.array([[0.0, 0.0], [640.0, 480.0], [320.0, 240.0], [640.0, 0.0]])
    normalized = normalize_screen_coordinates(pixels, 640, 480)
    np.testing.assert_allclose(normalized, [[-1, -0.75], [1, 0.75], [0, 0], [1, -0.75]])
    np.testing.assert_allclose(image_coordinates(normalized, 640, 480), pixels)
    as_tensor = normalize_screen_coordinates(torch.tensor(pixels), 640, 480)
    np.testing.assert_allclose(as_tensor.numpy(), normalized)
    np.testing.assert_allclose(image_coordinates(as_tensor, 640, 480).numpy(), pixels)
    with pytest.raises(ValueError):
        normalize_screen_coordinates(np.zeros((3, 3)), 640, 480)


def test_world_camera_round_trip_and_a_known_pose():
    quat = Rotation.from_euler("xyz", [20, -35, 110], degrees=True).as_quat()
    translation = np.array([0.5, -1.0, 2.0])
    points = np.random.default_rng(1).normal(size=(4, 17, 3))
    in_camera = world_to_camera(points, quat, translation)
    np.testing.assert_allclose(camera_to_world(in_camera, quat, translation), points, atol=1e-12)
    # A camera at (0, 0, -2) turned 90 degrees about world z: world +y is camera -x.
    turned = Rotation.from_euler("z", 90, degrees=True).as_quat()
    np.testing.assert_allclose(world_to_camera(np.array([0.0, 1.0, 0.0]), turned, np.array([0.0, 0.0, -2.0])),
                               [1.0, 0.0, 2.0], atol=1e-12)
    camera = Camera.from_pixels(500, 640, 480, world_from_camera_quat_xyzw=quat, translation=translation)
    np.testing.assert_allclose(camera.camera_to_world(camera.world_to_camera(points)), points, atol=1e-12)


def test_projection_numpy_equals_torch_and_is_differentiable():
    intrinsics = np.array([1.5, 1.6, 0.05, -0.1, 0.08, -0.02, 0.01, 0.003, -0.002])
    points = _points()[None].repeat(3, axis=0)  # (3, 17, 3)
    with_numpy = project_to_2d(points, np.tile(intrinsics, (3, 1)))
    points_tensor = torch.tensor(points, requires_grad=True)
    with_torch = project_to_2d(points_tensor, torch.tensor(np.tile(intrinsics, (3, 1))))
    np.testing.assert_allclose(with_torch.detach().numpy(), with_numpy, rtol=1e-12)
    assert torch.autograd.gradcheck(
        lambda p: project_to_2d(p, torch.tensor(intrinsics)[None]), (points_tensor[:1].detach().requires_grad_(),)
    )


def test_distorted_projection_with_zero_distortion_equals_linear():
    intrinsics = np.array([1.2, 1.2, 0.1, 0.05, 0, 0, 0, 0, 0])
    points = _points(seed=2)
    np.testing.assert_allclose(project_to_2d(points, intrinsics), project_to_2d_linear(points, intrinsics), rtol=1e-12)
    distorted = project_to_2d(points, intrinsics + np.array([0, 0, 0, 0, 0.1, 0, 0, 0.01, 0]))
    assert np.abs(distorted - project_to_2d_linear(points, intrinsics)).max() > 1e-3


def test_camera_projection_matches_opencv_with_distortion():
    k1, k2, k3, p1, p2 = 0.12, -0.05, 0.01, 0.004, -0.003
    camera = Camera.from_pixels(900.0, 1280, 720, center_px=(650.0, 350.0), distortion=(k1, k2, k3, p1, p2))
    points = _points(seed=3)
    matrix = np.array([[900.0, 0, 650.0], [0, 900.0, 350.0], [0, 0, 1]])
    expected, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), matrix, np.array([k1, k2, p1, p2, k3]))
    np.testing.assert_allclose(camera.project_to_pixels(points), expected[:, 0], atol=1e-6)
    # A point on the optical axis lands on the principal point.
    np.testing.assert_allclose(camera.project_to_pixels(np.array([[0.0, 0.0, 3.0]])), [[650.0, 350.0]], atol=1e-9)
