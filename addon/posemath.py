"""Bone-space maths between videopose Animations and Blender armatures (numpy only, no bpy).

An :class:`~videopose.core.animation.Animation` stores rotations relative to a rest pose in which every local
rotation is the identity, in world axes. A Blender bone has its own rest frame ``R_rest`` (its Y axis
runs along the bone, the roll turns X/Z about it) and is keyed by a *basis* matrix in that frame:

    pose[b] = pose[parent] @ inv(rest[parent]) @ rest[b] @ basis[b]          (armature space, 4x4)

An animated bone takes the rest frame rotated by the animation's world rotation ``W`` (rotation
relative to rest), ``pose[b] = [W @ R_rest | head]``, so ``basis[b] = inv(rest_local[b]) @ inv(pose[parent])
@ pose[b]``; for a bone whose animated parent is its Blender parent this reduces to
``R_rest^T @ L @ R_rest``, the animation's local rotation ``L`` seen in the bone's own axes. Bones that
the animation does not drive keep an identity basis and follow their parents.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Skeleton, make_continuous
from videopose.core.layouts import joint_sides



def rest_bone_layout(skeleton: Skeleton, min_length: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Edit-bone heads and tails (joints, 3) metres for a skeleton's rest pose, feet on z = 0.

    Heads sit on the joints. A tail points at the joint's child (the centred one, e.g. the spine rather
    than a hip, when there are several); a leaf or a bone whose child sits on its head continues its
    parent's direction with half the parent's length (at least ``min_length``), since Blender drops
    zero-length bones, except a leaf ankle (a foot without toe joints), which points forward (-Y) level
    with its head, as a foot lies, instead of down through the floor.
    """
    heads = skeleton.rest_positions()
    heads = heads - np.array([0.0, 0.0, heads[:, 2].min()])
    tails = np.empty_like(heads)
    sides = joint_sides(skeleton.names)
    for joint in range(skeleton.num_joints):
        children = [c for c in skeleton.children(joint) if np.linalg.norm(heads[c] - heads[joint]) >= min_length]
        centred = [c for c in children if sides[c] == 0]
        if centred or children:
            tails[joint] = heads[(centred or children)[0]]
            continue
        parent = skeleton.parents[joint]
        direction = heads[joint] - heads[parent] if parent >= 0 else np.zeros(3)
        length = np.linalg.norm(direction)
        if length < 1e-9:
            direction, length = np.array([0.0, 0.0, 1.0]), 2 * min(0.1, max(min_length, 0.05))
        if skeleton.names[joint].endswith("ankle"):  # ankle to ball of the foot: about a third of the shin
            tails[joint] = heads[joint] + np.array([0.0, -1.0, 0.0]) * max(0.35 * length, min_length)
            continue
        tails[joint] = heads[joint] + direction / length * max(0.5 * length, min_length)
    return heads, tails


def topological_order(parents: np.ndarray | list[int]) -> list[int]:
    """Indices ordered parents-first for a forest given by ``parents`` (-1 = root)."""
    parents = list(parents)
    order, placed = [], set()
    remaining = list(range(len(parents)))
    while remaining:
        progressed = [b for b in remaining if parents[b] < 0 or parents[b] in placed]
        if not progressed:
            raise ValueError("bone parents contain a cycle")
        for bone in progressed:
            order.append(bone)
            placed.add(bone)
        remaining = [b for b in remaining if b not in placed]
    return order


def pose_basis(
    rest_matrices: np.ndarray,
    parents: np.ndarray | list[int],
    world_rotations: np.ndarray,
    head_positions: np.ndarray,
    animated: np.ndarray,
    keyed_location: np.ndarray,
) -> np.ndarray:
    """Blender pose-bone basis matrices that reproduce an animation.

    rest_matrices: (bones, 4, 4) ``bone.matrix_local`` (armature space).
    parents: (bones,) Blender parent index, -1 for none.
    world_rotations: (frames, bones, 3, 3) armature-space rotation of each animated bone relative to
        its rest (ignored where ``animated`` is False).
    head_positions: (frames, bones, 3) armature-space head positions (used where ``keyed_location``).
    animated, keyed_location: (bones,) bool.
    Returns (frames, bones, 4, 4) basis matrices (identity for bones that are not animated).
    """
    rest = np.asarray(rest_matrices, dtype=np.float64)
    frames, bones = world_rotations.shape[:2]
    rest_local = np.empty_like(rest)
    for bone, parent in enumerate(parents):
        rest_local[bone] = rest[bone] if parent < 0 else np.linalg.inv(rest[parent]) @ rest[bone]
    pose = np.empty((frames, bones, 4, 4))
    basis = np.broadcast_to(np.eye(4), (frames, bones, 4, 4)).copy()
    for bone in topological_order(parents):
        parent = parents[bone]
        parent_pose = pose[:, parent] if parent >= 0 else np.broadcast_to(np.eye(4), (frames, 4, 4))
        inherited = parent_pose @ rest_local[bone]
        if not animated[bone]:
            pose[:, bone] = inherited
            continue
        pose[:, bone] = inherited
        pose[:, bone, :3, :3] = world_rotations[:, bone] @ rest[bone, :3, :3]
        if keyed_location[bone]:
            pose[:, bone, :3, 3] = head_positions[:, bone]
        basis[:, bone] = np.linalg.inv(rest_local[bone]) @ rigid_inverse(parent_pose) @ pose[:, bone]
    return basis


def rigid_inverse(matrices: np.ndarray) -> np.ndarray:
    """(..., 4, 4) rotation + translation matrices -> their inverses ``[R^T | -R^T t]`` (exact for
    rigid transforms, ~20x faster than a general inverse over 10,000 frames)."""
    inverse = np.zeros_like(matrices)
    rotation_t = np.swapaxes(matrices[..., :3, :3], -1, -2)
    inverse[..., :3, :3] = rotation_t
    inverse[..., :3, 3] = -(rotation_t @ matrices[..., :3, 3:])[..., 0]
    inverse[..., 3, 3] = 1.0
    return inverse


def basis_to_channels(basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 4, 4) basis -> Blender quaternions (frames, 4) ``wxyz``, continuous over frames
    (no sign flips, so LINEAR interpolation between keys stays on the short arc), and locations (frames, 3)."""
    # The matrices are products of rotations (orthonormal to float precision): skip scipy's SVD
    # re-orthogonalisation, which dominates the import time of long clips.
    quats_xyzw = Rotation.from_matrix(basis[:, :3, :3], assume_valid=True).as_quat()
    quats_xyzw /= np.linalg.norm(quats_xyzw, axis=1, keepdims=True)
    quats_xyzw = make_continuous(quats_xyzw)
    return quats_xyzw[:, [3, 0, 1, 2]], basis[:, :3, 3].copy()


def scene_rate(fps: float) -> tuple[int, float]:
    """Blender's ``(render.fps, render.fps_base)`` for a frame rate: 30000/1001 -> (30, 1.001)."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    for base in (1.0, 1.001):
        whole = round(fps * base)
        if whole >= 1 and abs(whole / base - fps) < 1e-3:
            return int(whole), base
    whole = max(1, round(fps))
    return int(whole), whole / fps


def split_object_transform(matrix_world: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(4, 4) object matrix -> rotation (3, 3), uniform scale, translation (3,).

    Raises ValueError for non-uniform scale or shear, which bone-space keys cannot express exactly.
    """
    linear = np.asarray(matrix_world, dtype=np.float64)[:3, :3]
    scales = np.linalg.norm(linear, axis=0)
    if not np.allclose(scales, scales[0], rtol=1e-4):
        raise ValueError(f"the armature object has non-uniform scale {np.round(scales, 4).tolist()}")
    rotation = linear / scales[0]
    if not np.allclose(rotation.T @ rotation, np.eye(3), atol=1e-4) or np.linalg.det(rotation) < 0:
        raise ValueError("the armature object's transform is sheared or mirrored")
    return rotation, float(scales[0]), np.asarray(matrix_world, dtype=np.float64)[:3, 3].copy()
