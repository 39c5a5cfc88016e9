"""Preview pictures: the video with its 2D skeleton beside the lifted 3D skeleton.

Like the demo videos of VideoPose3D (Pavllo et al. 2019): input video with the 2D keypoints on the
left, the 3D skeleton seen by an orbiting virtual camera on the right.  The 3D view is drawn with
OpenCV (a perspective projection, ground grid, floor shadow, bones in painter's order) rather than
matplotlib, so a 1,000-frame preview takes seconds.  Colours follow :mod:`videopose.preview.draw`: the
performer's left is blue, right orange, centre green.

Both inputs are drawn in the one world frame of the export (Z up, floor at z = 0):
- :class:`videopose.core.formats.Motion3D` (camera frame): with the keypoints it was lifted from, the pose
  the retargeter exports (its bone lengths, leg angles, balance) on its root path, floor and up axis
  (:func:`videopose.retarget.solve.motion_in_world`); without them, the lifted joints on the retargeter's
  world frame and root path;
- :class:`videopose.core.animation.Animation` (already in that world): its forward-kinematics positions.
The 3D view's azimuth 0 looks from where the video camera was.
"""

from __future__ import annotations

import os
import queue
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

from videopose.preview.draw import (
    default_thickness, draw_segments, draw_skeleton_2d, draw_text_banner, edge_colors,
    layout_from_parents, side_colors,
)
from videopose.core.animation import Animation
from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output, refuse_existing
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import Layout, get_layout, joint_sides
from videopose.core.progress import ProgressCallback, no_progress
from videopose.lifter.video import iter_frames_with_times
from videopose.retarget.pipeline import RetargetOptions
from videopose.retarget.solve import motion_in_world

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
    video_azimuth_deg: float = 0.0  # where the video camera was, about Z (0 = at -Y)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])


def video_camera_azimuth(world_from_camera: np.ndarray) -> float:
    """Degrees about world Z of the video camera as seen from the performer (0 = at -Y, as
    :class:`OrbitCamera` counts): a lifted clip's front view is then the video's own view."""
    position = -np.asarray(world_from_camera, dtype=np.float64)[:, 2]  # the camera sits against its view axis
    if np.hypot(position[0], position[1]) < 1e-6:
        return 0.0
    return float(np.degrees(np.arctan2(position[0], -position[1])))


def scene_from_motion(motion: Motion3D | Animation, keypoints: Keypoints2D | None = None,
                      grounding: RetargetOptions | None = None) -> Scene3D:
    """The 3D scene of a lifted motion or an animation, in the export's world frame (Z up, floor at z = 0):
    a Motion3D is placed by the retargeter's own world frame and root path (:func:`motion_in_world`),
    grounded in the camera when the ``keypoints`` it was lifted from are given (same frame count), with
    the camera and performer height of ``grounding`` (the retargeting options of the export; default: the
    default height and field of view)."""
    world_from_camera = None
    if isinstance(motion, Animation):
        positions = motion.world_positions()
        layout = layout_from_parents(motion.skeleton.names, motion.skeleton.parents, "animation")
        contacts = None if motion.contacts is None else np.asarray(motion.contacts, dtype=bool)
        fps = motion.fps
        world_from_camera = motion.extras.get("world_from_camera")
    elif isinstance(motion, Motion3D):
        layout = get_layout(motion.layout)
        same_clip = keypoints is not None and keypoints.num_frames == motion.num_frames
        options = grounding or RetargetOptions()
        positions, world_from_camera = motion_in_world(motion, keypoints if same_clip else None,
                                                       options.camera(keypoints, motion) if same_clip else None,
                                                       options.height)
        contacts, fps = None, motion.fps
    else:
        raise VideoposeError(f"cannot preview a {type(motion).__name__}: expected a Motion3D or an Animation")
    positions = np.asarray(positions, dtype=np.float64)
    if not np.isfinite(positions).any():
        raise VideoposeError("the motion holds no finite joint positions to draw")
    azimuth = 0.0 if world_from_camera is None else video_camera_azimuth(world_from_camera)
    return Scene3D(positions, layout, float(fps), 0.0, contacts, azimuth)


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

    def rotation(self, video_azimuth_deg: float = 0.0) -> np.ndarray:
        """(3, 3) world -> camera rotation (rows: camera right, down, forward); azimuths count from
        ``video_azimuth_deg``, where the video camera was."""
        azimuth, elevation = np.radians(self.azimuth_deg + video_azimuth_deg), np.radians(self.elevation_deg)
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
        self.rotation = camera.rotation(scene.video_azimuth_deg)
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
    """BGR frames of a video, through the detection module's reader (which applies rotation)."""
    for frame, _ in iter_frames_with_times(video_path, rgb=False):
        yield frame


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


def _check_written_video(path: Path, frames: int, shown_path: str | os.PathLike) -> None:
    """Read the finished video back: OpenCV's writer never reports a failed write (a full disk leaves an
    unplayable stub), so the frame count the file states and a first decoded frame are the proof."""
    capture = cv2.VideoCapture(str(path))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        decodes = capture.isOpened() and capture.read()[0]
    finally:
        capture.release()
    if not decodes or count != frames:
        raise VideoposeError(f"the video written for {shown_path} reads back {count if decodes else 0} of {frames} "
                             "frames (a full disk or a failing encoder): nothing was kept; free space and try again")


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


def render_preview_video(
    motion: Motion3D | Animation,
    output_path: str | os.PathLike,
    video_path: str | os.PathLike | None = None,
    keypoints: Keypoints2D | None = None,
    progress: ProgressCallback | None = None,
    size: int = 720,
    camera: OrbitCamera = OrbitCamera(),
    overwrite: bool = True,
    others: Sequence[Keypoints2D] = (),
    grounding: RetargetOptions | None = None,
) -> Path:
    """Write an .mp4: the video with its 2D skeleton (left) beside the 3D skeleton (right), ``size``
    pixels high, at the motion's fps; returns the path. ``others``: more people's keypoints of the clip
    (``run --people all``), drawn on the video; with them every track is labelled "person N".
    ``grounding``: the performer height and camera the 3D view is grounded with (:func:`scene_from_motion`).

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
    refuse_existing(output_path, overwrite)
    scene = scene_from_motion(motion, keypoints, grounding)
    total, frames, source_name = _inputs(scene, video_path, keypoints)
    view_size = size - size % 2
    view = SkeletonView(scene, view_size, view_size, camera)
    layout = _keypoint_layout(keypoints) if keypoints is not None else None

    counted = [0]
    with atomic_output(output_path, overwrite=overwrite,
                       verify=lambda path: _check_written_video(path, counted[0], output_path)) as temp_path:
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
                        _draw_others(left, keypoints, others, index, keypoint_scale * scale)
                    draw_text_banner(left, _time_label(index, scene.fps), in_place=True)
                    picture = np.hstack([left, panel_3d])
                else:
                    picture = draw_text_banner(panel_3d, _time_label(index, scene.fps), in_place=True)
                if writer is None:
                    writer = _BackgroundWriter(temp_path, scene.fps, picture.shape[1], picture.shape[0], output_path)
                writer.write(picture)
                written += 1
                counted[0] = written
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
    others: Sequence[Keypoints2D] = (),
    grounding: RetargetOptions | None = None,
) -> Path:
    """Write a PNG grid of ``columns x rows`` evenly spaced frames (first to last); ``others`` and
    ``grounding`` as in :func:`render_preview_video`.

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
    refuse_existing(output_png, overwrite)
    scene = scene_from_motion(motion, keypoints, grounding)
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
                        _draw_others(tile, keypoints, others, index, keypoint_scale * scale)
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
    def check_image(path: Path) -> None:
        read_back = cv2.imread(str(path))
        if read_back is None or read_back.shape != sheet.shape:
            raise VideoposeError(f"the image written for {output_png} does not read back (is the disk full?): "
                                 "nothing was kept")

    with atomic_output(output_png, overwrite=overwrite, verify=check_image) as temp_path:
        if not cv2.imwrite(str(temp_path), sheet):
            raise VideoposeError(f"OpenCV could not write {output_png}")
    return output_png


def _drawn_points(keypoints: Keypoints2D) -> tuple[np.ndarray, np.ndarray, str]:
    """The richest keypoints a file holds: (frames, joints, 2) pixels, (frames, joints) scores, layout."""
    if keypoints.source_keypoints is not None and keypoints.source_layout:
        return keypoints.source_keypoints, keypoints.source_scores, keypoints.source_layout
    return keypoints.keypoints, keypoints.scores, keypoints.layout


def _label_track(image: np.ndarray, points: np.ndarray, scores: np.ndarray, label: str) -> np.ndarray:
    """Write ``label`` (a person's number) above one frame's (joints, 2) keypoints, in place."""
    seen = np.isfinite(points).all(axis=1) & (scores > 0)
    if seen.any():
        x, y = int(np.nanmin(points[seen, 0])), int(np.nanmin(points[seen, 1]))
        scale = max(0.6, image.shape[0] / 900)
        origin = (max(x, 0), max(y - 10, int(24 * scale)))
        cv2.putText(image, label, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), int(4 * scale), cv2.LINE_AA)
        cv2.putText(image, label, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), int(2 * scale), cv2.LINE_AA)
    return image


def _draw_others(image: np.ndarray, keypoints: Keypoints2D, others: Sequence[Keypoints2D], frame: int,
                 scale: float) -> None:
    """Draw the ``others``' keypoints of ``frame`` (pixels times ``scale``) on ``image`` and, when there are
    others, label every track with its person number (``extras["person"]``), in place."""
    for track in others:
        if frame < track.num_frames:
            image[:] = draw_skeleton_2d(image, track.keypoints[frame] * scale, track.scores[frame],
                                        _keypoint_layout(track))
    for track in (keypoints, *others) if others else ():
        if "person" in track.extras and frame < track.num_frames:
            _label_track(image, track.keypoints[frame] * scale, track.scores[frame], f"person {int(track.extras['person'])}")


def write_detection_preview(
    video_path: str | os.PathLike, keypoints: Keypoints2D, output_path: str | os.PathLike,
    progress: ProgressCallback | None = no_progress, overwrite: bool = True,
    others: Sequence[Keypoints2D] = (),
) -> int:
    """Write the video with the detected skeleton drawn on it (performer's left blue, right orange,
    score as opacity; the full 33 landmarks when the file has them) to ``output_path`` (.mp4, atomic).
    ``others``: more people's tracks of the same clip (``detect --people all``), drawn too; every track
    that has a person number (``extras["person"]``) is labelled "person N" (``--person N`` picks it).
    Returns the number of frames written."""
    progress = progress or no_progress
    points, scores, layout = _drawn_points(keypoints)
    tracks = [(*_drawn_points(track), track.extras.get("person")) for track in (keypoints, *others)]
    label = len(tracks) > 1 or int(keypoints.extras.get("people", 1)) > 1
    frames = keypoints.num_frames
    counted = [0]
    with atomic_output(output_path, overwrite=overwrite,
                       verify=lambda path: _check_written_video(path, counted[0], output_path)) as temp_path:
        writer = cv2.VideoWriter(str(temp_path), cv2.VideoWriter_fourcc(*"mp4v"), float(keypoints.fps),
                                 (int(keypoints.width), int(keypoints.height)))
        if not writer.isOpened():
            raise VideoposeError(f"cannot write a video to {output_path}: is the folder writable and the name .mp4?")
        written = 0
        try:
            for index, (frame, _) in enumerate(iter_frames_with_times(video_path, rgb=False, max_frames=frames)):
                if frame.shape[:2] != (keypoints.height, keypoints.width):
                    raise VideoposeError(
                        f"{video_path} is {frame.shape[1]}x{frame.shape[0]} but the keypoints were found on a "
                        f"{keypoints.width}x{keypoints.height} video: is it the same clip?"
                    )
                image = draw_skeleton_2d(frame, points[index], scores[index], layout)
                for track_points, track_scores, track_layout, number in tracks[1:]:
                    image = draw_skeleton_2d(image, track_points[index], track_scores[index], track_layout)
                for track_points, track_scores, _, number in tracks if label else ():
                    if number is not None:
                        _label_track(image, track_points[index], track_scores[index], f"person {int(number)}")
                if not (scores[index] > 0).any():
                    image = draw_text_banner(image, "no person", in_place=True)
                writer.write(image)
                written += 1
                counted[0] = written
                progress(written, frames, "")
        finally:
            writer.release()
    return written
