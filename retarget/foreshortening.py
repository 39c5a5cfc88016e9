"""How far each shin leans towards or away from the camera, from its image length and the lifter together.

The lifter is least sure of a limb's depth, and an L2-trained network answers an unsure depth with the
average bend: on the pose2sim walk its knees stay within 27-48 degrees where the triangulated reference
swings 19-55, and a performer standing straight in front of the camera (``tfjs_pose_squats.mp4``) keeps
37-degree knees while her shins stand at their full image length. A bone of length ``L`` whose image is
``l`` long (metres at its depth) leans ``arccos(l / L)`` out of the image plane (Taylor, *Reconstruction of
articulated objects from point correspondences in a single uncalibrated image*, CVIU 2000). The side of the
lean, towards or away from the camera, is what one view cannot tell and what the lifter gets right (95-98 %
of the pose2sim shins leaning over 10 degrees); its size is what the picture tells, but poorly near the
image plane, where the cosine is flat. :func:`fused_lean` takes the most likely angle under both: the
lifter's, +-``LIFTER_SIGMA``, and the image ratio, +-``RATIO_SIGMA`` (both measured on the four pose2sim
cameras against their triangulation: the lifted shins' median angle errors 5-12 degrees, the image ratios'
spread 0.03-0.08).

``L`` is the shin's longest image length over the clip (its 95th percentile, metres at its depth), when it
lay most across the view, and at least ``MIN_FULL_LENGTH`` of the skeleton's shin (a shin that never lay
across the view: a walk at the camera, a camera looking down on it). So the detector's own landmark
geometry (BlazePose's knee sits low on the leg) cancels, and the skeleton keeps its bone lengths: only the
angle changes. The thigh is left to the lifter: BlazePose's hip landmark moves over the hip as the leg
swings, and the same fusion on the thighs made the pose2sim legs worse (knee and ankle error 83 -> 89 mm on
cam01) where the shins' made them better (83 -> 72 mm).

All positions are camera-frame metres (x right, y down, z forward); arrays (frames, 17, 3) in H36M17 order.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from videopose.core.layouts import H36M17

SHINS = tuple((H36M17.index(f"{side}_knee"), H36M17.index(f"{side}_ankle")) for side in ("left", "right"))
FULL_LENGTH_PERCENTILE = 95.0  # the shin's image length when it lies most across the view
MIN_FULL_LENGTH = 0.85  # x the skeleton's shin: a shorter longest image means it never lay across the view
SMOOTH_SECONDS = 0.04  # Gaussian smoothing of the image lengths over time (detector jitter)
RATIO_SIGMA = 0.07  # spread of the image length ratio (cos of the lean) about the truth
LIFTER_SIGMA = np.radians(10.0)  # spread of the lifter's lean about the truth
_ANGLES = np.radians(np.arange(0.0, 90.25, 0.5))  # the candidate leans


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _smooth_finite(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing over axis 0 that leaves NaN frames NaN and does not spread them."""
    finite = np.isfinite(values)
    weight = gaussian_filter1d(finite.astype(np.float64), sigma, axis=0, mode="nearest")
    total = gaussian_filter1d(np.where(finite, values, 0.0), sigma, axis=0, mode="nearest")
    return np.where(finite, total / np.maximum(weight, 1e-9), np.nan)


def image_length_ratios(joints_camera: np.ndarray, rays: np.ndarray, weights: np.ndarray, parent: int, child: int,
                        bone_length: float, fps: float) -> np.ndarray:
    """(frames,) a bone's image length over its full length (module docstring), in [0, 1]; NaN where either
    end is unseen.

    joints_camera: (frames, 17, 3) camera-frame metres (for the bone's depth); rays: (frames, 17, 2)
    normalised image points (x / z, y / z); weights: (frames, 17), 0 where unseen; bone_length: metres.
    """
    seen = (weights[:, parent] > 0) & (weights[:, child] > 0)
    depth = 0.5 * (joints_camera[:, parent, 2] + joints_camera[:, child, 2])
    length = np.linalg.norm(rays[:, child] - rays[:, parent], axis=-1) * depth
    length = np.where(seen & np.isfinite(length), length, np.nan)
    if np.isfinite(length).sum() < 3:
        return np.full(len(length), np.nan)
    length = _smooth_finite(length, max(SMOOTH_SECONDS * fps, 0.5))
    full = max(float(np.nanpercentile(length, FULL_LENGTH_PERCENTILE)), MIN_FULL_LENGTH * bone_length)
    return np.clip(length / full, 0.0, 1.0)


def fused_lean(lifted: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """(frames,) out-of-plane angles, radians in [0, pi/2]: the most likely under the lifter's angle
    ``lifted`` (+-``LIFTER_SIGMA``) and the image length ratio ``ratio`` (the angle's cosine,
    +-``RATIO_SIGMA``); a NaN ratio gives the lifter's angle."""
    lifted = np.asarray(lifted, dtype=np.float64)
    ratio = np.asarray(ratio, dtype=np.float64)
    cost = ((_ANGLES[None] - lifted[:, None]) / LIFTER_SIGMA) ** 2
    cost = cost + np.nan_to_num(((np.cos(_ANGLES)[None] - ratio[:, None]) / RATIO_SIGMA) ** 2, nan=0.0)
    best = _ANGLES[np.argmin(cost, axis=1)]
    return np.where(np.isfinite(ratio), best, lifted)


def lean_bone(start: np.ndarray, direction: np.ndarray, ratio: np.ndarray, length: float) -> np.ndarray:
    """(frames, 3) the bone's new end: ``length`` metres from ``start`` (frames, 3) along ``direction``
    (frames, 3, unit) turned towards or away from the camera, on the side it leans, to the
    :func:`fused_lean` angle out of the image plane. Frames with a NaN ratio keep the direction."""
    view = _unit(start + 0.5 * direction * length)  # the ray to the bone's middle
    along = np.sum(direction * view, axis=-1)
    across = direction - along[:, None] * view
    across_norm = np.linalg.norm(across, axis=-1)
    usable = np.isfinite(ratio) & (across_norm > 1e-6) & np.isfinite(start).all(axis=-1)
    angle = fused_lean(np.arcsin(np.clip(np.abs(along), 0.0, 1.0)), ratio)
    side = np.where(along >= 0.0, 1.0, -1.0)
    turned = np.cos(angle)[:, None] * across / np.maximum(across_norm, 1e-12)[:, None] + (side * np.sin(angle))[:, None] * view
    return start + np.where(usable[:, None], _unit(turned), direction) * length


def shins_leaned_from_image(joints_camera: np.ndarray, rays: np.ndarray, weights: np.ndarray, fps: float) -> np.ndarray:
    """(frames, 17, 3) camera-frame joints of a constant-length pose -> the same with each ankle re-placed
    so its shin leans out of the image plane by the :func:`fused_lean` angle (module docstring); every other
    joint, the bone lengths, the shin's direction in the picture and the side of its lean are kept.

    rays: (frames, 17, 2) normalised image points (x / z, y / z) in H36M17 order; weights: (frames, 17),
    0 where a point is unseen; fps: frames per second (the length smoothing)."""
    result = np.array(joints_camera, dtype=np.float64, copy=True)
    for knee, ankle in SHINS:
        bone = joints_camera[:, ankle] - joints_camera[:, knee]
        shin = float(np.nanmedian(np.linalg.norm(bone, axis=-1)))
        ratio = image_length_ratios(joints_camera, rays, weights, knee, ankle, shin, fps)
        result[:, ankle] = lean_bone(joints_camera[:, knee], _unit(bone), ratio, shin)
    return result
