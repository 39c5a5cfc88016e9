"""Synthetic 3D motions with known ground truth, for the retargeting tests and benchmark.

- :func:`random_smooth_motion`: forward kinematics of smooth random local rotations on a fixed,
  realistic H36M17 skeleton (constant bone lengths by construction);
- :func:`walking_motion`: a walk whose stance feet are planted (feet scripted, knees by two-bone IK);
- :func:`to_camera`: world-frame joints -> a Motion3D seen by a tilted camera in front of the performer.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from videopose.core.animation import Skeleton, forward_kinematics
from videopose.retarget.ik import two_bone_ik
from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17

# A symmetric adult (metres, Z up, facing -Y, left +X); hips set low and back, shoulders low and back,
# the neck leaning forward: rest shapes unlike the solver's own so tests show they are measured.
_OFFSETS = {
    "pelvis": (0, 0, 0), "right_hip": (-0.13, 0.01, -0.05), "right_knee": (0, -0.02, -0.44),
    "right_ankle": (0, 0.03, -0.44), "left_hip": (0.13, 0.01, -0.05), "left_knee": (0, -0.02, -0.44),
    "left_ankle": (0, 0.03, -0.44), "spine": (0, -0.01, 0.23), "thorax": (0, 0.02, 0.25),
    "neck_nose": (0, -0.06, 0.10), "head": (0, 0.03, 0.12), "left_shoulder": (0.15, 0.02, -0.03),
    "left_elbow": (0.28, 0, 0), "left_wrist": (0.25, 0, 0), "right_shoulder": (-0.15, 0.02, -0.03),
    "right_elbow": (-0.28, 0, 0), "right_wrist": (-0.25, 0, 0),
}


def reference_skeleton() -> Skeleton:
    """The fixed H36M17 skeleton the synthetic motions are made on."""
    return Skeleton(H36M17.names, H36M17.parents, np.array([_OFFSETS[name] for name in H36M17.names], dtype=float))


def random_smooth_motion(frames: int, seed: int = 0, amplitude: float = 0.6, smoothness_frames: float = 6.0,
                         skeleton: Skeleton | None = None) -> np.ndarray:
    """(frames, 17, 3) world joints: FK of smooth random local rotations (rotation vectors of about
    ``amplitude`` rad, Gaussian-smoothed over ``smoothness_frames``), pelvis fixed at 1 m height."""
    skeleton = skeleton or reference_skeleton()
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(frames, skeleton.num_joints, 3))
    rotvecs = gaussian_filter1d(noise, smoothness_frames, axis=0, mode="nearest")
    rotvecs *= amplitude / max(np.std(rotvecs), 1e-9)
    quats = Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_quat().reshape(frames, skeleton.num_joints, 4)
    root = np.tile([0.0, 0.0, 1.0], (frames, 1))
    return forward_kinematics(skeleton, quats, root)[0]


def walking_motion(frames: int, fps: float = 30.0, speed: float = 1.2, cycle_seconds: float = 1.1,
                   skeleton: Skeleton | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A walk along -Y with planted stance feet -> world joints (frames, 17, 3) and true contacts
    (frames, 2: left, right) bool. Feet are in stance 60% of each cycle, swinging 8 cm high otherwise."""
    skeleton = skeleton or reference_skeleton()
    index = {name: i for i, name in enumerate(skeleton.names)}
    offsets = skeleton.offsets
    time = np.arange(frames) / fps
    stride = speed * cycle_seconds
    thigh, shin = np.linalg.norm(offsets[index["left_knee"]]), np.linalg.norm(offsets[index["left_ankle"]])
    ankle_height = 0.08
    pelvis = np.zeros((frames, 3))
    pelvis[:, 1] = -speed * time
    pelvis[:, 2] = ankle_height + 0.88 * (thigh + shin) + 0.015 * np.cos(4 * np.pi * time / cycle_seconds)
    joints = np.zeros((frames, 17, 3))
    contacts = np.zeros((frames, 2), dtype=bool)
    yaw = 0.08 * np.sin(2 * np.pi * time / cycle_seconds)
    pelvis_rotation = Rotation.from_euler("z", yaw[:, None])
    joints[:, index["pelvis"]] = pelvis
    for name in ("right_hip", "left_hip", "spine"):
        joints[:, index[name]] = pelvis + pelvis_rotation.apply(offsets[index[name]])
    for column, (side, phase) in enumerate((("left", 0.0), ("right", 0.5))):
        cycle = (time / cycle_seconds + phase) % 1.0
        cycles_done = np.floor(time / cycle_seconds + phase)
        stance = cycle < 0.6
        swing_progress = np.clip((cycle - 0.6) / 0.4, 0, 1)
        eased = 0.5 - 0.5 * np.cos(np.pi * swing_progress)
        # Stance foot sits where the pelvis is mid-stance; it moves one stride forward during the swing.
        foot_y = -stride * (cycles_done + np.where(stance, 0.0, eased)) - stride * (0.3 - phase)
        hip = joints[:, index[f"{side}_hip"]]
        ankle = np.stack([hip[:, 0], foot_y, ankle_height + np.where(stance, 0.0, 0.08 * np.sin(np.pi * swing_progress))], 1)
        knee, ankle = two_bone_ik(hip, hip + np.array([0, -0.1, -0.3]), ankle, thigh, shin,
                                  np.tile([0.0, -1.0, 0.0], (frames, 1)))
        joints[:, index[f"{side}_knee"]] = knee
        joints[:, index[f"{side}_ankle"]] = ankle
        contacts[:, column] = stance
    chest = Rotation.from_euler("z", -0.6 * yaw[:, None])
    joints[:, index["thorax"]] = joints[:, index["spine"]] + chest.apply(offsets[index["thorax"]])
    for name in ("neck_nose", "left_shoulder", "right_shoulder"):
        parent = skeleton.parents[index[name]]
        joints[:, index[name]] = joints[:, parent] + chest.apply(offsets[index[name]])
    joints[:, index["head"]] = joints[:, index["neck_nose"]] + chest.apply(offsets[index["head"]])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        swing_angle = 0.35 * sign * np.sin(2 * np.pi * time / cycle_seconds)
        down = Rotation.from_euler("y", np.full((frames, 1), sign * 1.35))  # arms hang ~77 degrees below horizontal
        upper = chest * Rotation.from_euler("x", swing_angle[:, None]) * down
        lower = upper * Rotation.from_euler("z", np.full((frames, 1), sign * -0.3))
        shoulder = joints[:, index[f"{side}_shoulder"]]
        joints[:, index[f"{side}_elbow"]] = shoulder + upper.apply(offsets[index[f"{side}_elbow"]])
        joints[:, index[f"{side}_wrist"]] = joints[:, index[f"{side}_elbow"]] + lower.apply(offsets[index[f"{side}_wrist"]])
    return joints, contacts


def camera_from_world(pitch_degrees: float = 12.0, roll_degrees: float = 4.0, yaw_degrees: float = 25.0) -> np.ndarray:
    """(3, 3) rotation of a camera looking along world +Y (at a performer facing -Y), tilted down by
    ``pitch``, rolled and turned by ``yaw`` about the vertical."""
    level = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # x right, y down, z forward
    tilt = Rotation.from_euler("xz", [-pitch_degrees, roll_degrees], degrees=True).as_matrix()
    turn = Rotation.from_euler("z", yaw_degrees, degrees=True).as_matrix()
    return tilt @ level @ turn


def to_camera(world_joints: np.ndarray, fps: float = 30.0, rotation: np.ndarray | None = None,
              distance: float = 4.0, noise_m: float = 0.0, seed: int = 0, trajectory: bool = True) -> Motion3D:
    """World joints (frames, 17, 3) -> Motion3D in a camera ``distance`` metres in front of the start,
    with Gaussian noise of ``noise_m`` metres per coordinate; root-relative joints + trajectory."""
    rotation = camera_from_world() if rotation is None else rotation
    centre = world_joints[0, 0] + np.array([0.0, -distance, 0.3])
    camera = (world_joints - centre) @ rotation.T
    if noise_m > 0:
        camera = camera + np.random.default_rng(seed).normal(scale=noise_m, size=camera.shape)
    relative = camera - camera[:, :1]
    return Motion3D(relative.astype(np.float32), fps, trajectory=camera[:, 0].astype(np.float32) if trajectory else None)
