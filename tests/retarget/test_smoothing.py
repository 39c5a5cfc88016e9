"""Smoothing that removes jitter but keeps fast motion (retarget/smoothing.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from videopose.retarget.smoothing import smooth_positions, smooth_rotations

FPS = 30.0


def _angles(quats: np.ndarray) -> np.ndarray:
    return Rotation.from_quat(quats[:, 0]).as_rotvec()[:, 2]


def _signal(frames: int = 180) -> np.ndarray:
    """A slow sway, then a fast 100-degree swing in 0.2 s (peak ~13 rad/s), then still."""
    time = np.arange(frames) / FPS
    angle = 0.3 * np.sin(2 * np.pi * 0.4 * time)
    swing = np.radians(100) / (1 + np.exp(-(time - 4.0) / 0.03))
    return angle + swing


def test_jitter_is_removed_and_the_fast_swing_kept() -> None:
    clean = _signal()
    noisy = clean + np.random.default_rng(0).normal(scale=np.radians(2.0), size=clean.shape)
    quats = Rotation.from_rotvec(np.stack([0 * noisy, 0 * noisy, noisy], 1)).as_quat()[:, None]
    smoothed = _angles(smooth_rotations(quats, FPS))
    slow = slice(0, 100)
    error_before = np.abs(noisy - clean)[slow].std()
    error_after = np.abs(smoothed - clean)[slow].std()
    assert error_after < 0.6 * error_before
    # Jitter = frame-to-frame acceleration on the slow part.
    assert np.abs(np.diff(smoothed[slow], 2)).mean() < 0.3 * np.abs(np.diff(noisy[slow], 2)).mean()
    peak_true = np.abs(np.diff(clean)).max()
    peak_kept = np.abs(np.diff(smoothed)).max()
    assert peak_kept > 0.8 * peak_true
    # A fixed Gaussian as wide as the slow filter loses far more of the peak.
    fixed = gaussian_filter1d(noisy, 0.5 * 0.07 * FPS)
    assert np.abs(np.diff(fixed)).max() < peak_kept


def test_strength_zero_is_identity_and_output_is_unit_and_continuous() -> None:
    quats = Rotation.random(60, random_state=2).as_quat()[:, None]
    unsmoothed = smooth_rotations(quats, FPS, 0.0)
    assert np.abs(np.sum(unsmoothed * quats, axis=-1)) == pytest.approx(np.ones((60, 1)))  # same rotations
    smoothed = smooth_rotations(quats, FPS, 1.0)
    assert np.linalg.norm(smoothed, axis=-1) == pytest.approx(np.ones((60, 1)))
    assert (np.sum(smoothed[1:] * smoothed[:-1], axis=-1) >= 0).all()


def test_rotations_near_half_turn_are_smoothed_in_rotation_space() -> None:
    """Around 180 degrees Euler angles or raw quaternions wrap; the filter must not."""
    angles = np.pi + 0.2 * np.sin(np.linspace(0, 6, 90))
    quats = Rotation.from_rotvec(np.stack([0 * angles, 0 * angles, angles], 1)).as_quat()[:, None]
    smoothed = Rotation.from_quat(smooth_rotations(quats, FPS, 1.0)[:, 0])
    difference = (smoothed * Rotation.from_quat(quats[:, 0]).inv()).magnitude()
    assert difference.max() < np.radians(5)


def test_positions_keep_a_constant_velocity_path() -> None:
    path = np.stack([np.linspace(0, 3, 90), np.zeros(90), np.ones(90)], 1)
    assert smooth_positions(path, FPS, 1.0)[10:-10] == pytest.approx(path[10:-10], abs=1e-6)
