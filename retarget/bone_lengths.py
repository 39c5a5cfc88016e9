"""Constant bone lengths for a whole clip, estimated robustly from noisy per-frame joint positions.

Per bone: the median length over confident frames (every joint finite, not collapsed onto the root),
after dropping outlier frames (further than 3 robust standard deviations, from the median absolute
deviation, from the median); then each left bone and its right twin get the average of the two.
"""

from __future__ import annotations

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.layouts import Layout

MIN_BONE_LENGTH_M = 0.01  # a bone shorter than this in every frame means broken input, not a person


def bone_length_samples(joints: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(frames, joints, 3) positions -> (frames, joints) distance of each joint from its parent (root: 0)."""
    parent_index = np.array([max(parent, 0) for parent in parents])
    lengths = np.linalg.norm(joints - joints[:, parent_index], axis=-1)
    lengths[:, [j for j, parent in enumerate(parents) if parent < 0]] = 0.0
    return lengths


def confident_frames(joints: np.ndarray) -> np.ndarray:
    """(frames, joints, 3) -> (frames,) bool: every joint finite and the pose not collapsed to a point."""
    finite = np.isfinite(joints).all(axis=(1, 2))
    spread = np.zeros(len(joints))
    spread[finite] = np.ptp(joints[finite], axis=1).max(axis=1)
    return finite & (spread > 1e-6)


def robust_median(samples: np.ndarray, outlier_sigmas: float = 3.0) -> np.ndarray:
    """(frames, k) samples (NaN = none) -> (k,) median after dropping outliers (median absolute deviation)."""
    median = np.nanmedian(samples, axis=0)
    deviation = 1.4826 * np.nanmedian(np.abs(samples - median), axis=0)  # robust standard deviation
    tolerance = np.maximum(outlier_sigmas * deviation, 1e-3 * np.abs(median))
    kept = np.where(np.abs(samples - median) <= tolerance, samples, np.nan)
    return np.nanmedian(kept, axis=0)


def symmetric_average(values: np.ndarray, layout: Layout) -> np.ndarray:
    """(joints, ...) per-joint values -> the same with each left/right twin replaced by their mean."""
    mirror = layout.mirror_permutation()
    return 0.5 * (values + values[mirror])


def estimate_bone_lengths(joints: np.ndarray, layout: Layout, symmetric: bool = True) -> np.ndarray:
    """(frames, joints, 3) positions (NaN where unknown) -> (joints,) bone lengths in metres (root: 0).

    Raises VideoposeError when no frame is usable or a bone has (near) zero length.
    """
    confident = confident_frames(joints)
    if not confident.any():
        raise VideoposeError(
            "no frame has all joints known (every frame holds NaN or a collapsed pose): cannot measure bone "
            "lengths; re-run the lifter on a clip where the whole person is visible"
        )
    samples = bone_length_samples(joints[confident], layout.parents)
    lengths = robust_median(samples)
    # Checked before the left/right average, which would hide one collapsed side.
    short = [
        f"{layout.names[parent]}->{layout.names[joint]} ({lengths[joint] * 1000:.1f} mm)"
        for joint, parent in enumerate(layout.parents)
        if parent >= 0 and not lengths[joint] >= MIN_BONE_LENGTH_M
    ]
    if short:
        raise VideoposeError(
            f"bones of (near) zero length: {', '.join(short)}; the joints coincide in the motion file: "
            "is it all zeros or in millimetres instead of metres?"
        )
    if symmetric:
        lengths = symmetric_average(lengths, layout)
    lengths[[j for j, parent in enumerate(layout.parents) if parent < 0]] = 0.0
    return lengths
