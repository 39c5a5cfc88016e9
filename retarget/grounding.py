"""World-grounded motion from one static camera: root by reprojection, one floor, planted feet.

The lifter's camera-frame depth is the least reliable number it gives; the 2D keypoints and the
fixed-length pose are the most reliable. So, for a clip filmed by a static camera
(:class:`~videopose.retarget.camera_model.PinholeCamera`) of a performer of known stature:

1. **Scale**: the constant-length skeleton is scaled so its standing height (ankle to head top + ankle
   height) is the performer's height.
2. **Root by reprojection** (:func:`reproject_translation`): per frame, the camera-frame translation T of
   the fixed-length pose P_j that best reprojects onto the 2D keypoints. For fixed per-joint depths
   Z_j the residual (P_j + T)_xy - u_j (P_j + T)_z (u_j: the keypoint's ray, x/z and y/z) divided by Z_j
   is linear in T: a 3x3 least-squares per frame, all frames at once; a few rounds re-weight by the new
   depths and by a Cauchy weight on the residual (in metres at the joint, robust to a wrong keypoint),
   and the keypoint confidences weight everything; the torso counts more than the limbs. The trajectory
   model (if any, its depth rescaled to the reprojection's median) is a prior only in frames where few
   joints are seen; frames without most of the legs take their depth from their neighbours.
3. **Contacts** (:func:`videopose.retarget.contact.image_contacts`): a foot's heel / toe is planted while
   its image point stands still (image speed converted to m/s at the foot's depth, i.e. relative to the
   person's image size) and the ankle is low over the floor.
4. **Floor** (:func:`fit_floor`): the ankles of the planted feet, placed in 3D by the reprojection, over the
   whole clip, give one robust plane (iteratively re-weighted, the body's up direction as a prior only in
   the directions the points do not span): the world up axis and the floor height. Contacts and floor are
   found twice (the first time "low" means "the lower foot"). Too few planted frames -> the body's
   vertical (``up_source`` says which was used).
5. **Root path** (:func:`solve_root_path`): one sparse least-squares over the whole clip: while a foot is
   planted (heel down) its ankle stays at one world point resting at ankle height on the floor (tightly
   across the camera ray, looser along it, where the lifted pose's depth is weak: foot locking then pins
   the ankle exactly); the root follows the reprojection path (loosely along the ray, tightly across it);
   accelerations are small while a foot is down and ballistic (gravity) while both feet are off the
   ground for up to a second, so a jump stays a jump.

A clip where no foot is ever planted (a performer who never touches the floor, lying, swimming) breaks
the assumptions: :func:`videopose.retarget.pipeline.retarget_motion` then falls back to the lifter-depth
solve with a warning. A moving camera is detected before, where the video is at hand
(:func:`videopose.pipeline.grounding_keypoints`, background optical flow); docs/grounding.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from videopose.core.animation import Skeleton
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import H36M17, get_layout
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.root import leg_length
from videopose.retarget.scene_vertical import SceneVertical
from videopose.core.frame_runs import frame_runs

GRAVITY = 9.81  # m/s^2
_LEFT_ANKLE, _RIGHT_ANKLE = H36M17.index("left_ankle"), H36M17.index("right_ankle")
_LEFT_HIP, _RIGHT_HIP = H36M17.index("left_hip"), H36M17.index("right_hip")
DEFAULT_HEIGHT_M = 1.70
# The ankle the grounded skeleton stands on is BlazePose's ankle landmark (the lifter lifts that 2D point, and
# the reprojection places it there), which sits higher than the anatomical joint of retarget/root.py (0.09):
# triangulated from the four pose2sim cameras, 9.7 / 8.8 cm over the floor in stance for a 0.76 m leg
# (0.127 / 0.116; the floor at the toe landmarks, the heel landmark 3-4 cm up). With 0.09 the grounded ankles
# stood 2.8-4.0 cm too low (feet through the floor) on all four cameras.
ANKLE_HEIGHT_PER_LEG = 0.12  # ankle landmark over the floor per metre of leg (thigh + shin), foot flat


# The toe landmark (BlazePose's foot index) of a planted foot lies on the floor, this far in front of the ankle
# landmark per metre of leg: triangulated from the four pose2sim cameras in stance, 0.124 / 0.146 m forward
# (0.16 / 0.19 of a 0.76 m leg) and 0.03 / 0.00 m across, toe 0.01 m from the floor.
TOE_FORWARD_PER_LEG = 0.18


def landmark_ankle_height(skeleton: Skeleton) -> float:
    """Height (metres) of a canonical skeleton's ankles over the floor with the foot flat, where the ankles
    are the 2D detector's ankle landmarks (grounded retargeting): ``ANKLE_HEIGHT_PER_LEG`` x thigh + shin."""
    return float(ANKLE_HEIGHT_PER_LEG * leg_length(skeleton))


def toe_offsets(relative_world: np.ndarray, leg_m: float) -> np.ndarray:
    """(frames, 17, 3) H36M17 pose, world (Z up), leg length in metres -> (frames, 2 feet, 3) the horizontal
    offset of each foot's toe landmark from its ankle landmark with the foot flat: ``TOE_FORWARD_PER_LEG`` x leg
    along the pelvis's forward direction (the feet taken to point where the hips face; NaN where the hips give
    no direction)."""
    left = np.asarray(relative_world[:, _LEFT_HIP] - relative_world[:, _RIGHT_HIP], dtype=np.float64)
    left[:, 2] = 0.0
    forward = np.cross(left, np.array([0.0, 0.0, 1.0]))  # facing +y with z up, the left hip is at -x
    norm = np.linalg.norm(forward, axis=1, keepdims=True)
    forward = np.where(norm > 1e-6, forward / np.maximum(norm, 1e-12), np.nan)
    return np.repeat((TOE_FORWARD_PER_LEG * leg_m * forward)[:, None], 2, axis=1)

# H36M17 joint -> the 2D keypoint that marks it, and how much it is trusted to place the root: the rigid
# torso (hips, shoulders) most; the limbs, whose lifted depth errs most and which swing the pose's extent,
# less (with equal weights the pose2sim up axes were 2-4 degrees worse on two of four cameras); the
# nose sits ~4 cm from H36M's neck_nose. (The lifter was trained with COCO's hips at the leg roots, as H36M's.)
_CORRESPONDENCES = {
    "right_hip": ("right_hip", 1.0), "right_knee": ("right_knee", 0.5), "right_ankle": ("right_ankle", 0.5),
    "left_hip": ("left_hip", 1.0), "left_knee": ("left_knee", 0.5), "left_ankle": ("left_ankle", 0.5),
    "left_shoulder": ("left_shoulder", 1.0), "left_elbow": ("left_elbow", 0.2), "left_wrist": ("left_wrist", 0.1),
    "right_shoulder": ("right_shoulder", 1.0), "right_elbow": ("right_elbow", 0.2), "right_wrist": ("right_wrist", 0.1),
    "neck_nose": ("nose", 0.5),
}
# Foot points, per foot in Animation.contacts order (left, right): ankle, heel, toe (first name found).
FOOT_POINTS = (("left_ankle", ("left_heel",), ("left_foot_index", "left_big_toe")),
               ("right_ankle", ("right_heel",), ("right_foot_index", "right_big_toe")))
MIN_SCORE = 0.3  # keypoints below this confidence are not used
_ROBUST_M = 0.08  # m at the joint: Cauchy scale; a keypoint this far off counts half, 5x as far 4 %
_IMAGE_SIGMA = 0.004  # image-plane units (~7 px at a 1700 px focal length): keypoint noise
_PRIOR_SIGMA_M = 0.5  # the trajectory prior's spread
_MISFIT_M = 0.25  # weighted RMS reprojection residual at the joints above which a frame's pose does not fit its picture
_NEAREST_M = 0.3  # a placement with a joint nearer the camera than this is degenerate
WEAK_GEOMETRY_JOINTS = 6  # frames with fewer usable joints lean on the trajectory prior


@dataclass(frozen=True)
class ImagePoints:
    """2D evidence in one camera: rays (x/z, y/z) and weights of the points retargeting uses.

    body_rays: (frames, 17, 2) rays of the keypoints matching each H36M17 joint (NaN where none);
    body_weights: (frames, 17) confidence x trust (0 where none);
    foot_pixels: (frames, 2 feet, 3 points: ankle, heel, toe, 2) pixels, NaN where unknown or unsure.
    """

    body_rays: np.ndarray
    body_weights: np.ndarray
    foot_pixels: np.ndarray


def _named_points(keypoints: Keypoints2D) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> ((frames, 2) pixels, (frames,) scores) from the keypoints and their source layout."""
    named: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    sources = [(keypoints.keypoints, keypoints.scores, keypoints.layout)]
    if keypoints.source_keypoints is not None and keypoints.source_layout:
        sources.append((np.asarray(keypoints.source_keypoints), np.asarray(keypoints.source_scores),
                        keypoints.source_layout))
    for points, scores, layout_name in sources:
        layout = get_layout(layout_name)
        if np.shape(points)[:2] != (keypoints.num_frames, layout.num_joints):
            continue
        for index, name in enumerate(layout.names):
            named.setdefault(name, (np.asarray(points[:, index], dtype=np.float64),
                                    np.asarray(scores[:, index], dtype=np.float64)))
    return named


def image_points(keypoints: Keypoints2D, camera: PinholeCamera) -> ImagePoints:
    """Keypoints2D (any layout, plus its source layout) -> the :class:`ImagePoints` of one camera."""
    named = _named_points(keypoints)
    frames = keypoints.num_frames
    rays = np.full((frames, 17, 2), np.nan)
    weights = np.zeros((frames, 17))
    for joint, (name, trust) in _CORRESPONDENCES.items():
        if name not in named:
            continue
        pixels, scores = named[name]
        good = np.isfinite(pixels).all(axis=1) & (scores >= MIN_SCORE)
        index = H36M17.index(joint)
        rays[good, index] = camera.normalized(pixels[good])
        weights[good, index] = trust * scores[good]
    feet = np.full((frames, 2, 3, 2), np.nan)
    for foot, (ankle, heels, toes) in enumerate(FOOT_POINTS):
        for point, names in enumerate(((ankle,), heels, toes)):
            name = next((n for n in names if n in named), None)
            if name is None:
                continue
            pixels, scores = named[name]
            good = np.isfinite(pixels).all(axis=1) & (scores >= MIN_SCORE)
            feet[good, foot, point] = pixels[good]
    return ImagePoints(rays, weights, feet)


# ---------------------------------------------------------------------------------------------- scale
def stature(skeleton: Skeleton) -> float:
    """Standing height of a canonical skeleton, metres: rest-pose ankle -> head top, plus ankle height."""
    rest = skeleton.rest_positions()
    names = skeleton.names
    ankles = rest[[names.index("left_ankle"), names.index("right_ankle")], 2].min()
    return float(rest[names.index("head"), 2] - ankles + landmark_ankle_height(skeleton))


def scaled_skeleton(skeleton: Skeleton, height_m: float) -> tuple[Skeleton, float]:
    """The skeleton scaled to a performer ``height_m`` metres tall, and the scale factor used."""
    if not (0.5 <= height_m <= 2.6):
        raise VideoposeError(f"performer height must be in metres (0.5-2.6), got {height_m}: e.g. --height 1.75")
    scale = height_m / max(stature(skeleton), 1e-6)
    return Skeleton(skeleton.names, skeleton.parents, skeleton.offsets * scale), float(scale)


# ---------------------------------------------------------------------------------------------- root by reprojection
def reproject_translation(relative_camera: np.ndarray, rays: np.ndarray, weights: np.ndarray,
                          prior: np.ndarray | None = None, iterations: int = 6,
                          prior_sigma_m: float = _PRIOR_SIGMA_M) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame root translation per frame that best reprojects a fixed pose onto its keypoints.

    relative_camera: (frames, joints, 3) pose relative to the root, camera frame, metres;
    rays: (frames, joints, 2) keypoint rays (x/z, y/z), NaN where unknown; weights: (frames, joints) >= 0;
    prior: (frames, 3) translations to lean on (weight ``1 / prior_sigma_m^2``) in the frames where the
    geometry is weak (fewer than ``WEAK_GEOMETRY_JOINTS`` usable joints); elsewhere it is not used (the
    trajectory model drifts in depth: 2 m over 4 s on sports2d).
    Returns (frames, 3) translations (NaN in frames with fewer than 3 usable joints and no prior, and
    where the pose does not fit the picture: residual over ``_MISFIT_M`` and 3x the clip's median, or a
    joint nearer than ``_NEAREST_M`` to the camera; never every frame) and
    (frames,) the weighted RMS reprojection residual in metres at the joints.
    """
    rays = np.where(np.isfinite(rays), rays, 0.0)
    weights = np.where(np.isfinite(rays).all(axis=-1), weights, 0.0)
    pose = np.asarray(relative_camera, dtype=np.float64)
    frames, joints = weights.shape
    # Rows m . T = rhs for x and y: [1, 0, -u], [0, 1, -v]; rhs = u Pz - Px, v Pz - Py.
    rows = np.zeros((frames, joints, 2, 3))
    rows[..., 0, 0] = 1.0
    rows[..., 1, 1] = 1.0
    rows[..., :, 2] = -rays
    rhs = rays * pose[..., 2:3] - pose[..., :2]
    usable = (weights > 0).sum(axis=1) >= 3
    weak = (weights > 0).sum(axis=1) < WEAK_GEOMETRY_JOINTS
    # First guess: 3 m away; the first round (equal depths) is the algebraic solution.
    depth = np.full((frames, joints), 3.0)
    robust = np.ones((frames, joints))
    translation = np.zeros((frames, 3))
    residual_m = np.zeros(frames)
    for _ in range(iterations):
        w = weights * robust / (np.maximum(depth, 0.1) ** 2 * _IMAGE_SIGMA**2)
        normal = np.einsum("fj,fjai,fjak->fik", w, rows, rows)
        moment = np.einsum("fj,fjai,fja->fi", w, rows, rhs)
        if prior is not None:
            leaning = (weak & np.isfinite(prior).all(axis=1))[:, None]
            normal = normal + np.where(leaning[..., None], np.eye(3) / prior_sigma_m**2, 0.0)
            moment = moment + np.where(leaning, np.nan_to_num(prior) / prior_sigma_m**2, 0.0)
        normal[~usable] += np.eye(3) * 1e-6 * np.maximum(np.trace(normal, axis1=1, axis2=2), 1.0)[~usable, None, None]
        translation = np.linalg.solve(normal, moment[..., None])[..., 0]
        depth = pose[..., 2] + translation[:, None, 2]
        # Residual in metres at the joint: (algebraic residual) / depth * depth = algebraic residual.
        error = np.linalg.norm(np.einsum("fjai,fi->fja", rows, translation) - rhs, axis=-1)
        robust = 1.0 / (1.0 + (error / _ROBUST_M) ** 2)
        residual_m = np.sqrt((weights * error**2).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12))
    # A pose that does not fit its picture (a flip lifted upright: sports2d frame 176 fitted 5 cm from the lens
    # with a 0.39 m residual) places nothing: the frame is filled from its neighbours instead.
    # Judged against the clip's own fit (keypoints of another video fit nowhere: nothing is dropped then).
    typical = float(np.median(residual_m[usable])) if usable.any() else 0.0
    misfit = usable & ((residual_m > max(_MISFIT_M, 3.0 * typical))
                       | ((pose[..., 2] + translation[:, None, 2]).min(axis=1) < _NEAREST_M))
    if misfit[usable].all():
        misfit[:] = False
    translation[(misfit | ~usable) & ~(weak & (prior is not None))] = np.nan
    if prior is not None:
        translation[~usable & ~np.isfinite(prior).all(axis=1)] = np.nan
    return translation, residual_m


def smooth_translation(translation: np.ndarray, fps: float, sigma_seconds: float = 0.05) -> np.ndarray:
    """(frames, 3) with NaN gaps -> gaps interpolated, then a light Gaussian smoothing over time."""
    frames = len(translation)
    known = np.isfinite(translation).all(axis=1)
    if not known.any():
        raise VideoposeError("no frame has 3 or more confident keypoints: the performer cannot be placed in the "
                             "camera's view (are the keypoints of this video?)")
    time = np.arange(frames)
    filled = np.stack([np.interp(time, time[known], translation[known, axis]) for axis in range(3)], axis=1)
    sigma = sigma_seconds * fps
    return gaussian_filter1d(filled, sigma, axis=0, mode="nearest") if sigma > 0.3 else filled


LYING_DEGREES = 60.0  # a body's axis this far from the picture's vertical lies across the picture ...
LYING_SHARE = 0.8  # ... and a performer whose axis does in this share of the frames lies (or the camera is on its side)


def picture_lean_degrees(body_rays: np.ndarray, body_weights: np.ndarray) -> np.ndarray:
    """How far the body's axis (the hips' middle -> the shoulders' middle, in the picture) lies from the
    picture's vertical line, degrees in [0, 90] (a handstand's is 0 too), in each frame that sees all four
    points ((seen,) array; empty where none does). body_rays: (frames, 17, 2) H36M17 image-plane rays (x/z,
    y/z), NaN unknown; body_weights: (frames, 17). Over LYING_DEGREES in LYING_SHARE of the frames the performer
    lies across the picture: lying down, or a camera on its side (pose2sim cam04's deep lunges: 16 % of the
    frames, sports2d's flip 12 %, the other real clips 0)."""
    hips = [_LEFT_HIP, _RIGHT_HIP]
    shoulders = [H36M17.index("left_shoulder"), H36M17.index("right_shoulder")]
    seen = (np.asarray(body_weights)[:, hips + shoulders] > 0).all(axis=1) & np.isfinite(body_rays[:, hips + shoulders]).all(axis=(1, 2))
    axis = body_rays[seen][:, shoulders].mean(axis=1) - body_rays[seen][:, hips].mean(axis=1)
    return np.degrees(np.arctan2(np.abs(axis[:, 0]), np.abs(axis[:, 1])))


def image_roll(relative_camera: np.ndarray, translation: np.ndarray, rays: np.ndarray, weights: np.ndarray,
               min_joints: int = 5) -> np.ndarray:
    """The rotation about the camera ray that turns the placed pose's picture onto the keypoints'.

    relative_camera: (frames, joints, 3) pose relative to the root, camera frame, metres; translation:
    (frames, 3) its root; rays, weights: as :func:`reproject_translation`. Per frame, the angle of the
    weighted 2D Procrustes rotation (about the weighted centroids) from the projected pose to the
    keypoint rays; the clip's median angle (radians), applied about the mean root ray: returns the
    (3, 3) rotation R (camera frame) to apply to the pose, p -> R p. Where the lifted pose leans
    sideways in the picture against the keypoints (its training cameras were level and centred; the
    pose2sim cameras are rolled 3-26 degrees and see the performer off-centre), the floor and the body's
    vertical lean with it: this is the part of the up axis the image shows directly. Identity where
    fewer than ``min_joints`` joints are seen in every frame.
    """
    absolute = np.asarray(relative_camera, dtype=np.float64) + np.asarray(translation)[:, None]
    projected = absolute[..., :2] / np.maximum(absolute[..., 2:3], 1e-6)
    w = np.where(np.isfinite(rays).all(axis=-1), weights, 0.0)
    observed = np.where(np.isfinite(rays), rays, 0.0)
    total = np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    p = projected - (w[..., None] * projected).sum(axis=1, keepdims=True) / total[..., None]
    o = observed - (w[..., None] * observed).sum(axis=1, keepdims=True) / total[..., None]
    cross = (w * (p[..., 0] * o[..., 1] - p[..., 1] * o[..., 0])).sum(axis=1)
    dot = (w * (p * o).sum(axis=-1)).sum(axis=1)
    seen = ((w > 0).sum(axis=1) >= min_joints) & np.isfinite(translation).all(axis=1)
    if not seen.any():
        return np.eye(3)
    angle = float(np.median(np.arctan2(cross[seen], dot[seen])))
    axis = np.nanmean(translation[seen], axis=0)
    axis = axis / max(float(np.linalg.norm(axis)), 1e-12)
    skew = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * skew + (1 - np.cos(angle)) * skew @ skew


# ---------------------------------------------------------------------------------------------- body vertical
# Segments of the whole-body centre of mass on H36M17 joints: (proximal, distal, the segment's centre as a
# fraction from proximal to distal, its share of the body mass), after de Leva (1996), rounded; the hand is
# lumped with the forearm and the foot with the shank (H36M has neither).
_MASS_SEGMENTS = (("neck_nose", "head", 0.5, 0.081), ("pelvis", "thorax", 0.55, 0.497),
                  ("left_shoulder", "left_elbow", 0.58, 0.028), ("right_shoulder", "right_elbow", 0.58, 0.028),
                  ("left_elbow", "left_wrist", 0.55, 0.022), ("right_elbow", "right_wrist", 0.55, 0.022),
                  ("left_hip", "left_knee", 0.41, 0.100), ("right_hip", "right_knee", 0.41, 0.100),
                  ("left_knee", "left_ankle", 0.55, 0.061), ("right_knee", "right_ankle", 0.55, 0.061))


def centre_of_mass(joints: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) H36M17 joints -> (frames, 3) whole-body centre of mass (segment model above), metres."""
    joints = np.asarray(joints, dtype=np.float64)
    total = sum(share for *_, share in _MASS_SEGMENTS)
    centre = np.zeros(joints.shape[:1] + (3,))
    for proximal, distal, fraction, share in _MASS_SEGMENTS:
        near, far = joints[:, H36M17.index(proximal)], joints[:, H36M17.index(distal)]
        centre += share * (near + fraction * (far - near))
    return centre / total


# The centre of pressure under a planted foot sits in front of the ankle landmark, towards the toes: the middle of
# heel and toe landmarks is 4.5 / 4.9 cm ahead for a 0.76 m leg on pose2sim (0.06 per metre of leg). Half of it:
# the lifted pose's own lean along the camera ray pulls the other way on pose2sim (docs/grounding.md, limits).
SUPPORT_FORWARD_PER_LEG = 0.03


def support_points(pose: np.ndarray, planted: np.ndarray, up: np.ndarray, forward_offset: bool = True) -> np.ndarray:
    """(frames, 3) where each frame's weight rests: the planted ankles' mean (``planted`` (frames, 2) bool or
    weights, left and right; frames without a planted foot give NaN), moved ``SUPPORT_FORWARD_PER_LEG`` x the
    leg (thigh + shin, median over the clip) forward, where the body faces, across ``up`` (3,) (the centre
    of pressure under a flat foot is towards its toes). ``pose``: (frames, 17, 3) H36M17, any frame, metres."""
    pose = np.asarray(pose, dtype=np.float64)
    weights = np.asarray(planted, dtype=np.float64)
    count = weights.sum(axis=1)
    ankles = pose[:, [_LEFT_ANKLE, _RIGHT_ANKLE]]
    with np.errstate(invalid="ignore", divide="ignore"):
        support = (ankles * weights[..., None]).sum(axis=1) / count[:, None]
    if not forward_offset:
        return support
    leg = np.median(sum(np.linalg.norm(pose[:, H36M17.index(f"{side}_hip")] - pose[:, H36M17.index(f"{side}_knee")], axis=1)
                        + np.linalg.norm(pose[:, H36M17.index(f"{side}_knee")] - pose[:, H36M17.index(f"{side}_ankle")], axis=1)
                        for side in ("left", "right")) / 2)
    forward = np.cross(pose[:, _LEFT_HIP] - pose[:, _RIGHT_HIP], up)
    forward = forward - (forward @ up)[:, None] * up
    forward = forward / np.maximum(np.linalg.norm(forward, axis=1, keepdims=True), 1e-12)
    return support + SUPPORT_FORWARD_PER_LEG * leg * forward


def support_up(relative_camera: np.ndarray, planted: np.ndarray, min_frames: int = 5,
               standing: np.ndarray | None = None) -> np.ndarray | None:
    """The body's vertical from balance: the centre of mass stands over the planted feet.

    relative_camera: (frames, 17, 3) H36M17 pose, camera frame, metres; planted: (frames, 2) bool, the feet
    (left, right ankle) on the floor. Returns the (3,) unit mean direction from the support point
    (:func:`support_points`) to the centre of mass over the frames with a planted foot, or None with fewer
    than ``min_frames`` of them.
    A body leaning over its stance foot (a leg swung out sideways, a squat with the pelvis far behind the
    feet) keeps its centre of mass over the feet, where the mid-ankle -> pelvis line leans with the pose
    (on pose2sim's triangulated reference: 3 degrees against 7, and 1 across the walk against 7).
    ``standing`` (frames,) bool (:func:`standing_still`): where it marks ``min_frames`` or more planted frames,
    only those count.
    """
    planted = np.asarray(planted, dtype=bool)
    use = planted.any(axis=1)
    if use.sum() < min_frames:
        return None
    if standing is not None and np.count_nonzero(standing & use) >= min_frames:
        use = np.asarray(standing, dtype=bool) & use
    pose, planted = np.asarray(relative_camera, dtype=np.float64)[use], planted[use]
    centre = centre_of_mass(pose)

    def mean_direction(origin: np.ndarray) -> np.ndarray:
        direction = centre - origin
        direction = direction / np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
        mean = direction.mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)

    up = mean_direction(support_points(pose, planted, np.zeros(3), forward_offset=False))
    for _ in range(2):  # the facing direction is horizontal: found against the vertical, which it moves a little
        up = mean_direction(support_points(pose, planted, up))
    return up


# Both feet down this long is standing (quasi-static): its centre of mass is over the feet frame by frame, where
# a walk's, a jump's or a crouch's is over them on average only, and where one foot's missed contact puts the
# support under the other (sports2d: a landing of the jumping jacks on both feet found on one, a crouch for the flip).
STANDING_SECONDS = 0.3
STANDING_LEVEL_M = 0.03  # ... with both ankles within this of one height


def standing_still(both_planted: np.ndarray, ankle_heights: np.ndarray | None, fps: float,
                   min_seconds: float = STANDING_SECONDS, max_step_m: float = STANDING_LEVEL_M) -> np.ndarray:
    """(frames,) bool both feet planted, (frames, 2) the lifted ankles' heights (metres, along any up) ->
    (frames,) bool: the runs of both feet planted at least ``min_seconds`` long whose two ankles stay at one
    height throughout (within ``max_step_m``; not a dancer rising onto the ball of her back foot, the
    sample's first 0.6 s: her right ankle 1 -> 8 cm over the left; ``None``: no such check)."""
    both_planted = np.asarray(both_planted, dtype=bool)
    if ankle_heights is None:
        step = np.zeros(len(both_planted))
    else:
        ankle_heights = np.asarray(ankle_heights, dtype=np.float64)
        step = np.nan_to_num(np.abs(ankle_heights[:, 0] - ankle_heights[:, 1]), nan=np.inf)  # unknown: not level
    standing = np.zeros(len(both_planted), dtype=bool)
    for start, stop in frame_runs(both_planted):
        if stop - start >= min_seconds * fps and step[start:stop].max() < max_step_m:
            standing[start:stop] = True
    return standing


# A body on both feet whose centre of mass is further than this off the vertical through their support point is
# not standing on them (seated on a chair, leaning on a wall): the squats' deepest frames need turns of 5 degrees
# at most, a person seated on a chair 35-45.
MAX_BALANCE_LEAN_DEGREES = 25.0


def seated_runs(pose: np.ndarray, both_planted: np.ndarray, up: np.ndarray, fps: float,
                min_seconds: float, max_lean_degrees: float = MAX_BALANCE_LEAN_DEGREES) -> np.ndarray:
    """(frames, 17, 3) H36M17 pose (any frame, metres), (frames,) bool both feet planted, (3,) unit up ->
    (frames,) bool: the runs of both feet planted at least ``min_seconds`` long over which the direction from
    the support point (:func:`support_points`) to the centre of mass is on median more than
    ``max_lean_degrees`` off ``up``: the weight is not on the feet, and the balance steps do not apply."""
    pose = np.asarray(pose, dtype=np.float64)
    up = np.asarray(up, dtype=np.float64) / np.linalg.norm(up)
    both = np.asarray(both_planted, dtype=bool)
    seated = np.zeros(len(both), dtype=bool)
    runs = [(start, stop) for start, stop in frame_runs(both) if stop - start >= min_seconds * fps]
    if not runs:
        return seated
    offset = centre_of_mass(pose) - support_points(pose, np.ones((len(pose), 2), dtype=bool), up)
    height = offset @ up
    horizontal = np.linalg.norm(offset - height[:, None] * up, axis=1)
    lean = np.degrees(np.arctan2(horizontal, height))
    for start, stop in runs:
        if float(np.nanmedian(lean[start:stop])) > max_lean_degrees:
            seated[start:stop] = True
    return seated


def balance_vertical(relative_camera: np.ndarray, heel: np.ndarray, toe: np.ndarray, body_up: np.ndarray,
                     fps: float) -> np.ndarray | None:
    """The floor's prior: the body's vertical from balance (:func:`support_up`), camera frame, or None.

    relative_camera: (frames, 17, 3) H36M17 pose, metres; heel, toe: (frames, 2) bool planted; body_up: (3,)
    the mid-ankle -> pelvis vertical. Seated runs (:func:`seated_runs`, measured against the vertical of the
    planted frames outside long double support, a walk's, where there are any) are left out; where the clip
    stands (:func:`standing_still`), its standing frames alone give the vertical."""
    heel, toe = np.asarray(heel, dtype=bool), np.asarray(toe, dtype=bool)
    both = heel[:, 0] & heel[:, 1]
    moving = support_up(relative_camera, (heel | toe) & ~standing_still(both, None, fps)[:, None])
    moving = support_up(relative_camera, heel | toe) if moving is None else moving
    seated = seated_runs(relative_camera, both, body_up if moving is None else moving, fps, STANDING_SECONDS)
    ankles = np.asarray(relative_camera)[:, [_LEFT_ANKLE, _RIGHT_ANKLE]]
    standing = standing_still(both, ankles @ np.asarray(body_up, dtype=np.float64), fps) & ~seated
    return support_up(relative_camera, (heel | toe) & ~seated[:, None], standing=standing)


# Standing on both feet for this long, the body is taken to be in balance frame by frame (see balance_turns).
BALANCED_STANCE_SECONDS = 0.5
BALANCE_SMOOTH_SECONDS = 0.1


def balanced_frames(relative_world: np.ndarray, both_planted: np.ndarray, fps: float) -> np.ndarray:
    """(frames,) bool: the frames of runs of both heels down for ``BALANCED_STANCE_SECONDS`` or more (standing,
    squatting; not a walk's brief double support), not seated (:func:`seated_runs`): there the body is taken to
    be in balance over its feet frame by frame. relative_world: (frames, 17, 3) H36M17, world axes, Z up."""
    both = np.asarray(both_planted, dtype=bool)
    balanced = np.zeros(len(both), dtype=bool)
    for start, stop in frame_runs(both):
        if stop - start >= BALANCED_STANCE_SECONDS * fps:
            balanced[start:stop] = True
    return balanced & ~seated_runs(relative_world, both, np.array([0.0, 0.0, 1.0]), fps, BALANCED_STANCE_SECONDS)


def balance_turns(relative_world: np.ndarray, view_world: np.ndarray, both_planted: np.ndarray,
                  fps: float, balanced: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame turns that put the centre of mass over the feet along the camera's line of sight.

    relative_world: (frames, 17, 3) H36M17 pose, world axes (Z up), pelvis at the origin, metres;
    view_world: (frames, 3) the camera's viewing direction to the performer, world axes; both_planted:
    (frames,) bool, both heels down. Returns ((frames, 3, 3) rotations, (frames, 3) the points they turn
    about: the support point, the planted ankles' middle moved ``SUPPORT_FORWARD_PER_LEG`` x the leg forward).

    The lifter's lean along the line of sight is what one view does not show (a squat that leans back
    10 degrees towards or away from the camera projects the same) and the balance prior corrects it for the
    whole clip only (:func:`support_up`); while the body stands on both feet for ``BALANCED_STANCE_SECONDS``
    or more (standing, squatting, not a walk's brief double support; not seated, :func:`seated_runs`) its
    centre of mass stays over the feet frame by frame. Each such frame is turned about the horizontal axis
    across the view, at the support point, by the angle that brings the centre of mass over it along the view;
    the lean across the view, which the picture shows, is kept. The turns fade in and out over ``BALANCE_SMOOTH_SECONDS``; identity
    elsewhere. ``balanced``: those frames where the caller has them already (:func:`balanced_frames`).
    """
    frames = len(relative_world)
    balanced = balanced_frames(relative_world, both_planted, fps) if balanced is None else np.asarray(balanced, bool)
    support = support_points(relative_world, np.ones((frames, 2), dtype=bool), np.array([0.0, 0.0, 1.0]))
    view = np.array(view_world, dtype=np.float64, copy=True)
    view[:, 2] = 0.0
    view = view / np.maximum(np.linalg.norm(view, axis=1, keepdims=True), 1e-9)
    offset = centre_of_mass(relative_world) - support
    along = np.sum(offset[:, :2] * view[:, :2], axis=1)
    angle = np.where(balanced, -np.arctan2(along, np.maximum(offset[:, 2], 0.2)), 0.0)
    angle = gaussian_filter1d(angle, max(BALANCE_SMOOTH_SECONDS * fps, 0.5), mode="nearest")  # fades in and out
    axis = np.cross(np.array([0.0, 0.0, 1.0]), view)
    axis = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-9)
    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix(), support


# ---------------------------------------------------------------------------------------------- floor
@dataclass(frozen=True)
class Floor:
    """A plane in the camera frame: points X on it have ``normal @ X == offset``; normal points up (metres)."""

    normal: np.ndarray
    offset: float
    source: str  # "floor plane" (fitted to planted feet), else "scene lines" or "body" (the body's vertical)


_MIN_FOOTPRINTS_FOR_SPREAD = 6  # with this many footprints their own scatter about the plane says how sure they are
_MIN_FOOTPRINT_SIGMA_M = 0.005
OTHER_LEVEL_M = 0.5  # a footprint this far above / below the floor (by reprojection) stands on another level
_MAX_TRAVEL_SLOPE_DEGREES = 15.0  # a root travelling up or down more steeply than this changed level (no walk)


def fit_floor(footprints: np.ndarray, reliability: np.ndarray, prior_up: np.ndarray, level_above: float,
              travel: np.ndarray | None = None, planted_points: np.ndarray | None = None,
              footprint_sigma_m: float = 0.05, prior_sigma_degrees: float = 4.0, prior_roll_sigma_degrees: float = 2.0,
              max_tilt_degrees: float = 20.0, scene: SceneVertical | None = None) -> Floor:
    """(n, 3) camera-frame footprints resting ``level_above`` metres over the floor (the median ankle of each
    run of planted frames, :func:`footprint_centres`), (n,) their reliability in [0, 1], (3,) unit prior up
    -> the floor plane.

    One weighted least squares on the normal (the smallest eigenvector of its information matrix): each
    footprint's height over the plane (relative to their weighted mean) is known to ``footprint_sigma_m``
    (a footprint's depth along its camera ray errs by ~3 % (10 cm at 3.5 m), about half of it vertical);
    ``travel``, (3,) the root's displacement over the clip, lies along the floor unless it climbs more than 15
    degrees against the prior (a jump down from a box) (its height change known
    to sqrt(2) x the same; with 6 or more footprints that spread is their own scatter about the plane, 5 mm
    to ``footprint_sigma_m``); and the normal is within ``prior_sigma_degrees`` of the prior along the line of
    sight and ``prior_roll_sigma_degrees`` across it, in the picture (the body's vertical, :func:`support_up`,
    turned onto the picture by :func:`image_roll`: on pose2sim 1.4-5.5 degrees off along, 0.5-2.6 across). The level: the median height of
    ``planted_points`` (m, 3), every planted frame's ankle (default: the footprints). Footprints rather than every planted
    frame: a footprint's frames scatter along its camera ray (the reprojection depth's noise), and a plane
    through that scatter contains the ray, which made the floor 4-6 degrees too level seen from a camera
    looking down (pose2sim) and the squats' floor 18 degrees off. Then re-weighted (Cauchy, 3 cm) four
    times. Fewer than two footprints, or a normal more than ``max_tilt_degrees`` from the prior -> the
    prior through the footprints' median (``source`` "body"; 20 degrees: a floor found 33 degrees from the
    body on sports2d's jumping jacks, a far performer, was wrong).

    ``scene``: the up axis from the scene's vertical lines (:func:`scene_vertical.scene_up`), a second prior
    added to the body's with its own information (~1.5 degrees in every direction: it outweighs the body's);
    the fallback is then the scene's up, ``source`` "scene lines" (with footprints: "floor plane").
    """
    prior_up = np.asarray(prior_up, dtype=np.float64) / np.linalg.norm(prior_up)
    footprints = np.asarray(footprints, dtype=np.float64).reshape(-1, 3)
    reliability = np.asarray(reliability, dtype=np.float64).reshape(-1)
    good = np.isfinite(footprints).all(axis=1) & (reliability > 0)
    footprints, reliability = footprints[good], reliability[good]

    if planted_points is None:
        planted_points = footprints
    planted_points = np.asarray(planted_points, dtype=np.float64).reshape(-1, 3)
    planted_points = planted_points[np.isfinite(planted_points).all(axis=1)]

    def level(normal: np.ndarray) -> float:
        return float(np.median(planted_points @ normal)) - level_above if len(planted_points) else float("nan")

    fallback = (prior_up, "body") if scene is None else (np.asarray(scene.up, dtype=np.float64), "scene lines")
    if len(footprints) < 2:
        return Floor(fallback[0], level(fallback[0]), fallback[1])
    # The prior tilts within the picture (across the view, camera x) by less than along the line of sight: the
    # pose is turned onto the picture (image_roll) first (pose2sim: 0.5-2.6 degrees against 1.4-5.5).
    across = np.array([1.0, 0.0, 0.0]) - prior_up[0] * prior_up
    if np.linalg.norm(across) < 1e-6:  # the prior along the camera's x axis (a camera on its side): its y
        across = np.array([0.0, 1.0, 0.0]) - prior_up[1] * prior_up
    across = across / np.linalg.norm(across)
    along = np.cross(prior_up, across)
    prior_information = (np.outer(across, across) / np.radians(prior_roll_sigma_degrees) ** 2
                         + np.outer(along, along) / np.radians(prior_sigma_degrees) ** 2)
    if scene is not None:
        prior_information = prior_information + np.asarray(scene.information, dtype=np.float64)
    travel_information = np.zeros((3, 3))
    if travel is not None and np.isfinite(travel).all() and \
            abs(travel @ prior_up) <= np.sin(np.radians(_MAX_TRAVEL_SLOPE_DEGREES)) * np.linalg.norm(travel):
        travel_information = np.outer(travel, travel) / (2 * footprint_sigma_m**2)
    # Start from the prior, loosely robust about the footprints' median height (another level's footprints, a
    # box jumped down from, count little from the start), then 3 cm.
    heights = footprints @ prior_up
    robust = 1.0 / (1.0 + ((heights - np.median(heights)) / 0.15) ** 2)
    normal, sigma = prior_up, footprint_sigma_m
    for _ in range(5):
        w = reliability * robust
        centred = footprints - (w[:, None] * footprints).sum(axis=0) / w.sum()
        information = (w[:, None] * centred).T @ centred / sigma**2 + travel_information * (footprint_sigma_m / sigma) ** 2 \
            + prior_information
        normal = np.linalg.eigh(information)[1][:, 0]
        normal = normal if normal @ prior_up >= 0 else -normal
        residual = centred @ normal
        robust = 1.0 / (1.0 + (residual / 0.03) ** 2)
        if len(footprints) >= _MIN_FOOTPRINTS_FOR_SPREAD:  # enough of them to tell how well they are placed
            spread = np.sqrt((w * residual**2).sum() / w.sum() * len(footprints) / (len(footprints) - 3))
            sigma = float(np.clip(spread, _MIN_FOOTPRINT_SIGMA_M, footprint_sigma_m))
    if np.degrees(np.arccos(np.clip(normal @ prior_up, -1.0, 1.0))) > max_tilt_degrees:
        return Floor(fallback[0], level(fallback[0]), fallback[1])
    return Floor(normal, level(normal), "floor plane")


def footprint_centres(ankles: np.ndarray, planted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frames, feet, 3) ankle positions and (frames, feet) bool planted -> ((footprints, 3) the median
    position of each run of planted frames, (footprints,) its number of frames)."""
    centres, counts = [], []
    for foot in range(planted.shape[1]):
        for start, stop in frame_runs(planted[:, foot]):
            path = ankles[start:stop, foot]
            path = path[np.isfinite(path).all(axis=1)]
            if len(path):
                centres.append(np.median(path, axis=0))
                counts.append(len(path))
    return np.reshape(centres, (-1, 3)), np.asarray(counts, dtype=np.float64)


# ---------------------------------------------------------------------------------------------- root path
@dataclass(frozen=True)
class RootPathWeights:
    """Spreads (sigmas) of the root-path least squares; smaller = stiffer."""

    pin_m: float = 0.01            # a planted ankle away from its world point (across the camera ray)
    pin_along_ray_m: float = 0.05  # ... along the ray
    balanced_pin_along_ray_m: float = 0.01  # ... along the ray while standing on both feet (balanced_frames)
    floor_m: float = 0.005         # a planted ankle above / below ankle height
    across_ray_m: float = 0.03     # the root away from the reprojection path, across the camera ray
    along_ray_fraction: float = 0.05  # ... along the ray, as a fraction of the camera distance
    flight_along_ray_factor: float = 3.0  # ... times this while both feet are off the ground (flight_frames)
    grounded_acceleration: float = 4.0   # m/s^2 while a foot is down
    ballistic_acceleration: float = 0.8  # m/s^2 away from free fall while both feet are off the ground
    longest_flight_seconds: float = 1.0  # longer stretches without a planted foot are missed contacts, not flight
    footprint_ray_m: float = 0.02  # a footprint away from its ankle keypoint's ray, per frame (~7 px at 4 m)
    toe_offset_m: float = 0.04  # a planted toe away from its ankle's footprint + the foot's forward offset


def flight_frames(pinned: np.ndarray, longest: int, heights: np.ndarray | None = None, fps: float = 30.0,
                  min_rise_fraction: float = 0.3, min_apex_m: float = 0.02) -> np.ndarray:
    """(frames, feet) planted -> (frames,) bool: frames in a stretch of at most ``longest`` frames with no foot
    planted, between two planted frames (a jump; not the clip's start or end, not a long detection gap).

    ``heights`` (frames,) metres, the root's height as the pictures place it (the reprojection path): a stretch
    long enough for free fall to lift the root by over ``min_apex_m`` (g T^2 / 8: 2 cm after 0.13 s, 15 cm after
    0.35 s) is a flight only where those heights rise over the straight line between its ends by at least
    ``min_rise_fraction`` of that. Otherwise the feet were on the ground and their contacts were missed
    (pose2sim cam02: the detector lost the standing foot for 0.35 s of a walk and the free-fall root hopped
    12 cm while the pictures kept the body level); sports2d's jumping jacks rise 13-15 cm in the pictures
    against 23-27 cm of free fall, its drop off the roof 0.7 m over the line."""
    free = ~pinned.any(axis=1)
    flight = np.zeros(len(free), dtype=bool)
    for start, stop in frame_runs(free):
        if not (start > 0 and stop < len(free) and stop - start <= longest):
            continue
        seconds = (stop - start + 1) / fps  # from the last planted frame to the next
        apex = GRAVITY * seconds**2 / 8
        span = None if heights is None else np.asarray(heights[start - 1:stop + 1], dtype=np.float64)
        if span is not None and apex > min_apex_m and np.isfinite(span).all():  # no picture heights: free fall
            rise = float(np.max(span - np.linspace(span[0], span[-1], len(span))))
            if rise < min_rise_fraction * apex:
                continue
        flight[start:stop] = True
    return flight


def off_floor_footprints(reprojected: np.ndarray, ankles_relative: np.ndarray, pinned: np.ndarray,
                         ankle_level: float, tolerance_m: float = OTHER_LEVEL_M) -> np.ndarray:
    """(frames, feet) bool: the planted frames whose footprint stands on another level than the floor
    (a step off a roof or a stage, a box jumped onto): over its run of ``pinned`` frames the ankle, placed
    by the reprojection path (``reprojected`` (frames, 3) world root, ``ankles_relative`` (frames, feet, 3)),
    is on median more than ``tolerance_m`` above or below ``ankle_level`` over the floor (z = 0). Such a
    footprint still stays put, but is not put on the floor: its ankle's ray would meet the floor plane
    metres away from the foot (sports2d: the landing on the grass 1 m below the roof pulled the root 4 m
    toward the camera)."""
    heights = (np.asarray(reprojected)[:, None, :] + np.asarray(ankles_relative))[..., 2] - ankle_level
    off = np.zeros(np.shape(pinned), dtype=bool)
    for foot in range(off.shape[1]):
        for start, stop in frame_runs(np.asarray(pinned, dtype=bool)[:, foot]):
            off[start:stop, foot] = abs(float(np.median(heights[start:stop, foot]))) > tolerance_m
    return off


def solve_root_path(reprojected: np.ndarray, ray_directions: np.ndarray, camera_distance: np.ndarray,
                    ankles_relative: np.ndarray, pinned: np.ndarray, ankle_level: float, fps: float,
                    weights: RootPathWeights = RootPathWeights(), ankle_rays: np.ndarray | None = None,
                    camera_position: np.ndarray | None = None, toe_pinned: np.ndarray | None = None,
                    off_floor: np.ndarray | None = None, toe_rays: np.ndarray | None = None,
                    toe_offsets: np.ndarray | None = None, balanced: np.ndarray | None = None,
                    unsure: np.ndarray | None = None) -> np.ndarray:
    """The world root path (frames, 3), Z up, floor at z = 0, from planted feet and the reprojection path.

    reprojected: (frames, 3) root positions from reprojection, world; ray_directions: (frames, 3) unit
    camera -> root directions, world; camera_distance: (frames,) metres camera -> root;
    ankles_relative: (frames, 2, 3) ankles relative to the root, world;
    pinned: (frames, 2) bool, the frames each ankle is planted (each run of True is one footprint);
    ankle_level: ankle height over the floor with the foot flat, metres;
    ankle_rays: (frames, 2, 3) unit world directions of the ankle keypoints' rays (NaN unknown) and
    camera_position: (3,) the camera in the world: each footprint then lies on its ankle's ray (in
    every frame of the footprint), so with the camera above the floor its place is where that ray meets
    the floor, from the image row, not from the body's image size (which drifts with the pose: 49 cm
    on sports2d's jumping jacks in place). toe_pinned: (frames, 2) bool, frames with the toe down: they
    join the footprints, pinning the ankle along the floor only (the heel may rise). off_floor: (frames,
    2) bool (:func:`off_floor_footprints`): footprints on another level, kept still but neither put on
    the floor nor on their ray's meeting with it. toe_rays (frames, 2, 3), like ``ankle_rays`` for the toe
    keypoints, and toe_offsets (frames, 2, 3) the toe's horizontal offset from its ankle (the foot's forward
    direction x its length, :func:`toe_offsets`): a footprint with its toe planted also has a toe point on the
    floor (z = 0, BlazePose's toe landmark on the floor) and on the toe's ray, ``toe_offset_m`` from the
    ankle's footprint + that offset. A landing on the balls of the feet (sports2d's jumping jacks), whose
    raised ankle says nothing of its depth, is then placed where its toes meet the floor. unsure: (frames, 2)
    bool, the planted frames whose points the detector moved off the foot (:func:`contact.dragged_frames`):
    they stay in their footprint (one place) but neither pin the root to it nor put it on their rays (the
    lifted leg went with the points).
    Unknowns: the root in every frame, one world point per footprint and one per footprint with its toe
    planted; solved at once (sparse normal equations, banded: linear in the clip's length).
    """
    frames = len(reprojected)
    dt = 1.0 / fps
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    row_count = 0

    def add(row_index: np.ndarray, col_index: np.ndarray, value: np.ndarray) -> None:
        rows.append(np.asarray(row_index).ravel())
        cols.append(np.asarray(col_index).ravel())
        vals.append(np.asarray(value, dtype=np.float64).ravel())

    def root_col(frame: np.ndarray, axis: int | np.ndarray) -> np.ndarray:
        return 3 * np.asarray(frame) + axis

    def on_rays(point: int, rays: np.ndarray) -> None:
        """The world point whose unknowns start at column ``point`` lies on each of the (n, 3) unit camera
        rays: P_across,t (point - camera) = 0, ``footprint_ray_m`` per frame."""
        nonlocal row_count
        across = (np.eye(3)[None] - rays[:, :, None] * rays[:, None, :]) / weights.footprint_ray_m
        columns = np.broadcast_to(point + np.arange(3), (len(rays), 3))
        for axis in range(3):
            add(np.broadcast_to((row_count + np.arange(len(rays)))[:, None], (len(rays), 3)), columns, across[:, axis])
            targets.append(across[:, axis] @ np.asarray(camera_position, dtype=np.float64))
            row_count += len(rays)

    # Footprints: one unknown world point per run of pinned frames (heel down, or with ``toe_pinned`` also the
    # toe: there the ankle rises with the heel, so it is pinned along the floor only).
    heel_down = np.asarray(pinned, dtype=bool)
    pinned = heel_down if toe_pinned is None else heel_down | np.asarray(toe_pinned, dtype=bool)
    footprint_runs = [(foot, start, stop) for foot in range(pinned.shape[1]) for start, stop in frame_runs(pinned[:, foot])]
    first_footprint = 3 * frames
    toe_columns = first_footprint + 3 * len(footprint_runs)  # the toe points' unknowns follow, as they are met
    toe_points = 0
    # Pins: M_t (root_t + ankle_rel_t - footprint) = 0, M_t = P_across / pin + d d^T / pin_along (the lifted
    # pose's depth, which carries the root from one footprint to the next along the ray, is its weakest part).
    d = ray_directions
    pin_along = np.full(frames, weights.pin_along_ray_m)
    if balanced is not None:
        pin_along = np.where(np.asarray(balanced, dtype=bool), weights.balanced_pin_along_ray_m, pin_along)
    pin_metric = (np.eye(3)[None] - d[:, :, None] * d[:, None, :]) / weights.pin_m \
        + d[:, :, None] * d[:, None, :] / pin_along[:, None, None]
    floor_only = np.diag([1.0, 1.0, 0.0])
    trusted = np.ones(heel_down.shape, dtype=bool) if unsure is None else ~np.asarray(unsure, dtype=bool)
    for number, (foot, start, stop) in enumerate(footprint_runs):
        span = np.arange(start, stop)
        if trusted[span, foot].any():
            span = span[trusted[span, foot]]
        metric = np.where(heel_down[span, foot, None, None], pin_metric[span], floor_only @ pin_metric[span] @ floor_only)
        for axis in range(3):
            index = row_count + np.arange(len(span))
            for other in range(3):
                add(index, root_col(span, other), metric[:, axis, other])
                add(index, np.full(len(span), first_footprint + 3 * number + other), -metric[:, axis, other])
            targets.append(-np.einsum("fk,fk->f", metric[:, axis], ankles_relative[span, foot]))
            row_count += len(span)
        if off_floor is not None and np.asarray(off_floor)[span, foot].any():
            # On another level: still, but neither on the floor nor where its ray meets the floor; a loose
            # height at the reprojected ankle's keeps a toe-only footprint (z not pinned) determined.
            height = float(np.median((reprojected[span] + ankles_relative[span, foot])[:, 2]))
            add(np.array([row_count]), np.array([first_footprint + 3 * number + 2]), np.array([1.0]))
            targets.append(np.array([height]))
            row_count += 1
            continue
        # Footprint at ankle height above the floor.
        add(np.array([row_count]), np.array([first_footprint + 3 * number + 2]), np.array([1.0 / weights.floor_m]))
        targets.append(np.array([ankle_level / weights.floor_m]))
        row_count += 1
        if ankle_rays is not None and camera_position is not None:
            seen = span[np.isfinite(ankle_rays[span, foot]).all(axis=1) & heel_down[span, foot]]
            if len(seen):  # the footprint on its ankle's ray in each frame
                on_rays(first_footprint + 3 * number, ankle_rays[seen, foot])
        if toe_rays is not None and toe_offsets is not None and camera_position is not None and toe_pinned is not None:
            down = span[np.asarray(toe_pinned, dtype=bool)[span, foot] & np.isfinite(toe_rays[span, foot]).all(axis=1)
                        & np.isfinite(toe_offsets[span, foot]).all(axis=1)]
            if len(down):
                toe = toe_columns + 3 * toe_points
                toe_points += 1
                # On the floor ...
                add(np.array([row_count]), np.array([toe + 2]), np.array([1.0 / weights.floor_m]))
                targets.append(np.zeros(1))
                row_count += 1
                # ... the foot's length in front of the ankle's footprint ...
                offset = np.median(toe_offsets[down, foot, :2], axis=0)
                for axis in range(2):
                    add(np.full(2, row_count), np.array([toe + axis, first_footprint + 3 * number + axis]),
                        np.array([1.0, -1.0]) / weights.toe_offset_m)
                    targets.append(np.array([offset[axis] / weights.toe_offset_m]))
                    row_count += 1
                on_rays(toe, toe_rays[down, foot])  # ... and on the toe keypoint's ray in each frame it is down
    # Reprojection path: M_t (r_t - q_t), M_t = P_across / s_across + d d^T / s_along.
    # In a flight the along-ray part is looser still: the pose in the air (limbs spread, a jumping jack's) is the
    # one whose lifted depth errs most, and the ballistic path between the landings' footprints carries it.
    airborne = flight_frames(pinned, max(1, int(round(weights.longest_flight_seconds * fps))),
                             np.asarray(reprojected)[:, 2], fps)
    along = np.maximum(weights.along_ray_fraction * np.asarray(camera_distance, dtype=np.float64), 0.05)
    along = np.where(airborne, weights.flight_along_ray_factor * along, along)
    metric = (np.eye(3)[None] - d[:, :, None] * d[:, None, :]) / weights.across_ray_m \
        + d[:, :, None] * d[:, None, :] / along[:, None, None]
    for axis in range(3):
        index = row_count + np.arange(frames)
        for other in range(3):
            add(index, root_col(np.arange(frames), other), metric[:, axis, other])
        targets.append(np.einsum("fk,fk->f", metric[:, axis], reprojected))
        row_count += frames
    # Accelerations: (r_{t-1} - 2 r_t + r_{t+1}) / dt^2 = gravity (both feet off the ground) or ~0.
    if frames >= 3:
        middle = np.arange(1, frames - 1)
        sigma = np.where(airborne[middle], weights.ballistic_acceleration, weights.grounded_acceleration) * dt**2
        for axis in range(3):
            index = row_count + np.arange(len(middle))
            for offset, coefficient in ((-1, 1.0), (0, -2.0), (1, 1.0)):
                add(index, root_col(middle + offset, axis), coefficient / sigma)
            gravity = np.where(airborne[middle], -GRAVITY * dt**2, 0.0) if axis == 2 else np.zeros(len(middle))
            targets.append(gravity / sigma)
            row_count += len(middle)
    unknowns = toe_columns + 3 * toe_points
    jacobian = scipy.sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                       shape=(row_count, unknowns))
    target = np.concatenate(targets)
    solution = scipy.sparse.linalg.spsolve((jacobian.T @ jacobian).tocsc(), jacobian.T @ target)
    return np.asarray(solution[:first_footprint]).reshape(frames, 3)
