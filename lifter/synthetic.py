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
    # Steepest view: the camera is never pitched more than this from the horizontal (it moves back
    # instead, keeping its height); cameras step back horizontally, so their height stays in range.
    max_pitch_deg: float = 60.0
    # Every point of the path stays at least this far in front of the camera, and within this angle of
    # its axis (tan), whatever the step-back limit: nearer points project to huge or flipped 2D.
    near_m: float = 0.5
    max_tan: float = 1.5


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
    # Per sequence: one long gap (the tracker lost the person, or a limb was hidden) of ``gap_frames``
    # frames, the whole body or one limb (equally likely), score 0 and filled by interpolation, as
    # inference fills what the detector did not find. 0 in evaluation (the fixed set stays as it was).
    gap_probability: float = 0.0
    gap_frames: tuple[int, int] = (8, 45)


NO_NOISE = DetectorNoise(jitter_scale=0.0, slow=0.0, outlier_probability=0.0, drop_probability=0.0, swap_probability=0.0)


@dataclass(frozen=True)
class VirtualCameras:
    """A batch of cameras: world_from_camera (batch, 3, 3), position (batch, 3), intrinsics (batch, 9)
    normalised, image size (batch, 2) pixels."""

    world_from_camera: np.ndarray
    position: np.ndarray
    intrinsics: np.ndarray
    image_size: np.ndarray
    target: np.ndarray | None = None  # (batch, 3) the point each camera aims at
    roll_rad: np.ndarray | None = None  # (batch,)

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
    The camera's height above that floor is uniform in ``camera_height_m``; where that height would
    pitch the view more than ``max_pitch_deg``, the camera keeps the height and moves back instead.
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
    vertical = camera_z - target[:, 2]
    distance = np.maximum(distance, np.abs(vertical) / np.sin(np.radians(sampling.max_pitch_deg)))
    horizontal = np.sqrt(distance ** 2 - vertical ** 2)
    yaw = rng.uniform(0, 2 * np.pi, batch)
    position = target + np.stack([horizontal * np.cos(yaw), horizontal * np.sin(yaw), vertical], axis=-1)
    roll = np.radians(rng.normal(0, sampling.roll_deg, batch))
    world_from_camera = look_at(position, target, roll)
    centre_px = size / 2 + rng.normal(0, sampling.principal_jitter, (batch, 2)) * width[:, None]
    centre = centre_px / width[:, None] * 2 - np.stack([np.ones(batch), height / width], axis=-1)
    intrinsics = np.zeros((batch, 9))
    intrinsics[:, 0] = intrinsics[:, 1] = focal_px / width * 2
    intrinsics[:, 2:4] = centre
    distorted = rng.random(batch) < sampling.distortion_probability
    intrinsics[:, 4] = np.where(distorted, rng.uniform(*sampling.k1_range, batch), 0.0)
    return VirtualCameras(world_from_camera, position, intrinsics, size, target, roll)


def _fit_in_image(cameras: VirtualCameras, points_camera: np.ndarray, margin: float = 0.92,
                  max_factor: float | np.ndarray = np.inf, near_m: float = 0.5, max_tan: float = 1.5) -> VirtualCameras:
    """Move each camera back, horizontally (its height kept) and re-aimed at its target, until the
    sequence's points project inside ``margin`` of the image (by at most ``max_factor`` times its
    horizontal distance) and, whatever that limit, until every point is ``near_m`` in front of it and
    within ``max_tan`` of its axis."""
    batch = len(cameras.position)
    flat = points_camera.reshape(batch, -1, 3)
    depth = np.maximum(flat[..., 2], 0.1)
    xy = flat[..., :2] / depth[..., None]
    focal = cameras.intrinsics[:, 0]
    half_size = np.stack([np.ones(batch), cameras.image_size[:, 1] / cameras.image_size[:, 0]], -1)
    centre = cameras.intrinsics[:, 2:4]
    reach = np.abs(focal[:, None, None] * xy + centre[:, None]).max(axis=1)
    factor = np.clip((reach / (margin * half_size)).max(axis=-1), 1.0, max_factor)
    # A point at depth d and lateral offset r needs the camera about (r / max_tan - d) and (near - d) further.
    distance = np.maximum(np.median(points_camera[..., 0, 2].reshape(batch, -1), axis=1), 0.1)
    lateral = np.linalg.norm(flat[..., :2], axis=-1)
    needed = np.maximum(near_m - flat[..., 2], lateral / max_tan - flat[..., 2]).max(axis=1)
    factor = np.maximum(factor, 1.0 + np.maximum(needed, 0.0) * 1.1 / distance)
    target = cameras.target if cameras.target is not None else cameras.position + cameras.world_from_camera[:, :, 2] * distance[:, None]
    roll = cameras.roll_rad if cameras.roll_rad is not None else np.zeros(batch)
    offset = cameras.position - target
    # Scale the horizontal offset so the straight-line distance grows by ``factor`` (height kept).
    horizontal = np.linalg.norm(offset[:, :2], axis=-1)
    wanted = np.sqrt(np.maximum((np.linalg.norm(offset, axis=-1) * factor) ** 2 - offset[:, 2] ** 2, horizontal ** 2))
    scale = wanted / np.maximum(horizontal, 1e-9)
    position = np.concatenate([target[:, :2] + offset[:, :2] * scale[:, None], cameras.position[:, 2:]], axis=-1)
    return VirtualCameras(look_at(position, target, roll), position, cameras.intrinsics, cameras.image_size, target, roll)


def views_in_front(points_camera: np.ndarray, near_m: float = 0.5, max_tan: float = 1.5) -> np.ndarray:
    """(batch, frames, points, 3) camera frame -> (batch,) bool: every point at least ``near_m`` in
    front of the camera and within ``max_tan`` of its axis (so the projection is finite and not flipped)."""
    depth = points_camera[..., 2]
    ok = (depth >= near_m - 1e-6) & (np.abs(points_camera[..., :2]).max(axis=-1) <= max_tan * depth + 1e-6)
    return ok.reshape(len(points_camera), -1).all(axis=1) & np.isfinite(points_camera).reshape(len(points_camera), -1).all(axis=1)


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
    valid = np.ones((batch, frames, joints), dtype=bool)
    if noise.drop_probability > 0:
        valid &= rng.random((batch, frames, joints)) >= noise.drop_probability
    if noise.gap_probability > 0:
        valid &= ~long_gaps(rng, batch, frames, noise.gap_probability, noise.gap_frames)
    if not valid.all():
        noisy = fill_dropped(noisy, valid)
        scores[~valid] = 0.0
    return noisy, scores


# COCO17 joints of each limb a long gap may hide (the whole body is the other case).
_LIMBS = tuple(np.array([COCO17.index(f"{side}_{part}") for part in parts])
               for side in ("left", "right") for parts in (("elbow", "wrist"), ("knee", "ankle")))


def long_gaps(rng: np.random.Generator, batch: int, frames: int, probability: float,
              gap_frames: tuple[int, int]) -> np.ndarray:
    """-> (batch, frames, 17) bool, True inside one gap per chosen sequence (``probability`` each): a run
    of ``gap_frames`` frames (uniform, clipped to the sequence) of the whole body or of one limb."""
    hidden = np.zeros((batch, frames, COCO17.num_joints), dtype=bool)
    for sequence in np.flatnonzero(rng.random(batch) < probability):
        length = min(frames, int(rng.integers(gap_frames[0], gap_frames[1] + 1)))
        start = int(rng.integers(0, frames - length + 1))
        joints = slice(None) if rng.random() < 0.5 else _LIMBS[int(rng.integers(0, len(_LIMBS)))]
        hidden[sequence, start:start + length, joints] = True
    return hidden


@dataclass(frozen=True)
class BodySpin:
    """Whole-body turns about the camera's viewing axis, for poses the mocap hardly holds: a flip or a
    cartwheel seen from the side, a handstand. With ``probability`` a view's body (all its points) turns
    about the axis through its pelvis parallel to the camera's optical axis, by a uniform start angle
    plus a constant speed, uniform in +-``max_speed_deg_s`` (a back flip turns about 600 degrees/s).
    The pelvis path is kept; 2D and 3D targets turn alike."""

    probability: float = 0.1
    max_speed_deg_s: float = 720.0
    fps: float = 30.0


def spin_bodies(rng: np.random.Generator, points_camera: np.ndarray, spin: BodySpin) -> np.ndarray:
    """(batch, frames, points, 3) camera-frame points (point 0: the pelvis) -> the same with the views drawn
    by ``spin`` turned about their pelvis, about the camera's z axis (see :class:`BodySpin`)."""
    batch, frames = points_camera.shape[:2]
    chosen = rng.random(batch) < spin.probability
    start = rng.uniform(-np.pi, np.pi, batch)
    speed = np.radians(rng.uniform(-spin.max_speed_deg_s, spin.max_speed_deg_s, batch)) / spin.fps
    if not chosen.any():
        return points_camera
    angle = np.where(chosen[:, None], start[:, None] + speed[:, None] * np.arange(frames), 0.0)  # (batch, frames)
    cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
    relative = points_camera - points_camera[:, :, :1]
    x, y = relative[..., 0], relative[..., 1]
    turned = np.stack([cos * x - sin * y, sin * x + cos * y, relative[..., 2]], axis=-1)
    return (turned + points_camera[:, :, :1]).astype(points_camera.dtype)


@dataclass(frozen=True)
class LandmarkOffsets:
    """Detector landmarks that are not the mocap's joint centres (issue 12, item 5).

    BlazePose triangulated from the four pose2sim cameras has a torso (hip centre to shoulder centre)
    21 % longer against the leg than any of the ten mocap bodies' (0.696 against 0.476-0.642), hips 21 %
    wider and the knee low on the leg (thigh/shin 1.06 against 0.93; ``benchmarks/train_blazepose_proportions.py``).
    One performer does not tell a landmark offset from a build, so each view drawn (``probability``)
    gets its own offsets, uniform from none to the largest of each range: shoulders raised along the
    torso by up to ``shoulder_raise`` x the torso length, hips lowered along it by up to ``hip_drop`` x
    the torso and spread apart by up to ``hip_widen`` x the hip width, knees moved down the shin by up
    to ``knee_drop`` x the shin. Only the 2D moves: the 3D targets stay the joint centres.
    """

    probability: float = 0.5
    shoulder_raise: float = 0.15
    hip_drop: float = 0.10
    hip_widen: float = 0.30
    knee_drop: float = 0.08


_SHOULDERS = np.array([COCO17.index("left_shoulder"), COCO17.index("right_shoulder")])
_HIPS = np.array([COCO17.index("left_hip"), COCO17.index("right_hip")])
_KNEES = np.array([COCO17.index("left_knee"), COCO17.index("right_knee")])
_ANKLES = np.array([COCO17.index("left_ankle"), COCO17.index("right_ankle")])


def offset_landmarks(rng: np.random.Generator, coco_points: np.ndarray, offsets: LandmarkOffsets) -> np.ndarray:
    """(batch, frames, 17, 3) COCO17 points at the joint centres -> the same with the views drawn by
    ``offsets`` moved where a detector places its landmarks (see :class:`LandmarkOffsets`), metres."""
    batch = coco_points.shape[0]
    chosen = rng.random(batch) < offsets.probability
    amounts = rng.random((batch, 4)) * np.array(
        [offsets.shoulder_raise, offsets.hip_drop, offsets.hip_widen, offsets.knee_drop])
    if not chosen.any():
        return coco_points
    amounts = np.where(chosen[:, None], amounts, 0.0)[:, None, :, None]  # (batch, 1, 4, 1)
    hips, shoulders = coco_points[:, :, _HIPS], coco_points[:, :, _SHOULDERS]
    up = shoulders.mean(axis=2) - hips.mean(axis=2)  # (batch, frames, 3): the torso, hip centre -> shoulders
    across = hips[:, :, 0] - hips[:, :, 1]  # right hip -> left hip
    result = coco_points.copy()
    result[:, :, _SHOULDERS] += (amounts[:, :, 0] * up)[:, :, None]
    result[:, :, _HIPS] -= (amounts[:, :, 1] * up)[:, :, None]
    result[:, :, _HIPS[0]] += amounts[:, :, 2] * across / 2
    result[:, :, _HIPS[1]] -= amounts[:, :, 2] * across / 2
    shins = coco_points[:, :, _ANKLES] - coco_points[:, :, _KNEES]
    result[:, :, _KNEES] += amounts[:, :, 3, None] * shins
    return result.astype(coco_points.dtype)


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


def place_cameras(rng: np.random.Generator, points_world: np.ndarray,
                  sampling: CameraSampling = CameraSampling()) -> VirtualCameras:
    """(batch, frames, 22, 3) world points -> one camera per sequence that sees the whole path in front of it.

    Sampled by :func:`sample_cameras`, stepped back to fit (:func:`_fit_in_image`); a camera whose view
    still has a point nearer than ``near_m`` or off its axis (a performer walking past it) is drawn again
    (up to 8 times; then it steps back as far as needed).
    """
    pelvis = points_world[:, :, 0].mean(axis=1)
    ankles = points_world[:, :, [3, 6], 2]
    floor = ankles.min(axis=(1, 2)) - 0.08
    batch = len(points_world)
    result: VirtualCameras | None = None
    todo = np.arange(batch)
    for attempt in range(9):
        cameras = sample_cameras(rng, pelvis[todo], floor[todo], sampling)
        points_camera = cameras.to_camera(points_world[todo])
        remaining = np.full(len(todo), sampling.max_step_back if attempt < 8 else np.inf)
        for _ in range(3):  # step back where the performer's whole path does not fit in the image
            before = np.median(points_camera[:, :, 0, 2], axis=1)
            cameras = _fit_in_image(cameras, points_camera, max_factor=remaining, near_m=sampling.near_m,
                                    max_tan=sampling.max_tan)
            points_camera = cameras.to_camera(points_world[todo])
            remaining = np.maximum(1.0, remaining * before / np.median(points_camera[:, :, 0, 2], axis=1))
        good = views_in_front(points_camera, sampling.near_m, sampling.max_tan) | (attempt == 8)
        result = cameras if result is None else VirtualCameras(*(
            _assign(getattr(result, name), todo, getattr(cameras, name)) for name in
            ("world_from_camera", "position", "intrinsics", "image_size", "target", "roll_rad")))
        todo = todo[~good]
        if not len(todo):
            break
    return result


def _assign(old: np.ndarray, index: np.ndarray, new: np.ndarray) -> np.ndarray:
    result = old.copy()
    result[index] = new
    return result


def synthesize(rng: np.random.Generator, points_world: np.ndarray, noise: DetectorNoise = NO_NOISE,
               sampling: CameraSampling = CameraSampling(), noise_rng: np.random.Generator | None = None,
               spin: BodySpin | None = None, landmarks: LandmarkOffsets | None = None) -> SyntheticBatch:
    """(batch, frames, 22, 3) MOCAP_NAMES world points -> a :class:`SyntheticBatch` (one camera per sequence).

    Cameras are drawn from ``rng``, the detector noise from ``noise_rng`` (default: ``rng``): with a
    separate noise stream, clean and noisy runs see the same cameras. ``spin`` (training only) turns some
    views' bodies about the camera's axis (:func:`spin_bodies`); ``landmarks`` (training only) renders some
    views' 2D from detector-like landmarks instead of the joint centres (:func:`offset_landmarks`).
    """
    cameras = place_cameras(rng, points_world, sampling)
    points_camera = cameras.to_camera(points_world)
    if spin is not None and spin.probability > 0:
        points_camera = spin_bodies(rng, points_camera, spin)
    coco_points = points_camera[:, :, COCO_FROM_MOCAP]
    if landmarks is not None and landmarks.probability > 0:
        coco_points = offset_landmarks(rng, coco_points, landmarks)
    pixels = project_points(coco_points, cameras)
    if noise is NO_NOISE:
        noisy, scores = pixels, np.ones(pixels.shape[:3], dtype=np.float32)
    else:
        noisy, scores = add_detector_noise(noise_rng if noise_rng is not None else rng, pixels, noise)
    trajectory = points_camera[:, :, 0]
    poses = points_camera[:, :, :17] - trajectory[:, :, None]
    return SyntheticBatch(
        pixels_to_normalized(noisy, cameras.image_size).astype(np.float32), poses.astype(np.float32),
        trajectory.astype(np.float32), cameras.intrinsics.astype(np.float32),
        pixels_to_normalized(pixels, cameras.image_size).astype(np.float32), cameras.image_size.astype(np.int64),
        scores,
    )


@dataclass(frozen=True)
class BodyAugmentation:
    """Per-sequence bone-length augmentation (bodies the mocap does not hold).

    With ``probability`` a view's performer gets a new standing height, uniform in ``height_m``, and
    each body part (thigh, shin, upper arm, forearm, torso, neck and head, hip width, shoulder width;
    left and right alike) its own factor on top, normal with ``proportion_sd`` (clipped to +-2.5 sd):
    bone vectors are scaled and the skeleton rebuilt from the pelvis, whose path scales with the
    legs (feet stay on the floor, strides lengthen with them); face points follow the head.
    """

    probability: float = 0.8
    height_m: tuple[float, float] = (1.5, 1.95)
    proportion_sd: float = 0.06


NO_BODY_AUGMENTATION = BodyAugmentation(probability=0.0)

# H36M17 parents, and which body part (index into the factors) each bone 1..16 belongs to:
# 0 hip width, 1 thigh, 2 shin, 3 torso, 4 neck/head, 5 shoulder width, 6 upper arm, 7 forearm.
_H36M_PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15])
_BONE_PART = np.array([-1, 0, 1, 2, 0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 5, 6, 7])


def standing_height(points: np.ndarray) -> np.ndarray:
    """(..., frames, 22, 3) -> (...,) estimated standing height (m): legs + torso + neck/head chain
    (median bone lengths over frames) + 6 cm from ankle to sole."""
    bones = np.linalg.norm(points[..., 1:17, :] - points[..., _H36M_PARENTS[1:], :], axis=-1)
    lengths = np.median(bones, axis=-2)  # (..., 16), bone j+1
    legs = (lengths[..., 1] + lengths[..., 2] + lengths[..., 4] + lengths[..., 5]) / 2
    chain = lengths[..., 6] + lengths[..., 7] + lengths[..., 8] + lengths[..., 9]
    return legs + chain + 0.06


def augment_bodies(rng: np.random.Generator, points: np.ndarray,
                   augmentation: BodyAugmentation = BodyAugmentation()) -> np.ndarray:
    """(views, frames, 22, 3) MOCAP_NAMES world points -> the same motions on new bodies (see
    :class:`BodyAugmentation`); views not drawn for augmentation are returned unchanged."""
    views = points.shape[0]
    chosen = rng.random(views) < augmentation.probability
    heights = rng.uniform(*augmentation.height_m, views)
    factors = 1 + np.clip(rng.standard_normal((views, 8)), -2.5, 2.5) * augmentation.proportion_sd
    if not chosen.any():
        return points
    scale = heights / standing_height(points)  # (views,)
    per_bone = scale[:, None] * factors[:, _BONE_PART[1:]]  # (views, 16)
    per_bone = np.where(chosen[:, None], per_bone, 1.0)
    bones = points[:, :, 1:17] - points[:, :, _H36M_PARENTS[1:]]
    old = np.linalg.norm(bones, axis=-1).mean(axis=1)  # (views, 16)
    leg_old = old[:, [1, 2, 4, 5]].sum(-1)
    leg_new = (old[:, [1, 2, 4, 5]] * per_bone[:, [1, 2, 4, 5]]).sum(-1)
    result = points.copy()
    result[:, :, 0] = points[:, :, 0] * (leg_new / leg_old)[:, None, None]
    for joint in range(1, 17):
        parent = _H36M_PARENTS[joint]
        result[:, :, joint] = result[:, :, parent] + bones[:, :, joint - 1] * per_bone[:, None, joint - 1, None]
    head = np.where(chosen, scale * factors[:, 4], 1.0)[:, None, None, None]
    result[:, :, 17:] = result[:, :, 9:10] + (points[:, :, 17:] - points[:, :, 9:10]) * head
    return np.where(chosen[:, None, None, None], result, points)
