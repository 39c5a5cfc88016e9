"""Synthetic Animations for the add-on tests: a human-sized H36M17 skeleton moving smoothly."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton
from videopose.core.layouts import H36M17

# Rest pose (Z up, performer facing -Y, arms out to the sides: +X is the performer's left), metres.
_REST_OFFSETS = {
    "pelvis": (0, 0, 0), "right_hip": (-0.12, 0, 0), "right_knee": (0, 0, -0.44), "right_ankle": (0, 0, -0.44),
    "left_hip": (0.12, 0, 0), "left_knee": (0, 0, -0.44), "left_ankle": (0, 0, -0.44),
    "spine": (0, 0, 0.23), "thorax": (0, 0, 0.25), "neck_nose": (0, -0.05, 0.12), "head": (0, 0.02, 0.12),
    "left_shoulder": (0.16, 0, -0.02), "left_elbow": (0.28, 0, 0), "left_wrist": (0.25, 0, 0),
    "right_shoulder": (-0.16, 0, -0.02), "right_elbow": (-0.28, 0, 0), "right_wrist": (-0.25, 0, 0),
}


def h36m_skeleton() -> Skeleton:
    return Skeleton(H36M17.names, H36M17.parents, np.array([_REST_OFFSETS[n] for n in H36M17.names], float))


def smooth_animation(frames: int = 120, fps: float = 30.0, seed: int = 0, amplitude: float = 0.8,
                     skeleton: Skeleton | None = None) -> Animation:
    """Sums of slow sines as rotation vectors per joint (up to ~``amplitude`` rad), a walking root."""
    skeleton = skeleton or h36m_skeleton()
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / fps
    frequencies = rng.uniform(0.2, 1.5, size=(1, skeleton.num_joints, 3))
    phases = rng.uniform(0, 2 * np.pi, size=(1, skeleton.num_joints, 3))
    rotvecs = amplitude * np.sin(2 * np.pi * frequencies * t + phases) / np.sqrt(3)
    quats = Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_quat().reshape(frames, skeleton.num_joints, 4)
    time = t[:, 0, 0]
    roots = np.column_stack([0.6 * time, 0.3 * np.sin(time), 0.95 + 0.03 * np.sin(4 * time)])
    return Animation(skeleton, quats, roots, fps)
