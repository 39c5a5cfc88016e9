"""Jitter removal that keeps fast motion: a speed-adaptive, zero-phase filter on rotations and positions.

In the spirit of the one-euro filter (Casiez et al., CHI 2012: the cutoff rises with speed), but
offline and without lag: each signal is filtered forward and backward by two Gaussians (a wide one for
slow motion, a narrow one for fast motion) and the two are blended per frame by the local speed.
Rotations are filtered as quaternions after hemisphere alignment (consecutive dot products positive),
then renormalised: for the small angles between neighbouring frames this is filtering in the tangent
space, never in Euler angles.

``strength`` scales the filter widths: 0 turns smoothing off, 1 (the default) removes the lifter's
frame-to-frame jitter while keeping ~85% of a 13 rad/s swing's peak speed, 1.5-2 smooths strongly. Widths are in seconds, so the result does not depend on fps.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from videopose.core.animation import make_continuous

DEFAULT_STRENGTH = 1.0
_SLOW_SIGMA_S = 0.07  # s: Gaussian width for still / slow motion at strength 1
_FAST_SIGMA_S = 0.015  # s: Gaussian width for fast motion at strength 1
_HALF_SPEED_ROTATION = 4.0  # rad/s at which the blend is half slow, half fast
_HALF_SPEED_POSITION = 1.0  # m/s


def smooth_known(values: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Zero-phase Gaussian (``sigma`` frames) over axis 0 of ``values`` (frames, ...) from the ``known``
    (frames, ...) entries only, normalised by how many were known nearby: an unknown frame neither pulls its
    neighbours to zero nor counts. Every frame gets a value (0 where nothing within reach is known); callers
    mask what they cannot use."""
    known = np.asarray(known, dtype=bool)
    values = np.asarray(values, dtype=np.float64)
    extra = values.ndim - known.ndim
    mask = known.reshape(known.shape + (1,) * extra)
    weight = gaussian_filter1d(mask.astype(np.float64), sigma, axis=0, mode="nearest")
    total = gaussian_filter1d(np.where(mask, values, 0.0), sigma, axis=0, mode="nearest")
    return total / np.maximum(weight, 1e-9)


def _adaptive(signal: np.ndarray, fps: float, strength: float, speed_of, half_speed: float) -> np.ndarray:
    """Blend of a wide and a narrow zero-phase Gaussian of ``signal`` (frames, ...) by speed_of(narrow)."""
    slow_sigma = strength * _SLOW_SIGMA_S * fps
    fast_sigma = strength * _FAST_SIGMA_S * fps
    slow = gaussian_filter1d(signal, slow_sigma, axis=0, mode="nearest")
    fast = gaussian_filter1d(signal, fast_sigma, axis=0, mode="nearest") if fast_sigma > 0.2 else signal
    speed = gaussian_filter1d(speed_of(fast), max(slow_sigma / 2, 0.5), axis=0, mode="nearest")
    fast_share = speed / (speed + half_speed)
    return slow + fast_share[..., None] * (fast - slow)


def smooth_rotations(quats_xyzw: np.ndarray, fps: float, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    """(frames, joints, 4) quaternions xyzw -> smoothed, unit, continuous quaternions of the same shape."""
    quats = make_continuous(np.asarray(quats_xyzw, dtype=np.float64))
    if strength <= 0 or len(quats) < 3:
        return quats

    def angular_speed(q: np.ndarray) -> np.ndarray:
        q = q / np.linalg.norm(q, axis=-1, keepdims=True)
        dots = np.clip(np.abs(np.sum(q[1:] * q[:-1], axis=-1)), 0.0, 1.0)
        step = 2.0 * np.arccos(dots) * fps
        return np.concatenate([step[:1], step])

    smoothed = _adaptive(quats, fps, strength, angular_speed, _HALF_SPEED_ROTATION)
    return make_continuous(smoothed / np.linalg.norm(smoothed, axis=-1, keepdims=True))


def smooth_positions(positions: np.ndarray, fps: float, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    """(frames, ..., 3) positions in metres -> smoothed positions of the same shape."""
    positions = np.asarray(positions, dtype=np.float64)
    if strength <= 0 or len(positions) < 3:
        return positions.copy()

    def linear_speed(p: np.ndarray) -> np.ndarray:
        return np.linalg.norm(np.gradient(p, axis=0), axis=-1) * fps

    return _adaptive(positions, fps, strength, linear_speed, _HALF_SPEED_POSITION)
