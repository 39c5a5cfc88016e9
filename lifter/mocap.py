"""Motion-capture skeletons (BVH) -> Human3.6M 17 joints plus the COCO face points, in metres.

The training targets are the H36M17 joints (``videopose.core.layouts.H36M17``); the 2D detector layout
(COCO17) adds five face points. Both come from one array of :data:`MOCAP_NAMES` points per frame.

How each H36M point is defined on a BVH skeleton (same for every supported skeleton type):

- ``left_hip``/``right_hip``: the leg roots (thigh joints); ``pelvis``: their midpoint (H36M's root).
- knees, ankles, shoulders, elbows, wrists: the shin/calf, foot, upper-arm, forearm and hand joints.
- ``thorax``: the base of the neck (the neck joint); ``spine``: mid-torso (see the table below).
- Face, from the head's pose: the eye joints give the eye midpoint ``E`` and the ``left`` axis;
  on both skeletons the eye midpoint lies 45 degrees between the head's up and forward axes as
  seen from the head joint, which gives ``up`` and ``forward``. Then (metres, head frame):
  ``nose`` = E + 0.035 forward - 0.04 up; ``left_eye``/``right_eye`` = E +- 0.032 left (the eye joints
  are eyeball centres, the detector marks the visible eye); ``left_ear``/``right_ear`` = E +- 0.075 left
  - 0.08 forward - 0.01 up; ``neck_nose`` (H36M joint 9, between chin and nose) = E - 0.04 up;
  ``head`` (H36M joint 10, top of the head) = E + 0.10 up - 0.03 forward.
- ASF skeletons (CMU and HDM05 ASF/AMC read by ``videopose.core.asf_amc``, and the ``asfbvh`` BVH that keeps
  the ASF bone names) have no eye joints: a joint sits at the *start* of its bone, so the hips are
  ``lfemur``/``rfemur``, knees ``ltibia``, ankles ``lfoot``, shoulders ``lhumerus``, elbows ``lradius``,
  wrists ``lwrist``, spine the mean of ``upperback`` and ``thorax``, neck base ``lowerneck``. The head's
  axes are the ``head`` bone's rest axes (up: along the bone; left: the shoulder line) turned by its
  world rotation, and the eye midpoint is ``E`` = head end (the crown) - 0.10 up + 0.06 forward; the
  face points then follow the formulas above.

Every skeleton type here: ``daz``, ``cc``, ``asf``, ``asfbvh`` (HDM05 is ``asf``). A file whose skeleton lacks a
joint its type needs raises a :class:`VideoposeError` naming the joint (callers add the file).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videopose.core.animation import Animation
from videopose.core.errors import VideoposeError
from videopose.core.layouts import COCO17, H36M17

FACE_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
MOCAP_NAMES = H36M17.names + FACE_NAMES
# Indices of the COCO17 points inside MOCAP_NAMES (COCO's hips are the leg roots, as in H36M).
COCO_FROM_MOCAP = np.array([MOCAP_NAMES.index(name) for name in COCO17.names])


@dataclass(frozen=True)
class SkeletonMap:
    """Which BVH joints give each body point of one skeleton type."""

    name: str
    thighs: tuple[str, str]  # left, right
    knees: tuple[str, str]
    ankles: tuple[str, str]
    shoulders: tuple[str, str]
    elbows: tuple[str, str]
    wrists: tuple[str, str]
    spine: tuple[str, ...]  # averaged
    neck_base: str
    head: str
    eyes: tuple[str, str] | None  # None: the face comes from the head bone's rotation (ASF skeletons)
    root: str | None = None  # a root joint name that tells this type apart from a same-named one
    head_end: str | None = None  # the head bone's end (ASF skeletons)

    def needed(self) -> tuple[str, ...]:
        """Every joint name this type reads."""
        names = (*self.thighs, *self.knees, *self.ankles, *self.shoulders, *self.elbows, *self.wrists,
                 *self.spine, self.neck_base, self.head, *(self.eyes or ()), *(n for n in (self.root, self.head_end) if n))
        return tuple(names)


SKELETON_MAPS = {
    "daz": SkeletonMap(
        "daz", ("lThigh", "rThigh"), ("lShin", "rShin"), ("lFoot", "rFoot"), ("lShldr", "rShldr"),
        ("lForeArm", "rForeArm"), ("lHand", "rHand"), ("abdomen", "chest"), "neck", "head", ("leftEye", "rightEye"),
    ),
    "cc": SkeletonMap(
        "cc", ("CC_Base_L_Thigh", "CC_Base_R_Thigh"), ("CC_Base_L_Calf", "CC_Base_R_Calf"),
        ("CC_Base_L_Foot", "CC_Base_R_Foot"), ("CC_Base_L_Upperarm", "CC_Base_R_Upperarm"),
        ("CC_Base_L_Forearm", "CC_Base_R_Forearm"), ("CC_Base_L_Hand", "CC_Base_R_Hand"), ("CC_Base_Spine02",),
        "CC_Base_NeckTwist01", "CC_Base_Head", ("CC_Base_L_Eye", "CC_Base_R_Eye"),
    ),
    **{key: SkeletonMap(
        key, ("lfemur", "rfemur"), ("ltibia", "rtibia"), ("lfoot", "rfoot"), ("lhumerus", "rhumerus"),
        ("lradius", "rradius"), ("lwrist", "rwrist"), ("upperback", "thorax"), "lowerneck", "head", None,
        root=root, head_end="head_end",
    ) for key, root in (("asf", "root"), ("asfbvh", "hip"))},
}
# Metres per ASF length unit (``:units length 0.45``: 1 unit = 1/0.45 inch), for BVH files in ASF units.
ASF_UNIT_M = 0.0254 / 0.45


def detect_skeleton_type(joint_names: tuple[str, ...]) -> str:
    """The :data:`SKELETON_MAPS` key whose joints all exist in ``joint_names``."""
    names = set(joint_names)
    for key, mapping in SKELETON_MAPS.items():
        if set(mapping.needed()) <= names and (mapping.root is None or joint_names[0] == mapping.root):
            return key
    raise VideoposeError(
        "BVH skeleton is not a supported type (daz: hip/lThigh/lShldr/head/leftEye..., "
        f"cc: CC_Base_*, asf/asfbvh: lfemur/ltibia/lhumerus/head...); it has joints {', '.join(list(joint_names)[:12])}..."
    )


def check_skeleton(joint_names: tuple[str, ...], skeleton_type: str) -> None:
    """Raise a VideoposeError naming the joints ``skeleton_type`` needs that ``joint_names`` lacks."""
    if skeleton_type not in SKELETON_MAPS:
        raise VideoposeError(f"unknown skeleton type {skeleton_type!r}; supported: {', '.join(SKELETON_MAPS)}")
    missing = [name for name in SKELETON_MAPS[skeleton_type].needed() if name not in joint_names and
               name != SKELETON_MAPS[skeleton_type].root]
    if missing:
        raise VideoposeError(f"the {skeleton_type} skeleton needs joint(s) {', '.join(missing)}, which this file lacks")


def _normalize(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def head_frame(head: np.ndarray, left_eye: np.ndarray, right_eye: np.ndarray) -> tuple[np.ndarray, ...]:
    """(frames, 3) head joint and eye joints -> eye midpoint, left, up, forward unit axes, each (frames, 3)."""
    eye_mid = (left_eye + right_eye) / 2
    left = _normalize(left_eye - right_eye)
    towards_eyes = eye_mid - head
    towards_eyes = _normalize(towards_eyes - (towards_eyes * left).sum(-1, keepdims=True) * left)
    # towards_eyes = (up + forward)/sqrt(2). With left x forward = up (left = up x forward, right-handed),
    # towards_eyes x left = (forward x left + up x left)/sqrt(2) = (up - forward)/sqrt(2): the sum and
    # difference of the two give the axes.
    partner = np.cross(towards_eyes, left)
    forward = _normalize(towards_eyes - partner)
    up = _normalize(towards_eyes + partner)
    return eye_mid, left, up, forward


def bone_axes(animation: Animation, rotations: np.ndarray, mapping: SkeletonMap) -> tuple[np.ndarray, ...]:
    """The head's left, up, forward unit axes (frames, 3) each, from the head bone's world rotation
    ``rotations`` (frames, joints, 3, 3) and its rest axes (up along the bone, left the shoulder line)."""
    rest = animation.skeleton.rest_positions()
    names = animation.skeleton.names
    up = _normalize(rest[names.index(mapping.head_end)] - rest[names.index(mapping.head)])
    left = rest[names.index(mapping.shoulders[0])] - rest[names.index(mapping.shoulders[1])]
    left = _normalize(left - (left @ up) * up)
    forward = np.cross(left, up)
    head = rotations[:, names.index(mapping.head)]
    return head @ left, head @ up, head @ forward


def mocap_points(animation: Animation, skeleton_type: str | None = None) -> np.ndarray:
    """Animation -> (frames, 22, 3) world positions of :data:`MOCAP_NAMES` (H36M17 then face points)."""
    names = animation.skeleton.names
    skeleton_type = skeleton_type or detect_skeleton_type(names)
    check_skeleton(names, skeleton_type)
    mapping = SKELETON_MAPS[skeleton_type]
    positions, rotations = animation.world_transforms()

    def point(name: str) -> np.ndarray:
        return positions[:, names.index(name)]

    def pair(joints: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
        return point(joints[0]), point(joints[1])

    left_hip, right_hip = pair(mapping.thighs)
    left_knee, right_knee = pair(mapping.knees)
    left_ankle, right_ankle = pair(mapping.ankles)
    left_shoulder, right_shoulder = pair(mapping.shoulders)
    left_elbow, right_elbow = pair(mapping.elbows)
    left_wrist, right_wrist = pair(mapping.wrists)
    pelvis = (left_hip + right_hip) / 2
    spine = np.mean([point(name) for name in mapping.spine], axis=0)
    thorax = point(mapping.neck_base)
    if mapping.eyes is not None:
        eye_mid, left, up, forward = head_frame(point(mapping.head), *pair(mapping.eyes))
    else:
        left, up, forward = bone_axes(animation, rotations, mapping)
        eye_mid = point(mapping.head_end) - 0.10 * up + 0.06 * forward
    neck_nose = eye_mid - 0.04 * up
    head_top = eye_mid + 0.10 * up - 0.03 * forward
    nose = eye_mid + 0.035 * forward - 0.04 * up
    left_eye, right_eye = eye_mid + 0.032 * left, eye_mid - 0.032 * left
    ear_centre = eye_mid - 0.08 * forward - 0.01 * up
    left_ear, right_ear = ear_centre + 0.075 * left, ear_centre - 0.075 * left
    by_name = dict(
        pelvis=pelvis, right_hip=right_hip, right_knee=right_knee, right_ankle=right_ankle, left_hip=left_hip,
        left_knee=left_knee, left_ankle=left_ankle, spine=spine, thorax=thorax, neck_nose=neck_nose,
        head=head_top, left_shoulder=left_shoulder, left_elbow=left_elbow, left_wrist=left_wrist,
        right_shoulder=right_shoulder, right_elbow=right_elbow, right_wrist=right_wrist, nose=nose,
        left_eye=left_eye, right_eye=right_eye, left_ear=left_ear, right_ear=right_ear,
    )
    return np.stack([by_name[name] for name in MOCAP_NAMES], axis=1)


def h36m_bone_lengths(points: np.ndarray) -> np.ndarray:
    """(frames, >=17, 3) -> (frames, 16) H36M17 bone lengths (child order 1..16)."""
    parents = np.array(H36M17.parents[1:])
    return np.linalg.norm(points[:, 1:17] - points[:, parents], axis=-1)
