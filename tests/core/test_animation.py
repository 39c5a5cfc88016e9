"""Forward kinematics and the Animation file."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton, forward_kinematics
from videopose.core.errors import VideoposeError


def _chain() -> Skeleton:
    return Skeleton(("root", "upper", "lower", "tip"), (-1, 0, 1, 2), np.array([[0, 0, 0], [0, 0, 1.0], [0, 0, 0.5], [0, 0, 0.25]]))


def test_fk_of_a_bent_chain_matches_hand_computation():
    skeleton = _chain()
    quats = np.tile([0.0, 0, 0, 1], (1, 4, 1))
    quats[0, 1] = Rotation.from_euler("x", 90, degrees=True).as_quat()  # 'upper' bends its children toward -Y
    quats[0, 2] = Rotation.from_euler("x", 90, degrees=True).as_quat()  # then back down
    positions, rotations = forward_kinematics(skeleton, quats, np.array([[1.0, 2.0, 3.0]]))
    expected = np.array([[1, 2, 3], [1, 2, 4], [1, 1.5, 4], [1, 1.5, 3.75]])
    np.testing.assert_allclose(positions[0], expected, atol=1e-12)
    np.testing.assert_allclose(rotations[0, 3], Rotation.from_euler("x", 180, degrees=True).as_matrix(), atol=1e-12)


def test_fk_keeps_bone_lengths_for_random_rotations():
    skeleton = _chain()
    quats = Rotation.random(40 * 4, random_state=3).as_quat().reshape(40, 4, 4)
    positions = Animation(skeleton, quats, np.random.default_rng(0).normal(size=(40, 3)), 30.0).world_positions()
    lengths = np.linalg.norm(positions[:, 1:] - positions[:, [0, 1, 2]], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(skeleton.bone_lengths()[1:], lengths.shape), atol=1e-12)


def test_animation_round_trip_and_validation(tmp_path):
    skeleton = _chain()
    quats = Rotation.random(6 * 4, random_state=1).as_quat().reshape(6, 4, 4)
    animation = Animation(skeleton, quats, np.zeros((6, 3)), 24.0, contacts=np.zeros((6, 2), bool))
    animation.save(tmp_path / "a.npz")
    loaded = Animation.load(tmp_path / "a.npz")
    assert loaded.skeleton.names == skeleton.names and loaded.fps == 24.0
    np.testing.assert_allclose(loaded.world_positions(), animation.world_positions())
    with pytest.raises(VideoposeError, match="NaN"):
        Animation(skeleton, np.full((6, 4, 4), np.nan), np.zeros((6, 3)), 24.0)
    with pytest.raises(VideoposeError, match="parents-first"):
        Skeleton(("a", "b"), (1, -1), np.zeros((2, 3)))
    with pytest.raises(VideoposeError, match="root_positions"):
        Animation(skeleton, quats, np.zeros((5, 3)), 24.0)
