"""Training cannot silently break: broken 2D, non-finite losses and collapsed batch norm (issue 12).

The shipped 60-epoch run collapsed at epoch 33: one virtual camera stood in the performer's path, a
joint projected from 1e-6 m depth to about 1e6 normalised units, that batch blew the batch-norm running
variances up, and with the late, tiny batch-norm momentum they never recovered: validation stuck at
211 mm with a constant output. These tiny runs inject such failures and check the run notices,
skips or rolls back, counts it in log.csv and ends with a working model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

import videopose.lifter.train as train_module
from test_train import read_log, tiny_config, tiny_dataset  # noqa: F401  (fixture)
from videopose.lifter.datasets import MocapDataset
from videopose.lifter.train import batch_norm_problems, train
from videopose.lifter.checkpoint import LifterConfig, build_model


def _corrupting(original, corrupt):
    """Wrap ``_batch_tensors`` so that ``corrupt(call_index, tensors)`` may break some batches."""
    calls = {"n": 0}

    def wrapped(*args, **kwargs):
        tensors = original(*args, **kwargs)
        calls["n"] += 1
        corrupt(calls["n"], tensors)
        return tensors

    return wrapped


def _healthy(row: dict[str, float]) -> bool:
    return (math.isfinite(row["val_mpjpe_mm"]) and row["val_mpjpe_mm"] < 1000
            and row["val_output_spread_mm"] > 0.2 * row["val_target_spread_mm"])


def test_nan_and_huge_batches_and_nan_losses_are_skipped_and_counted(
        tiny_dataset: MocapDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    def corrupt(call: int, tensors: dict[str, torch.Tensor]) -> None:
        if call == 2:
            tensors["inputs"][0, 0, 0, 0] = float("nan")  # NaN 2D
        elif call == 3:
            tensors["inputs"][:4] *= 1e6  # a camera in the performer's path
        elif call == 4:
            tensors["poses"][0, 0, 1, 0] = float("inf")  # a non-finite target -> non-finite loss

    monkeypatch.setattr(train_module, "_batch_tensors", _corrupting(train_module._batch_tensors, corrupt))
    summary = train(tiny_config(tmp_path, epochs=2, steps_per_epoch=5), dataset=tiny_dataset)
    log = read_log(tmp_path / "log.csv")
    assert log[0]["skipped_bad_input"] == 2 and log[0]["skipped_nonfinite_loss"] == 1
    assert log[1]["skipped_bad_input"] == 0 and log[1]["skipped_nonfinite_loss"] == 0
    assert all(_healthy(row) for row in log)
    assert batch_norm_problems_of(tmp_path) == []
    assert summary["best"]["epoch"] >= 1


def batch_norm_problems_of(run: Path) -> list[str]:
    from videopose.lifter.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(run / "last.pt")
    model = build_model(checkpoint.config, strided=False)
    model.load_state_dict(checkpoint.pose_state)
    return batch_norm_problems(model)


def test_exploded_batch_norm_rolls_back_to_the_last_good_epoch(
        tiny_dataset: MocapDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """With the input guard off, a 1e6 batch in epoch 2 reaches batch norm (as in the shipped run); the
    epoch's check sees the exploded variances, warns and rolls back, and epoch 3 trains on."""
    steps = 4

    def corrupt(call: int, tensors: dict[str, torch.Tensor]) -> None:
        if call == steps + 2:
            tensors["inputs"] *= 1e6

    monkeypatch.setattr(train_module, "_batch_tensors", _corrupting(train_module._batch_tensors, corrupt))
    with pytest.warns(RuntimeWarning, match="collapsed.*rolled back to the state after epoch 1"):
        train(tiny_config(tmp_path, epochs=3, steps_per_epoch=steps, max_input=float("inf")), dataset=tiny_dataset)
    log = read_log(tmp_path / "log.csv")
    assert [row["rolled_back"] for row in log] == [0, 1, 0]
    assert log[1]["bn_problems"] > 0
    assert _healthy(log[2]) and log[2]["val_mpjpe_mm"] < 1.5 * log[0]["val_mpjpe_mm"]
    assert batch_norm_problems_of(tmp_path) == []


def test_batch_norm_check_finds_broken_statistics() -> None:
    model = build_model(LifterConfig((3, 3), channels=8), strided=True)
    assert batch_norm_problems(model) == []
    model.layers_bn[0].running_var[3] = 1e12
    model.expand_bn.running_mean[0] = float("nan")
    problems = batch_norm_problems(model)
    assert len(problems) == 2 and any("exploded" in p for p in problems) and any("not finite" in p for p in problems)


def test_training_views_with_broken_2d_are_dropped_and_counted(
        tiny_dataset: MocapDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    original = train_module.synthesize
    calls = {"n": 0}

    def broken(*args, **kwargs):
        batch = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            batch.inputs_2d[0, 5] = np.nan
            batch.inputs_2d[1, 7] = 1e6
        return batch

    monkeypatch.setattr(train_module, "synthesize", broken)
    train(tiny_config(tmp_path, epochs=1, steps_per_epoch=3), dataset=tiny_dataset)
    log = read_log(tmp_path / "log.csv")
    assert log[0]["dropped_views"] == 2 and _healthy(log[0])
