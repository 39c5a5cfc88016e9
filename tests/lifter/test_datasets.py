"""VideoPose3D's public 3D formats (Human3.6M 32 joints, HumanEva 15) -> training clips and the split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.lifter.datasets import load_training_data, split_dataset
from videopose.core.errors import VideoposeError
from videopose.core.layouts import H36M17


def _save_positions(path: Path, positions: dict) -> Path:
    np.savez(path, positions_3d=np.array(positions, dtype=object))
    return path


def test_human36m_32_joints_reduce_to_17_and_s9_s11_validate(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    raw = {subject: {"Walking": rng.normal(size=(12, 32, 3))} for subject in ("S1", "S5", "S9", "S11")}
    dataset = load_training_data(_save_positions(tmp_path / "data_3d_h36m.npz", raw))
    clip = next(c for c in dataset.clips if c.name == "S1/Walking")
    # Right wrist is joint 27 of the 32 and joint 16 of the 17; the left knee 7 -> 5.
    np.testing.assert_allclose(clip.points[:, 16], raw["S1"]["Walking"][:, 27])
    np.testing.assert_allclose(clip.points[:, 5], raw["S1"]["Walking"][:, 7])
    assert clip.points.shape == (12, 22, 3) and not clip.has_face  # 17 + five face points made from the head
    train, validation = split_dataset(dataset)
    assert sorted(c.subject for c in validation.clips) == ["S11", "S9"]
    assert sorted(c.subject for c in train.clips) == ["S1", "S5"]


def test_humaneva_15_joints_map_to_h36m17_and_validate_chunks_validate(tmp_path: Path) -> None:
    frames = 8
    points = np.zeros((frames, 15, 3))
    points[:, 0] = [0, 0, 1.0]  # pelvis
    points[:, 1] = [0, 0, 1.5]  # thorax
    points[:, 14] = [0, 0, 1.8]  # head
    points[:, 7] = [-0.6, 0, 1.4]  # right wrist
    points[:, 10] = [0.1, 0, 0.1]  # left ankle
    raw = {"Train/S1": {"Walking 1": points}, "Validate/S1": {"Walking 1": points + 1}}
    dataset = load_training_data(_save_positions(tmp_path / "data_3d_humaneva15.npz", raw))
    clip = next(c for c in dataset.clips if c.subject == "Train/S1")
    index = {name: i for i, name in enumerate(H36M17.names)}
    np.testing.assert_allclose(clip.points[0, index["right_wrist"]], [-0.6, 0, 1.4])
    np.testing.assert_allclose(clip.points[0, index["left_ankle"]], [0.1, 0, 0.1])
    np.testing.assert_allclose(clip.points[0, index["spine"]], [0, 0, 1.25])
    np.testing.assert_allclose(clip.points[0, index["neck_nose"]], [0, 0, 1.6])
    train, validation = split_dataset(dataset)
    assert [c.subject for c in validation.clips] == ["Validate/S1"] and [c.subject for c in train.clips] == ["Train/S1"]


def test_wrong_joint_count_is_a_clear_error(tmp_path: Path) -> None:
    path = _save_positions(tmp_path / "data_3d_custom.npz", {"S1": {"a": np.zeros((5, 20, 3))}})
    with pytest.raises(VideoposeError, match="has 20 joints"):
        load_training_data(path)
