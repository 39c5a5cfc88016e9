"""Camera maths: screen normalisation, world<->camera transforms and projection (Sec. 4, Eq. for the reprojection).

Camera frame: x right, y down, z forward (into the scene), metres. Intrinsics follow VideoPose3D's
9-vector ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` with focal length and centre in *normalised*
screen units (see :func:`normalize_screen_coordinates`), so one model serves any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.spatial.transform import Rotation

ArrayOrTensor = np.ndarray | torch.Tensor


def normalize_screen_coordinates(pixels: ArrayOrTensor, width: int, height: int) -> ArrayOrTensor:
    """(..., 2) pixels -> (..., 2) with x in [-1, 1] and y scaled by the same factor (aspect kept)."""
    if pixels.shape[-1] != 2:
        raise ValueError(f"expected (..., 2) pixel coordinates, got {tuple(pixels.shape)}")
    offset = pixels.new_tensor([1.0, height / width]) if isinstance(pixels, torch.Tensor) else np.array([1.0, height / width])
    return pixels / width * 2 - offset


def image_coordinates(normalized: ArrayOrTensor, width: int, height: int) -> ArrayOrTensor:
    """Inverse of :func:`normalize_screen_coordinates`: (..., 2) normalised -> pixels."""
    offset = normalized.new_tensor([1.0, height / width]) if isinstance(normalized, torch.Tensor) else np.array([1.0, height / width])
    return (normalized + offset) * width / 2


@dataclass(frozen=True)
class Camera:
    """A pinhole camera with optional radial/tangential distortion.

    intrinsics: (9,) [fx, fy, cx, cy, k1, k2, k3, p1, p2], focal/centre in normalised screen units.
    world_from_camera_quat_xyzw: (4,) orientation of the camera in the world; translation (3,) metres.
    """

    intrinsics: np.ndarray
    width: int
    height: int
    world_from_camera_quat_xyzw: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 0.0, 1.0]))
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @classmethod
    def from_pixels(cls, focal_px: float, width: int, height: int, center_px: tuple[float, float] | None = None,
                    distortion: tuple[float, ...] = (0, 0, 0, 0, 0), **pose) -> "Camera":
        """A camera from a focal length and principal point in pixels."""
        center = np.array(center_px if center_px is not None else (width / 2, height / 2), dtype=np.float64)
        center_normalized = normalize_screen_coordinates(center, width, height)
        focal = focal_px / width * 2
        intrinsics = np.array([focal, focal, *center_normalized, *distortion], dtype=np.float64)
        return cls(intrinsics, width, height, **pose)

    def world_to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(..., 3) world -> (..., 3) camera frame."""
        return world_to_camera(points_world, self.world_from_camera_quat_xyzw, self.translation)

    def camera_to_world(self, points_camera: np.ndarray) -> np.ndarray:
        """(..., 3) camera frame -> (..., 3) world."""
        return camera_to_world(points_camera, self.world_from_camera_quat_xyzw, self.translation)

    def project_to_pixels(self, points_camera: np.ndarray) -> np.ndarray:
        """(..., joints, 3) camera-frame metres -> (..., joints, 2) pixels, with distortion."""
        points_camera = np.asarray(points_camera, dtype=np.float64)
        normalized = project_to_2d(points_camera, np.broadcast_to(self.intrinsics, points_camera.shape[:-2] + (9,)))
        return image_coordinates(normalized, self.width, self.height)


def world_to_camera(points_world: np.ndarray, world_from_camera_quat_xyzw: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3) world points -> camera frame, for a camera at ``translation`` oriented by the quaternion."""
    rotation = Rotation.from_quat(world_from_camera_quat_xyzw)
    flat = np.asarray(points_world, dtype=np.float64).reshape(-1, 3) - translation
    return rotation.inv().apply(flat).reshape(np.shape(points_world))


def camera_to_world(points_camera: np.ndarray, world_from_camera_quat_xyzw: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> world."""
    rotation = Rotation.from_quat(world_from_camera_quat_xyzw)
    flat = np.asarray(points_camera, dtype=np.float64).reshape(-1, 3)
    return (rotation.apply(flat) + translation).reshape(np.shape(points_camera))


def _split_intrinsics(intrinsics: ArrayOrTensor):
    return intrinsics[..., :2], intrinsics[..., 2:4], intrinsics[..., 4:7], intrinsics[..., 7:9]


def project_to_2d(points_camera: ArrayOrTensor, intrinsics: ArrayOrTensor) -> ArrayOrTensor:
    """Project (..., joints, 3) camera-frame points with (..., 9) intrinsics -> (..., joints, 2) normalised.

    Brown-Conrady model: radial k1..k3 and tangential p1, p2 (OpenCV's convention, so OpenCV
    calibrations apply as they are; OpenCV orders them k1, k2, p1, p2, k3); works on numpy arrays and torch tensors
    (differentiable, used by the semi-supervised reprojection loss). Depth is clamped to stay positive.
    """
    is_torch = isinstance(points_camera, torch.Tensor)
    if points_camera.shape[-1] != 3 or intrinsics.shape[-1] != 9:
        raise ValueError(f"expected (..., 3) points and (..., 9) intrinsics, got {tuple(points_camera.shape)}, {tuple(intrinsics.shape)}")
    focal, center, radial, tangential = (part[..., None, :] for part in _split_intrinsics(intrinsics))
    depth = points_camera[..., 2:3]
    depth = depth.clamp(min=1e-6) if is_torch else np.clip(depth, 1e-6, None)
    xy = points_camera[..., :2] / depth
    radius_sq = (xy ** 2).sum(-1, keepdims=True)
    powers = torch.cat([radius_sq, radius_sq ** 2, radius_sq ** 3], dim=-1) if is_torch else np.concatenate(
        [radius_sq, radius_sq ** 2, radius_sq ** 3], axis=-1)
    radial_factor = 1 + (radial * powers).sum(-1, keepdims=True)
    # Brown-Conrady tangential terms as OpenCV writes them: dx = 2 p1 x y + p2 (r^2 + 2 x^2),
    # dy = p1 (r^2 + 2 y^2) + 2 p2 x y, i.e. xy * 2 (p2 x + p1 y) + (p2, p1) r^2.
    tangential_swapped = tangential.flip(-1) if is_torch else tangential[..., ::-1]
    tangential_term = 2 * (tangential_swapped * xy).sum(-1, keepdims=True)
    distorted = xy * (radial_factor + tangential_term) + tangential_swapped * radius_sq
    return focal * distorted + center


def project_to_2d_linear(points_camera: ArrayOrTensor, intrinsics: ArrayOrTensor) -> ArrayOrTensor:
    """Pinhole projection without distortion: (..., joints, 3) -> (..., joints, 2) normalised."""
    focal, center = intrinsics[..., None, :2], intrinsics[..., None, 2:4]
    depth = points_camera[..., 2:3]
    depth = depth.clamp(min=1e-6) if isinstance(points_camera, torch.Tensor) else np.clip(depth, 1e-6, None)
    return focal * points_camera[..., :2] / depth + center


# ---------------------------------------------------------------------------------------------- camera motion
# Background motion, frame diagonals per second, above which the camera moves and its background is followed
# (lifter.detect.with_background): the real still clips measure 0.00003-0.0006 (sports2d's the most); a camera that
# turns after a walker, 0.1. It was 0.02 when a moving camera could only fall back: a pan slower than that (under
# 7 degrees over 10 s) was taken for a still camera.
MOVING_CAMERA_SPEED = 0.005


def person_boxes(keypoints: np.ndarray, scores: np.ndarray, grow: float = 0.2, min_score: float = 0.3) -> np.ndarray:
    """(frames, joints, 2) pixels and (frames, joints) scores -> (frames, 4) boxes [x0, y0, x1, y1] around the
    confident joints, grown by ``grow`` of their size on each side (NaN where no joint is confident)."""
    points = np.where((scores >= min_score)[..., None] & np.isfinite(keypoints), keypoints, np.nan)
    known = np.isfinite(points).all(axis=-1).any(axis=1)
    low = np.full((len(points), 2), np.nan)
    high = np.full((len(points), 2), np.nan)
    low[known], high[known] = np.nanmin(points[known], axis=1), np.nanmax(points[known], axis=1)
    margin = grow * (high - low) + 10.0
    return np.concatenate([low - margin, high + margin], axis=1)


def background_frame(frame: np.ndarray, box: np.ndarray, max_side: int) -> tuple[np.ndarray, np.ndarray, float]:
    """One BGR video frame -> (its grey picture at most ``max_side`` px, the uint8 mask of its background: 255
    outside the performer's ``box`` (4,) [x0, y0, x1, y1] video pixels, NaN where unknown; the scale from video
    pixels to the picture's) for the optical flow of :func:`background_motion` and :func:`background_homographies`."""
    import cv2

    scale = min(1.0, max_side / max(frame.shape[:2]))
    gray = cv2.cvtColor(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    mask = np.full(gray.shape, 255, np.uint8)
    if np.isfinite(box).all():
        x0, y0, x1, y1 = np.clip(np.round(box * scale), 0, [gray.shape[1], gray.shape[0]] * 2).astype(int)
        mask[y0:y1, x0:x1] = 0
    return gray, mask, scale


def background_motion(video_path, keypoints, step: int = 2, max_side: int = 480, max_pairs: int = 60) -> float:
    """How fast the background moves in a video, frame diagonals per second (median over frame pairs of the
    median Lucas-Kanade flow of corners outside the performer's box; ~0.005 for a tripod, above
    :data:`MOVING_CAMERA_SPEED` for a pan or a hand-held camera). ``keypoints``: the clip's Keypoints2D
    (its boxes mask the performer). Reads every ``step``-th frame of up to ``max_pairs`` pairs, at ``max_side`` px."""
    import cv2

    from videopose.lifter.video import iter_frames_with_times

    boxes = person_boxes(np.asarray(keypoints.keypoints, dtype=np.float64), np.asarray(keypoints.scores))
    speeds: list[float] = []
    previous = None
    for index, (frame, seconds) in enumerate(iter_frames_with_times(video_path, rgb=False)):
        if index % step or index >= len(boxes):
            continue
        gray, mask, scale = background_frame(frame, boxes[index], max_side)
        if previous is not None:
            old_gray, old_mask, old_seconds = previous
            corners = cv2.goodFeaturesToTrack(old_gray, 200, 0.01, 8, mask=old_mask)
            if corners is not None and len(corners) >= 8 and seconds > old_seconds:
                moved, status, _ = cv2.calcOpticalFlowPyrLK(old_gray, gray, corners, None)
                good = status[:, 0] == 1
                if good.sum() >= 8:
                    flow = np.linalg.norm((moved - corners)[good, 0], axis=1)
                    speeds.append(float(np.median(flow)) / np.hypot(*gray.shape) / (seconds - old_seconds))
            if len(speeds) >= max_pairs:
                break
        previous = (gray, mask, seconds)
    return float(np.median(speeds)) if speeds else 0.0


def pair_homography(old_gray: np.ndarray, old_mask: np.ndarray, gray: np.ndarray,
                    min_points: int = 12) -> tuple[np.ndarray | None, float]:
    """The (3, 3) homography taking ``gray``'s pixels to ``old_gray``'s, from corners of ``old_gray`` inside
    ``old_mask`` tracked by Lucas-Kanade both ways (kept where the backward track returns within 1 px) and a
    RANSAC fit (2 px), and the share of the tracked corners it explains; (None, 0) where fewer than
    ``min_points`` corners agree."""
    import cv2

    corners = cv2.goodFeaturesToTrack(old_gray, 400, 0.01, 8, mask=old_mask)
    if corners is None or len(corners) < min_points:
        return None, 0.0
    moved, status, _ = cv2.calcOpticalFlowPyrLK(old_gray, gray, corners, None)
    back, back_status, _ = cv2.calcOpticalFlowPyrLK(gray, old_gray, moved, None)
    good = (status[:, 0] == 1) & (back_status[:, 0] == 1) & (np.linalg.norm((back - corners)[:, 0], axis=1) < 1.0)
    if good.sum() < min_points:
        return None, 0.0
    found, inliers = cv2.findHomography(moved[good], corners[good], cv2.RANSAC, 2.0)
    if found is None or inliers is None or inliers.sum() < min_points:
        return None, 0.0
    return found, float(inliers.sum() / good.sum())


MAX_TRACKING_GAP_SECONDS = 0.25  # frames lost for longer than this break a moving camera's chain to its first frame


def background_homographies(video_path, keypoints, max_side: int = 640, min_points: int = 12,
                            progress=None) -> tuple[np.ndarray, np.ndarray]:
    """How a moving camera's picture moves: per frame t the (3, 3) homography H_t taking frame t's pixels to
    the first frame's (x_0 ~ H_t x_t; identity for frame 0), chained from consecutive frames: corners outside
    the performer's box (:func:`person_boxes`) tracked by Lucas-Kanade both ways (kept within 1 px of where they
    started), a RANSAC homography (2 px at ``max_side``) fitted to them. For a camera that only turns (pan and
    tilt on a tripod, a phone turned in the hand) H_t = K R_t K^-1 whatever the scene's depth; the retargeter
    (retarget/camera_motion.py) checks that and grounds the clip in the first frame's camera.

    A frame whose corners cannot be followed (fewer than ``min_points`` agree: motion blur, a passer-by filling
    the picture) is left NaN and the next frames are tracked from the last one that was, for up to
    MAX_TRACKING_GAP_SECONDS; after a longer loss every later frame is NaN (the chain to the first is broken).
    Returns (homographies (frames, 3, 3), NaN where unknown; inlier share (frames,): the tracked corners the
    homography explains, 1 for frame 0). ``progress(done, total)``: called per frame."""
    from videopose.lifter.video import iter_frames_with_times

    boxes = person_boxes(np.asarray(keypoints.keypoints, dtype=np.float64), np.asarray(keypoints.scores))
    frames = len(boxes)
    homographies = np.full((frames, 3, 3), np.nan)
    shares = np.zeros(frames)
    if frames:
        homographies[0], shares[0] = np.eye(3), 1.0
    max_skip = max(1, int(round(MAX_TRACKING_GAP_SECONDS * float(keypoints.fps))))
    anchor = None  # the last frame tied to the first: (grey, mask, its homography, its index)
    for index, (frame, _) in enumerate(iter_frames_with_times(video_path, rgb=False, max_frames=frames)):
        gray, mask, scale = background_frame(frame, boxes[index], max_side)
        if anchor is None:
            if index == 0:
                anchor = (gray, mask, np.eye(3), 0)
        elif index - anchor[3] <= max_skip:  # tracked from the last frame tied to the first (a frame lost between)
            old_gray, old_mask, old_chained, _ = anchor
            step, shares[index] = pair_homography(old_gray, old_mask, gray, min_points)
            if step is not None:
                full = np.diag([1.0 / scale, 1.0 / scale, 1.0]) @ step @ np.diag([scale, scale, 1.0])
                chained = old_chained @ full  # x_0 ~ H_anchor x_anchor, x_anchor ~ step x_t
                homographies[index] = chained / chained[2, 2]
                anchor = (gray, mask, homographies[index], index)
        if progress is not None:
            progress(index + 1, frames)
    return homographies, shares
