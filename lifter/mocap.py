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
    eyes: tuple[str, str]


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
}


def detect_skeleton_type(joint_names: tuple[str, ...]) -> str:
    """The :data:`SKELETON_MAPS` key whose joints all exist in ``joint_names``."""
    names = set(joint_names)
    for key, mapping in SKELETON_MAPS.items():
        needed = {*mapping.thighs, *mapping.knees, *mapping.ankles, *mapping.shoulders, *mapping.elbows,
                  *mapping.wrists, *mapping.spine, mapping.neck_base, mapping.head, *mapping.eyes}
        if needed <= names:
            return key
    raise VideoposeError(
        "BVH skeleton is not a supported type (daz: hip/lThigh/lShldr/head/leftEye..., "
        f"cc: CC_Base_*); it has joints {', '.join(list(joint_names)[:12])}..."
    )


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


def mocap_points(animation: Animation, skeleton_type: str | None = None) -> np.ndarray:
    """Animation -> (frames, 22, 3) world positions of :data:`MOCAP_NAMES` (H36M17 then face points)."""
    names = animation.skeleton.names
    mapping = SKELETON_MAPS[skeleton_type or detect_skeleton_type(names)]
    positions = animation.world_positions()

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
    eye_mid, left, up, forward = head_frame(point(mapping.head), *pair(mapping.eyes))
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
