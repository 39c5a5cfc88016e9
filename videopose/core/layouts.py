"""Joint layouts: names, drawing edges and left/right symmetry.

Names are shared across layouts where they mean the same point (``left_wrist`` in COCO,
OpenPose and MediaPipe), so converting between 2D layouts is a lookup by name
(:func:`convert_layout`).  ``left``/``right`` are the performer's own sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from videopose.core.errors import VideoposeError


@dataclass(frozen=True)
class Layout:
    """A joint layout: ``names[i]`` is joint ``i``; ``edges`` are (joint, joint) pairs to draw."""

    name: str
    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    parents: tuple[int, ...] | None = None  # a tree (root = -1) where the layout is a skeleton

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, joint_name: str) -> int:
        try:
            return self.names.index(joint_name)
        except ValueError:
            raise VideoposeError(f"layout {self.name} has no joint {joint_name!r}") from None

    def mirror_permutation(self) -> np.ndarray:
        """(joints,) index array that swaps every ``left_*`` joint with its ``right_*`` twin."""
        permutation = np.arange(self.num_joints)
        swap = {"left": "right", "right": "left"}
        for i, joint_name in enumerate(self.names):
            twin = "_".join(swap.get(token, token) for token in joint_name.split("_"))
            if twin != joint_name and twin in self.names:
                permutation[i] = self.names.index(twin)
        return permutation

    def side_indices(self, side: str) -> np.ndarray:
        """Indices of the joints on one side (``"left"`` or ``"right"``)."""
        return np.array([i for i, n in enumerate(self.names) if n.startswith(side + "_")], dtype=np.int64)


def _edges_from_parents(parents: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((parent, child) for child, parent in enumerate(parents) if parent >= 0)


def _edges_by_name(names: tuple[str, ...], pairs: list[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((names.index(a), names.index(b)) for a, b in pairs if a in names and b in names)


_LIMB_PAIRS = [
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    ("neck", "nose"), ("neck", "left_shoulder"), ("neck", "right_shoulder"), ("neck", "mid_hip"),
    ("mid_hip", "left_hip"), ("mid_hip", "right_hip"),
    ("left_ankle", "left_heel"), ("left_heel", "left_big_toe"), ("left_ankle", "left_big_toe"),
    ("left_big_toe", "left_small_toe"),
    ("right_ankle", "right_heel"), ("right_heel", "right_big_toe"), ("right_ankle", "right_big_toe"),
    ("right_big_toe", "right_small_toe"),
    ("left_ankle", "left_foot_index"), ("left_heel", "left_foot_index"),
    ("right_ankle", "right_foot_index"), ("right_heel", "right_foot_index"),
    ("left_wrist", "left_pinky"), ("left_wrist", "left_index"), ("left_wrist", "left_thumb"),
    ("right_wrist", "right_pinky"), ("right_wrist", "right_index"), ("right_wrist", "right_thumb"),
    ("head", "neck"), ("mouth_left", "mouth_right"),
]

# Human3.6M's 17 joints in VideoPose3D's order (the 3D output layout of the lifter).
_H36M_NAMES = (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "spine", "thorax", "neck_nose", "head",
    "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
)
_H36M_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
H36M17 = Layout("h36m17", _H36M_NAMES, _edges_from_parents(_H36M_PARENTS), _H36M_PARENTS)

_COCO_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
COCO17 = Layout("coco17", _COCO_NAMES, _edges_by_name(_COCO_NAMES, _LIMB_PAIRS))

_MEDIAPIPE_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
MEDIAPIPE33 = Layout("mediapipe33", _MEDIAPIPE_NAMES, _edges_by_name(_MEDIAPIPE_NAMES, _LIMB_PAIRS))

_BODY25_NAMES = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
    "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
    "left_heel", "right_big_toe", "right_small_toe", "right_heel",
)
BODY25 = Layout("body25", _BODY25_NAMES, _edges_by_name(_BODY25_NAMES, _LIMB_PAIRS))

_COCO18_NAMES = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
COCO18 = Layout("coco18", _COCO18_NAMES, _edges_by_name(_COCO18_NAMES, _LIMB_PAIRS))

_HALPE26_NAMES = _COCO_NAMES + (
    "head", "neck", "mid_hip", "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)
HALPE26 = Layout("halpe26", _HALPE26_NAMES, _edges_by_name(_HALPE26_NAMES, _LIMB_PAIRS))

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (H36M17, COCO17, MEDIAPIPE33, BODY25, COCO18, HALPE26)}


def get_layout(name: str) -> Layout:
    """The layout called ``name``, or a clear error listing the known ones."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise VideoposeError(f"unknown joint layout {name!r}; known layouts: {', '.join(sorted(LAYOUTS))}") from None


def convert_layout(
    keypoints: np.ndarray, scores: np.ndarray, source: Layout, target: Layout
) -> tuple[np.ndarray, np.ndarray]:
    """Re-order (frames, source joints, D) keypoints and (frames, source joints) scores into ``target``.

    Joints are matched by name; a target joint the source lacks is an error, since a silently
    missing joint would poison the lifter.
    """
    missing = [name for name in target.names if name not in source.names]
    if missing:
        raise VideoposeError(
            f"cannot convert {source.name} keypoints to {target.name}: {source.name} has no {', '.join(missing)}"
        )
    order = np.array([source.names.index(name) for name in target.names])
    return keypoints[:, order], scores[:, order]


# ------------------------------------------------------------------------------- sides from names

def _side_of_name(name: str, names: frozenset[str]) -> int:
    short = name.split(":")[-1]                       # "mixamorig:LeftArm" -> "LeftArm"
    lower = short.lower()
    if "left" in lower:                               # left_hip, LeftUpLeg, Left_Knee
        return -1
    if "right" in lower:
        return 1
    tokens = set(re.split(r"[^a-z0-9]+", lower))      # thigh.L, thigh_l, L_Hip, CC_Base_L_Thigh
    if "l" in tokens:
        return -1
    if "r" in tokens:
        return 1
    # A bare one-letter prefix (CMU's lfemur / rfemur) only when the mirrored joint exists.
    prefix = name[: len(name) - len(short)]
    for letter, side, twin_letter in (("l", -1, "r"), ("r", 1, "l")):
        if len(lower) > 2 and lower[0] == letter and lower[1].isalpha():
            twin = (twin_letter.upper() if short[0].isupper() else twin_letter) + short[1:]
            if prefix + twin in names:
                return side
    return 0


def joint_sides(names: Sequence[str]) -> np.ndarray:
    """(joints,) -1 for the performer's left, +1 for right, 0 for the centre line, from joint names.

    Understands ``left_hip``, ``LeftUpLeg``, ``mixamorig:LeftArm``, one-letter words (``thigh.L``,
    ``thigh_l``, ``L_Hip``, ``CC_Base_L_Thigh``) and, when the mirrored joint exists, one-letter
    prefixes (CMU's ``lfemur``/``rfemur``).
    """
    name_set = frozenset(names)
    return np.array([_side_of_name(name, name_set) for name in names], dtype=np.int64)
