"""Virtual cameras and detector-like 2D keypoints for mocap without video (training input, Sec. 5 data).

Everything is vectorised over a batch of independent cameras: ``(batch, frames, points, 3)`` world
points (Z up, metres) -> camera frame (x right, y down, z forward) -> pixels of a sampled image ->
detector-like noise -> normalised screen coordinates, the same as ``lifter/infer.py`` feeds the model.

The noise model (:class:`DetectorNoise`) is calibrated on MediaPipe detections of the real videos
(benchmarks/measure_detector_noise.py, numbers in docs/training.md): per-joint Gaussian jitter in
units of the person's 2D height, occasional outliers, dropped joints (score 0, then filled by linear
interpolation over time as inference does) and short left/right swaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from videopose.lifter.camera import project_to_2d
from videopose.lifter.mocap import COCO_FROM_MOCAP
from videopose.core.layouts import COCO17

IMAGE_SIZES = np.array([[1920, 1080], [1280, 720], [1080, 1920], [720, 1280], [640, 480], [1080, 1080]])


@dataclass(frozen=True)
class CameraSampling:
    """Ranges of the virtual cameras (uniform unless said otherwise)."""

    horizontal_fov_deg: tuple[float, float] = (40.0, 80.0)  # of the image's long side
    camera_height_m: tuple[float, float] = (0.3, 2.6)  # above the performer's lowest foot
    person_fraction: tuple[float, float] = (0.35, 0.9)  # 1.8 m at the target, as a fraction of image height
    target_jitter_m: float = 0.25  # the camera aims near, not exactly at, the pelvis
    roll_deg: float = 4.0  # standard deviation
    principal_jitter: float = 0.02  # fraction of image width (standard deviation)
    distortion_probability: float = 0.3
    k1_range: tuple[float, float] = (-0.12, 0.06)
    # A camera steps back (up to this factor of its sampled distance) until the whole path is in the
    # image; beyond it, a wandering performer leaves the image rather than shrinking to a few pixels.
    max_step_back: float = 2.5


@dataclass(frozen=True)
class DetectorNoise:
    """Detector-like 2D noise, in units of the person's 2D size (median bounding-box diagonal, pixels).

    ``jitter``: white per-frame noise per COCO17 joint, MediaPipe's measured median on the real videos
    (benchmarks/results/detector_noise.json), scaled per sequence by a factor in ``jitter_range``
    (the small person in sports2d_demo jitters ~4x more than the median). ``slow``: a temporally
    correlated per-joint offset (white noise box-filtered over ``slow_frames``), standing for the
    detector's systematic errors that second differences cannot measure (not calibrated: a guess).
    """

    jitter: tuple[float, ...] = (
        # nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles (COCO17 order)
        0.0013, 0.0011, 0.0012, 0.0008, 0.0011, 0.0008, 0.0007, 0.0011, 0.0013, 0.0012, 0.0020, 0.0005, 0.0006,
        0.0006, 0.0012, 0.0005, 0.0014)
    jitter_scale: float = 1.0  # multiplies everything below that is a size
    jitter_range: tuple[float, float] = (0.5, 5.0)
    slow: float = 0.012
    slow_frames: int = 15
    outlier_probability: float = 0.002  # per joint and frame
    outlier_size: float = 0.1
    drop_probability: float = 0.005  # per joint and frame: score 0, filled by interpolation
    swap_probability: float = 0.001  # per frame: start of a short left/right swap of one limb pair
    swap_frames: tuple[int, int] = (1, 6)


NO_NOISE = DetectorNoise(jitter_scale=0.0, slow=0.0, outlier_probability=0.0, drop_probability=0.0, swap_probability=0.0)


@dataclass(frozen=True)
class VirtualCameras:
    """A batch of cameras: world_from_camera (batch, 3, 3), position (batch, 3), intrinsics (batch, 9)
    normalised, image size (batch, 2) pixels."""

    world_from_camera: np.ndarray
    position: np.ndarray
    intrinsics: np.ndarray
    image_size: np.ndarray

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(batch, ..., 3) world -> (batch, ..., 3) camera frame."""
        batch = points_world.shape[0]
        flat = points_world.reshape(batch, -1, 3) - self.position[:, None]
        return (flat @ self.world_from_camera).reshape(points_world.shape)


def look_at(camera_position: np.ndarray, target: np.ndarray, roll_rad: np.ndarray) -> np.ndarray:
    """(batch, 3) positions and targets -> (batch, 3, 3) world_from_camera (columns: right, down, forward)."""
    forward = target - camera_position
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.maximum(np.linalg.norm(right, axis=-1, keepdims=True), 1e-9)
    down = np.cross(forward, right)
    cos, sin = np.cos(roll_rad)[:, None], np.sin(roll_rad)[:, None]
    right, down = cos * right + sin * down, -sin * right + cos * down
    return np.stack([right, down, forward], axis=-1)


def sample_cameras(rng: np.random.Generator, pelvis_world: np.ndarray, floor_height: np.ndarray,
                   sampling: CameraSampling = CameraSampling()) -> VirtualCameras:
    """One camera per sequence, looking at ``pelvis_world`` (batch, 3) from any yaw.

    ``floor_height`` (batch,) is the lowest foot height of the sequence (cameras stand on that floor).
    """
    batch = pelvis_world.shape[0]
    size = IMAGE_SIZES[rng.integers(0, len(IMAGE_SIZES), batch)].astype(np.float64)
    width, height = size[:, 0], size[:, 1]
    fov = np.radians(rng.uniform(*sampling.horizontal_fov_deg, batch))
    focal_px = np.maximum(width, height) / 2 / np.tan(fov / 2)
    fraction = rng.uniform(*sampling.person_fraction, batch)
    distance = focal_px * 1.8 / (fraction * height)
    target = pelvis_world + rng.normal(0, sampling.target_jitter_m / 2, (batch, 3))
    camera_z = floor_height + rng.uniform(*sampling.camera_height_m, batch)
    vertical = np.clip(camera_z - target[:, 2], -0.9 * distance, 0.9 * distance)
    horizontal = np.sqrt(distance ** 2 - vertical ** 2)
    yaw = rng.uniform(0, 2 * np.pi, batch)
    position = target + np.stack([horizontal * np.cos(yaw), horizontal * np.sin(yaw), vertical], axis=-1)
    world_from_camera = look_at(position, target, np.radians(rng.normal(0, sampling.roll_deg, batch)))
    centre_px = size / 2 + rng.normal(0, sampling.principal_jitter, (batch, 2)) * width[:, None]
    centre = centre_px / width[:, None] * 2 - np.stack([np.ones(batch), height / width], axis=-1)
    intrinsics = np.zeros((batch, 9))
    intrinsics[:, 0] = intrinsics[:, 1] = focal_px / width * 2
    intrinsics[:, 2:4] = centre
    distorted = rng.random(batch) < sampling.distortion_probability
    intrinsics[:, 4] = np.where(distorted, rng.uniform(*sampling.k1_range, batch), 0.0)
    return VirtualCameras(world_from_camera, position, intrinsics, size)


def _fit_in_image(cameras: VirtualCameras, points_camera: np.ndarray, margin: float = 0.92,
                  max_factor: float | np.ndarray = np.inf) -> VirtualCameras:
    """Move each camera back along its axis until the sequence's points project inside ``margin`` of the
    image, by at most ``max_factor`` times its distance."""
    depth = np.maximum(points_camera[..., 2], 0.1)
    xy = points_camera[..., :2] / depth[..., None]
    focal = cameras.intrinsics[:, 0]
    half_size = np.stack([np.ones(len(focal)), cameras.image_size[:, 1] / cameras.image_size[:, 0]], -1)
    centre = cameras.intrinsics[:, 2:4]
    reach = np.abs(focal[:, None, None] * xy.reshape(len(focal), -1, 2) + centre[:, None]).max(axis=1)
    factor = np.clip((reach / (margin * half_size)).max(axis=-1), 1.0, max_factor)
    forward = cameras.world_from_camera[:, :, 2]
    distance = np.median(points_camera[..., 0, 2].reshape(len(focal), -1), axis=1)
    position = cameras.position - forward * (distance * (factor - 1))[:, None]
    return VirtualCameras(cameras.world_from_camera, position, cameras.intrinsics, cameras.image_size)


def project_points(points_camera: np.ndarray, cameras: VirtualCameras) -> np.ndarray:
    """(batch, frames, points, 3) camera frame -> (batch, frames, points, 2) pixels."""
    batch, frames = points_camera.shape[:2]
    intrinsics = np.broadcast_to(cameras.intrinsics[:, None], (batch, frames, 9))
    normalized = project_to_2d(points_camera, intrinsics)
    width = cameras.image_size[:, 0][:, None, None, None]
    height_over_width = (cameras.image_size[:, 1] / cameras.image_size[:, 0])[:, None, None, None]
    offset = np.concatenate([np.ones_like(height_over_width), height_over_width], axis=-1)
    return (normalized + offset) * width / 2


def pixels_to_normalized(pixels: np.ndarray, image_size: np.ndarray) -> np.ndarray:
    """(batch, frames, joints, 2) pixels -> normalised screen coordinates (per-batch image size)."""
    width = image_size[:, 0][:, None, None, None]
    height_over_width = (image_size[:, 1] / image_size[:, 0])[:, None, None, None]
    offset = np.concatenate([np.ones_like(height_over_width), height_over_width], axis=-1)
    return pixels / width * 2 - offset


def person_height_px(keypoints: np.ndarray) -> np.ndarray:
    """(batch, frames, joints, 2) -> (batch, 1, 1, 1) median 2D bounding-box diagonal over frames."""
    extent = keypoints.max(axis=2) - keypoints.min(axis=2)
    diagonal = np.linalg.norm(extent, axis=-1)
    return np.median(diagonal, axis=1)[:, None, None, None]


def fill_dropped(keypoints: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of invalid entries (as inference fills score-0 joints).

    keypoints (batch, frames, joints, 2), valid (batch, frames, joints) bool. Edges hold the nearest
    valid value; a joint never valid is left as it is.
    """
    batch, frames, joints = valid.shape
    index = np.broadcast_to(np.arange(frames)[None, :, None], valid.shape)
    previous = np.maximum.accumulate(np.where(valid, index, -1), axis=1)
    following = np.flip(np.minimum.accumulate(np.flip(np.where(valid, index, frames), axis=1), axis=1), axis=1)
    has_previous, has_following = previous >= 0, following < frames
    previous_c = np.clip(previous, 0, frames - 1)
    following_c = np.clip(following, 0, frames - 1)
    take = lambda where: np.take_along_axis(keypoints, where[..., None], axis=1)  # noqa: E731
    before, after = take(previous_c), take(following_c)
    span = np.maximum(following - previous, 1)
    weight = np.where(has_previous & has_following, (index - previous) / span, np.where(has_previous, 0.0, 1.0))
    filled = before + (after - before) * weight[..., None]
    never = ~(has_previous | has_following)
    filled = np.where((valid | never)[..., None], keypoints, filled)
    return filled


_SWAP_PAIRS = np.array([[COCO17.index(f"left_{part}"), COCO17.index(f"right_{part}")]
                        for part in ("wrist", "elbow", "ankle", "knee", "hip", "shoulder")])


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], frames_width: int) -> np.ndarray:
    """(batch, frames, ...) unit-variance noise correlated over ~``frames_width`` frames (box filter)."""
    white = rng.standard_normal(shape)
    width = max(1, min(frames_width, shape[1]))
    padded = np.concatenate([white[:, -width:], white], axis=1) if width > 1 else white
    cumulative = np.cumsum(padded, axis=1)
    smoothed = (cumulative[:, width:] - cumulative[:, :-width]) / np.sqrt(width) if width > 1 else white
    return smoothed


def add_detector_noise(rng: np.random.Generator, keypoints: np.ndarray,
                       noise: DetectorNoise) -> tuple[np.ndarray, np.ndarray]:
    """(batch, frames, 17, 2) COCO17 pixels -> (the same with detector-like errors, scores (batch, frames, 17)).

    Scores are 1, and 0 where a joint was dropped; dropped joints hold the linear interpolation over
    time of their neighbours (what inference fills them with), so the arrays can be used either way.
    """
    batch, frames, joints, _ = keypoints.shape
    size = person_height_px(keypoints)
    noisy = keypoints.copy()
    if noise.jitter_scale > 0:
        scale = noise.jitter_scale * rng.uniform(*noise.jitter_range, (batch, 1, 1, 1))
        sigma = np.asarray(noise.jitter)[None, None, :, None] * scale * size
        noisy += rng.standard_normal(keypoints.shape).astype(keypoints.dtype) * sigma
    if noise.slow > 0 and noise.jitter_scale > 0:
        noisy += smooth_noise(rng, keypoints.shape, noise.slow_frames) * (noise.slow * noise.jitter_scale) * size
    if noise.swap_probability > 0:
        starts = rng.random((batch, frames)) < noise.swap_probability
        for b, f in zip(*np.nonzero(starts)):
            pair = _SWAP_PAIRS[rng.integers(0, len(_SWAP_PAIRS))]
            stop = min(frames, f + rng.integers(noise.swap_frames[0], noise.swap_frames[1] + 1))
            noisy[b, f:stop, pair] = noisy[b, f:stop, pair[::-1]]
    if noise.outlier_probability > 0:
        outliers = rng.random((batch, frames, joints)) < noise.outlier_probability
        offsets = rng.standard_normal((batch, frames, joints, 2)) * noise.outlier_size * size
        noisy += offsets * outliers[..., None]
    scores = np.ones((batch, frames, joints), dtype=np.float32)
    if noise.drop_probability > 0:
        valid = rng.random((batch, frames, joints)) >= noise.drop_probability
        noisy = fill_dropped(noisy, valid)
        scores[~valid] = 0.0
    return noisy, scores


@dataclass(frozen=True)
class SyntheticBatch:
    """Model input and targets for a batch of sequences seen by virtual cameras.

    inputs_2d (batch, frames, 17, 2) normalised COCO17; poses_3d (batch, frames, 17, 3) camera-frame,
    root-relative H36M17; trajectory (batch, frames, 3) pelvis in the camera frame; intrinsics
    (batch, 9); clean_2d (batch, frames, 17, 2) normalised, before noise; image_size (batch, 2) pixels;
    scores (batch, frames, 17): 0 where the noise dropped a joint (its input is then interpolated), else 1.
    """

    inputs_2d: np.ndarray
    poses_3d: np.ndarray
    trajectory: np.ndarray
    intrinsics: np.ndarray
    clean_2d: np.ndarray
    image_size: np.ndarray
    scores: np.ndarray


def synthesize(rng: np.random.Generator, points_world: np.ndarray, noise: DetectorNoise = NO_NOISE,
               sampling: CameraSampling = CameraSampling()) -> SyntheticBatch:
    """(batch, frames, 22, 3) MOCAP_NAMES world points -> a :class:`SyntheticBatch` (one camera per sequence)."""
    pelvis = points_world[:, :, 0].mean(axis=1)
    ankles = points_world[:, :, [3, 6], 2]
    floor = ankles.min(axis=(1, 2)) - 0.08
    cameras = sample_cameras(rng, pelvis, floor, sampling)
    points_camera = cameras.to_camera(points_world)
    remaining = np.full(len(points_world), sampling.max_step_back)
    for _ in range(2):  # step back where the performer's whole path does not fit in the image
        before = np.median(points_camera[:, :, 0, 2], axis=1)
        cameras = _fit_in_image(cameras, points_camera, max_factor=remaining)
        points_camera = cameras.to_camera(points_world)
        remaining = np.maximum(1.0, remaining * before / np.median(points_camera[:, :, 0, 2], axis=1))
    pixels = project_points(points_camera[:, :, COCO_FROM_MOCAP], cameras)
    if noise is NO_NOISE:
        noisy, scores = pixels, np.ones(pixels.shape[:3], dtype=np.float32)
    else:
        noisy, scores = add_detector_noise(rng, pixels, noise)
    trajectory = points_camera[:, :, 0]
    poses = points_camera[:, :, :17] - trajectory[:, :, None]
    return SyntheticBatch(
        pixels_to_normalized(noisy, cameras.image_size).astype(np.float32), poses.astype(np.float32),
        trajectory.astype(np.float32), cameras.intrinsics.astype(np.float32),
        pixels_to_normalized(pixels, cameras.image_size).astype(np.float32), cameras.image_size.astype(np.int64),
        scores,
    )
