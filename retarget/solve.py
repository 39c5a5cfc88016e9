"""3D joint positions -> the canonical videopose skeleton: constant bone lengths and per-joint rotations.

The canonical skeleton has the 17 Human3.6M joints (names as in :data:`videopose.core.layouts.H36M17`,
root ``pelvis``). Its rest pose (identity local rotations, see ``videopose/core/animation.py``) is defined
in the world frame (Z up, performer facing -Y, performer's left towards +X):

- legs straight down (-Z), arms straight out to the sides (T-pose: left arm +X, right arm -X),
  spine, thorax, neck and head stacked straight up (+Z);
- the two small rigid triangles, pelvis -> (hips, spine) and thorax -> (neck, shoulders), keep the
  shape measured in the clip (median over confident frames in the joint's own frame, made left/right
  symmetric), so that a performer with low-set hips or raised shoulders is reproduced exactly.

Rotations (each joint's world rotation moves its children's offsets, :func:`solve_world_rotations`):

- pelvis and thorax: the least-squares rotation of their three child offsets (Kabsch);
- spine: its bone direction, twisted half-way between the hip line and the shoulder line;
- neck: its bone direction, twist carried from the thorax by the minimal swing (H36M has no face
  points, so head yaw is not observable);
- upper and lower limbs: their bone direction, twist from the plane the limb bends in (the elbow or
  knee hinge axis); as the limb straightens (bend under ~25 degrees) the hinge axis turns towards the
  last well-measured hinge, held in the parent's frame (before any, the parent's rest hinge carried by
  the minimal swing), by an angle unwrapped over time, so straight limbs and limbs pointing at the
  camera neither flip nor pop;
- end joints (ankles, wrists, head) keep the identity local rotation.

Quaternions are made continuous over time (consecutive dot products positive).
Everything is vectorised over frames; Python loops run over joints only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton, make_continuous
from videopose.retarget.bone_lengths import estimate_bone_lengths, robust_median
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import H36M17
from videopose.core.progress import ProgressCallback, no_progress
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.camera_motion import (STILL_DEGREES, camera_turns, keypoints_homographies, stabilized_keypoints,
                                              stabilized_motion, turn_focal_px, turned_degrees)
from videopose.retarget.scene_vertical import scene_focal_px, scene_up
from videopose.core.frame_runs import frame_ranges
from videopose.retarget.contact import ImageContactThresholds, image_contacts
from videopose.retarget.foreshortening import legs_straightened_where_the_picture_shows_them_straight, shins_leaned_from_image
from videopose.retarget.grounding import (DEFAULT_HEIGHT_M, LYING_DEGREES, LYING_SHARE, balance_turns, balanced_frames, picture_lean_degrees, Floor, fit_floor, image_points, image_roll, landmark_ankle_height,
                                          off_floor_footprints, reproject_translation, scaled_skeleton, smooth_translation,
                                          solve_root_path, footprint_centres, toe_offsets, balance_vertical,
                                          seated_runs, STANDING_SECONDS, MAX_BALANCE_LEAN_DEGREES)

(PELVIS, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, SPINE, THORAX, NECK_NOSE, HEAD,
 LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST) = range(17)

CANONICAL_NAMES: tuple[str, ...] = H36M17.names
CANONICAL_PARENTS: tuple[int, ...] = H36M17.parents
_X, _Y, _Z = np.eye(3)

# (upper joint, lower joint, end joint, rest bone direction, rest hinge axis): the hinge axis is the
# direction of cross(upper bone, lower bone) when the joint bends the natural way (knees forward,
# elbows bringing the forearm forward from a palms-down T-pose).
LIMBS = (
    (RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, -_Z, _X),
    (LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, -_Z, _X),
    (LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, _X, -_Z),
    (RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST, -_X, _Z),
)
END_JOINTS = (RIGHT_ANKLE, LEFT_ANKLE, HEAD, LEFT_WRIST, RIGHT_WRIST)
_PELVIS_CHILDREN = (RIGHT_HIP, LEFT_HIP, SPINE)
_THORAX_CHILDREN = (NECK_NOSE, LEFT_SHOULDER, RIGHT_SHOULDER)
# Bend (sine of the angle between the two limb bones) below which the hinge axis is not trusted at all,
# and above which it is trusted fully.
_STRAIGHT_SIN = np.sin(np.radians(8.0))
# Grounding (solve_grounded_animation): a footprint held this long counts fully in the floor (a shorter one is a
# foot barely down, its place less sure); the root's travel over the clip is measured between the means of
# its first and last this many seconds.
FULL_FOOTPRINT_SECONDS = 0.3
TRAVEL_END_SECONDS = 0.2
CONTACT_FLOOR_TOLERANCE_M = 0.05  # see ankle_heights_for_contacts
_BENT_SIN = np.sin(np.radians(25.0))


# ---------------------------------------------------------------------------------------------- helpers
def _unit(vectors: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """(..., 3) -> unit vectors; zero vectors become ``fallback`` (broadcastable) or stay zero."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    units = vectors / np.maximum(norms, 1e-12)
    if fallback is not None:
        units = np.where(norms > 1e-9, units, fallback)
    return units


def _frame(primary: np.ndarray, secondary: np.ndarray, backup: np.ndarray) -> np.ndarray:
    """(frames, 3) primary and secondary directions -> (frames, 3, 3) orthonormal frames, columns
    [primary, secondary made orthogonal, primary x secondary]. ``backup`` replaces a secondary that
    is (nearly) parallel to the primary."""
    primary = _unit(primary)
    orthogonal = secondary - np.sum(secondary * primary, axis=-1, keepdims=True) * primary
    weak = np.linalg.norm(orthogonal, axis=-1, keepdims=True) < 1e-3
    backup = backup - np.sum(backup * primary, axis=-1, keepdims=True) * primary
    orthogonal = _unit(np.where(weak, backup, orthogonal))
    return np.stack([primary, orthogonal, np.cross(primary, orthogonal)], axis=-1)


def _rest_frame(rest_direction: np.ndarray, rest_reference: np.ndarray) -> np.ndarray:
    """The (3, 3) frame :func:`_frame` builds from a joint's rest bone direction and twist reference."""
    return _frame(rest_direction[None], rest_reference[None], _Y[None])[0]


def swing(vectors: np.ndarray, from_directions: np.ndarray, to_directions: np.ndarray) -> np.ndarray:
    """Rotate (frames, 3) ``vectors`` by the minimal rotation taking unit ``from`` onto unit ``to``
    (R = I + [v]x + [v]x^2 / (1 + c), v = from x to, c = from . to; ill-posed only for opposite directions)."""
    axis = np.cross(from_directions, to_directions)
    cosine = np.sum(from_directions * to_directions, axis=-1, keepdims=True)
    cross_once = np.cross(axis, vectors)
    return vectors + cross_once + np.cross(axis, cross_once) / np.maximum(1.0 + cosine, 1e-6)


def kabsch_rotations(rest_vectors: np.ndarray, current_vectors: np.ndarray) -> np.ndarray:
    """(k, 3) rest offsets and (frames, k, 3) current offsets -> (frames, 3, 3) proper rotations W
    minimising sum_k |W rest_k - current_k|^2 (Kabsch, via a batched 3x3 SVD)."""
    covariance = np.einsum("ki,fkj->fij", rest_vectors, current_vectors)
    u, _, vt = np.linalg.svd(covariance)
    v = np.swapaxes(vt, -1, -2)
    ut = np.swapaxes(u, -1, -2)
    determinant = np.sign(np.linalg.det(v @ ut))
    correction = np.ones((len(covariance), 3))
    correction[:, 2] = np.where(determinant == 0, 1.0, determinant)
    return (v * correction[:, None, :]) @ ut


def interpolate_missing(values: np.ndarray, what: str = "joint positions") -> tuple[np.ndarray, np.ndarray]:
    """(frames, ...) with NaN -> (filled copy, (frames,) bool frames that held any NaN).

    Each channel is interpolated linearly over time; leading/trailing gaps hold the nearest value.
    """
    frames = len(values)
    flat = np.array(values, dtype=np.float64).reshape(frames, -1)
    missing = ~np.isfinite(flat)
    if missing.all():
        raise VideoposeError(f"every value of the {what} is NaN or infinite: nothing to retarget")
    time = np.arange(frames)
    for channel in np.flatnonzero(missing.any(axis=0)):
        known = ~missing[:, channel]
        if not known.any():
            raise VideoposeError(f"one coordinate of the {what} is NaN in every frame: the lifter output is broken")
        flat[:, channel] = np.interp(time, time[known], flat[known, channel])
    return flat.reshape(np.shape(values)), missing.any(axis=1)


# ---------------------------------------------------------------------------------------------- rest pose
def _pelvis_frames(joints: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) -> (frames, 3, 3) world rotation of the pelvis rest frame: Z = spine, X = hip line."""
    rest = np.stack([_Z, _X, _Y], axis=-1)
    current = _frame(joints[:, SPINE] - joints[:, PELVIS], joints[:, LEFT_HIP] - joints[:, RIGHT_HIP], _X[None])
    return current @ rest.T


def _thorax_frames(joints: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) -> (frames, 3, 3): Z = thorax -> neck, X = shoulder line (right -> left)."""
    rest = np.stack([_Z, _X, _Y], axis=-1)
    current = _frame(joints[:, NECK_NOSE] - joints[:, THORAX],
                     joints[:, LEFT_SHOULDER] - joints[:, RIGHT_SHOULDER], _X[None])
    return current @ rest.T


def _triangle_offsets(joints: np.ndarray, frames: np.ndarray, centre: int, children: tuple[int, ...],
                      lengths: np.ndarray) -> dict[int, np.ndarray]:
    """Rest offsets of a rigid triangle's children: median in the centre joint's frame, mirrored symmetric."""
    local = np.einsum("fji,fkj->fki", frames, joints[:, children] - joints[:, [centre]])  # R^T v
    median = robust_median(local.reshape(len(local), -1)).reshape(len(children), 3)
    middle, left, right = (median[children.index(j)] for j in _triangle_roles(children))
    middle = np.array([0.0, middle[1], middle[2]])
    left_sym = np.array([(left[0] - right[0]) / 2, (left[1] + right[1]) / 2, (left[2] + right[2]) / 2])
    right_sym = left_sym * np.array([-1.0, 1.0, 1.0])
    offsets = {}
    for joint, vector in zip(_triangle_roles(children), (middle, left_sym, right_sym)):
        offsets[joint] = lengths[joint] * _unit(vector, _Z)
    return offsets


def _triangle_roles(children: tuple[int, ...]) -> tuple[int, int, int]:
    """(middle, left, right) joints of a triangle's children."""
    names = [CANONICAL_NAMES[j] for j in children]
    middle = next(j for j, n in zip(children, names) if not n.startswith(("left_", "right_")))
    left = next(j for j, n in zip(children, names) if n.startswith("left_"))
    right = next(j for j, n in zip(children, names) if n.startswith("right_"))
    return middle, left, right


def rest_offsets(world_joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) world positions of confident frames + (17,) bone lengths -> (17, 3) rest offsets
    of the canonical skeleton (see the module docstring)."""
    offsets = np.zeros((17, 3))
    for upper, lower, end, direction, _ in LIMBS:
        offsets[lower] = lengths[lower] * direction
        offsets[end] = lengths[end] * direction
    for joint in (THORAX, HEAD):
        offsets[joint] = lengths[joint] * _Z
    for joint, offset in _triangle_offsets(world_joints, _pelvis_frames(world_joints), PELVIS,
                                           _PELVIS_CHILDREN, lengths).items():
        offsets[joint] = offset
    for joint, offset in _triangle_offsets(world_joints, _thorax_frames(world_joints), THORAX,
                                           _THORAX_CHILDREN, lengths).items():
        offsets[joint] = offset
    return offsets


def canonical_skeleton(offsets: np.ndarray) -> Skeleton:
    """(17, 3) rest offsets -> the canonical videopose Skeleton (H36M17 names and parents)."""
    return Skeleton(CANONICAL_NAMES, CANONICAL_PARENTS, offsets)


# ---------------------------------------------------------------------------------------------- rotations
def solve_world_rotations(world_joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """(frames, 17, 3) world positions -> (frames, 17, 3, 3) world rotations on the canonical skeleton."""
    joints = np.asarray(world_joints, dtype=np.float64)
    frames = len(joints)
    offsets = skeleton.offsets
    world = np.empty((frames, 17, 3, 3))

    def rest_unit(joint: int) -> np.ndarray:
        return _unit(offsets[joint])

    world[:, PELVIS] = kabsch_rotations(offsets[list(_PELVIS_CHILDREN)],
                                        joints[:, _PELVIS_CHILDREN] - joints[:, [PELVIS]])

    # Spine: its own direction, twisted half-way between the hip line and the shoulder line.
    lateral = (_unit(joints[:, LEFT_SHOULDER] - joints[:, RIGHT_SHOULDER])
               + _unit(joints[:, LEFT_HIP] - joints[:, RIGHT_HIP]))
    spine_rest_direction = rest_unit(THORAX)
    spine_direction = _unit(joints[:, THORAX] - joints[:, SPINE], world[:, PELVIS] @ spine_rest_direction)
    spine_frame = _frame(spine_direction, lateral, world[:, PELVIS] @ _X)
    world[:, SPINE] = spine_frame @ _rest_frame(spine_rest_direction, _X).T

    world[:, THORAX] = kabsch_rotations(offsets[list(_THORAX_CHILDREN)],
                                        joints[:, _THORAX_CHILDREN] - joints[:, [THORAX]])

    # Neck: direction to the head top; twist carried over from the thorax by the minimal swing.
    neck_rest_direction = rest_unit(HEAD)
    carried = world[:, THORAX] @ neck_rest_direction
    neck_direction = _unit(joints[:, HEAD] - joints[:, NECK_NOSE], carried)
    neck_reference = swing(world[:, THORAX] @ _X, carried, neck_direction)
    world[:, NECK_NOSE] = _frame(neck_direction, neck_reference, world[:, THORAX] @ _Y) @ \
        _rest_frame(neck_rest_direction, _X).T

    for upper, lower, end, rest_direction, rest_hinge in LIMBS:
        parent_rotation = world[:, CANONICAL_PARENTS[upper]]
        carried = parent_rotation @ rest_direction
        upper_direction = _unit(joints[:, lower] - joints[:, upper], carried)
        lower_direction = _unit(joints[:, end] - joints[:, lower], upper_direction)
        # The parent's hinge axis, swung minimally onto this bone: the "no twist" guess for a straight limb.
        carried_hinge = _unit(swing(parent_rotation @ rest_hinge, carried, upper_direction))
        measured = np.cross(upper_direction, lower_direction)
        bend = np.linalg.norm(measured, axis=-1)
        trust = np.clip((bend - _STRAIGHT_SIN) / (_BENT_SIN - _STRAIGHT_SIN), 0.0, 1.0)
        trust = trust * trust * (3.0 - 2.0 * trust)  # smoothstep
        measured_hinge = measured / np.maximum(bend, 1e-12)[:, None]
        straight_hinge = _held_hinge(parent_rotation, upper_direction, measured_hinge, trust, carried_hinge)
        hinge = _blend_hinge(straight_hinge, measured_hinge, upper_direction, trust)
        rest = _rest_frame(rest_direction, rest_hinge)
        backup = parent_rotation @ np.cross(rest_direction, rest_hinge)
        world[:, upper] = _frame(upper_direction, hinge, backup) @ rest.T
        world[:, lower] = _frame(lower_direction, hinge, world[:, upper] @ np.cross(rest_direction, rest_hinge)) @ rest.T

    for joint in END_JOINTS:
        world[:, joint] = world[:, CANONICAL_PARENTS[joint]]
    return world


def _held_hinge(parent_rotation: np.ndarray, direction: np.ndarray, measured: np.ndarray, trust: np.ndarray,
                fallback: np.ndarray) -> np.ndarray:
    """The hinge axis to use where a limb is (nearly) straight: the last fully trusted hinge, held in the
    parent's frame and swung minimally with the bone since then (a limb that straightens keeps its twist);
    ``fallback`` (the parent's rest hinge, carried) before the first bent frame. All (frames, 3)."""
    frames = len(trust)
    anchor = np.maximum.accumulate(np.where(trust >= 1.0, np.arange(frames), -1))
    known = anchor >= 0
    if not known.any():
        return fallback
    source = np.maximum(anchor, 0)
    to_local = np.swapaxes(parent_rotation, -1, -2)
    local_direction = np.einsum("fij,fj->fi", to_local, direction)
    local_hinge = np.einsum("fij,fj->fi", to_local[source], measured[source])
    held = swing(local_hinge, local_direction[source], local_direction)
    held = np.einsum("fij,fj->fi", parent_rotation, held)
    held = _unit(held - np.sum(held * direction, axis=-1, keepdims=True) * direction)
    return np.where(known[:, None] & (np.linalg.norm(held, axis=-1, keepdims=True) > 0.5), held, fallback)


def _blend_hinge(carried: np.ndarray, measured: np.ndarray, axis: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Turn the (frames, 3) ``carried`` hinge about the bone ``axis`` by ``trust`` (frames,) of its angle to
    ``measured`` (both unit, perpendicular to the axis).

    The angle is unwrapped over time inside each stretch of partial trust, so a limb that straightens
    while its bend plane is opposite the carried guess eases its twist back instead of jumping across
    +-180 degrees (where trust is 0 or 1 the choice of turn does not matter).
    """
    angle = np.arctan2(np.sum(np.cross(carried, measured) * axis, axis=-1), np.sum(carried * measured, axis=-1))
    partial = (trust > 0) & (trust < 1)
    if partial.any():
        angle = _unwrap_runs(angle, partial)
    turned = trust * angle
    return np.cos(turned)[:, None] * carried + np.sin(turned)[:, None] * np.cross(axis, carried)


def _unwrap_runs(angle: np.ndarray, runs_mask: np.ndarray) -> np.ndarray:
    """(frames,) angles unwrapped over time inside each run of ``runs_mask``, each run then shifted by
    whole turns so its mean lies in [-pi, pi]; frames outside the runs unchanged. All runs at once
    (a clip can hold thousands)."""
    same_run = runs_mask[1:] & runs_mask[:-1]
    correction = np.where(same_run, -2 * np.pi * np.round(np.diff(angle) / (2 * np.pi)), 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(correction)])
    run_start = runs_mask & ~np.concatenate([[False], runs_mask[:-1]])
    run_index = np.cumsum(run_start) - 1
    inside = np.flatnonzero(runs_mask)
    unwrapped = angle[inside] + cumulative[inside] - cumulative[np.flatnonzero(run_start)][run_index[inside]]
    means = np.bincount(run_index[inside], weights=unwrapped) / np.bincount(run_index[inside])
    result = angle.copy()
    result[inside] = unwrapped - 2 * np.pi * np.round(means / (2 * np.pi))[run_index[inside]]
    return result


def local_quaternions(world_rotations: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(frames, joints, 3, 3) world rotations -> (frames, joints, 4) continuous local quaternions xyzw."""
    frames, joints = world_rotations.shape[:2]
    parent_rotations = world_rotations[:, [max(p, 0) for p in parents]]
    local = np.swapaxes(parent_rotations, -1, -2) @ world_rotations
    roots = [j for j, p in enumerate(parents) if p < 0]
    local[:, roots] = world_rotations[:, roots]
    quats = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_quat().reshape(frames, joints, 4)
    return make_continuous(quats)


def positions_from_world_rotations(skeleton: Skeleton, world_rotations: np.ndarray) -> np.ndarray:
    """(frames, joints, 3, 3) world rotations -> (frames, joints, 3) positions with the root at the origin
    (forward kinematics without going through quaternions)."""
    positions = np.zeros(world_rotations.shape[:2] + (3,))
    for joint, parent in enumerate(skeleton.parents):
        if parent >= 0:
            positions[:, joint] = positions[:, parent] + world_rotations[:, parent] @ skeleton.offsets[joint]
    return positions


def solve_pose(world_joints: np.ndarray, lengths: np.ndarray | None = None,
               confident: np.ndarray | None = None) -> tuple[Skeleton, np.ndarray]:
    """(frames, 17, 3) world-frame joint positions (NaN-free) -> (canonical skeleton, (frames, 17, 4)
    local quaternions). ``lengths`` (17,) fixes the bone lengths (e.g. a target rig's); ``confident``
    (frames,) bool marks the frames to measure the lengths and the rest triangles from."""
    skeleton, rotations = solve_pose_rotations(world_joints, lengths, confident)
    return skeleton, local_quaternions(rotations, skeleton.parents)


def solve_pose_rotations(world_joints: np.ndarray, lengths: np.ndarray | None = None,
                         confident: np.ndarray | None = None) -> tuple[Skeleton, np.ndarray]:
    """As :func:`solve_pose`, returning world rotation matrices (frames, 17, 3, 3) instead of local quaternions."""
    world_joints = np.asarray(world_joints, dtype=np.float64)
    measured = world_joints if confident is None else np.where(confident[:, None, None], world_joints, np.nan)
    if lengths is None:
        lengths = estimate_bone_lengths(measured, H36M17)
    lengths = np.asarray(lengths, dtype=np.float64)
    if lengths.shape != (17,):
        raise VideoposeError(f"bone lengths must have shape (17,) (one per H36M17 joint), got {lengths.shape}")
    usable = np.isfinite(measured).all(axis=(1, 2))
    skeleton = canonical_skeleton(rest_offsets(world_joints[usable] if usable.any() else world_joints, lengths))
    return skeleton, solve_world_rotations(world_joints, skeleton)


# ---------------------------------------------------------------------------------------------- whole clip
def solve_animation(motion: Motion3D, bone_lengths: np.ndarray | None = None,
                    progress: ProgressCallback = no_progress) -> Animation:
    """Motion3D (camera frame) -> Animation on the canonical skeleton in the Z-up world frame, with
    constant bone lengths, continuous rotations and root motion on the floor (see retarget/root.py).

    No smoothing, contact detection or foot locking here: :func:`videopose.retarget.pipeline.retarget_motion`
    adds those. ``extras`` keep ``world_from_camera`` (3, 3), ``filled_frames`` (frames,) bool,
    ``up_source`` and ``fit_error_m`` (frames,): the mean distance in metres between
    the input joints (root-relative) and the constant-length skeleton's joints.
    """
    from videopose.retarget.root import estimate_world_frame, root_trajectory

    if motion.layout != "h36m17":
        raise VideoposeError(f"the retargeter reads H36M17 motion (the lifter's output), got layout {motion.layout!r}")
    if motion.num_frames < 2:
        raise VideoposeError(f"motion has {motion.num_frames} frame(s); retargeting needs at least 2")
    progress(0, 4, "filling gaps")
    raw = np.asarray(motion.joints_3d, dtype=np.float64)
    confident = np.isfinite(raw).all(axis=(1, 2))
    joints, filled = interpolate_missing(raw, "joint positions")
    joints = joints - joints[:, [PELVIS]]
    trajectory = None
    if motion.trajectory is not None:
        trajectory, filled_trajectory = interpolate_missing(motion.trajectory, "trajectory")
        filled |= filled_trajectory
    progress(1, 4, "ground plane")
    frame = estimate_world_frame(joints, trajectory, motion.fps)
    world_joints = joints @ frame.world_from_camera.T
    progress(2, 4, "rotations")
    skeleton, rotations = solve_pose_rotations(world_joints, bone_lengths, confident)
    quats = local_quaternions(rotations, skeleton.parents)
    progress(3, 4, "root motion")
    relative_positions = positions_from_world_rotations(skeleton, rotations)
    root, _ = root_trajectory(frame.world_from_camera, trajectory, relative_positions, skeleton, motion.fps)
    progress(4, 4, "solved")
    extras = {
        "world_from_camera": frame.world_from_camera,
        "filled_frames": filled,
        "up_source": np.array(frame.up_source),
        # How far the constant-length skeleton is from the (root-relative) input joints, per frame.
        "fit_error_m": np.linalg.norm(relative_positions - world_joints, axis=-1).mean(axis=1),
    }
    return Animation(skeleton, quats, root, motion.fps, extras=extras)


@dataclass(frozen=True)
class SharedWorld:
    """The world of one static camera that several people of a clip are placed in (``--people all``).

    world_from_camera: (3, 3) rotation camera frame -> world (its last row is the floor's up, camera frame);
    camera_position: (3,) metres, the camera in the world (world = world_from_camera @ camera + camera_position;
    its z is the camera's height over the floor at z = 0). Read from a grounded animation with :meth:`of`.
    """

    world_from_camera: np.ndarray
    camera_position: np.ndarray
    focal_px: float | None = None  # the camera's focal length (pixels) and where it came from, where known
    focal_source: str = "default field of view"

    @classmethod
    def of(cls, animation: Animation) -> SharedWorld | None:
        """The world a grounded animation (:func:`solve_grounded_animation`) was placed in; None where it
        was not grounded in the camera (no planted foot: the lifter's depth)."""
        extras = animation.extras
        if "camera_position" not in extras or "world_from_camera" not in extras:
            return None
        focal = float(extras["camera_focal_px"]) if "camera_focal_px" in extras else None
        return cls(np.asarray(extras["world_from_camera"], dtype=np.float64),
                   np.asarray(extras["camera_position"], dtype=np.float64), focal,
                   str(extras.get("camera_focal_source", "default field of view")))

    def camera(self, camera: PinholeCamera) -> PinholeCamera:
        """``camera`` (the same frame) with this world's focal length: everyone of a clip is seen by one camera."""
        return camera if self.focal_px is None else camera.with_focal(self.focal_px, self.focal_source)

    def floor(self) -> Floor:
        """The floor plane in the camera frame (world z = 0)."""
        return Floor(self.world_from_camera[2].copy(), float(-self.camera_position[2]), "shared floor")


# A person put on a shared floor must come out this tall (metres) for the floor to be theirs; otherwise they
# stand on another level (sports2d: the performer on a 2 m box, a walker on the grass), or the floor was
# extrapolated too far to trust, and they keep the given height on a floor of their own height.
SHARED_FLOOR_HEIGHTS_M = (1.0, 2.2)


def ankle_heights_for_contacts(heights: np.ndarray, tolerance_m: float = CONTACT_FLOOR_TOLERANCE_M) -> np.ndarray:
    """(frames, 2) ankle heights over their flat-foot level on the floor, metres -> the heights the contacts read:
    relative to the lower foot while it is within ``tolerance_m`` of the floor (h - min(lower, tolerance)).
    The reprojection depth errs with the pose (squats: the ankles swing +-10-15 cm about the floor as the body
    folds, along the camera ray), the same for both feet: within the tolerance the lower foot counts as down and
    the other foot as high as it is above it; a lower foot higher than that is off the floor (a jump)."""
    lower = np.min(heights, axis=1, keepdims=True)
    return heights - np.minimum(lower, tolerance_m)


def floor_scale(ankles: np.ndarray, planted: np.ndarray, floor: Floor, level: float) -> float:
    """The factor that puts planted ankles on a given floor: (frames, 2, 3) camera-frame ankles of a pose
    placed by reprojection, (frames, 2) bool planted, ankle height ``level`` metres -> s such that the pose
    scaled by s about the camera (which reprojects the same) rests its planted ankles ``s * level`` over the
    floor (median over planted frames); 1.0 where nothing is planted. A person's size and distance are one
    unknown for one camera: the shared floor fixes it (docs/grounding.md)."""
    heights = ankles[planted] @ floor.normal - level  # floor.offset = s * heights
    heights = heights[np.isfinite(heights) & (heights < 0)]
    if not len(heights) or floor.offset >= 0:
        return 1.0
    return float(np.median(floor.offset / heights))


def keypoints_background_lines(keypoints: Keypoints2D) -> np.ndarray | None:
    """The keypoints' ``extras["background_lines_px"]`` ((n, 4) pixel segments of the video's background,
    ``lifter.scene_lines``) as float64, or None where they hold none."""
    if "background_lines_px" not in keypoints.extras:
        return None
    lines = np.asarray(keypoints.extras["background_lines_px"], dtype=np.float64)
    if lines.ndim != 2 or lines.shape[1] != 4 or not np.isfinite(lines).all():
        raise VideoposeError(f"the keypoints' background_lines_px must be finite (n, 4) pixel segments, got "
                             f"shape {lines.shape}")
    return lines if len(lines) else None


# A camera this far under the floor the feet were found on is no camera filming a performer standing on a floor
# (a seated or lying body's floor: 0.8-1.0 m under it in synthetic clips; sports2d's camera, at the roof's
# height with the performer on the roof: 0.13 m under it).
UNDER_FLOOR_CAMERA_M = 0.5
SCENE_FOCAL_SOURCE = "the background's vanishing points"
TURN_FOCAL_SOURCE = "the camera's turn"


def scene_camera(camera: PinholeCamera, keypoints: Keypoints2D, motion: Motion3D) -> PinholeCamera:
    """``camera`` (the default field of view) with the focal length the background's three orthogonal
    vanishing points give (:func:`scene_vertical.scene_focal_px`, the vertical looked for near the lifted
    body's), where the keypoints hold background lines and they give one; else, for a camera that turns, the
    one its turn gives (:func:`camera_motion.turn_focal_px`); else ``camera`` as it is. The
    camera distance scales with the focal length: on pose2sim the default 70 degrees is 6 % short of the
    calibrated focal lengths, these within 2 % (1651-1677 px against 1674-1682)."""
    from videopose.retarget.root import body_up

    lines = keypoints_background_lines(keypoints)
    joints = np.asarray(motion.joints_3d, dtype=np.float64)
    joints = joints - joints[:, [PELVIS]]
    joints = joints[np.isfinite(joints).all(axis=(1, 2))]
    if lines is not None and motion.layout == "h36m17" and len(joints):
        focal = scene_focal_px(lines, camera.intrinsics_matrix(), camera.width, camera.height, body_up(joints))
        if focal is not None:
            return camera.with_focal(focal, SCENE_FOCAL_SOURCE)
    homographies = keypoints_homographies(keypoints)
    if homographies is not None:  # a camera that turns: only its true focal length makes the turns rotations
        focal = turn_focal_px(homographies, camera)
        if focal is not None:
            return camera.with_focal(focal, TURN_FOCAL_SOURCE)
    return camera


def solve_grounded_animation(motion: Motion3D, keypoints: Keypoints2D, camera: PinholeCamera | None = None,
                             height_m: float = DEFAULT_HEIGHT_M, bone_lengths: np.ndarray | None = None,
                             contact_thresholds: ImageContactThresholds = ImageContactThresholds(),
                             progress: ProgressCallback = no_progress, world: SharedWorld | None = None) -> Animation:
    """Motion3D (camera frame) + the 2D keypoints it was lifted from -> Animation grounded in the world
    of one static camera (retarget/grounding.py): skeleton scaled to ``height_m``, root placed by
    reprojection, one floor from the planted feet, root path that keeps planted feet put.

    ``camera``: default :meth:`PinholeCamera.from_frame` of the keypoints' frame size. ``contacts`` (left,
    right) are the frames the foot is planted with its heel down (its ankle stays put: what foot locking
    pins). ``extras`` add, besides those of :func:`solve_animation` (``fit_error_m`` in the lifter's
    metres): ``heel_contacts`` (the same) and ``toe_contacts`` (frames, 2) bool (the toe planted, also while
    the heel rises); ``camera_position`` (3,) metres in the world (its z: the camera's height over the
    floor); ``root_camera`` (frames, 3) the root path in the camera frame; ``camera_focal_px`` and
    ``camera_focal_source`` (where it came from: :attr:`PinholeCamera.focal_source`); ``camera_frame_px`` (2,)
    the frame's width and height;
    ``height_scale`` (the lifter's metres -> the performer's); ``ankle_height_m``; ``reprojection_error_m``
    (frames,); ``grounding`` (what was used). Where no foot is ever planted, warns and returns
    :func:`solve_animation`'s lifter-depth result (``grounding`` says so).

    A camera that turns (pan, tilt; the keypoints' ``extras["background_homographies"]``, kept by detection
    where the background moves) is followed: the clip is carried into its first frame's camera
    (retarget/camera_motion.py), whose frame ``world_from_camera`` and ``root_camera`` then are, and
    ``camera_turns`` (frames, 3, 3) takes frame t's camera frame to it. A camera that moves otherwise warns and
    gets the lifter-depth result.

    ``world``: place the performer in this world (another person's of the same clip) instead of one of
    their own: its floor and camera are kept, the performer's height (``height_m`` only a first guess) is
    the one that puts their planted feet on that floor (:func:`floor_scale`; ``height_m`` in the extras),
    and their root comes from their own reprojection. Without a planted foot they keep ``height_m`` and
    follow their reprojection (no lifter-depth fallback: they stay in the shared world).
    """
    from videopose.retarget.root import estimate_world_frame, leg_length, world_frame_from_up

    if motion.layout != "h36m17":
        raise VideoposeError(f"the retargeter reads H36M17 motion (the lifter's output), got layout {motion.layout!r}")
    if keypoints.num_frames != motion.num_frames:
        raise VideoposeError(f"the keypoints have {keypoints.num_frames} frames but the motion {motion.num_frames}: "
                             "pass the keypoints the motion was lifted from")
    if motion.num_frames < 2:
        raise VideoposeError(f"motion has {motion.num_frames} frame(s); retargeting needs at least 2")
    camera = camera or PinholeCamera.from_frame(keypoints.width, keypoints.height)
    lines = keypoints_background_lines(keypoints)
    homographies = keypoints_homographies(keypoints)
    camera_rotations = None
    if homographies is not None:  # the background moves (detection kept how): a camera that only turns is grounded
        camera_rotations, why = camera_turns(homographies, camera)
        if camera_rotations is None:
            warnings.warn(f"the camera moves ({why}): grounding assumes a static camera, or one that only turns, "
                          "so the root path and floor come from the lifter's depth instead", stacklevel=2)
            fallback = solve_animation(motion, bone_lengths, progress)
            extras = {**fallback.extras, "grounding": np.array("lifter depth: the camera moves")}
            return Animation(fallback.skeleton, fallback.local_quats_xyzw, fallback.root_positions, motion.fps,
                             fallback.contacts, extras)
        if turned_degrees(camera_rotations) < STILL_DEGREES:
            camera_rotations = None
        else:  # carried into the first frame's camera: from here on, a static one
            keypoints = stabilized_keypoints(keypoints, camera_rotations, camera)
            motion = stabilized_motion(motion, camera_rotations)  # (the lines are of the first frame's view)
    fps = motion.fps
    progress(0, 5, "filling gaps")
    raw = np.asarray(motion.joints_3d, dtype=np.float64)
    confident = np.isfinite(raw).all(axis=(1, 2))
    joints, filled = interpolate_missing(raw, "joint positions")
    joints = joints - joints[:, [PELVIS]]
    trajectory = None
    if motion.trajectory is not None:
        trajectory, _ = interpolate_missing(motion.trajectory, "trajectory")
    progress(1, 5, "rotations")
    provisional = estimate_world_frame(joints, None, fps).world_from_camera  # body up: rotations only
    skeleton, rotations = solve_pose_rotations(joints @ provisional.T, bone_lengths, confident)
    lifted_relative = positions_from_world_rotations(skeleton, rotations)
    fit_error = np.linalg.norm(lifted_relative - joints @ provisional.T, axis=-1).mean(axis=1)
    skeleton, scale = scaled_skeleton(skeleton, height_m)
    relative_camera = lifted_relative * scale @ provisional  # p_camera = R^T p_world

    progress(2, 5, "root by reprojection")
    points = image_points(keypoints, camera)
    lean = picture_lean_degrees(points.body_rays, points.body_weights)
    if len(lean) and np.mean(lean > LYING_DEGREES) >= LYING_SHARE:
        warnings.warn(f"the performer lies across the picture in {np.mean(lean > LYING_DEGREES):.0%} of the frames "
                      f"(the body's axis over {LYING_DEGREES:.0f} degrees from the picture's vertical): lying down, or a "
                      "camera on its side? The floor and the up axis assume a performer standing on the feet, and may be "
                      "wrong", stacklevel=2)
    translation, residual = reproject_translation(relative_camera, points.body_rays, points.body_weights)
    # The lifted pose turned about the camera ray onto the picture (grounding.image_roll): its lean in the image
    # is seen, not guessed; the body's vertical (the floor's prior) turns with it.
    roll = image_roll(relative_camera, translation, points.body_rays, points.body_weights)
    relative_camera, provisional = relative_camera @ roll.T, provisional @ roll.T
    translation, residual = reproject_translation(relative_camera, points.body_rays, points.body_weights)
    prior = None
    if trajectory is not None and np.isfinite(translation[:, 2]).any():
        # The trajectory model's depth comes from its own camera guess: rescale it, then use it as a prior.
        ratio = np.nanmedian(translation[:, 2]) / max(float(np.median(trajectory[:, 2])), 1e-6)
        prior = trajectory * ratio
        translation, residual = reproject_translation(relative_camera, points.body_rays, points.body_weights,
                                                      prior=prior)
    # The shins' lean towards or away from the camera, from their image lengths as well as the lifter
    # (retarget/foreshortening.py: the lifter's knees bend to its average where the picture shows them straight).
    absolute = relative_camera + translation[:, None]
    leaned = shins_leaned_from_image(absolute, points.body_rays, points.body_weights, fps)
    leaned = legs_straightened_where_the_picture_shows_them_straight(leaned, points.body_rays, points.body_weights, fps)
    leaned = leaned - translation[:, None]
    leaned = np.where(np.isfinite(leaned), leaned, relative_camera)
    skeleton, rotations = solve_pose_rotations(leaned @ provisional.T, np.linalg.norm(skeleton.offsets, axis=1), confident)
    relative_camera = positions_from_world_rotations(skeleton, rotations) @ provisional
    translation, residual = reproject_translation(relative_camera, points.body_rays, points.body_weights, prior=prior)
    # The legs carry most of the body's image size: where fewer than 3 of the knees and ankles are seen (the
    # performer half out of the frame, a detector still acquiring them) the depth is taken from the neighbours.
    legs_seen = (points.body_weights[:, [LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE]] > 0).sum(axis=1) >= 3
    if legs_seen.any():
        translation[~legs_seen] = np.nan
    translation = smooth_translation(translation, fps)
    absolute = relative_camera + translation[:, None]
    feet = [LEFT_ANKLE, RIGHT_ANKLE]  # Animation.contacts order
    ankles = absolute[:, feet]
    level = landmark_ankle_height(skeleton)  # the ankle landmark's height over the floor (grounding.py)

    progress(3, 5, "floor and contacts")
    up = provisional[2]  # the body's vertical: the prior where the footprints do not span the floor
    ends = max(1, int(round(TRAVEL_END_SECONDS * fps)))
    travel = translation[-ends:].mean(axis=0) - translation[:ends].mean(axis=0)  # the root moves along the floor
    heights = ankles @ up
    above = heights - heights.min(axis=1, keepdims=True)  # first pass: "low" = the lower foot
    floor, scene = None, None
    if world is not None:  # the shared floor: first the "lower foot" contacts, then the scale they imply
        floor = world.floor()
        found = image_contacts(points.foot_pixels, ankles[..., 2], above, camera.focal_px, fps, contact_thresholds)
        heel, toe = found.heel, found.toe
        factor = floor_scale(ankles, heel, floor, level)
        if SHARED_FLOOR_HEIGHTS_M[0] <= height_m * factor <= SHARED_FLOOR_HEIGHTS_M[1]:
            skeleton, _ = scaled_skeleton(skeleton, height_m * factor)  # already at height_m: now times factor
            scale, level, height_m = scale * factor, level * factor, height_m * factor
            relative_camera, translation, ankles = relative_camera * factor, translation * factor, ankles * factor
        elif heel.any():  # on another level (a roof, a stage): the shared up axis, their own floor height
            floor = Floor(floor.normal, float(np.median(ankles[heel] @ floor.normal)) - level, "shared up, own level")
        above = ankles @ floor.normal - floor.offset - level
        found = image_contacts(points.foot_pixels, ankles[..., 2], above, camera.focal_px, fps, contact_thresholds)
        heel, toe = found.heel, found.toe
    for _ in range(2 if world is None else 0):
        found = image_contacts(points.foot_pixels, ankles[..., 2], above, camera.focal_px, fps, contact_thresholds)
        heel, toe = found.heel, found.toe
        balance = balance_vertical(relative_camera, heel, toe, up, fps)
        prior = up if balance is None else balance
        scene = None if lines is None else scene_up(lines, camera.intrinsics_matrix(), prior)
        centres, counts = footprint_centres(ankles, heel)
        floor = fit_floor(centres, np.minimum(counts / (FULL_FOOTPRINT_SECONDS * fps), 1.0), prior, level, travel,
                          planted_points=ankles[heel], scene=scene)
        if not np.isfinite(floor.offset):
            break
        above = ankle_heights_for_contacts(ankles @ floor.normal - floor.offset - level)
    if world is None and (floor is None or not np.isfinite(floor.offset) or not heel.any()):
        warnings.warn("no foot is ever planted on the floor in the 2D keypoints (the performer never touches "
                      "the ground, or sits or lies): the root path and floor come from the lifter's depth instead",
                      stacklevel=2)
        fallback = solve_animation(motion, bone_lengths, progress)
        extras = {**fallback.extras, "grounding": np.array("lifter depth: no planted foot found")}
        return Animation(fallback.skeleton, fallback.local_quats_xyzw, fallback.root_positions, fps,
                         fallback.contacts, extras)

    progress(4, 5, "root path")
    if world is None:
        world_from_camera = world_frame_from_up(joints, floor.normal, fps, floor.source).world_from_camera
        start = world_from_camera @ translation[0]
        origin = np.array([-start[0], -start[1], -floor.offset])  # world = R @ camera + origin
        if origin[2] < -UNDER_FLOOR_CAMERA_M:
            warnings.warn(f"the camera comes out {-origin[2]:.2f} m under the floor the planted feet stand on: seated or "
                          "lying throughout (the floor then comes from a body that does not stand on its feet), or a "
                          "stage above the camera? The up axis and the floor may be wrong", stacklevel=2)
    else:
        world_from_camera = world.world_from_camera
        level_z = floor.offset + world.camera_position[2]  # this person's floor in the shared world (0: the same)
        origin = world.camera_position - np.array([0.0, 0.0, level_z])  # solved on their floor, raised after
    relative_world = relative_camera @ world_from_camera.T
    reprojected = translation @ world_from_camera.T + origin
    distance = np.linalg.norm(translation, axis=1)
    rays = translation / np.maximum(distance, 1e-9)[:, None] @ world_from_camera.T
    seated = seated_runs(relative_world, heel[:, 0] & heel[:, 1], np.array([0.0, 0.0, 1.0]), fps, STANDING_SECONDS)
    if seated.any():
        warnings.warn(f"the performer seems not to stand on the feet in frames {frame_ranges(seated)} (seated? the centre "
                      f"of mass is over {MAX_BALANCE_LEAN_DEGREES:.0f} degrees off the vertical over both planted feet): "
                      "there the body is not balanced over the feet and the up axis does not come from it",
                      stacklevel=2)
    # Standing on both feet a while (standing, squatting), the centre of mass stays over them along the line of
    # sight too, which the picture does not show (grounding.balance_turns; not where seated).
    balanced = balanced_frames(relative_world, heel[:, 0] & heel[:, 1], fps)  # turned here, held by the feet below
    turns, pivots = balance_turns(relative_world, rays, heel[:, 0] & heel[:, 1], fps, balanced)
    turned = np.einsum("fij,fkj->fki", turns, relative_world - pivots[:, None]) + pivots[:, None]
    relative_world, reprojected = turned - turned[:, [PELVIS]], reprojected + turned[:, PELVIS]
    rotations = np.einsum("fij,fkjl->fkil", turns @ (world_from_camera @ provisional.T), rotations)
    quats = local_quaternions(rotations, skeleton.parents)
    ankle_rays, toe_rays = (camera.rays(points.foot_pixels[:, :, point]) @ world_from_camera.T for point in (0, 2))
    toe_rays[found.toe_dragged] = np.nan  # a toe point the detector moved off the foot does not say where it stands
    # Footprints on their ankles' rays only on a floor found from them: the body's vertical (the fallback) is a
    # guess whose tilt would move every footprint along its ray (sports2d in place: 48 -> 57 cm of drift).
    on_rays = floor.source != "body"
    off_floor = off_floor_footprints(reprojected, relative_world[:, feet], heel | toe, level)
    if off_floor.any():
        warnings.warn(f"the feet stand on another level than the floor in frames {frame_ranges(off_floor.any(axis=1))} "
                      "(a step off a roof or a stage?): there the root follows the reprojection, not the floor",
                      stacklevel=2)
    # Where the detector moved a planted foot's ankle point, the lifted leg went with it: those frames do not
    # carry the root, nor place the footprint (the foot lock still holds the foot, contact.dragged_frames).
    root = solve_root_path(reprojected, rays, distance, relative_world[:, feet], heel, level, fps,
                           ankle_rays=ankle_rays if on_rays else None, camera_position=origin, toe_pinned=toe,
                           off_floor=off_floor, toe_rays=toe_rays if on_rays else None,
                           toe_offsets=toe_offsets(relative_world, leg_length(skeleton)), balanced=balanced,
                           unsure=found.heel_dragged)
    if world is not None:
        root, origin = root + np.array([0.0, 0.0, level_z]), world.camera_position
    progress(5, 5, "solved")
    extras = {
        "world_from_camera": world_from_camera,
        "filled_frames": filled,
        "up_source": np.array(floor.source),
        "scene_vertical_lines": np.array(0 if scene is None else scene.lines),  # lines that set the floor's prior
        "fit_error_m": fit_error,
        "heel_contacts": heel,
        "toe_contacts": toe,
        "camera_position": origin,
        "root_camera": (root - origin) @ world_from_camera,  # the root path back in the camera frame
        "camera_focal_px": np.array(camera.focal_px),
        "camera_frame_px": np.array([camera.width, camera.height]),  # the video's frame size, pixels
        "camera_focal_source": np.array(camera.focal_source),
        "height_scale": np.array(scale),
        "ankle_height_m": np.array(level),
        "reprojection_error_m": residual,
        "off_floor_frames": off_floor,
        "grounding": np.array(f"{'static' if camera_rotations is None else 'turning'} camera: reprojection, "
                              + ("floor from planted feet" if world is None else
                                 "the shared floor of the clip (height from it)")),
    }
    if camera_rotations is not None:
        extras["camera_turns"] = camera_rotations  # frame t's camera frame -> the first frame's (world_from_camera's)
    if world is not None:
        extras["height_m"] = np.array(height_m)
    return Animation(skeleton, quats, root, fps, heel, extras=extras)


def motion_in_world(motion: Motion3D, keypoints: Keypoints2D | None = None, camera: PinholeCamera | None = None,
                    height_m: float = DEFAULT_HEIGHT_M) -> tuple[np.ndarray, np.ndarray]:
    """The joints of the animation the retargeter makes from the same inputs (:func:`solve_grounded_animation`
    with ``keypoints``: its constant bone lengths, leg angles and balance; else the lifted joints as they are
    on :func:`solve_animation`'s root path): (frames, 17, 3) H36M17 order, metres, Z up, floor at z = 0; and
    the (3, 3) ``world_from_camera``. The preview draws this, so the picture shows the exported clip's pose
    on its floor and up axis (before foot locking and smoothing, which the export options choose)."""
    if keypoints is None:
        animation = solve_animation(motion)
    else:
        with warnings.catch_warnings():  # the retargeter itself says it (once) when grounding fails
            warnings.simplefilter("ignore")
            animation = solve_grounded_animation(motion, keypoints, camera, height_m)
    world_from_camera = animation.extras["world_from_camera"]
    if keypoints is not None and "camera_position" in animation.extras:
        names = animation.skeleton.names
        return animation.world_positions()[:, [names.index(name) for name in H36M17.names]], world_from_camera
    scale = float(animation.extras.get("height_scale", 1.0))
    joints = np.asarray(motion.joints_3d, dtype=np.float64)
    relative = (joints - joints[:, [PELVIS]]) * scale @ world_from_camera.T
    return relative + animation.root_positions[:, None, :], world_from_camera
