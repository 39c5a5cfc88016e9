"""MPJPE, P-MPJPE, N-MPJPE and MPJVE against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from videopose.lifter.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe, procrustes_align


def _pose(seed: int = 0, frames: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(frames, 17, 3))


def test_mpjpe_of_a_constant_offset_is_its_length_in_numpy_and_torch():
    target = _pose()
    predicted = target + np.array([0.03, 0.04, 0.0])
    assert mpjpe(predicted, target) == pytest.approx(0.05)
    predicted_tensor = torch.tensor(predicted, requires_grad=True)
    loss = mpjpe(predicted_tensor, torch.tensor(target))
    assert isinstance(loss, torch.Tensor) and loss.item() == pytest.approx(0.05)
    loss.backward()
    # d(mean |p - t|)/dp = unit direction / (frames * joints)
    np.testing.assert_allclose(predicted_tensor.grad.numpy()[0, 0], np.array([0.6, 0.8, 0.0]) / (4 * 17))
    with pytest.raises(ValueError):
        mpjpe(predicted[:, :16], target)


def test_p_mpjpe_is_zero_after_a_similarity_transform():
    target = _pose(1)
    rotation = Rotation.from_euler("xyz", [30, -70, 140], degrees=True)
    predicted = 0.4 * rotation.apply(target.reshape(-1, 3)).reshape(target.shape) + np.array([1.0, -2.0, 3.0])
    assert p_mpjpe(predicted, target) < 1e-9
    assert mpjpe(predicted, target) > 1.0
    np.testing.assert_allclose(procrustes_align(predicted, target), target, atol=1e-9)


def test_p_mpjpe_does_not_undo_a_reflection():
    """Points on the axes at distances 1, 2, 3, mirrored in x (hand-computed).

    Cross-covariance diag(-2, 8, 18): the best proper rotation is the identity, scale
    (8 + 18 - 2) / (2 + 8 + 18) = 6/7; the distances are 1 + 6/7 (x points), 2/7 and 3/7 (others),
    mean (2 * 13/7 + 2 * 2/7 + 2 * 3/7) / 6 = 6/7. Allowing a reflection would give 0.
    """
    target = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 3], [0, 0, -3]])[None]
    mirrored = target * np.array([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, target) == pytest.approx(6 / 7, abs=1e-12)
    # A planar pose mirrored in-plane *is* a rotation (180 degrees about y) of it.
    planar = target.copy()
    planar[..., 2] = 0.0
    assert p_mpjpe(planar * np.array([-1.0, 1.0, 1.0]), planar) < 1e-9


def test_p_mpjpe_accepts_tensors_and_aligns_each_frame_separately():
    target = _pose(2, frames=3)
    predicted = target.copy()
    predicted[1] = 2.0 * target[1]
    assert p_mpjpe(torch.tensor(predicted), torch.tensor(target)) < 1e-9


def test_n_mpjpe_hand_computed_and_scale_invariant():
    target = np.array([[[1.0, 0, 0], [0, 1, 0]]])
    predicted = np.array([[[2.0, 0, 0], [0, 0, 2]]])
    # scale = <p, t> / |p|^2 = 2 / 8; scaled p = (0.5, 0, 0), (0, 0, 0.5); errors 0.5 and sqrt(1.25)
    assert n_mpjpe(predicted, target) == pytest.approx((0.5 + np.sqrt(1.25)) / 2)
    pose = _pose(3)
    assert n_mpjpe(3.0 * pose, pose) < 1e-12
    torch_error = n_mpjpe(torch.tensor(predicted), torch.tensor(target))
    assert torch_error.item() == pytest.approx((0.5 + np.sqrt(1.25)) / 2)
    # Scale only: a rotated pose still has an error.
    rotated = Rotation.from_euler("z", 90, degrees=True).apply(pose.reshape(-1, 3)).reshape(pose.shape)
    assert n_mpjpe(rotated, pose) > 0.5


def test_mpjve_hand_computed():
    target = np.zeros((5, 17, 3))
    drifting = target + np.arange(5)[:, None, None] * np.array([0.0, 0.0, 0.02])
    assert mpjve(drifting, target) == pytest.approx(0.02)
    assert mpjve(target + 5.0, target) == pytest.approx(0.0)
    assert mpjve(torch.tensor(drifting), torch.tensor(target)).item() == pytest.approx(0.02)
    with pytest.raises(ValueError, match="frames >= 2"):
        mpjve(drifting[:1], target[:1])


@settings(max_examples=30, deadline=None)
@given(
    angles=st.tuples(*[st.floats(-180, 180)] * 3),
    scale=st.floats(0.1, 10.0),
    shift=st.tuples(*[st.floats(-5, 5)] * 3),
    seed=st.integers(0, 1000),
)
def test_p_mpjpe_invariant_to_similarity_transforms_of_the_prediction(angles, scale, shift, seed):
    target, noisy = _pose(seed, frames=2), _pose(seed + 1, frames=2) * 0.1
    predicted = target + noisy
    moved = scale * Rotation.from_euler("xyz", angles, degrees=True).apply(predicted.reshape(-1, 3)).reshape(predicted.shape)
    assert p_mpjpe(moved + np.array(shift), target) == pytest.approx(p_mpjpe(predicted, target), rel=1e-6, abs=1e-9)
