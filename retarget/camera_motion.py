"""A camera that turns about its centre: pan and tilt on a tripod, a phone turned in the hand (docs/grounding.md).

Such a camera sees the world from one point, so frame t's picture maps onto the first frame's by the homography
H_t = K R_t K^-1 (R_t: frame t's camera frame -> the first frame's), whatever the scene's depth. Detection keeps
the chained homographies of the background (``Keypoints2D.extras["background_homographies"]``,
``videopose.lifter.camera.background_homographies``). Here they are checked to be turns (a camera that also
moves along, walking or on a dolly, gives homographies that are no rotation) and the clip is carried into the
first frame's camera: every 2D point through K R_t K^-1, every lifted camera-frame joint through R_t. The
grounding then sees a static camera (retarget/solve.py). Where nothing else gives the focal length, it is the
one that makes the turns rotations (:func:`turn_focal_px`).

Camera frame as everywhere: x right, y down, z forward, metres; pixels x right, y down.
"""

from __future__ import annotations

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.retarget.camera_model import PinholeCamera

TURN_DEPARTURE = 0.03  # a frame's K^-1 H K this far from a rotation (largest singular value off 1) is no turn
# (the chained homographies of pose2sim's videos turned by 8 degrees drift to 0.009-0.017 by the clip's end; a
# camera walking 0.8 m sideways past a wall 4 m away departs by 0.1)
TURN_FOCAL_RANGE = (0.6, 1.6)  # the check allows the focal length this far off the camera's (x)
STILL_DEGREES = 0.2  # a clip whose camera turns less than this throughout is a static one


def keypoints_homographies(keypoints: Keypoints2D) -> np.ndarray | None:
    """The keypoints' ``extras["background_homographies"]`` ((frames, 3, 3), frame t's pixels -> the first
    frame's; NaN where the background was lost), or None where they hold none; malformed ones are refused."""
    if "background_homographies" not in keypoints.extras:
        return None
    homographies = np.asarray(keypoints.extras["background_homographies"], dtype=np.float64)
    if homographies.shape != (keypoints.num_frames, 3, 3):
        raise VideoposeError(f"the keypoints' background_homographies must be ({keypoints.num_frames}, 3, 3), one "
                             f"per frame, got {homographies.shape}: detect the video again")
    return homographies


def _normalised_turns(homographies: np.ndarray, focal_px: float, center_px) -> np.ndarray:
    """(frames, 3, 3) homographies -> K^-1 H K scaled to determinant 1 (NaN where H is)."""
    intrinsics = np.array([[focal_px, 0.0, center_px[0]], [0.0, focal_px, center_px[1]], [0.0, 0.0, 1.0]])
    turns = np.linalg.inv(intrinsics) @ homographies @ intrinsics
    finite = np.isfinite(turns).all(axis=(1, 2))
    determinant = np.full(len(turns), np.nan)
    determinant[finite] = np.linalg.det(turns[finite])
    return turns / np.cbrt(determinant)[:, None, None]


def turn_departures(homographies: np.ndarray, focal_px: float, center_px) -> np.ndarray:
    """(frames,) how far each frame's K^-1 H K is from a rotation: its singular values' largest distance from 1
    (0 for a camera that only turns, seen with its focal length; NaN where H is)."""
    turns = _normalised_turns(homographies, focal_px, center_px)
    departures = np.full(len(turns), np.nan)
    finite = np.isfinite(turns).all(axis=(1, 2))
    if finite.any():
        departures[finite] = np.abs(np.linalg.svd(turns[finite], compute_uv=False) - 1.0).max(axis=1)
    return departures


def nearest_rotations(matrices: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) -> the nearest rotations (SVD; NaN stays NaN)."""
    rotations = np.full(matrices.shape, np.nan)
    finite = np.isfinite(matrices).all(axis=(1, 2))
    if finite.any():
        u, _, vt = np.linalg.svd(matrices[finite])
        flip = np.sign(np.linalg.det(u @ vt))
        u[:, :, 2] *= flip[:, None]
        rotations[finite] = u @ vt
    return rotations


def camera_turns(homographies: np.ndarray, camera: PinholeCamera) -> tuple[np.ndarray | None, str]:
    """(frames, 3, 3) background homographies, the camera -> ((frames, 3, 3) rotations R_t taking frame t's
    camera frame to the first frame's, or None; why not).

    Frames the background was lost in between followed ones take the rotation between their neighbours'
    (slerp). None where it was lost up to the clip's end (the chain is broken), or where some frame's homography
    is no turn for any focal length within TURN_FOCAL_RANGE of the camera's (departure over TURN_DEPARTURE:
    the camera moved along, or the background is a moving crowd). The rotations are those of the camera's own
    focal length (a 10 % wrong one turns a 20-degree pan's rotations 0.1 degrees off)."""
    known = np.isfinite(homographies).all(axis=(1, 2))
    if not known[-1]:  # a loss that runs to the clip's end: the chain to the first frame is broken
        return None, f"the background could not be followed from frame {int(np.flatnonzero(known)[-1] + 1)} on"
    worst = np.inf
    for factor in np.geomspace(*TURN_FOCAL_RANGE, 25):
        worst = min(worst, float(np.nanmax(turn_departures(homographies, camera.focal_px * factor, camera.center_px))))
    if worst > TURN_DEPARTURE:
        return None, (f"the background's motion is no turn of the camera about its centre (departure {worst:.3f}): "
                      "the camera moves along (walking, a dolly), zooms, or the background moves")
    rotations = nearest_rotations(_normalised_turns(homographies, camera.focal_px, camera.center_px))
    if not known.all():  # frames the background was lost in, between followed ones (detection bridges 0.25 s)
        from scipy.spatial.transform import Rotation, Slerp

        frames = np.flatnonzero(known)
        rotations[~known] = Slerp(frames, Rotation.from_matrix(rotations[known]))(np.flatnonzero(~known)).as_matrix()
    return rotations, ""


def turned_degrees(rotations: np.ndarray) -> float:
    """The largest angle (degrees) any frame's camera is turned from the first frame's."""
    cosine = (np.trace(rotations, axis1=1, axis2=2) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))).max())


def stabilized_keypoints(keypoints: Keypoints2D, rotations: np.ndarray, camera: PinholeCamera) -> Keypoints2D:
    """Every 2D point (the keypoints and their source layout's) carried into the first frame's picture through
    K R_t K^-1 (pixels; points may fall outside the frame). Scores and extras are kept."""
    intrinsics = camera.intrinsics_matrix()
    mapping = intrinsics @ rotations @ np.linalg.inv(intrinsics)

    def carried(points):
        if points is None:
            return None
        points = np.asarray(points, dtype=np.float64)
        homogeneous = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)
        projected = np.einsum("fij,fkj->fki", mapping, homogeneous)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = projected[..., :2] / projected[..., 2:]
        result[~(projected[..., 2] > 1e-9)] = np.nan  # turned behind the first frame's camera
        return result.astype(np.float32)

    return Keypoints2D(**{**keypoints.__dict__, "keypoints": carried(keypoints.keypoints),
                          "source_keypoints": carried(keypoints.source_keypoints)})


def stabilized_motion(motion: Motion3D, rotations: np.ndarray) -> Motion3D:
    """The lifted camera-frame joints (and trajectory) of frame t turned into the first frame's camera frame."""
    joints = np.einsum("fij,fkj->fki", rotations, np.asarray(motion.joints_3d, dtype=np.float64))
    trajectory = None
    if motion.trajectory is not None:
        trajectory = np.einsum("fij,fj->fi", rotations, np.asarray(motion.trajectory, dtype=np.float64))
    return Motion3D(**{**motion.__dict__, "joints_3d": joints.astype(np.float32),
                       "trajectory": None if trajectory is None else trajectory.astype(np.float32)})


# The focal length from the turn itself: only K's true focal length makes every K^-1 H_t K a rotation. The
# median departure over the frames has a sharp minimum there where the camera turns a few degrees (the
# benchmark's 8-degree pans: 0.0015-0.003 at the minimum, 0.018-0.024 at x0.8 and x1.25 of it).
TURN_FOCAL_MIN_DEGREES = 4.0  # a smaller turn pins the focal length too loosely
TURN_FOCAL_DIP = 3.0  # the departure at x0.8 and x1.25 of the found focal length must be this many times its own
TURN_FOCAL_FOV_DEGREES = (30.0, 110.0)  # the diagonal fields of view a found focal length may give


def turn_focal_px(homographies: np.ndarray, camera: PinholeCamera) -> float | None:
    """The focal length (pixels) that makes a turning camera's homographies rotations (the median over the
    frames of :func:`turn_departures` least), searched from x0.5 to x2 of ``camera``'s and refined on a
    parabola; None where the camera is no turning one (:func:`camera_turns`), turns less than
    TURN_FOCAL_MIN_DEGREES, the minimum is not sharp (TURN_FOCAL_DIP) or the field of view it gives is outside
    TURN_FOCAL_FOV_DEGREES. On the benchmark's turned pose2sim videos: 1993 / 2078 / 2073 / 2083 px against the
    true 2101 / 2093 / 2103 / 2094 (the default 70 degrees: 1573-1576)."""
    rotations, _ = camera_turns(homographies, camera)
    if rotations is None or turned_degrees(rotations) < TURN_FOCAL_MIN_DEGREES:
        return None

    def departure(focal: float) -> float:
        return float(np.nanmedian(turn_departures(homographies, focal, camera.center_px)[1:]))

    focals = np.geomspace(0.5, 2.0, 121) * camera.focal_px
    values = np.array([departure(focal) for focal in focals])
    best = int(np.argmin(values))
    if not 0 < best < len(focals) - 1:
        return None
    curve = np.polyfit(np.log(focals[best - 1:best + 2]), values[best - 1:best + 2], 2)
    found = float(np.exp(-curve[1] / (2 * curve[0]))) if curve[0] > 0 else float(focals[best])
    if min(departure(found / 1.25), departure(found * 1.25)) < TURN_FOCAL_DIP * departure(found):
        return None
    fov = float(np.degrees(2 * np.arctan(np.hypot(camera.width, camera.height) / 2 / found)))
    return found if TURN_FOCAL_FOV_DEGREES[0] <= fov <= TURN_FOCAL_FOV_DEGREES[1] else None
