"""Tiny real training runs on real mocap: the loss falls, same seed -> same weights, resume, semi."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from videopose.core.errors import VideoposeError
from videopose.lifter.checkpoint import load_checkpoint
from videopose.lifter.datasets import MocapDataset, dataset_from_bvh, split_dataset
from videopose.lifter.train import RealFootage, TrainConfig, bn_momentum, select_labeled_clips, train

# Short real clips: subjects 003/006 train, 007 is the fixed validation subject.
TINY_CLIPS = ("cc/003/003_02", "cc/006/006_05", "cc/006/006_08", "cc/006/006_09", "cc/007/007_10", "cc/007/007_12")


def tiny_bvh_folder(shared_dir: Path, folder: Path) -> Path:
    """A folder of links to the short real clips, laid out like ../shared/mocap/cmu."""
    for relative in TINY_CLIPS:
        link = folder / f"{relative}.bvh"
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(shared_dir / "mocap" / "cmu" / f"{relative}.bvh", link)
    return folder


@pytest.fixture(scope="module")
def tiny_dataset(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> MocapDataset:
    return dataset_from_bvh(tiny_bvh_folder(shared_dir, tmp_path_factory.mktemp("bvh")))


def tiny_config(output: Path, **changes) -> TrainConfig:
    values = dict(data="(in memory)", output_dir=str(output), epochs=2, filter_widths=(3, 3), channels=32,
                  batch_size=128, learning_rate=3e-3, steps_per_epoch=6, cameras_per_clip=2, validation_cameras=1,
                  seed=7, threads=1, device="cpu")
    values.update(changes)
    return TrainConfig(**values)


def read_log(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as stream:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(stream)]


def states_equal(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)


@pytest.fixture(scope="module")
def two_epoch_run(tiny_dataset: MocapDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("run")
    train(tiny_config(output), dataset=tiny_dataset)
    return output


def test_training_lowers_the_loss_and_writes_its_outputs(two_epoch_run: Path) -> None:
    log = read_log(two_epoch_run / "log.csv")
    assert [row["epoch"] for row in log] == [1, 2]
    assert log[1]["train_loss_mm"] < log[0]["train_loss_mm"]
    assert log[1]["val_mpjpe_mm"] < log[0]["val_mpjpe_mm"]
    assert log[1]["lr"] == pytest.approx(3e-3 * 0.95)
    assert log[0]["bn_momentum"] == pytest.approx(0.1) and log[1]["bn_momentum"] == pytest.approx(0.001)
    for name in ("best.pt", "last.pt", "train_state.pt", "curves.png", "config.json"):
        assert (two_epoch_run / name).stat().st_size > 0, name
    checkpoint = load_checkpoint(two_epoch_run / "best.pt")
    assert checkpoint.config.filter_widths == (3, 3) and checkpoint.config.channels == 32
    assert checkpoint.has_trajectory
    assert checkpoint.metadata["epoch"] == 2 and checkpoint.metadata["receptive_field"] == 9


def test_same_seed_same_weights_and_resume_continues_exactly(
        two_epoch_run: Path, tiny_dataset: MocapDataset, tmp_path: Path) -> None:
    reference = load_checkpoint(two_epoch_run / "last.pt")
    again = tmp_path / "again"
    train(tiny_config(again), dataset=tiny_dataset)
    assert states_equal(load_checkpoint(again / "last.pt").pose_state, reference.pose_state)

    # Interrupted after one epoch, then resumed: the same weights as the uninterrupted run.
    interrupted = tmp_path / "interrupted"
    interrupt_after_first_epoch(tiny_dataset, interrupted)
    summary = train(tiny_config(interrupted, resume=True), dataset=tiny_dataset)
    assert [row["epoch"] for row in summary["history"]] == [1, 2]
    resumed = load_checkpoint(interrupted / "last.pt")
    assert states_equal(resumed.pose_state, reference.pose_state)
    assert states_equal(resumed.trajectory_state, reference.trajectory_state)

    other_seed = tmp_path / "other"
    train(tiny_config(other_seed, epochs=1, seed=8), dataset=tiny_dataset)
    assert not states_equal(load_checkpoint(other_seed / "last.pt").pose_state, reference.pose_state)


class _Interrupt(Exception):
    pass


def interrupt_after_first_epoch(dataset: MocapDataset, output: Path) -> None:
    """Start the 2-epoch run and stop it (like Ctrl-C) at the first step of epoch 2."""
    config = tiny_config(output)

    def progress(done: int, total: int, message: str) -> None:
        if done > config.steps_per_epoch:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        train(config, progress=progress, dataset=dataset)
    assert len(read_log(output / "log.csv")) == 1


def test_resume_refuses_another_architecture(two_epoch_run: Path, tiny_dataset: MocapDataset, tmp_path: Path) -> None:
    import shutil

    from videopose.core.errors import VideoposeError

    copy = tmp_path / "copy"
    shutil.copytree(two_epoch_run, copy)
    with pytest.raises(VideoposeError, match="another architecture"):
        train(tiny_config(copy, channels=16, resume=True), dataset=tiny_dataset)


def test_semi_supervised_step_has_finite_losses(tiny_dataset: MocapDataset, tmp_path: Path) -> None:
    summary = train(tiny_config(tmp_path, semi=True, labeled_fraction=0.4, warmup_epochs=1, steps_per_epoch=3),
                    dataset=tiny_dataset)
    first, second = summary["history"]
    assert first["train_reprojection_loss"] == 0 and first["train_bone_loss_mm"] == 0  # warm-up: supervised only
    for key in ("train_loss_mm", "train_trajectory_loss", "train_reprojection_loss", "train_bone_loss_mm",
                "val_mpjpe_mm", "val_trajectory_mm"):
        assert math.isfinite(second[key]), key
    assert second["train_reprojection_loss"] > 0 and second["train_bone_loss_mm"] > 0
    train_clips = split_dataset(tiny_dataset)[0]
    assert summary["train_frames"] < 0.75 * train_clips.num_frames  # only the labelled clips count


def test_labelled_clips_are_a_seeded_fraction_of_the_frames(tiny_dataset: MocapDataset) -> None:
    train_clips = split_dataset(tiny_dataset)[0]
    labeled, unlabeled = select_labeled_clips(train_clips, 0.5, seed=3)
    names = [clip.name for clip in labeled.clips] + [clip.name for clip in unlabeled.clips]
    assert sorted(names) == sorted(clip.name for clip in train_clips.clips)
    assert labeled.num_frames >= 0.5 * train_clips.num_frames
    assert labeled.num_frames - labeled.clips[-1].points.shape[0] < 0.5 * train_clips.num_frames
    again, _ = select_labeled_clips(train_clips, 0.5, seed=3)
    assert [clip.name for clip in again.clips] == [clip.name for clip in labeled.clips]


def test_bn_momentum_decays_exponentially() -> None:
    values = [bn_momentum(epoch, 5, 0.1, 0.001) for epoch in range(5)]
    assert values[0] == pytest.approx(0.1) and values[-1] == pytest.approx(0.001)
    assert np.allclose(np.diff(np.log(values)), np.log(0.01) / 4)


def test_real_footage_feeds_the_reprojection_term(tiny_dataset: MocapDataset, tmp_path: Path) -> None:
    """Issue 12, item 7: the semi-supervised terms on real 2D (here: a clip through a known camera), beside
    every mocap clip kept labelled."""
    from videopose.lifter.synthetic import synthesize

    clip = split_dataset(tiny_dataset)[0].clips[0]
    view = synthesize(np.random.default_rng(0), clip.points[None])
    footage = [RealFootage("filmed", view.inputs_2d[0], view.intrinsics[0])]
    summary = train(tiny_config(tmp_path, semi=True, warmup_epochs=0, steps_per_epoch=3), dataset=tiny_dataset,
                    footage=footage)
    assert all(row["train_reprojection_loss"] > 0 and row["train_bone_loss_mm"] > 0 for row in summary["history"])
    assert summary["train_frames"] == split_dataset(tiny_dataset)[0].num_frames  # all mocap stays labelled
    with pytest.raises(VideoposeError, match="--semi"):
        train(tiny_config(tmp_path / "supervised"), dataset=tiny_dataset, footage=footage)


def test_fine_tuning_starts_from_the_given_weights(two_epoch_run: Path, tiny_dataset: MocapDataset,
                                                  tmp_path: Path) -> None:
    trained = read_log(two_epoch_run / "log.csv")[-1]["val_mpjpe_mm"]
    fresh = train(tiny_config(tmp_path / "fresh", epochs=1, steps_per_epoch=1, learning_rate=1e-9),
                  dataset=tiny_dataset)["history"][0]["val_mpjpe_mm"]
    tuned = train(tiny_config(tmp_path / "tuned", epochs=1, steps_per_epoch=1, learning_rate=1e-9,
                              init_checkpoint=str(two_epoch_run / "last.pt")), dataset=tiny_dataset)["history"][0]
    assert abs(tuned["val_mpjpe_mm"] - trained) < 0.05 * trained < abs(fresh - trained)
    with pytest.raises(VideoposeError, match="not the one to train"):
        train(tiny_config(tmp_path / "other", channels=16, init_checkpoint=str(two_epoch_run / "last.pt")),
              dataset=tiny_dataset)


def test_real_footage_from_keypoints_files_gets_the_default_camera() -> None:
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.checkpoint import LifterConfig
    from videopose.pipeline import real_footage
    from videopose.retarget.camera_model import DEFAULT_DIAGONAL_FOV_DEGREES

    sample = Path(__file__).resolve().parents[2] / "samples" / "tfjs_pose_1.expected_keypoints.npz"
    (clip,) = real_footage([sample], LifterConfig((3, 3)))
    keypoints = Keypoints2D.load(sample)
    focal_px = clip.intrinsics[0] * keypoints.width / 2
    fov = np.degrees(2 * np.arctan(np.hypot(keypoints.width, keypoints.height) / 2 / focal_px))
    assert fov == pytest.approx(DEFAULT_DIAGONAL_FOV_DEGREES, abs=1e-3)
    assert clip.inputs.shape == (keypoints.num_frames, 17, 2) and np.allclose(clip.intrinsics[2:], 0, atol=1e-6)
