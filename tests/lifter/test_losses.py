"""Training losses against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from videopose.lifter.losses import (bone_length_loss, bone_lengths, keep_in_view, mpjpe_2d, mpjpe_loss, reprojection_loss,
                           weighted_mpjpe_loss)


def test_mpjpe_is_the_mean_euclidean_distance() -> None:
    target = torch.zeros(1, 1, 2, 3)
    predicted = torch.tensor([[[[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]]]])  # distances 5 and 1
    assert mpjpe_loss(predicted, target).item() == pytest.approx(3.0)
    assert mpjpe_2d(predicted[..., :2], target[..., :2]).item() == pytest.approx(2.5)  # 5 and 0


def test_weighted_mpjpe_weights_by_inverse_depth() -> None:
    target = torch.tensor([[[[0.0, 0.0, 2.0]]], [[[0.0, 0.0, 4.0]]]])  # (2, 1, 1, 3): depths 2 and 4
    predicted = target + torch.tensor([[[[1.0, 0.0, 0.0]]], [[[0.0, 3.0, 0.0]]]])  # errors 1 and 3
    loss = weighted_mpjpe_loss(predicted, target, 1.0 / target[..., 2])
    assert loss.item() == pytest.approx((0.5 * 1 + 0.25 * 3) / (0.5 + 0.25))  # 5/3, not the plain mean 2


def test_reprojection_of_a_known_point() -> None:
    # Pelvis at (0.2, -0.1, 4) m, a joint 0.5 m to its right; f = 2 (normalised), centre (0.1, 0).
    trajectory = torch.tensor([0.2, -0.1, 4.0]).reshape(1, 1, 1, 3)
    poses = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0]]).reshape(1, 1, 2, 3)
    intrinsics = torch.tensor([[2.0, 2.0, 0.1, 0.0, 0, 0, 0, 0, 0]])
    expected = torch.tensor([[2 * 0.2 / 4 + 0.1, 2 * -0.1 / 4], [2 * 0.7 / 4 + 0.1, 2 * -0.1 / 4]]).reshape(1, 1, 2, 2)
    joint_map = torch.tensor([0, 1])
    assert reprojection_loss(poses, trajectory, intrinsics, expected, joint_map).item() == pytest.approx(0, abs=1e-7)
    shifted = expected + torch.tensor([0.03, 0.04])  # 0.05 off for both joints
    assert reprojection_loss(poses, trajectory, intrinsics, shifted, joint_map).item() == pytest.approx(0.05, abs=1e-6)
    # joint_map picks which 3D joints the 2D points are: both 2D points compared with joint 1.
    both_right = expected[:, :, [1, 1]]
    assert reprojection_loss(poses, trajectory, intrinsics, both_right, torch.tensor([1, 1])).item() == pytest.approx(0, abs=1e-7)


def test_reprojection_gradients_stay_finite_for_a_person_behind_the_camera() -> None:
    """An untrained trajectory model may put the person at z <= 0; with lens distortion the gradient
    must still be finite (keep_in_view: the paper's clamp of x/z, y/z to [-1, 1])."""
    trajectory = torch.tensor([3.0, -2.0, -0.5]).reshape(1, 1, 1, 3).requires_grad_()
    poses = torch.zeros(1, 1, 1, 3)
    intrinsics = torch.tensor([[1.5, 1.5, 0.0, 0.0, -0.1, 0.02, 0.0, 0.001, 0.001]])
    loss = reprojection_loss(poses, trajectory, intrinsics, torch.zeros(1, 1, 1, 2), torch.tensor([0]))
    loss.backward()
    assert math.isfinite(loss.item()) and torch.isfinite(trajectory.grad).all()
    clamped = keep_in_view(torch.tensor([[3.0, -2.0, -0.5], [0.1, 0.2, 2.0]]))
    assert torch.allclose(clamped, torch.tensor([[0.1, -0.1, 0.1], [0.1, 0.2, 2.0]]))


def test_bone_length_term_compares_mean_bone_lengths() -> None:
    parents = torch.tensor([-1, 0, 1])  # a chain of three joints
    labeled = torch.tensor([[0.0, 0, 0], [0, 0, 1.0], [0, 0, 3.0]]).reshape(1, 1, 3, 3)  # bones 1 and 2
    assert bone_lengths(labeled, parents).flatten().tolist() == pytest.approx([1.0, 2.0])
    unlabeled = torch.stack([labeled * 2, labeled]).reshape(2, 1, 3, 3)  # bones (2, 4) and (1, 2): mean (1.5, 3)
    assert bone_length_loss(labeled, unlabeled, parents).item() == pytest.approx((0.5 + 1.0) / 2)
    assert bone_length_loss(labeled, labeled.repeat(3, 1, 1, 1), parents).item() == pytest.approx(0)
