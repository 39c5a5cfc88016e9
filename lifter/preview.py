"""Preview pictures: the video with its 2D skeleton beside the lifted 3D skeleton.

Like the demo videos of VideoPose3D (Pavllo et al. 2019): input video with the 2D keypoints on the
left, the 3D skeleton seen by an orbiting virtual camera on the right.  The 3D view is drawn with
OpenCV (a perspective projection, ground grid, floor shadow, bones in painter's order) rather than
matplotlib, so a 1,000-frame preview takes seconds.  Colours follow :mod:`lifter.draw`: the
performer's left is blue, right orange, centre green.

Two inputs are drawn in 3D:
- :class:`videopose.formats.Motion3D` (camera frame: x right, y down, z forward): turned into a Z-up
  world (x -> X, z -> Y, -y -> Z), then levelled so the performer's average ankle-to-head direction
  is vertical (a tilted camera otherwise tilts the floor) and, with a trajectory, so the ground the
  feet travel over is flat;
- :class:`retarget.animation.Animation` (already Z-up world): its forward-kinematics positions.
"""

from __future__ import annotations

import os
import queue
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from lifter.draw import (
    default_thickness, draw_segments, draw_skeleton_2d, draw_text_banner, edge_colors, joint_sides,
    layout_from_parents, side_colors,
)
from retarget.animation import Animation
from videopose.errors import VideoposeError
from videopose.fileio import atomic_output
from videopose.formats import Keypoints2D, Motion3D
from videopose.layouts import Layout, get_layout
from videopose.progress import ProgressCallback, no_progress

_BACKGROUND_TOP_BGR = (58, 50, 44)
_BACKGROUND_BOTTOM_BGR = (30, 27, 25)
_FLOOR_BGR = (66, 60, 55)
_GRID_BGR = (105, 98, 92)
_SHADOW_BGR = (40, 37, 34)  # the floor darkened, drawn opaque (cheaper than blending)
_GRID_STEP_M = 0.5
# Frame counts may differ by a few frames (a lifter trimming the ends, a container's rounding);
# beyond this the files are not of the same clip.
_FRAME_TOLERANCE = 0.05


# --------------------------------------------------------------------------------------------- 3D scene

@dataclass(frozen=True)
class Scene3D:
    """What the 3D view draws: positions (frames, joints, 3) metres in a Z-up world, joint layout,
    floor height (metres, world Z), fps, and optional foot contacts (frames, 2) [left, right]."""

    positions: np.ndarray
    layout: Layout
    fps: float
    floor_height: float
    contacts: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])


def camera_to_world(points: np.ndarray) -> np.ndarray:
    """(..., 3) camera frame (x right, y down, z forward) -> Z-up world (X right, Y forward, Z up)."""
    points = np.asarray(points)
    return np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1)


def level_rotation(positions: np.ndarray, layout: Layout, max_tilt_deg: float = 45.0) -> np.ndarray:
    """(3, 3) rotation that turns the performer's mean ankle-to-head direction to +Z.

    positions: (frames, joints, 3) Z-up world.  A camera pitched down makes a standing person lean
    in camera coordinates; this undoes it.  Identity when the layout lacks the joints or the mean
    direction is more than ``max_tilt_deg`` from vertical (then the person is probably not upright).
    """
    names = layout.names
    top_name = next((name for name in ("head", "neck_nose", "nose", "neck") if name in names), None)
    if top_name is None or "left_ankle" not in names or "right_ankle" not in names:
        return np.eye(3)
    feet = 0.5 * (positions[:, names.index("left_ankle")] + positions[:, names.index("right_ankle")])
    up = np.nanmean(positions[:, names.index(top_name)] - feet, axis=0)
    if not np.isfinite(up).all() or np.linalg.norm(up) < 1e-6:
        return np.eye(3)
    up = up / np.linalg.norm(up)
    angle = np.arccos(np.clip(up[2], -1.0, 1.0))
    if np.degrees(angle) > max_tilt_deg or angle < 1e-6:
        return np.eye(3)
    axis = np.cross(up, [0.0, 0.0, 1.0])
    return Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle).as_matrix()


def floor_rotation(positions: np.ndarray, min_travel_m: float = 1.0, max_tilt_deg: float = 30.0) -> np.ndarray:
    """(3, 3) rotation that makes the ground under a travelling performer level.

    positions: (frames, joints, 3) Z-up world.  The lowest joint of each frame traces the ground;
    along each horizontal direction the performer travels more than ``min_travel_m``, a slope is
    fitted to the lower half of those points (the feet in contact) and rotated away.  A body's
    lean biases :func:`level_rotation` by a few degrees, which over metres of travel would lift
    the feet off the floor.  Identity when the performer stays in place.
    """
    lowest = np.nanargmin(np.where(np.isfinite(positions[..., 2]), positions[..., 2], np.inf), axis=1)
    ground = positions[np.arange(len(positions)), lowest]
    ground = ground[np.isfinite(ground).all(axis=1)]
    if len(ground) < 3:
        return np.eye(3)
    horizontal = ground[:, :2] - ground[:, :2].mean(axis=0)
    _, directions = np.linalg.eigh(np.cov(horizontal.T))
    travelled = [d for d in directions.T if np.ptp(horizontal @ d) > min_travel_m]
    if not travelled:
        return np.eye(3)
    design = np.column_stack([horizontal @ d for d in travelled] + [np.ones(len(ground))])
    heights, keep = ground[:, 2], np.ones(len(ground), bool)
    for _ in range(2):
        coefficients, *_ = np.linalg.lstsq(design[keep], heights[keep], rcond=None)
        residuals = heights - design @ coefficients
        keep = residuals <= np.median(residuals)
    gradient = sum(slope * d for slope, d in zip(coefficients[:-1], travelled))
    normal = np.array([-gradient[0], -gradient[1], 1.0])
    normal /= np.linalg.norm(normal)
    angle = np.arccos(np.clip(normal[2], -1.0, 1.0))
    if angle < 1e-6 or np.degrees(angle) > max_tilt_deg:
        return np.eye(3)
    axis = np.cross(normal, [0.0, 0.0, 1.0])
    return Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle).as_matrix()


def scene_from_motion(motion: Motion3D | Animation) -> Scene3D:
    """The 3D scene of a lifted motion (levelled, root-relative unless it has a trajectory) or an animation."""
    if isinstance(motion, Animation):
        positions = motion.world_positions()
        layout = layout_from_parents(motion.skeleton.names, motion.skeleton.parents, "animation")
        contacts = None if motion.contacts is None else np.asarray(motion.contacts, dtype=bool)
        fps = motion.fps
    elif isinstance(motion, Motion3D):
        layout = get_layout(motion.layout)
        camera_points = motion.joints_3d.astype(np.float64)
        if motion.trajectory is not None:
            camera_points = camera_points + motion.trajectory[:, None, :]
        positions = camera_to_world(camera_points)
        positions = positions @ level_rotation(positions, layout).T
        if motion.trajectory is not None:
            positions = positions @ floor_rotation(positions).T
        contacts, fps = None, motion.fps
    else:
        raise VideoposeError(f"cannot preview a {type(motion).__name__}: expected a Motion3D or an Animation")
    positions = np.asarray(positions, dtype=np.float64)
    if not np.isfinite(positions).any():
        raise VideoposeError("the motion holds no finite joint positions to draw")
    # The floor: where the lowest joint usually is (a low percentile ignores a few bad frames).
    floor_height = float(np.nanpercentile(np.nanmin(positions[..., 2], axis=1), 5))
    return Scene3D(positions, layout, float(fps), floor_height, contacts)


@dataclass(frozen=True)
class OrbitCamera:
    """A virtual camera orbiting the performer.

    azimuth_deg: 0 looks from the front (from -Y: for a lifted motion, from where the video camera
    was); positive orbits towards the performer's left (counter-clockwise seen from above).
    elevation_deg: height of the camera above the horizon.  view: ``"follow"`` keeps the root in the
    middle (the floor grid slides under a travelling performer), ``"fit"`` frames the whole clip
    once, ``"auto"`` fits clips whose root stays within a 1.5 m square and follows the others.
    """

    azimuth_deg: float = 40.0
    elevation_deg: float = 15.0
    fov_deg: float = 35.0
    view: str = "auto"

    def rotation(self) -> np.ndarray:
        """(3, 3) world -> camera rotation (rows: camera right, down, forward)."""
        azimuth, elevation = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        forward = -np.array([np.sin(azimuth) * np.cos(elevation), -np.cos(azimuth) * np.cos(elevation), np.sin(elevation)])
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])


class SkeletonView:
    """Renders frames of a :class:`Scene3D` into (height, width, 3) BGR images."""

    def __init__(self, scene: Scene3D, width: int, height: int, camera: OrbitCamera = OrbitCamera()):
        if camera.view not in ("auto", "follow", "fit"):
            raise VideoposeError(f"unknown view {camera.view!r}: use auto, follow or fit")
        if abs(camera.elevation_deg) >= 89:
            raise VideoposeError("elevation must be between -89 and 89 degrees")
        self.scene, self.width, self.height = scene, int(width), int(height)
        self.rotation = camera.rotation()
        self.focal = 0.5 * min(width, height) / np.tan(np.radians(camera.fov_deg) / 2)
        self.thickness = max(2, default_thickness(height, width))
        positions = scene.positions
        root = np.nan_to_num(positions[:, 0])
        body_centre_height = 0.5 * (scene.floor_height + float(np.nanpercentile(positions[..., 2], 98)))
        root_extent = np.ptp(root[:, :2], axis=0)
        follow = camera.view == "follow" or (camera.view == "auto" and bool((root_extent > 1.5).any()))
        if follow:
            # Follow the root smoothly (a moving average over ~0.5 s) at a fixed height.
            window = max(1, int(round(scene.fps * 0.5)) | 1)
            padded = np.pad(root[:, :2], ((window // 2, window // 2), (0, 0)), mode="edge")
            smoothed = np.stack([np.convolve(padded[:, k], np.ones(window) / window, mode="valid") for k in range(2)], axis=1)
            self.targets = np.column_stack([smoothed, np.full(len(root), body_centre_height)])
        else:
            low = np.nanmin(positions.reshape(-1, 3), axis=0)
            high = np.nanmax(positions.reshape(-1, 3), axis=0)
            centre = 0.5 * (low + high)
            centre[2] = body_centre_height
            self.targets = np.tile(centre, (scene.num_frames, 1))
        offsets = positions - self.targets[:, None, :]
        floor_offsets = offsets[..., 2] - (scene.floor_height - self.targets[:, None, 2])
        reach = np.sqrt(np.nanmax(np.nansum(offsets**2, axis=-1)))
        reach = max(reach, float(np.nanmax(np.abs(floor_offsets))) * 0.5, 0.5)
        self.radius = float(reach) * 1.12
        self.distance = self.radius / np.sin(np.radians(camera.fov_deg) / 2)
        self.grid_half_size = float(np.ceil(1.6 * self.radius / _GRID_STEP_M) * _GRID_STEP_M)
        self.edges = np.asarray(scene.layout.edges, dtype=np.int64).reshape(-1, 2)
        self.edge_bgr = edge_colors(scene.layout)
        self.joint_bgr = side_colors(scene.layout)
        # Dense rigs (fingers, twist bones) get small dots, or the dots hide the bones.
        self.joint_radius = max(2, self.thickness) if scene.layout.num_joints <= 40 else max(1, self.thickness // 2)
        self.feet = _lowest_joint_per_side(scene.positions, scene.layout)
        self.background = _vertical_gradient(self.height, self.width, _BACKGROUND_TOP_BGR, _BACKGROUND_BOTTOM_BGR)
        self.follow = follow
        self._static_background = None if follow else self._draw_floor(self.background.copy(), 0)

    def project(self, points: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points -> (..., 2) pixels and (...,) depth in metres (NaN pixels behind the camera)."""
        eye = self.targets[frame] - self.distance * self.rotation[2]
        camera_points = (np.asarray(points, dtype=np.float64) - eye) @ self.rotation.T
        depth = camera_points[..., 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            pixels = self.focal * camera_points[..., :2] / depth[..., None]
        pixels = pixels + (self.width / 2, self.height / 2)
        pixels[depth < 0.05] = np.nan
        return pixels, depth

    def _draw_floor(self, image: np.ndarray, frame: int) -> np.ndarray:
        """A floor square with grid lines fixed in the world (they slide when the view follows the root)."""
        centre = self.targets[frame, :2]
        half, step, floor = self.grid_half_size, _GRID_STEP_M, self.scene.floor_height
        low, high = centre - half, centre + half
        corners = np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]], [low[0], high[1]]])
        corner_pixels, _ = self.project(np.column_stack([corners, np.full(4, floor)]), frame)
        if np.isfinite(corner_pixels).all():
            cv2.fillConvexPoly(image, np.round(corner_pixels * 16).astype(np.int32), _FLOOR_BGR, cv2.LINE_AA, 4)
        lines = []
        for axis in (0, 1):
            for value in np.arange(np.ceil(low[axis] / step) * step, high[axis] + 1e-9, step):
                start, end = np.empty(3), np.empty(3)
                start[axis], end[axis] = value, value
                start[1 - axis], end[1 - axis] = low[1 - axis], high[1 - axis]
                start[2] = end[2] = floor
                lines.append((start, end))
        if lines:
            pixels, _ = self.project(np.array(lines), frame)
            for start, end in pixels:
                if np.isfinite(start).all() and np.isfinite(end).all():
                    cv2.line(image, tuple(np.round(start * 16).astype(int)), tuple(np.round(end * 16).astype(int)),
                             _GRID_BGR, 1, cv2.LINE_AA, 4)
        return image

    def render(self, frame: int) -> np.ndarray:
        """(height, width, 3) BGR image of the skeleton at ``frame``."""
        if self._static_background is not None:
            image = self._static_background.copy()
        else:
            image = self._draw_floor(self.background.copy(), frame)
        joints = self.scene.positions[frame]
        shadow = joints.copy()
        shadow[:, 2] = self.scene.floor_height
        shadow_pixels, _ = self.project(shadow, frame)
        visible = np.isfinite(joints).all(axis=1).astype(np.float64)
        draw_segments(image, shadow_pixels, visible, self.edges, np.tile(_SHADOW_BGR, (len(self.edges), 1)),
                      np.tile(_SHADOW_BGR, (len(joints), 1)), self.thickness + 1, joint_radius=(self.thickness + 1) // 2,
                      outline=False, in_place=True)
        if self.scene.contacts is not None and self.feet is not None:
            for side, foot in enumerate(self.feet):
                if self.scene.contacts[frame, side]:
                    self._draw_contact(image, shadow[foot], frame, self.joint_bgr[foot])
        pixels, depth = self.project(joints, frame)
        edge_depth = np.nan_to_num(depth[self.edges].mean(axis=1), nan=-np.inf)
        draw_segments(image, pixels, visible, self.edges, self.edge_bgr, self.joint_bgr, self.thickness,
                      edge_order=np.argsort(-edge_depth), joint_radius=self.joint_radius, in_place=True)
        return image

    def _draw_contact(self, image: np.ndarray, point: np.ndarray, frame: int, color: np.ndarray) -> None:
        """A ring on the floor under a foot in contact."""
        angles = np.linspace(0, 2 * np.pi, 25)
        ring = point + 0.09 * np.column_stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)])
        pixels, _ = self.project(ring, frame)
        if np.isfinite(pixels).all():
            cv2.polylines(image, [np.round(pixels * 16).astype(np.int32)], True, tuple(int(c) for c in color), 2, cv2.LINE_AA, 4)


def _lowest_joint_per_side(positions: np.ndarray, layout: Layout) -> tuple[int, int] | None:
    """The (left, right) joints nearest the floor on average: the feet, whatever the rig calls them."""
    sides = joint_sides(layout.names)
    mean_height = np.nanmean(positions[..., 2], axis=0)
    feet = []
    for side in (-1, 1):
        candidates = np.flatnonzero(sides == side)
        if len(candidates) == 0:
            return None
        feet.append(int(candidates[np.nanargmin(mean_height[candidates])]))
    return feet[0], feet[1]


def _vertical_gradient(height: int, width: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    weights = np.linspace(0.0, 1.0, height)[:, None]
    column = (1 - weights) * np.array(top) + weights * np.array(bottom)
    return np.repeat(np.round(column).astype(np.uint8)[:, None, :], width, axis=1)


# ------------------------------------------------------------------------------------------ video input

def _open_frames(video_path: Path) -> Iterator[np.ndarray]:
    """BGR frames of a video, through the detection module's reader (which applies rotation) when present."""
    try:
        from lifter.video import iter_frames
    except ImportError:
        iter_frames = None
    if iter_frames is not None:
        for frame_rgb in iter_frames(video_path):
            yield cv2.cvtColor(np.asarray(frame_rgb), cv2.COLOR_RGB2BGR)
        return
    capture = cv2.VideoCapture(str(video_path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def _video_frame_count(video_path: Path) -> int:
    """Frame count from the container (may be off by a frame or two for some codecs)."""
    if not Path(video_path).exists():
        raise VideoposeError(f"video not found: {video_path}")
    capture = cv2.VideoCapture(str(video_path))
    try:
        if not capture.isOpened():
            raise VideoposeError(f"cannot open video {video_path}: is it a video file OpenCV can read?")
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def usable_frame_count(counts: dict[str, int], tolerance: float = _FRAME_TOLERANCE) -> int:
    """The frames two or three inputs share: the smallest count, with a warning when they differ a
    little and an error when they differ by more than ``tolerance`` (and 3 frames): different clips."""
    known = {name: count for name, count in counts.items() if count > 0}
    low, high = min(known.values()), max(known.values())
    if high - low > max(3, tolerance * high):
        listed = ", ".join(f"{name} {count}" for name, count in known.items())
        raise VideoposeError(f"frame counts differ too much to be the same clip ({listed}): pass the video and "
                             "keypoints the motion was made from")
    if high != low:
        listed = ", ".join(f"{name} {count}" for name, count in known.items())
        warnings.warn(f"frame counts differ a little ({listed}); previewing the first {low} frames", stacklevel=3)
    return low


def _keypoint_scale(keypoints: Keypoints2D, frame_shape: tuple[int, ...], video_name: str) -> float:
    """Pixel scale from the keypoints' frame size to this video's (1 for the same video)."""
    height, width = frame_shape[:2]
    if keypoints.width <= 0 or keypoints.height <= 0 or (keypoints.width, keypoints.height) == (width, height):
        return 1.0
    scale_x, scale_y = width / keypoints.width, height / keypoints.height
    if abs(scale_x - scale_y) > 0.02 * max(scale_x, scale_y):
        raise VideoposeError(
            f"keypoints were detected on a {keypoints.width}x{keypoints.height} video but {video_name} is "
            f"{width}x{height}: pass the video the keypoints came from"
        )
    return 0.5 * (scale_x + scale_y)


def _fit_height(image: np.ndarray, height: int) -> tuple[np.ndarray, float]:
    scale = height / image.shape[0]
    width = max(2, int(round(image.shape[1] * scale / 2)) * 2)
    # INTER_AREA is ~25x slower than INTER_LINEAR at non-integer ratios; it only pays off (against
    # aliasing) when shrinking more than 2x.
    interpolation = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation), scale


def _time_label(frame: int, fps: float) -> str:
    seconds = frame / fps
    return f"frame {frame}  {int(seconds // 60)}:{seconds % 60:05.2f}"


def _keypoint_layout(keypoints: Keypoints2D) -> Layout:
    return get_layout(keypoints.layout)


class _BackgroundWriter:
    """cv2.VideoWriter ('mp4v') fed from a thread: encoding (the slowest step) overlaps the drawing."""

    def __init__(self, path: Path, fps: float, width: int, height: int, shown_path: Path):
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        if not self._writer.isOpened():
            raise VideoposeError(f"OpenCV cannot write an mp4 video to {shown_path}")
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="preview-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (picture := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write(picture)
                except BaseException as error:  # reported to the caller on close()
                    self._error = error

    def write(self, picture: np.ndarray) -> None:
        if self._error is not None:
            raise VideoposeError(f"writing the preview video failed: {self._error}")
        self._queue.put(picture)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._writer.release()
        if self._error is not None:
            raise VideoposeError(f"writing the preview video failed: {self._error}")


# ---------------------------------------------------------------------------------------------- outputs

def _blank_frames(width: int, height: int) -> Iterator[np.ndarray]:
    """Grey canvases of the keypoints' frame size, to draw 2D keypoints on when there is no video."""
    canvas = np.full((max(2, height), max(2, width), 3), 48, np.uint8)
    while True:
        yield canvas.copy()


def _inputs(
    scene: Scene3D, video_path: str | os.PathLike | None, keypoints: Keypoints2D | None
) -> tuple[int, Iterator[np.ndarray] | None, str]:
    """Frames to preview (checked across inputs), the left pictures (video frames, blank canvases for
    keypoints without a video, or None for the 3D view alone) and a name for them in messages."""
    counts = {"motion": scene.num_frames}
    if keypoints is not None:
        counts["keypoints"] = keypoints.num_frames
    if video_path is not None:
        counts["video"] = _video_frame_count(Path(video_path))
    total = usable_frame_count(counts)
    if video_path is not None:
        return total, _open_frames(Path(video_path)), str(video_path)
    if keypoints is not None:
        return total, _blank_frames(keypoints.width, keypoints.height), "the keypoints"
    return total, None, ""


def _refuse_existing(path: Path, overwrite: bool) -> None:
    """Fail before any rendering work (atomic_output checks again when writing)."""
    if not overwrite and path.exists():
        raise VideoposeError(f"{path} already exists: pass --overwrite (or choose another name) to replace it")


def render_preview_video(
    motion: Motion3D | Animation,
    output_path: str | os.PathLike,
    video_path: str | os.PathLike | None = None,
    keypoints: Keypoints2D | None = None,
    progress: ProgressCallback | None = None,
    size: int = 720,
    camera: OrbitCamera = OrbitCamera(),
    overwrite: bool = True,
) -> Path:
    """Write an .mp4: the video with its 2D skeleton (left) beside the 3D skeleton (right), ``size``
    pixels high, at the motion's fps; returns the path.

    Keypoints are drawn over the video (scaled if the video was resized since detection), or on a
    grey canvas of their frame size when there is no video; with neither, the 3D view alone
    (size x size).  Frame counts may differ by a few frames (the shortest wins, with a warning);
    more is an error.  The file appears only when complete (``mp4v`` codec via OpenCV).
    """
    progress = progress or no_progress
    output_path = Path(output_path)
    if output_path.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise VideoposeError(f"preview video must be .mp4 (or .m4v, .mov), got {output_path.name}")
    if size < 64:
        raise VideoposeError(f"preview size must be at least 64 pixels, got {size}")
    _refuse_existing(output_path, overwrite)
    scene = scene_from_motion(motion)
    total, frames, source_name = _inputs(scene, video_path, keypoints)
    view_size = size - size % 2
    view = SkeletonView(scene, view_size, view_size, camera)
    layout = _keypoint_layout(keypoints) if keypoints is not None else None

    with atomic_output(output_path, overwrite=overwrite) as temp_path:
        writer = None
        try:
            written, keypoint_scale = 0, 1.0
            for index in range(total):
                frame = next(frames, None) if frames is not None else None
                if frames is not None and frame is None:
                    warnings.warn(f"{source_name} ended after {index} frames; the preview stops there", stacklevel=2)
                    break
                panel_3d = view.render(index)
                if frame is not None:
                    if index == 0 and keypoints is not None:
                        keypoint_scale = _keypoint_scale(keypoints, frame.shape, source_name)
                    left, scale = _fit_height(frame, view_size)
                    if keypoints is not None:
                        left = draw_skeleton_2d(left, keypoints.keypoints[index] * (keypoint_scale * scale),
                                                keypoints.scores[index], layout)
                    draw_text_banner(left, _time_label(index, scene.fps), in_place=True)
                    picture = np.hstack([left, panel_3d])
                else:
                    picture = draw_text_banner(panel_3d, _time_label(index, scene.fps), in_place=True)
                if writer is None:
                    writer = _BackgroundWriter(temp_path, scene.fps, picture.shape[1], picture.shape[0], output_path)
                writer.write(picture)
                written += 1
                if written % 16 == 0 or written == total:
                    progress(written, total, "")
            if written == 0:
                raise VideoposeError(f"no frames to preview: {source_name} has no readable frames")
        finally:
            if writer is not None:
                writer.close()
            if frames is not None:
                frames.close()
    return output_path


def render_contact_sheet(
    motion: Motion3D | Animation,
    output_png: str | os.PathLike,
    video_path: str | os.PathLike | None = None,
    keypoints: Keypoints2D | None = None,
    columns: int = 6,
    rows: int = 2,
    tile_width: int = 320,
    camera: OrbitCamera = OrbitCamera(),
    overwrite: bool = True,
) -> Path:
    """Write a PNG grid of ``columns x rows`` evenly spaced frames (first to last).

    Each tile is the video frame with its 2D skeleton (as in :func:`render_preview_video`) above the
    3D view at that frame, labelled with frame number and time; without video and keypoints, the 3D
    view alone.  Tiles are ``tile_width`` wide; the sheet always has columns x rows slots (a clip
    shorter than that leaves the last ones empty).  Returns the path.
    """
    output_png = Path(output_png)
    if output_png.suffix.lower() != ".png":
        raise VideoposeError(f"contact sheet must be a .png file, got {output_png.name}")
    if columns < 1 or rows < 1 or tile_width < 64:
        raise VideoposeError(f"contact sheet needs columns, rows >= 1 and tile_width >= 64 (got {columns}, {rows}, {tile_width})")
    _refuse_existing(output_png, overwrite)
    scene = scene_from_motion(motion)
    total, frames, source_name = _inputs(scene, video_path, keypoints)
    picks = np.unique(np.round(np.linspace(0, total - 1, columns * rows)).astype(int))
    view = SkeletonView(scene, tile_width, tile_width, camera)

    video_tiles: dict[int, np.ndarray] = {}
    if frames is not None:
        wanted, keypoint_scale = set(picks.tolist()), 1.0
        layout = _keypoint_layout(keypoints) if keypoints is not None else None
        try:
            for index, frame in enumerate(frames):
                if index == 0 and keypoints is not None:
                    keypoint_scale = _keypoint_scale(keypoints, frame.shape, source_name)
                if index in wanted:
                    scale = tile_width / frame.shape[1]
                    tile = cv2.resize(frame, (tile_width, max(2, int(round(frame.shape[0] * scale)))),
                                      interpolation=cv2.INTER_AREA)
                    if keypoints is not None:
                        tile = draw_skeleton_2d(tile, keypoints.keypoints[index] * (keypoint_scale * scale),
                                                keypoints.scores[index], layout)
                    video_tiles[index] = tile
                if index >= picks[-1]:
                    break
        finally:
            frames.close()
        if not video_tiles:
            raise VideoposeError(f"no frames could be read from {source_name}")
        missing = [int(i) for i in picks if i not in video_tiles]
        if missing:
            warnings.warn(f"{source_name} ended early; {len(missing)} tiles show the 3D view only", stacklevel=2)
    video_height = max((tile.shape[0] for tile in video_tiles.values()), default=0)

    gap = 4
    tile_height = video_height + tile_width
    sheet = np.full((rows * tile_height + (rows + 1) * gap, columns * tile_width + (columns + 1) * gap, 3), 16, np.uint8)
    for slot, index in enumerate(picks):
        tile = np.zeros((tile_height, tile_width, 3), np.uint8)
        if index in video_tiles:
            tile[: video_tiles[index].shape[0]] = video_tiles[index]
        tile[video_height:] = view.render(int(index))
        draw_text_banner(tile, _time_label(int(index), scene.fps), scale=0.45, in_place=True)
        row, column = divmod(slot, columns)
        y, x = gap + row * (tile_height + gap), gap + column * (tile_width + gap)
        sheet[y : y + tile_height, x : x + tile_width] = tile
    with atomic_output(output_png, overwrite=overwrite) as temp_path:
        if not cv2.imwrite(str(temp_path), sheet):
            raise VideoposeError(f"OpenCV could not write {output_png}")
    return output_png
