"""The legs from their image lengths as well as the lifter: how far each shin leans towards or away from the
camera, and straight legs where the picture shows them at full extension.

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

A leg at full extension in the picture is taken as straight (``STRAIGHT_KNEE_DEG``, a relaxed standing
knee), by :func:`legs_straightened_where_the_picture_shows_them_straight`: where its image hip -> ankle
length is within ``FULL_LEG_RATIO`` of its longest over the clip and hip, knee and ankle stand on one line
in the picture, the knee bend goes there, unless the lifter bends it over ``MAX_LIFTED_BEND_DEG`` (sitting:
a thigh pointing at the camera also leaves the image leg in line and at its clip's longest). That is a
prior, not a measurement: a knee bent straight towards the camera looks the same (its image is 5 % shorter
at 35 degrees), and the lifter answers it with its average bend even on clean synthetic 2D of a straight
standing skeleton (35-40 degrees seen from the front at hip height). People who stand straight in a clip
stand straight; a clip that never straightens its legs (a crouched walk) is straightened at its longest.

All positions are camera-frame metres (x right, y down, z forward); arrays (frames, 17, 3) in H36M17 order.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from videopose.core.layouts import H36M17
from videopose.retarget.smoothing import smooth_known

SHINS = tuple((H36M17.index(f"{side}_knee"), H36M17.index(f"{side}_ankle")) for side in ("left", "right"))
FULL_LENGTH_PERCENTILE = 95.0  # the shin's image length when it lies most across the view
MIN_FULL_LENGTH = 0.85  # x the skeleton's shin: a shorter longest image means it never lay across the view
SMOOTH_SECONDS = 0.04  # Gaussian smoothing of the image lengths over time (detector jitter)
RATIO_SIGMA = 0.07  # spread of the image length ratio (cos of the lean) about the truth
LIFTER_SIGMA = np.radians(10.0)  # spread of the lifter's lean about the truth
_ANGLES = np.radians(np.arange(0.0, 90.25, 0.5))  # the candidate leans
# A leg at full extension in the picture is straight (see the module docstring):
STRAIGHT_KNEE_DEG = 10.0  # the bend of a straight standing leg (relaxed, not locked)
FULL_LEG_RATIO = 0.95  # x its longest image length over the clip: from here (weight 0) to the longest (1)
COLLINEAR_TOLERANCE = 0.02  # image hip -> knee -> ankle path over the hip -> ankle line, minus 1: 0 .. this
MAX_LIFTED_BEND_DEG = 60.0  # the lifter's bend beyond which the leg is bent whatever the picture (sitting) ...
BEND_FADE_DEG = 15.0  # ... fading in over this many degrees below it
STRAIGHT_SMOOTH_SECONDS = 0.1


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _smooth_finite(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing over axis 0 that leaves NaN frames NaN and does not spread them."""
    finite = np.isfinite(values)
    return np.where(finite, smooth_known(values, finite, sigma), np.nan)


def _bone_length(joints: np.ndarray, parent: int, child: int) -> float:
    """Median length, metres, of the bone parent -> child over (frames, 17, 3) joints."""
    return float(np.nanmedian(np.linalg.norm(joints[:, child] - joints[:, parent], axis=-1)))


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
        shin = _bone_length(joints_camera, knee, ankle)
        ratio = image_length_ratios(joints_camera, rays, weights, knee, ankle, shin, fps)
        result[:, ankle] = lean_bone(joints_camera[:, knee], _unit(bone), ratio, shin)
    return result


def _knee_bend(thigh: float, shin: float, hip_to_ankle: np.ndarray) -> np.ndarray:
    """(frames,) knee flexion, radians (0: straight), of a leg with these bone lengths and hip-ankle distances."""
    cosine = (thigh ** 2 + shin ** 2 - hip_to_ankle ** 2) / (2 * thigh * shin)
    return np.pi - np.arccos(np.clip(cosine, -1.0, 1.0))


def straight_leg_weights(joints_camera: np.ndarray, rays: np.ndarray, weights: np.ndarray, hip: int, knee: int,
                         ankle: int, fps: float) -> np.ndarray:
    """(frames,) in [0, 1]: how much a leg is at its full extension in the picture (module docstring: its
    image hip-ankle length within ``FULL_LEG_RATIO`` of its longest over the clip, hip, knee and ankle on
    one line within ``COLLINEAR_TOLERANCE``) while the lifter bends it less than ``MAX_LIFTED_BEND_DEG``;
    0 where a point is unseen. Smoothed over ``STRAIGHT_SMOOTH_SECONDS``."""
    seen = (weights[:, hip] > 0) & (weights[:, knee] > 0) & (weights[:, ankle] > 0)
    depth = 0.5 * (joints_camera[:, hip, 2] + joints_camera[:, ankle, 2])
    leg = np.where(seen, np.linalg.norm(rays[:, ankle] - rays[:, hip], axis=-1) * depth, np.nan)
    if np.isfinite(leg).sum() < 3:
        return np.zeros(len(leg))
    bends = np.linalg.norm(rays[:, knee] - rays[:, hip], axis=-1) + np.linalg.norm(rays[:, ankle] - rays[:, knee], axis=-1)
    detour = bends * depth / np.maximum(leg, 1e-9) - 1.0  # 0 when the three points are on one line
    leg = _smooth_finite(leg, max(SMOOTH_SECONDS * fps, 0.5))
    extension = leg / float(np.nanpercentile(leg, FULL_LENGTH_PERCENTILE))
    thigh, shin = _bone_length(joints_camera, hip, knee), _bone_length(joints_camera, knee, ankle)
    lifted_bend = np.degrees(_knee_bend(thigh, shin, np.linalg.norm(joints_camera[:, ankle] - joints_camera[:, hip], axis=-1)))
    weight = (np.clip((extension - FULL_LEG_RATIO) / (1.0 - FULL_LEG_RATIO), 0.0, 1.0)
              * np.clip(1.0 - detour / COLLINEAR_TOLERANCE, 0.0, 1.0)
              * np.clip((MAX_LIFTED_BEND_DEG - lifted_bend) / BEND_FADE_DEG, 0.0, 1.0))
    return gaussian_filter1d(np.nan_to_num(weight), max(STRAIGHT_SMOOTH_SECONDS * fps, 0.5), mode="nearest")


def legs_straightened_where_the_picture_shows_them_straight(joints_camera: np.ndarray, rays: np.ndarray,
                                                             weights: np.ndarray, fps: float) -> np.ndarray:
    """(frames, 17, 3) camera-frame joints -> the same with each knee bend drawn towards
    ``STRAIGHT_KNEE_DEG`` by :func:`straight_leg_weights` (a two-bone solve: the hip and the hip -> ankle
    direction kept, the ankle moved along it, the knee in the leg's own plane); bone lengths kept."""
    result = np.array(joints_camera, dtype=np.float64, copy=True)
    straight = np.radians(STRAIGHT_KNEE_DEG)
    for side in ("left", "right"):
        hip, knee, ankle = (H36M17.index(f"{side}_{joint}") for joint in ("hip", "knee", "ankle"))
        weight = straight_leg_weights(joints_camera, rays, weights, hip, knee, ankle, fps)
        hips, knees, ankles = joints_camera[:, hip], joints_camera[:, knee], joints_camera[:, ankle]
        thigh, shin = _bone_length(joints_camera, hip, knee), _bone_length(joints_camera, knee, ankle)
        bend = _knee_bend(thigh, shin, np.linalg.norm(ankles - hips, axis=-1))
        wanted = np.where(bend > straight, (1.0 - weight) * bend + weight * straight, bend)
        reach = np.sqrt(thigh ** 2 + shin ** 2 + 2 * thigh * shin * np.cos(wanted))
        along = _unit(ankles - hips)
        offset = (knees - hips) - np.sum((knees - hips) * along, axis=-1, keepdims=True) * along
        side_direction = _unit(offset)
        thigh_angle = np.arccos(np.clip((thigh ** 2 + reach ** 2 - shin ** 2) / (2 * thigh * reach), -1.0, 1.0))
        moved = (weight > 0) & np.isfinite(reach) & (np.linalg.norm(offset, axis=-1) > 1e-6) & np.isfinite(hips).all(axis=-1)
        new_knees = hips + thigh * (np.cos(thigh_angle)[:, None] * along + np.sin(thigh_angle)[:, None] * side_direction)
        result[:, knee] = np.where(moved[:, None], new_knees, knees)
        result[:, ankle] = np.where(moved[:, None], hips + reach[:, None] * along, ankles)
    return result
