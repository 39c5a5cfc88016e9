"""Robust constant bone lengths (retarget/bone_lengths.py)."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.retarget.bone_lengths import estimate_bone_lengths, robust_median
from synthetic_motion import random_smooth_motion, reference_skeleton
from videopose.core.errors import VideoposeError
from videopose.core.layouts import H36M17


def test_robust_median_ignores_outliers_and_nan() -> None:
    samples = np.full((100, 1), 0.3)
    samples[:40, 0] += np.linspace(-0.01, 0.01, 40)
    samples[90:, 0] = 5.0  # a burst of broken frames
    samples[50:55, 0] = np.nan
    assert robust_median(samples)[0] == pytest.approx(0.3, abs=1e-3)


def test_lengths_are_symmetric_and_survive_broken_frames() -> None:
    world = random_smooth_motion(150, seed=2)
    world[10:14] = np.nan
    world[30, 12] += 1.0  # one wild elbow
    lengths = estimate_bone_lengths(world, H36M17)
    truth = reference_skeleton().bone_lengths()
    assert lengths == pytest.approx(truth, abs=1e-6)
    mirror = H36M17.mirror_permutation()
    assert lengths == pytest.approx(lengths[mirror])


def test_one_collapsed_side_is_an_error_not_averaged_away() -> None:
    world = random_smooth_motion(20, seed=2)
    world[:, H36M17.index("right_knee")] = world[:, H36M17.index("right_hip")]
    with pytest.raises(VideoposeError, match="right_hip->right_knee"):
        estimate_bone_lengths(world, H36M17)
