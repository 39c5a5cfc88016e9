"""Training losses (torch): MPJPE, depth-weighted MPJPE for the trajectory, 2D reprojection and the
bone-length term of the semi-supervised objective (Pavllo et al., Sec. 4)."""

from __future__ import annotations

import torch

from videopose.lifter.camera import project_to_2d


def mpjpe_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(..., joints, 3) -> mean Euclidean distance (Sec. 5: the pose loss)."""
    return torch.linalg.vector_norm(predicted - target, dim=-1).mean()


def weighted_mpjpe_loss(predicted: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(..., joints, 3) with weights broadcastable to (..., joints) -> weighted mean distance.

    The trajectory model uses w = 1 / z of the ground-truth root depth (Sec. 4): far subjects, whose
    2D is small, should not dominate the loss.
    """
    distance = torch.linalg.vector_norm(predicted - target, dim=-1)
    weights = torch.broadcast_to(weights, distance.shape)
    return (weights * distance).sum() / weights.sum().clamp(min=1e-12)


def reprojection_loss(poses_3d: torch.Tensor, trajectory: torch.Tensor, intrinsics: torch.Tensor,
                      target_2d: torch.Tensor, joint_map: torch.Tensor) -> torch.Tensor:
    """Sec. 4: project root-relative poses (batch, frames, 17, 3) + trajectory (batch, frames, 1, 3)
    through intrinsics (batch, 9) and compare with the input 2D (batch, frames, J2d, 2) at the points
    ``joint_map`` (J2d,) selects from the 3D joints (all normalised screen units)."""
    points = poses_3d + trajectory
    frames = points.shape[1]
    projected = project_to_2d(keep_in_view(points[:, :, joint_map]), intrinsics[:, None].expand(-1, frames, -1))
    return mpjpe_2d(projected, target_2d)


def keep_in_view(points: torch.Tensor, min_depth: float = 0.1) -> torch.Tensor:
    """(..., 3) camera-frame points with depth >= ``min_depth`` and |x|, |y| <= depth.

    An untrained trajectory model can put the person at or behind the camera; there the lens
    distortion polynomial (r^6) overflows float32 and the gradients become NaN. VideoPose3D clamps
    x/z and y/z to [-1, 1] before distortion for the same reason; this is that clamp, done on the points.
    """
    depth = points[..., 2:3].clamp(min=min_depth)
    xy = torch.maximum(torch.minimum(points[..., :2], depth), -depth)
    return torch.cat([xy, depth], dim=-1)


def mpjpe_2d(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(predicted - target, dim=-1).mean()


def bone_lengths(poses_3d: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
    """(..., joints, 3) -> (..., joints - 1) distances of each non-root joint from its parent."""
    return torch.linalg.vector_norm(poses_3d[..., 1:, :] - poses_3d[..., parents[1:], :], dim=-1)


def bone_length_loss(labeled_poses: torch.Tensor, unlabeled_poses: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
    """Sec. 4: the mean bone lengths of the unlabelled predictions should match the labelled batch's."""
    labeled = bone_lengths(labeled_poses, parents).reshape(-1, parents.numel() - 1).mean(0)
    unlabeled = bone_lengths(unlabeled_poses, parents).reshape(-1, parents.numel() - 1).mean(0)
    return (labeled - unlabeled).abs().mean()
