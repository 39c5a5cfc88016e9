"""Lifter checkpoints: save/load, original VideoPose3D files, and clear errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import videopose.lifter.checkpoint as checkpoint_module
from videopose.lifter.checkpoint import (
    LifterCheckpoint, LifterConfig, build_model, default_checkpoint_path, load_checkpoint, resolve_checkpoint,
    save_checkpoint,
)
from videopose.lifter.model import TemporalModel, TemporalModelStrided
from videopose.core.errors import VideoposeError

CONFIG = LifterConfig((3, 3, 3), channels=32)


def randomized(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Fresh random weights and random batch-norm statistics (so that every tensor matters)."""
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv1d, torch.nn.BatchNorm1d)):
            module.reset_parameters()
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.bias.data.normal_(0, 0.1)
    return model.eval()


def _checkpoint(config: LifterConfig = CONFIG, trajectory: bool = True, seed: int = 0) -> LifterCheckpoint:
    pose = randomized(build_model(config), seed)
    trajectory_state = randomized(build_model(config, num_joints_out=1), seed + 1).state_dict() if trajectory else None
    return LifterCheckpoint(config, pose.state_dict(), trajectory_state, {"epochs": 3, "mpjpe_mm": np.float32(51.5)})


def _outputs(model: torch.nn.Module, frames: int = 40) -> torch.Tensor:
    inputs = torch.randn(1, frames, model.num_joints_in, 2, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        return model.eval()(inputs)


def test_config_round_trip_and_validation():
    config = LifterConfig([3, 3, 3, 3], channels=256, causal=True, input_layout="mediapipe33")
    assert config.filter_widths == (3, 3, 3, 3) and config.receptive_field == 81
    assert LifterConfig.from_dict(config.to_dict()) == config
    assert (config.num_joints_in, config.num_joints_out) == (33, 17)
    with pytest.raises(VideoposeError, match="odd"):
        LifterConfig((3, 4))
    with pytest.raises(VideoposeError, match="unknown joint layout"):
        LifterConfig((3,), input_layout="nope")
    with pytest.raises(VideoposeError, match="unknown keys"):
        LifterConfig.from_dict({**config.to_dict(), "learning_rate": 1.0})


def test_build_model_variants():
    assert isinstance(build_model(CONFIG), TemporalModel)
    strided = build_model(CONFIG, strided=True, num_joints_out=1)
    assert isinstance(strided, TemporalModelStrided) and strided.num_joints_out == 1
    assert build_model(CONFIG).receptive_field() == CONFIG.receptive_field == 27


def test_save_and_load_round_trip_keeps_weights_config_and_metadata(tmp_path):
    original = _checkpoint()
    save_checkpoint(original, tmp_path / "lifter.pt")
    loaded = load_checkpoint(tmp_path / "lifter.pt")
    assert loaded.config == CONFIG and loaded.has_trajectory
    assert loaded.metadata == {"epochs": 3, "mpjpe_mm": pytest.approx(51.5)}
    torch.testing.assert_close(_outputs(loaded.pose_model()), _outputs(original.pose_model()), rtol=0, atol=0)
    torch.testing.assert_close(_outputs(loaded.trajectory_model()), _outputs(original.trajectory_model()), rtol=0, atol=0)
    assert [path.name for path in tmp_path.iterdir()] == ["lifter.pt"]  # no temporary files left


def test_half_precision_storage_loads_as_float32(tmp_path):
    original = _checkpoint(trajectory=False)
    save_checkpoint(original, tmp_path / "full.pt")
    save_checkpoint(original, tmp_path / "half.pt", half=True)
    loaded = load_checkpoint(tmp_path / "half.pt")
    assert all(t.dtype == torch.float32 for n, t in loaded.pose_state.items() if "num_batches" not in n)
    assert (tmp_path / "half.pt").stat().st_size < 0.7 * (tmp_path / "full.pt").stat().st_size
    reference = _outputs(original.pose_model())
    assert (_outputs(loaded.pose_model()) - reference).abs().max() < 1e-2 * reference.abs().max()
    assert loaded.trajectory_model() is None


def test_original_videopose3d_checkpoint_loads_and_matches_the_native_one(tmp_path):
    pose = randomized(TemporalModel(17, 2, 17, [3, 3, 3], channels=32), seed=5)
    trajectory = randomized(TemporalModel(17, 2, 1, [3, 3, 3], channels=32), seed=6)
    optimizer = torch.optim.Adam(list(pose.parameters()) + list(trajectory.parameters()), lr=1e-3)
    torch.save({
        "epoch": 3, "lr": 0.00095, "random_state": np.random.RandomState(1234).get_state(),
        "optimizer": optimizer.state_dict(), "model_pos": pose.state_dict(), "model_traj": trajectory.state_dict(),
    }, tmp_path / "pretrained.bin")
    loaded = load_checkpoint(tmp_path / "pretrained.bin")
    assert loaded.config == LifterConfig((3, 3, 3), channels=32, causal=False, input_layout="coco17")
    assert loaded.metadata["epoch"] == 3 and loaded.has_trajectory
    torch.testing.assert_close(_outputs(loaded.pose_model()), _outputs(pose), rtol=0, atol=0)
    torch.testing.assert_close(_outputs(loaded.trajectory_model()), _outputs(trajectory), rtol=0, atol=0)

    # Saved again in videopose's format, it gives the same outputs.
    save_checkpoint(loaded, tmp_path / "native.pt")
    native = load_checkpoint(tmp_path / "native.pt")
    torch.testing.assert_close(_outputs(native.pose_model()), _outputs(pose), rtol=0, atol=0)


def test_original_checkpoint_options_data_parallel_causal_and_layout(tmp_path):
    pose = randomized(TemporalModel(17, 2, 17, [3, 3, 3, 3], causal=True, channels=16), seed=7)
    state = {f"module.{name}": tensor for name, tensor in pose.state_dict().items()}
    torch.save({"model_pos": state, "model_traj": None, "epoch": 80}, tmp_path / "causal.bin")
    as_saved = load_checkpoint(tmp_path / "causal.bin")
    assert not as_saved.config.causal and as_saved.config.receptive_field == 81 and not as_saved.has_trajectory
    causal = load_checkpoint(tmp_path / "causal.bin", causal=True, input_layout="h36m17")
    assert causal.config.causal and causal.config.input_layout == "h36m17"
    torch.testing.assert_close(_outputs(causal.pose_model(), 90), _outputs(pose, 90), rtol=0, atol=0)
    assert (_outputs(as_saved.pose_model(), 90) - _outputs(pose, 90)).abs().max() > 1e-4
    # 33 input joints -> the MediaPipe layout.
    wide = TemporalModel(33, 2, 17, [3, 3], channels=8)
    torch.save({"model_pos": wide.state_dict()}, tmp_path / "wide.bin")
    assert load_checkpoint(tmp_path / "wide.bin").config.input_layout == "mediapipe33"


class _NotWeights:
    pass


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"this is not a zip file at all" * 10, "cannot read lifter checkpoint"),
        ([1, 2, 3], "not a lifter checkpoint"),
        ({"state_dict": {}}, "expected a dict with 'model_pos'"),
        ({"model_pos": {"weight": 3}}, "not a state dict of tensors"),
        ({"model_pos": {"expand_conv.weight": torch.zeros(8, 34, 3)}}, "weights lack shrink.weight"),
        ({"model_pos": {"expand_conv.weight": torch.zeros(8, 14, 3), "shrink.weight": torch.zeros(51, 8, 1)}},
         "fits no known 2D layout"),
        ({"model_pos": "weights", "pickled": _NotWeights()}, "cannot read lifter checkpoint"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(VideoposeError, match=message):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_config_are_rejected(tmp_path):
    checkpoint = _checkpoint(trajectory=False)
    mismatched = LifterCheckpoint(LifterConfig((3, 3, 3), channels=64), checkpoint.pose_state)
    with pytest.raises(VideoposeError, match="do not fit"):
        save_checkpoint(mismatched, tmp_path / "mismatch.pt")
    assert not (tmp_path / "mismatch.pt").exists()
    save_checkpoint(checkpoint, tmp_path / "ok.pt")
    payload = torch.load(tmp_path / "ok.pt", weights_only=True)
    torch.save({**payload, "config": {**payload["config"], "channels": 64}}, tmp_path / "edited.pt")
    with pytest.raises(VideoposeError, match="do not fit its configuration"):
        load_checkpoint(tmp_path / "edited.pt")
    torch.save({**payload, "version": 99}, tmp_path / "future.pt")
    with pytest.raises(VideoposeError, match="upgrade videopose"):
        load_checkpoint(tmp_path / "future.pt")
    with pytest.raises(VideoposeError, match="trained with causal=False"):
        load_checkpoint(tmp_path / "ok.pt", causal=True)
    with pytest.raises(VideoposeError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(VideoposeError, match="metadata"):
        save_checkpoint(LifterCheckpoint(CONFIG, checkpoint.pose_state, metadata={"x": object()}), tmp_path / "m.pt")


def test_resolve_checkpoint_default_and_explicit(tmp_path, monkeypatch):
    assert default_checkpoint_path().parts[-3:] == ("lifter", "weights", "default.pt")
    monkeypatch.setattr(checkpoint_module, "default_checkpoint_path", lambda: tmp_path / "weights" / "default.pt")
    with pytest.raises(VideoposeError, match=r"no default weights are installed; pass --checkpoint PATH"):
        resolve_checkpoint(None)
    (tmp_path / "weights").mkdir()
    save_checkpoint(_checkpoint(trajectory=False), tmp_path / "weights" / "default.pt")
    assert resolve_checkpoint(None) == tmp_path / "weights" / "default.pt"
    assert resolve_checkpoint(tmp_path / "weights" / "default.pt") == tmp_path / "weights" / "default.pt"
    with pytest.raises(VideoposeError, match="not found"):
        resolve_checkpoint(tmp_path / "other.pt")
