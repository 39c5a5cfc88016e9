"""The camera that filmed a clip: a pinhole from the frame size and a field of view (numpy only).

Camera frame as everywhere in videopose: x right, y down, z forward (away from the camera), metres;
pixels x right, y down, origin at the top-left corner. No distortion: phone and webcam videos are
already undistorted by the device, and the residual barrel of a wide lens is small next to the
lifter's errors.

The field of view is the **diagonal** one, so a portrait and a landscape video of the same device get
the same focal length. ``DEFAULT_DIAGONAL_FOV_DEGREES`` = 70 fits the devices people film themselves
with: a phone's main camera in video mode (about 26-30 mm equivalent once the 16:9 crop and the
stabilisation margin are taken off: 68-76 degrees) and common webcams (Logitech C920 78, built-in
laptop cameras 65-70, C270 55). A wrong field of view scales the camera distance (a 10 % error in
the focal length is a 10 % error in depth) but leaves the up axis, the contacts and foot planting
nearly unchanged. ``focal_mm`` is the 35 mm-equivalent focal length (of the frame's diagonal,
43.27 mm on a full-frame sensor), as phones write it into a photo's EXIF. Given neither, the retargeter
takes the focal length the background's vanishing points give where they give one
(``retarget.solve.scene_camera``; docs/grounding.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.errors import VideoposeError

DEFAULT_DIAGONAL_FOV_DEGREES = 70.0
FULL_FRAME_DIAGONAL_MM = 43.27


@dataclass(frozen=True)
class PinholeCamera:
    """focal_px: focal length in pixels (square pixels); center_px: (2,) principal point; width, height: pixels;
    focal_source: where the focal length came from (said in the animation's extras and the CLI summary)."""

    focal_px: float
    center_px: tuple[float, float]
    width: int
    height: int
    focal_source: str = "default field of view"

    @classmethod
    def from_frame(cls, width: int, height: int, fov_degrees: float | None = None,
                   focal_mm: float | None = None) -> "PinholeCamera":
        """The camera of a ``width`` x ``height`` video: diagonal field of view ``fov_degrees`` (default
        :data:`DEFAULT_DIAGONAL_FOV_DEGREES`) or a 35 mm-equivalent ``focal_mm``; centre in the middle."""
        if not (width > 0 and height > 0):
            raise VideoposeError(f"the video frame size must be positive to place a camera, got {width}x{height}: "
                                 "re-detect the keypoints or pass them with --width/--height")
        if fov_degrees is not None and focal_mm is not None:
            raise VideoposeError("give either a field of view (--fov) or a focal length (--focal-mm), not both")
        diagonal = float(np.hypot(width, height))
        if focal_mm is not None:
            if not (2.0 <= focal_mm <= 2000.0):
                raise VideoposeError(f"--focal-mm is the 35 mm-equivalent focal length (2-2000 mm), got {focal_mm}")
            focal, source = diagonal * focal_mm / FULL_FRAME_DIAGONAL_MM, "--focal-mm"
        else:
            fov = DEFAULT_DIAGONAL_FOV_DEGREES if fov_degrees is None else float(fov_degrees)
            if not (5.0 <= fov <= 170.0):
                raise VideoposeError(f"--fov is the diagonal field of view in degrees (5-170), got {fov_degrees}")
            focal = diagonal / 2 / np.tan(np.radians(fov) / 2)
            source = "default field of view" if fov_degrees is None else "--fov"
        return cls(float(focal), (width / 2.0, height / 2.0), int(width), int(height), source)

    def with_focal(self, focal_px: float, source: str) -> "PinholeCamera":
        """The same frame seen with another focal length (pixels), found from ``source``."""
        if not (np.isfinite(focal_px) and focal_px > 0):
            raise VideoposeError(f"a camera's focal length must be positive pixels, got {focal_px}")
        return PinholeCamera(float(focal_px), self.center_px, self.width, self.height, source)

    @property
    def diagonal_fov_degrees(self) -> float:
        return float(np.degrees(2 * np.arctan(np.hypot(self.width, self.height) / 2 / self.focal_px)))

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """(..., 2) pixels -> (..., 2) image-plane coordinates (x / z, y / z) of their rays."""
        return (np.asarray(pixels, dtype=np.float64) - np.asarray(self.center_px)) / self.focal_px

    def rays(self, pixels: np.ndarray) -> np.ndarray:
        """(..., 2) pixels (NaN unknown) -> (..., 3) unit camera-frame directions of their rays (NaN unknown)."""
        plane = self.normalized(pixels)
        directions = np.concatenate([plane, np.ones(plane.shape[:-1] + (1,))], axis=-1)
        return directions / np.linalg.norm(directions, axis=-1, keepdims=True)

    def project(self, points_camera: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame metres -> (..., 2) pixels (depth clamped to stay positive)."""
        points = np.asarray(points_camera, dtype=np.float64)
        depth = np.maximum(points[..., 2:3], 1e-6)
        return points[..., :2] / depth * self.focal_px + np.asarray(self.center_px)

    def intrinsics_matrix(self) -> np.ndarray:
        """(3, 3) K = [[f, 0, cx], [0, f, cy], [0, 0, 1]] (pixels)."""
        return np.array([[self.focal_px, 0, self.center_px[0]], [0, self.focal_px, self.center_px[1]], [0, 0, 1.0]])


_VIDEO_CAMERA_EXTRAS = ("camera_position", "world_from_camera", "camera_focal_px", "camera_frame_px")


@dataclass(frozen=True)
class VideoCamera:
    """The video camera in an animation's world, to film the figure as the video did (the add-on's camera).

    position: (3,) metres, world (Z up, floor z = 0); world_from_camera: (frames, 3, 3) each frame's rotation
    camera frame (x right, y down, z forward) -> world (the same in every frame for a static camera);
    focal_px, width, height: the pinhole of :class:`PinholeCamera` (principal point in the middle)."""

    position: np.ndarray
    world_from_camera: np.ndarray
    focal_px: float
    width: int
    height: int

    @classmethod
    def of(cls, animation) -> "VideoCamera | None":
        """The camera a grounded animation (``retarget_motion`` with keypoints) was placed in, turning with
        ``extras["camera_turns"]`` where the camera turned; None where it was not grounded in one
        (:meth:`missing_because` says why)."""
        extras = animation.extras
        if not all(key in extras for key in _VIDEO_CAMERA_EXTRAS):
            return None
        rotation = np.asarray(extras["world_from_camera"], dtype=np.float64)
        frames = animation.num_frames
        if "camera_turns" in extras:
            rotations = rotation @ np.asarray(extras["camera_turns"], dtype=np.float64)
        else:
            rotations = np.broadcast_to(rotation, (frames, 3, 3)).copy()
        width, height = (int(value) for value in np.asarray(extras["camera_frame_px"]))
        return cls(np.asarray(extras["camera_position"], dtype=np.float64), rotations,
                   float(extras["camera_focal_px"]), width, height)

    @staticmethod
    def missing_because(animation) -> str | None:
        """Why ``animation`` has no video camera (:meth:`of` gives None), in words for a person; None where it has
        one."""
        extras = animation.extras
        if all(key in extras for key in _VIDEO_CAMERA_EXTRAS):
            return None
        if "camera_position" not in extras or "world_from_camera" not in extras:
            return ("it was not grounded in its video's camera (made without the 2D keypoints, or from the "
                    "lifter's depth)")
        return ("it was written before videopose kept the camera's frame size: run videopose retarget on its "
                "motion and keypoints again")

    def project(self, points_world: np.ndarray) -> np.ndarray:
        """(frames, ..., 3) world metres -> (frames, ..., 2) pixels in each frame's picture."""
        points = np.asarray(points_world, dtype=np.float64) - self.position
        rotations = self.world_from_camera.reshape((len(self.world_from_camera),) + (1,) * (points.ndim - 2) + (3, 3))
        in_camera = np.einsum("...ji,...j->...i", rotations, points)  # R^T (p - c)
        camera = PinholeCamera(self.focal_px, (self.width / 2.0, self.height / 2.0), self.width, self.height)
        return camera.project(in_camera)
