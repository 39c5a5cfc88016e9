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


# --- the shared mocap table: five sources, known flaws, split by subject (issue 12) ---------------

TABLE_CLIPS = ("cmu/asf/03/03_02.amc", "cmu/daz/07/07_03.bvh", "cmu/daz/salsa/16.bvh", "cmu/cc/006/006_05.bvh",
               "cmu/asfbvh/16/16_02.bvh", "hdm05/mm/HDM_mm_kickLFront1Reps_019_120.amc")


def _tiny_table(shared_dir: Path, folder: Path) -> Path:
    """A mocap folder of links to a few real clips with the matching rows of the real clips.csv."""
    import csv
    import os

    mocap = shared_dir / "mocap"
    with open(mocap / "clips.csv", newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        rows = [row for row in reader if row["path"] in TABLE_CLIPS]
        columns = reader.fieldnames
    for row in rows:
        link = folder / row["path"]
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(mocap / row["path"], link)
        if link.suffix == ".amc" and not list(link.parent.glob("*.asf")):
            asf = next((mocap / row["path"]).parent.glob("*.asf"))
            os.symlink(asf, link.parent / asf.name)
    with open(folder / "clips.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_the_mocap_table_reads_every_source_and_splits_by_subject(shared_dir: Path, tmp_path: Path) -> None:
    from videopose.core.bvh import read_bvh
    from videopose.lifter.datasets import T_POSE_BLEND_FRAMES, dataset_from_bvh, minutes_by_source

    dataset = dataset_from_bvh(_tiny_table(shared_dir, tmp_path))
    by_name = {clip.name: clip for clip in dataset.clips}
    assert sorted(by_name) == sorted(path.rsplit(".", 1)[0] for path in TABLE_CLIPS)
    assert {clip.skeleton for clip in dataset.clips} == {"asf", "daz", "cc", "asfbvh"}
    assert by_name["cmu/asf/03/03_02"].subject == "cmu_03" and by_name["hdm05/mm/HDM_mm_kickLFront1Reps_019_120"].subject == "hdm05_mm"
    # The papagina Daz clips lose their T-pose blend; the others keep every frame.
    salsa = read_bvh(shared_dir / "mocap" / "cmu" / "daz" / "salsa" / "16.bvh")
    assert by_name["cmu/daz/salsa/16"].points.shape[0] == salsa.num_frames - T_POSE_BLEND_FRAMES
    assert by_name["cmu/daz/07/07_03"].points.shape[0] == read_bvh(shared_dir / "mocap" / "cmu/daz/07/07_03.bvh").num_frames
    for clip in dataset.clips:  # metres, standing people (the ASF-unit BVH included)
        assert 0.7 < np.median(clip.points[:, 10, 2] - clip.points[:, [3, 6], 2].min(-1)) < 2.0, clip.name
    train, validation = split_dataset(dataset)
    assert sorted(c.name for c in validation.clips) == ["cmu/daz/07/07_03", "cmu/daz/salsa/16",
                                                       "hdm05/mm/HDM_mm_kickLFront1Reps_019_120"]
    assert not {c.subject for c in train.clips} & {c.subject for c in validation.clips}
    assert set(minutes_by_source(dataset)) == {"cmu/asf", "cmu/asfbvh", "cmu/cc", "cmu/daz", "hdm05"}


def test_a_table_row_without_its_file_is_named(shared_dir: Path, tmp_path: Path) -> None:
    from videopose.lifter.datasets import dataset_from_bvh

    folder = _tiny_table(shared_dir, tmp_path)
    (folder / "cmu/cc/006/006_05.bvh").unlink()
    with pytest.raises(VideoposeError, match=r"clips.csv lists cmu/cc/006/006_05.bvh, which is not there"):
        dataset_from_bvh(folder)
