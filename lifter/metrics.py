"""Pose errors of Pavllo et al., CVPR 2019 (Sec. 5.1): MPJPE, P-MPJPE, N-MPJPE and MPJVE.

Every function takes ``predicted`` and ``target`` of the same shape ``(..., joints, 3)`` (usually
``(frames, joints, 3)``) and returns the mean error in the input's units. Alignments (P-MPJPE's
similarity transform, N-MPJPE's scale) are solved per pose, i.e. over the joints of each frame.

``mpjpe``, ``n_mpjpe`` and ``mpjve`` accept numpy arrays (-> ``float``) or torch tensors (-> a 0-d
tensor that keeps its gradient, for training losses); ``p_mpjpe`` is an evaluation metric and
always returns a ``float``.
"""

from __future__ import annotations

import numpy as np
import torch

ArrayOrTensor = np.ndarray | torch.Tensor


def _check_shapes(predicted: ArrayOrTensor, target: ArrayOrTensor) -> None:
    if tuple(predicted.shape) != tuple(target.shape) or predicted.ndim < 2 or predicted.shape[-1] != 3:
        raise ValueError(
            f"expected predicted and target of one shape (..., joints, 3), got {tuple(predicted.shape)} and {tuple(target.shape)}"
        )


def _mean_norm(difference: ArrayOrTensor) -> np.floating | torch.Tensor:
    if isinstance(difference, torch.Tensor):
        return torch.linalg.vector_norm(difference, dim=-1).mean()
    return np.linalg.norm(difference, axis=-1).mean()


def mpjpe(predicted: ArrayOrTensor, target: ArrayOrTensor) -> float | torch.Tensor:
    """Mean per-joint position error (protocol 1): mean Euclidean distance over all joints and frames."""
    _check_shapes(predicted, target)
    error = _mean_norm(predicted - target)
    return error if isinstance(error, torch.Tensor) else float(error)


def n_mpjpe(predicted: ArrayOrTensor, target: ArrayOrTensor) -> float | torch.Tensor:
    """MPJPE after scaling each predicted pose by the least-squares factor onto its target (Rhodin et al.).

    scale = sum_j <p_j, t_j> / sum_j |p_j|^2 per pose; no translation or rotation.
    """
    _check_shapes(predicted, target)
    if isinstance(predicted, torch.Tensor):
        scale = (predicted * target).sum(dim=(-1, -2), keepdim=True) / (predicted ** 2).sum(dim=(-1, -2), keepdim=True)
        return mpjpe(scale * predicted, target)
    predicted, target = np.asarray(predicted, dtype=np.float64), np.asarray(target, dtype=np.float64)
    scale = (predicted * target).sum(axis=(-1, -2), keepdims=True) / (predicted ** 2).sum(axis=(-1, -2), keepdims=True)
    return mpjpe(scale * predicted, target)


def procrustes_align(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(..., joints, 3) predicted poses moved onto target by the best similarity transform, per pose.

    Umeyama's solution: rotation from the SVD of the cross-covariance, with the smallest singular
    direction's sign flipped when needed so that det(R) = +1 (a mirrored pose is *not* aligned by
    a reflection), then the optimal scale and translation.
    """
    _check_shapes(predicted, target)
    shape = np.shape(predicted)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1, shape[-2], 3)
    target = np.asarray(target, dtype=np.float64).reshape(-1, shape[-2], 3)
    predicted_mean, target_mean = predicted.mean(axis=1, keepdims=True), target.mean(axis=1, keepdims=True)
    predicted_centred, target_centred = predicted - predicted_mean, target - target_mean
    # cross_covariance[i] = target_centred^T predicted_centred: (poses, 3, 3)
    cross_covariance = np.einsum("pji,pjk->pik", target_centred, predicted_centred)
    u, singular_values, vt = np.linalg.svd(cross_covariance)
    signs = np.ones_like(singular_values)
    signs[:, -1] = np.sign(np.linalg.det(u @ vt))
    signs[signs == 0] = 1.0
    rotation = u @ (signs[:, :, None] * vt)  # target_from_predicted, det +1
    predicted_variance = (predicted_centred ** 2).sum(axis=(1, 2))
    scale = (singular_values * signs).sum(axis=1) / np.maximum(predicted_variance, 1e-12)
    aligned = scale[:, None, None] * np.einsum("pik,pjk->pji", rotation, predicted_centred) + target_mean
    return aligned.reshape(shape)


def p_mpjpe(predicted: ArrayOrTensor, target: ArrayOrTensor) -> float:
    """MPJPE after rigid alignment with scale of each pose to its target (protocol 2)."""
    if isinstance(predicted, torch.Tensor):
        predicted = predicted.detach().cpu().numpy()
    if isinstance(target, torch.Tensor):
        target = target.detach().cpu().numpy()
    return mpjpe(procrustes_align(predicted, target), np.asarray(target, dtype=np.float64))


def mpjve(predicted: ArrayOrTensor, target: ArrayOrTensor) -> float | torch.Tensor:
    """Mean per-joint velocity error: MPJPE of the first differences over frames (axis -3), per frame.

    (frames, joints, 3) -> error in units per frame (multiply by fps for units per second).
    """
    _check_shapes(predicted, target)
    if predicted.ndim < 3 or predicted.shape[-3] < 2:
        raise ValueError(f"MPJVE needs (..., frames >= 2, joints, 3), got {tuple(predicted.shape)}")
    if isinstance(predicted, torch.Tensor):
        return mpjpe(torch.diff(predicted, dim=-3), torch.diff(target, dim=-3))
    return mpjpe(np.diff(predicted, axis=-3), np.diff(target, axis=-3))
