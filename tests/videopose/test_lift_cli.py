"""``videopose lift`` end to end through the CLI, including bad inputs (exit code, no output file)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import videopose.lifter.checkpoint as checkpoint_module
from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model, save_checkpoint
from videopose.cli import main
from videopose.core.formats import Keypoints2D, Motion3D


@pytest.fixture
def checkpoint_path(tmp_path):
    config = LifterConfig((3, 3, 3), channels=32)
    torch.manual_seed(0)
    checkpoint = LifterCheckpoint(config, build_model(config).state_dict(),
                                  build_model(config, num_joints_out=1).state_dict(), {"note": "test"})
    path = tmp_path / "videopose.lifter.pt"
    save_checkpoint(checkpoint, path)
    return path


def _keypoints_file(path, frames: int = 45, layout: str = "coco17", joints: int = 17):
    rng = np.random.default_rng(frames)
    points = rng.uniform(100, 400, (frames, joints, 2))
    scores = np.ones((frames, joints))
    if frames > 5:
        scores[2:5, 0] = 0.0  # 3 missing noses
    Keypoints2D(points, scores, layout, 25.0, 640, 480).save(path)
    return path


def test_lift_writes_a_motion_file_and_reports_filled_keypoints(tmp_path, checkpoint_path, capsys):
    keypoints = _keypoints_file(tmp_path / "clip.keypoints.npz")
    output = tmp_path / "out" / "clip.motion.npz"
    code = main(["lift", str(keypoints), "-o", str(output), "--checkpoint", str(checkpoint_path), "--device", "cpu",
                 "--chunk-frames", "16"])
    assert code == 0
    motion = Motion3D.load(output)
    assert motion.joints_3d.shape == (45, 17, 3) and motion.fps == 25.0 and motion.trajectory.shape == (45, 3)
    assert np.abs(motion.joints_3d[:, 0]).max() == 0.0
    assert int(motion.extras["filled_keypoints"]) == 3
    printed = capsys.readouterr().out
    assert "wrote" in printed and "filled 3 missing keypoints" in printed

    # The same with --no-flip differs; --quiet prints nothing; an existing output needs --overwrite.
    before = output.read_bytes()
    assert main(["lift", str(keypoints), "-o", str(output), "--checkpoint", str(checkpoint_path), "-q"]) == 1
    assert "--overwrite" in capsys.readouterr().err and output.read_bytes() == before
    assert main(["lift", str(keypoints), "-o", str(output), "--checkpoint", str(checkpoint_path), "-q",
                 "--no-flip", "--overwrite"]) == 0
    assert capsys.readouterr().out == ""
    assert np.abs(Motion3D.load(output).joints_3d - motion.joints_3d).max() > 1e-4


def _write_npz(path, **arrays):
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)
    return path


@pytest.mark.parametrize("case, message", [
    ("one_frame", "at least 2 frames"),
    ("empty_file", "empty"),
    ("wrong_shape", "(frames, joints, 2)"),
    ("layout_not_taken", "reads coco17 keypoints"),
    ("missing_file", "not found"),
    ("missing_keys", "lacks"),
    ("missing_checkpoint", "lifter checkpoint not found"),
])
def test_bad_inputs_exit_non_zero_without_output(tmp_path, checkpoint_path, capsys, case, message):
    keypoints = tmp_path / "bad.npz"
    checkpoint = str(checkpoint_path)
    if case == "one_frame":
        _keypoints_file(keypoints, frames=1)
    elif case == "empty_file":
        keypoints.write_bytes(b"")
    elif case == "wrong_shape":
        _write_npz(keypoints, keypoints=np.zeros((10, 17, 3)), scores=np.ones((10, 17)), layout=np.array("coco17"),
                   fps=np.array(30.0), width=np.array(640), height=np.array(480))
    elif case == "layout_not_taken":
        _keypoints_file(keypoints, layout="h36m17")
    elif case == "missing_keys":
        _write_npz(keypoints, keypoints=np.zeros((10, 17, 2)))
    elif case == "missing_checkpoint":
        _keypoints_file(keypoints)
        checkpoint = str(tmp_path / "nope.pt")
    output = tmp_path / "motion.npz"
    code = main(["lift", str(keypoints), "-o", str(output), "--checkpoint", checkpoint, "-q"])
    assert code == 1
    assert message in capsys.readouterr().err
    assert not output.exists() and sorted(p.name for p in tmp_path.iterdir() if "motion" in p.name) == []


def test_no_checkpoint_and_no_default_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(checkpoint_module, "default_checkpoint_path", lambda: tmp_path / "absent.pt")
    keypoints = _keypoints_file(tmp_path / "clip.npz")
    assert main(["lift", str(keypoints), "-o", str(tmp_path / "m.npz"), "-q"]) == 1
    assert "no default weights are installed; pass --checkpoint PATH" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path, checkpoint_path, capsys):
    keypoints = _keypoints_file(tmp_path / "clip.npz")
    code = main(["lift", str(keypoints), "-o", str(tmp_path / "m.npz"), "--checkpoint", str(checkpoint_path),
                 "--device", "cuda", "-q"])
    assert code == 1 and "no CUDA GPU" in capsys.readouterr().err and not (tmp_path / "m.npz").exists()


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lift", "--help"])
    assert exit_info.value.code == 0
    assert "videopose lift clip.keypoints.npz -o clip.motion.npz" in capsys.readouterr().out
