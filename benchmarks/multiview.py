"""Calibrated multi-camera maths for the real-video benchmark: Qualisys ``.qca`` calibration, projection
with lens distortion, and robust confidence-weighted DLT triangulation. Not part of the product
(videopose itself never triangulates); numpy only.

Conventions (OpenCV's): a camera frame has x right, y down, z forward; ``p_camera = camera_from_world @
p_world + translation``; pixels have x right, y down, origin at the top-left corner; the distortion is
Brown-Conrady ``(k1, k2, p1, p2, k3)`` on normalised image coordinates, as ``cv2.projectPoints``.

How a ``.qca`` file maps onto that (checked on ``pose2sim_single/Calib.qca.txt`` by reprojection: this
reading puts the triangulated performer in front of all four cameras with a median reprojection error of
~10-17 px, every other reading of the axes or of the position gives > 100 px or points behind cameras):

- ``intrinsic``: focal lengths and principal point in sensor units of 1/64 pixel (``sensorMaxU`` is
  ``(width - 1) * 64``), measured from the ``fov_video`` corner (``left``, ``top``); distortion
  coefficients are plain (not scaled).
- ``transform``: ``x, y, z`` the camera centre in world millimetres; ``r11..r33`` the rows of a rotation
  taking world axes to Qualisys camera axes (x right, y up, z backwards), so OpenCV's
  ``camera_from_world = diag(1, -1, -1) @ R``.
- The world frame of the file is Z up, millimetres, floor at z = 0 (Qualisys' L-frame convention).

This is also how Pose2Sim reads these files (``calib_qca_to_toml``: the rotation transposed twice, the
centre turned into a translation, then a half turn about the camera's x axis).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videopose.core.errors import VideoposeError

QUALISYS_SUBPIXELS = 64.0
_QUALISYS_TO_OPENCV = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CalibratedCamera:
    """One calibrated camera: ``intrinsics`` (3, 3) pixels, ``distortion`` (5,) k1 k2 p1 p2 k3,
    ``camera_from_world`` (3, 3) rotation, ``translation`` (3,) metres, frame ``width`` x ``height`` px."""

    name: str
    width: int
    height: int
    intrinsics: np.ndarray
    distortion: np.ndarray
    camera_from_world: np.ndarray
    translation: np.ndarray

    @property
    def centre(self) -> np.ndarray:
        """(3,) camera centre in world metres."""
        return -self.camera_from_world.T @ self.translation

    @property
    def projection(self) -> np.ndarray:
        """(3, 4) ``[R | t]``: world -> camera frame, for normalised (undistorted) image coordinates."""
        return np.hstack([self.camera_from_world, self.translation[:, None]])


def read_qca(path: str | Path) -> tuple[CalibratedCamera, ...]:
    """Qualisys ``.qca`` XML calibration -> one :class:`CalibratedCamera` per ``camera`` element (see the
    module docstring for the conventions)."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise VideoposeError(f"cannot read the Qualisys calibration {path}: {error}") from error
    cameras = []
    for element in root.findall("cameras/camera"):
        fov, intrinsic, transform = (element.find(tag) for tag in ("fov_video", "intrinsic", "transform"))
        if fov is None or intrinsic is None or transform is None:
            raise VideoposeError(f"camera {element.get('serial')} in {path} lacks fov_video, intrinsic or transform")
        left, top = float(fov.get("left")), float(fov.get("top"))
        width = int(float(fov.get("right")) - left + 1)
        height = int(float(fov.get("bottom")) - top + 1)
        value = {key: float(number) for key, number in intrinsic.attrib.items()}
        focal = np.array([value["focalLengthU"], value["focalLengthV"]]) / QUALISYS_SUBPIXELS
        centre = np.array([value["centerPointU"], value["centerPointV"]]) / QUALISYS_SUBPIXELS - [left, top]
        intrinsics = np.array([[focal[0], value.get("skew", 0.0), centre[0]], [0.0, focal[1], centre[1]],
                               [0.0, 0.0, 1.0]])
        distortion = np.array([value["radialDistortion1"], value["radialDistortion2"], value["tangentalDistortion1"],
                               value["tangentalDistortion2"], value.get("radialDistortion3", 0.0)])
        rotation = np.array([[float(transform.get(f"r{row}{column}")) for column in "123"] for row in "123"])
        camera_from_world = _QUALISYS_TO_OPENCV @ rotation
        centre_world = np.array([float(transform.get(axis)) for axis in "xyz"]) / 1000.0
        cameras.append(CalibratedCamera(element.get("serial", f"camera{len(cameras) + 1}"), width, height, intrinsics,
                                        distortion, camera_from_world, -camera_from_world @ centre_world))
    if not cameras:
        raise VideoposeError(f"no cameras in the Qualisys calibration {path}")
    return tuple(cameras)


def _distort(normalised: np.ndarray, distortion: np.ndarray) -> np.ndarray:
    """(..., 2) ideal normalised coordinates -> distorted normalised coordinates (Brown-Conrady)."""
    k1, k2, p1, p2, k3 = distortion
    x, y = normalised[..., 0], normalised[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    return np.stack([x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                     y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y], axis=-1)


def project(points_world: np.ndarray, camera: CalibratedCamera) -> np.ndarray:
    """(..., 3) world metres -> (..., 2) pixels (with distortion; NaN stays NaN)."""
    in_camera = np.asarray(points_world, dtype=np.float64) @ camera.camera_from_world.T + camera.translation
    normalised = in_camera[..., :2] / in_camera[..., 2:3]
    distorted = _distort(normalised, camera.distortion)
    return distorted @ camera.intrinsics[:2, :2].T + camera.intrinsics[:2, 2]


def undistort(pixels: np.ndarray, camera: CalibratedCamera, iterations: int = 20) -> np.ndarray:
    """(..., 2) pixels -> (..., 2) ideal normalised image coordinates (x/z, y/z), by fixed-point iteration
    (as ``cv2.undistortPoints``; converges to < 1e-9 for the mild distortion of real lenses)."""
    k_inverse = np.linalg.inv(camera.intrinsics)
    distorted = np.asarray(pixels, dtype=np.float64) @ k_inverse[:2, :2].T + k_inverse[:2, 2]
    ideal = distorted.copy()
    for _ in range(iterations):
        ideal = ideal + (distorted - _distort(ideal, camera.distortion))
    return ideal


def _dlt(normalised: np.ndarray, weights: np.ndarray, projections: np.ndarray) -> np.ndarray:
    """(views, points, 2) normalised coordinates, (views, points) weights, (views, 3, 4) -> (points, 3);
    NaN where fewer than two views have weight."""
    x, y = normalised[..., 0:1], normalised[..., 1:2]
    rows_x = weights[..., None] * (x * projections[:, None, 2] - projections[:, None, 0])
    rows_y = weights[..., None] * (y * projections[:, None, 2] - projections[:, None, 1])
    system = np.concatenate([rows_x, rows_y], axis=0).transpose(1, 0, 2)  # (points, 2 views, 4)
    system = np.nan_to_num(system)
    homogeneous = np.linalg.svd(system)[2][:, -1]
    points = homogeneous[:, :3] / homogeneous[:, 3:4]
    points[(weights > 0).sum(axis=0) < 2] = np.nan
    return points


def triangulate(pixels: np.ndarray, scores: np.ndarray, cameras: tuple[CalibratedCamera, ...],
                max_residual_px: float = 25.0, min_score: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Robust confidence-weighted DLT over views.

    pixels (views, ..., 2) with NaN where unknown; scores (views, ...) in [0, 1] (weights; below
    ``min_score`` a view is not used). While a point's worst view reprojects farther than
    ``max_residual_px`` and more than two views remain, that view is dropped and the point triangulated
    again. Returns points (..., 3) world metres (NaN with fewer than two usable views), used (views, ...)
    bool, and residuals (views, ...) pixels of every view (used or not) against the final points.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    views, shape = pixels.shape[0], pixels.shape[1:-1]
    flat_pixels = pixels.reshape(views, -1, 2)
    weights = np.where(np.isfinite(flat_pixels).all(axis=-1), np.asarray(scores, dtype=np.float64).reshape(views, -1), 0.0)
    used = weights >= min_score
    normalised = np.stack([undistort(flat_pixels[v], camera) for v, camera in enumerate(cameras)])
    projections = np.stack([camera.projection for camera in cameras])

    def residuals_of(points: np.ndarray) -> np.ndarray:
        return np.stack([np.linalg.norm(project(points, camera) - flat_pixels[v], axis=-1)
                         for v, camera in enumerate(cameras)])

    points = _dlt(normalised, np.where(used, weights, 0.0), projections)
    for _ in range(views - 2):
        residuals = np.where(used, residuals_of(points), -np.inf)
        worst = np.argmax(residuals, axis=0)
        worst_residual = np.take_along_axis(residuals, worst[None], axis=0)[0]
        drop = (worst_residual > max_residual_px) & (used.sum(axis=0) > 2)
        if not drop.any():
            break
        used[worst[drop], np.flatnonzero(drop)] = False
        points[drop] = _dlt(normalised[:, drop], np.where(used[:, drop], weights[:, drop], 0.0), projections)
    return points.reshape(shape + (3,)), used.reshape((views,) + shape), residuals_of(points).reshape((views,) + shape)
