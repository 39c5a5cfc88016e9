"""Batch folder -> FBX: one output per input, skips, per-file errors that do not stop the batch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from videopose.addon.batch import plan_batch
from blender_runner import run_python
from synthetic import smooth_animation
from videopose.core.errors import VideoposeError


def _folder(root: Path) -> tuple[Path, Path]:
    source, target = root / "in", root / "out"
    source.mkdir()
    target.mkdir()
    smooth_animation(40, 30.0, seed=1).save(source / "walk.npz")
    smooth_animation(30, 24.0, seed=2).save(source / "jump.animation.npz")
    (source / "broken.npz").write_bytes(b"not a zip")
    (source / "clip.keypoints.npz").write_bytes(b"ignored")
    (source / "notes.txt").write_text("ignored")
    (source / "dance.mp4").write_bytes(b"\x00" * 32)
    (target / "jump.fbx").write_bytes(b"existing")
    return source, target


def test_plan_skips_existing_outputs_and_ignores_other_files(tmp_path):
    source, target = _folder(tmp_path)
    plan = {item.source.name: item for item in plan_batch(source, target)}
    assert sorted(plan) == ["broken.npz", "dance.mp4", "jump.animation.npz", "walk.npz"]
    assert plan["jump.animation.npz"].status == "skipped" and plan["jump.animation.npz"].output == target / "jump.fbx"
    assert plan["dance.mp4"].kind == "video" and plan["walk.npz"].status == "pending"
    assert plan_batch(source, target, overwrite=True)[2].status == "pending"
    with pytest.raises(VideoposeError, match="input folder not found"):
        plan_batch(tmp_path / "missing", target)


_BATCH = """
from pathlib import Path
import bpy
from videopose.addon.batch import batch_convert as batch
source, target = Path(sys.argv[1]), Path(sys.argv[2])
calls = []
def fake_video(video, output):
    calls.append(video.name)
    raise RuntimeError("detector crashed")
first = batch(source, target, preset="unity", video_runner=fake_video)
second = batch(source, target, preset="unity", overwrite=True, video_runner=fake_video)
emit(dict(first=[[i.source.name, i.status, i.message] for i in first],
          second=[[i.source.name, i.status] for i in second], calls=calls,
          objects=len(bpy.data.objects), actions=len(bpy.data.actions)))
"""


@pytest.mark.slow
def test_batch_converts_each_file_and_reports_failures(tmp_path):
    source, target = _folder(tmp_path)
    result = run_python(_BATCH, tmp_path / "home", args=[str(source), str(target)])
    first = {name: (status, message) for name, status, message in result["first"]}
    assert first["walk.npz"][0] == "written" and first["jump.animation.npz"][0] == "skipped"
    assert first["broken.npz"][0] == "failed" and "not a readable .npz" in first["broken.npz"][1]
    assert first["dance.mp4"] == ("failed", "RuntimeError: detector crashed")
    assert dict(result["second"])["jump.animation.npz"] == "written"
    assert result["calls"] == ["dance.mp4", "dance.mp4"]
    assert (target / "walk.fbx").stat().st_size > 10_000 and (target / "jump.fbx").read_bytes() != b"existing"
    assert sorted(p.name for p in target.iterdir()) == ["jump.fbx", "walk.fbx"]  # no partial files
    assert result["objects"] == 3 and result["actions"] == 0  # the session's scene is untouched


_OPERATOR = """
import os
from pathlib import Path
import bpy, videopose.addon
videopose.addon.register()
source, target, python = sys.argv[1:4]
os.environ.update(FAKE_MODE="fail", FAKE_LOG=str(Path(target) / ".." / "fake.log"))
try:
    state = sorted(bpy.ops.videopose.batch(input_dir=source, output_dir=target, python_executable=python))
except RuntimeError as error:
    state = ["ERROR: " + str(error)]
emit(dict(state=state, outputs=sorted(os.listdir(target))))
"""


@pytest.mark.slow
def test_batch_operator_runs_videos_in_background_processes(tmp_path):
    from test_operators import _fake_python

    source, target = _folder(tmp_path)
    result = run_python(_OPERATOR, tmp_path / "home", args=[str(source), str(target), str(_fake_python(tmp_path))])
    assert result["state"] == ["FINISHED"]
    assert result["outputs"] == ["jump.fbx", "walk.fbx"]
    log = (tmp_path / "fake.log").read_text()
    assert "dance.mp4" in log and "--fbx-preset" in log and str(target / "dance.fbx") in log
