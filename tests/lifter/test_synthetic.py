"""Virtual cameras inside their documented ranges, the fixed evaluation camera set, body augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.core.bvh import read_bvh
from videopose.lifter.evaluate import evaluation_views
from videopose.lifter.mocap import MOCAP_NAMES, h36m_bone_lengths, mocap_points
from videopose.lifter.synthetic import (NO_NOISE, BodyAugmentation, BodySpin, CameraSampling, DetectorNoise,
                                        LandmarkOffsets, augment_bodies, place_cameras, standing_height, synthesize)

# The walk whose camera, in the shipped run's epoch 33, stood in the performer's path (2D of 1e6).
WALK = "cc/005/005_17.bvh"


@pytest.fixture(scope="module")
def walk(shared_dir: Path) -> np.ndarray:
    return mocap_points(read_bvh(shared_dir / "mocap" / "cmu" / WALK))


def test_sampled_cameras_stay_in_their_documented_ranges(walk: np.ndarray) -> None:
    sampling = CameraSampling()
    rng = np.random.default_rng(5)
    points = np.repeat(walk[None, ::2], 400, axis=0)
    cameras = place_cameras(rng, points, sampling)
    floor = walk[:, [3, 6], 2].min() - 0.08
    height = cameras.position[:, 2] - floor
    assert height.min() >= sampling.camera_height_m[0] - 1e-9 and height.max() <= sampling.camera_height_m[1] + 1e-9
    assert np.ptp(height) > 0.8 * np.ptp(sampling.camera_height_m)  # the whole range is used
    pitch = np.degrees(np.arcsin(cameras.world_from_camera[:, 2, 2]))  # forward axis above the horizontal
    assert np.abs(pitch).max() <= sampling.max_pitch_deg + 1e-6
    camera_points = cameras.to_camera(points)
    assert camera_points[..., 2].min() >= sampling.near_m - 1e-6  # the whole path in front of the camera
    assert (np.abs(camera_points[..., :2]).max(-1) <= sampling.max_tan * camera_points[..., 2] + 1e-6).all()
    focal_px = cameras.intrinsics[:, 0] * cameras.image_size[:, 0] / 2
    fov = np.degrees(2 * np.arctan(cameras.image_size.max(axis=1) / 2 / focal_px))
    assert fov.min() >= sampling.horizontal_fov_deg[0] - 1e-6 and fov.max() <= sampling.horizontal_fov_deg[1] + 1e-6


def test_a_performer_walking_past_the_camera_no_longer_gives_huge_2d(walk: np.ndarray) -> None:
    # With the sampler of the shipped run, seeds 107, 165, 243, 257 and 258 put a camera in this walk's path
    # (2D up to 3e16 normalised units for seed 257; the image spans about +-1).
    for seed in (107, 165, 243, 257, 258):
        batch = synthesize(np.random.default_rng(seed), np.repeat(walk[None], 4, axis=0), DetectorNoise())
        assert np.isfinite(batch.inputs_2d).all() and np.abs(batch.inputs_2d).max() < 4, seed


def test_evaluation_sees_the_same_cameras_with_and_without_noise(walk: np.ndarray) -> None:
    clean = evaluation_views("cmu/cc/005/005_17", walk, 3, NO_NOISE)
    noisy = evaluation_views("cmu/cc/005/005_17", walk, 3, DetectorNoise())
    np.testing.assert_array_equal(clean.intrinsics, noisy.intrinsics)
    np.testing.assert_array_equal(clean.poses_3d, noisy.poses_3d)
    np.testing.assert_array_equal(clean.clean_2d, noisy.clean_2d)
    difference = np.abs(noisy.inputs_2d - clean.inputs_2d)
    assert 0 < np.median(difference) < 0.05  # only the noise differs
    # A clip's cameras depend on its name and the seed, not on the other clips or the order.
    other = evaluation_views("cmu/cc/005/005_16", walk, 3, NO_NOISE)
    assert not np.array_equal(other.intrinsics, clean.intrinsics)
    np.testing.assert_array_equal(evaluation_views("cmu/cc/005/005_17", walk, 3, NO_NOISE).inputs_2d, clean.inputs_2d)


def test_body_augmentation_gives_new_heights_and_proportions(walk: np.ndarray) -> None:
    points = np.repeat(walk[None], 300, axis=0)
    augmentation = BodyAugmentation(probability=1.0)
    new = augment_bodies(np.random.default_rng(0), points, augmentation)
    heights = standing_height(new)
    assert heights.min() > 1.35 and heights.max() < 2.1
    assert np.quantile(heights, 0.1) < 1.6 and np.quantile(heights, 0.9) > 1.85
    original = np.median(h36m_bone_lengths(walk), axis=0)
    lengths = np.stack([h36m_bone_lengths(view) for view in new[:20]])  # (views, frames, 16)
    assert np.ptp(lengths, axis=1).max() < np.ptp(h36m_bone_lengths(walk), axis=0).max() * 2.5 + 1e-3  # rigid
    ratios = np.median(lengths, axis=1) / original  # (views, 16)
    thigh, shin = ratios[:, 1], ratios[:, 2]  # right thigh, right shin (bones to joints 2 and 3)
    assert np.std(thigh / shin) > 0.03  # proportions change, not only the size
    np.testing.assert_allclose(ratios[:, 1], ratios[:, 4], rtol=1e-6)  # left and right alike
    # Feet stay on the floor (within the change of leg length) and the face rides with the head.
    floor = new[..., [3, 6], 2].min(axis=(1, 2))
    assert np.abs(floor - walk[:, [3, 6], 2].min()).max() < 0.1
    nose = MOCAP_NAMES.index("nose")
    assert np.linalg.norm(new[:, :, nose] - new[:, :, 9], axis=-1).max() < 0.2
    unchanged = augment_bodies(np.random.default_rng(0), points[:5], BodyAugmentation(probability=0.0))
    np.testing.assert_array_equal(unchanged, points[:5])


def _torso_up_in_image(inputs_2d: np.ndarray) -> np.ndarray:
    """(views, frames, 17, 2) normalised COCO17 (y down) -> (views, frames) angle (deg) of hips -> shoulders
    from image up."""
    hips, shoulders = inputs_2d[..., [11, 12], :].mean(axis=-2), inputs_2d[..., [5, 6], :].mean(axis=-2)
    up = shoulders - hips
    return np.degrees(np.arctan2(up[..., 0], -up[..., 1]))


def test_landmark_offsets_move_the_2d_hips_shoulders_and_knees_but_not_the_3d_targets(walk: np.ndarray) -> None:
    """Issue 12, item 5: the training 2D from BlazePose-like landmarks (a longer torso, wider hips, knees low on
    the leg), the 3D still the joint centres; views not drawn keep their 2D exactly."""
    points = np.repeat(walk[None, :60], 40, axis=0)
    plain = synthesize(np.random.default_rng(5), points)
    moved = synthesize(np.random.default_rng(5), points, landmarks=LandmarkOffsets(probability=0.5))
    np.testing.assert_array_equal(moved.poses_3d, plain.poses_3d)
    np.testing.assert_array_equal(moved.trajectory, plain.trajectory)
    changed = np.abs(moved.clean_2d - plain.clean_2d).max(axis=(1, 2, 3)) > 1e-6
    assert 0.2 < changed.mean() < 0.8

    def ratio(inputs_2d: np.ndarray, first: list[int], second: list[int], third: list[int] | None = None) -> np.ndarray:
        a, b = inputs_2d[..., first, :].mean(axis=-2), inputs_2d[..., second, :].mean(axis=-2)
        length = np.linalg.norm(a - b, axis=-1)
        if third is not None:
            length = length / np.linalg.norm(inputs_2d[..., third[0], :] - inputs_2d[..., third[1], :], axis=-1)
        return np.median(length, axis=1)

    torso = ratio(moved.clean_2d, [11, 12], [5, 6]) / ratio(plain.clean_2d, [11, 12], [5, 6])
    hips = ratio(moved.clean_2d, [11], [12]) / ratio(plain.clean_2d, [11], [12])
    thigh_per_shin = ratio(moved.clean_2d, [11], [13], [13, 15]) / ratio(plain.clean_2d, [11], [13], [13, 15])
    assert np.all(torso[changed] > 1.0) and np.median(torso[changed]) > 1.08
    assert np.all(hips[changed] > 0.98) and np.median(hips[changed]) > 1.08
    assert np.median(thigh_per_shin[changed]) > 1.03
    np.testing.assert_array_equal(moved.clean_2d[~changed], plain.clean_2d[~changed])


def test_spun_bodies_turn_upside_down_in_the_image_and_keep_their_bones(walk: np.ndarray) -> None:
    """Issue 15: the lifter never saw a body past horizontal (the sports2d flip came out upright)."""
    points = np.repeat(walk[None, :90], 40, axis=0)
    plain = synthesize(np.random.default_rng(3), points)
    spun = synthesize(np.random.default_rng(3), points, spin=BodySpin(probability=1.0))
    assert np.abs(_torso_up_in_image(plain.inputs_2d)).max() < 60.0
    assert (np.abs(_torso_up_in_image(spun.inputs_2d)) > 120.0).mean() > 0.2
    bones = lambda poses: np.linalg.norm(poses[..., 1:, :] - poses[..., [0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15], :], axis=-1)  # noqa: E731
    np.testing.assert_allclose(bones(spun.poses_3d), bones(plain.poses_3d), atol=1e-4)
    np.testing.assert_allclose(spun.trajectory, plain.trajectory, atol=1e-5)


def test_long_gaps_are_runs_of_dropped_frames_filled_as_inference_fills_them(walk: np.ndarray) -> None:
    points = np.repeat(walk[None, :90], 20, axis=0)
    batch = synthesize(np.random.default_rng(4), points, DetectorNoise(gap_probability=1.0, drop_probability=0.0))
    dropped = batch.scores == 0
    longest = max(np.diff(np.flatnonzero(np.diff(np.r_[0, column, 0]))).max(initial=0)
                  for column in dropped.transpose(0, 2, 1).reshape(-1, 90).astype(int) if column.any())
    assert dropped.any(axis=(1, 2)).all() and longest >= 8
    # Inside a gap the input is the straight line between its ends (what videopose.lifter.infer fills).
    view, joint = np.argwhere(dropped.any(axis=1))[0]
    frames = np.flatnonzero(dropped[view, :, joint])
    first, last = frames[0] - 1, frames[-1] + 1
    if first >= 0 and last < 90:
        steps = np.diff(batch.inputs_2d[view, first:last + 1, joint], axis=0)
        np.testing.assert_allclose(steps, np.broadcast_to(steps[0], steps.shape), atol=1e-5)
