"""The add-on in Blender: registration, the operators, and that failures leave the scene unchanged."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from addon import jobs
from blender_runner import HERE, run_python
from synthetic import smooth_animation


def _fake_python(folder: Path) -> Path:
    script = folder / "fake_python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "fake_videopose.py"}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


# ---------- without Blender ----------

def test_progress_lines_parse_and_log_lines_do_not():
    event = jobs.parse_progress_line('{"stage": "lift", "done": 5, "total": 20, "message": "m"}\n')
    assert event == jobs.ProgressEvent("lift", 5, 20, "m") and event.fraction == 0.25
    assert jobs.parse_progress_line("INFO: created TensorFlow Lite delegate") is None
    assert jobs.parse_progress_line('{"stage": "x"}') is None


def test_run_command_carries_the_panel_options():
    command = jobs.run_command("/py", "v.mp4", "o.npz", rig="mixamo", smooth=0.5, foot_lock=False, device="cpu")
    assert command[:6] == ["/py", "-m", "videopose", "run", "v.mp4", "-o"] and "--progress-json" in command
    assert command[command.index("--rig") + 1] == "mixamo" and "--no-foot-lock" in command
    assert command[command.index("--smooth") + 1] == "0.5" and command[command.index("--device") + 1] == "cpu"


def test_background_run_reports_failure_and_cancels(tmp_path):
    python = _fake_python(tmp_path)
    env = {**os.environ, "FAKE_LOG": str(tmp_path / "log"), "FAKE_MODE": "fail"}
    run = jobs.BackgroundRun(jobs.run_command(str(python), "v.mp4", tmp_path / "o.npz"), env=env).start()
    deadline = time.time() + 20
    while not run.finished and time.time() < deadline:
        time.sleep(0.05)
    events = run.poll()
    assert run.finished and not run.succeeded
    assert [e.done for e in events] == [0, 1, 2] and run.error == "no person was detected in the video"
    env.update(FAKE_MODE="hang", FAKE_PID=str(tmp_path / "pid"))
    hanging = jobs.BackgroundRun(jobs.run_command(str(python), "v.mp4", tmp_path / "o.npz"), env=env).start()
    while not (tmp_path / "pid").exists() and time.time() < deadline:
        time.sleep(0.05)
    began = time.perf_counter()
    hanging.cancel()
    assert hanging.finished and not hanging.succeeded and time.perf_counter() - began < 5
    assert not (tmp_path / "o.npz").exists()


def test_extension_zip_builds_with_a_valid_manifest(tmp_path):
    import tomllib
    import zipfile

    completed = subprocess.run([sys.executable, "-m", "addon.package", "--out", str(tmp_path)],
                               cwd=HERE.parents[1], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    extension, legacy = sorted(tmp_path.glob("*.zip"), key=lambda p: "legacy" in p.name)
    with zipfile.ZipFile(extension) as archive:
        names = archive.namelist()
        manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
    assert {"__init__.py", "operators.py", "armature.py", "fbx.py"} <= set(names) and "package.py" not in names
    assert manifest["id"] == "videopose" and manifest["type"] == "add-on" and manifest["schema_version"] == "1.0.0"
    assert tuple(int(x) for x in manifest["blender_version_min"].split(".")) >= (4, 2, 0)
    for key in ("version", "name", "tagline", "maintainer", "license"):
        assert manifest[key]
    assert len(manifest["tagline"]) <= 64 and not manifest["tagline"].endswith(".")
    with zipfile.ZipFile(legacy) as archive:
        assert "videopose/__init__.py" in archive.namelist()


# ---------- in Blender ----------

_SCENARIOS = """
import os, time, threading, signal
from pathlib import Path
import bpy
import addon

folder = Path(sys.argv[1])
results = {}

def snapshot():
    return dict(objects=sorted(o.name for o in bpy.data.objects), actions=sorted(a.name for a in bpy.data.actions),
                armatures=sorted(a.name for a in bpy.data.armatures),
                selected=sorted(o.name for o in bpy.context.selected_objects),
                frames=[bpy.context.scene.frame_start, bpy.context.scene.frame_end, bpy.context.scene.render.fps])

def call(operator, **kwargs):
    try:
        return sorted(operator(**kwargs))
    except RuntimeError as error:  # bpy.ops raises when an operator reports an error
        return ["ERROR: " + str(error)]

addon.register()
results["registered"] = [hasattr(bpy.types, n) for n in ("VIDEOPOSE_OT_import_motion", "VIDEOPOSE_OT_run_video",
                         "VIDEOPOSE_OT_export_fbx", "VIDEOPOSE_OT_batch", "VIDEOPOSE_PT_main")]
results["ops"] = sorted(name for name in dir(bpy.ops.videopose) if not name.startswith("_"))
addon.unregister()
results["unregistered"] = [hasattr(bpy.types, "VIDEOPOSE_OT_import_motion"), hasattr(bpy.types.Scene, "videopose")]
addon.register()

initial = snapshot()
results["corrupt"] = call(bpy.ops.videopose.import_motion, filepath=str(folder / "corrupt.npz"))
results["after_corrupt"] = snapshot() == initial
results["no_rig"] = call(bpy.ops.videopose.import_motion, filepath=str(folder / "clip.npz"), target="SELECTED")
results["after_no_rig"] = snapshot() == initial

log = folder / "fake.log"
os.environ.update(FAKE_LOG=str(log), FAKE_ANIMATION=str(folder / "clip.npz"), FAKE_PID=str(folder / "pid"))
python = str(folder / "fake_python")
os.environ["FAKE_MODE"] = "fail"
results["run_fail"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
results["after_run_fail"] = snapshot() == initial

os.environ["FAKE_MODE"] = "hang"
def kill_when_started():
    deadline = time.time() + 30
    while not (folder / "pid").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    os.kill(int((folder / "pid").read_text()), signal.SIGTERM)
threading.Thread(target=kill_when_started, daemon=True).start()
results["run_killed"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
results["after_run_killed"] = snapshot() == initial

os.environ["FAKE_MODE"] = "succeed"
results["run_ok"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
after = snapshot()
results["run_ok_added"] = sorted(set(after["objects"]) - set(initial["objects"]))
results["run_ok_frames"] = after["frames"]
results["temp_folders"] = [json.loads(line)["cwd"] for line in log.read_text().splitlines()]

results["import_ok"] = call(bpy.ops.videopose.import_motion, filepath=str(folder / "clip.npz"))
results["export_ok"] = call(bpy.ops.videopose.export_fbx, filepath=str(folder / "out.fbx"), preset="unreal")
results["export_size"] = (folder / "out.fbx").stat().st_size
bpy.ops.ed.undo_push(message="before undo check")
addon.unregister()
emit(results)
"""


@pytest.fixture(scope="module")
def blender(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operators")
    smooth_animation(60, 25.0, seed=2).save(folder / "clip.npz")
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "dance.mp4").write_bytes(b"\x00" * 64)
    _fake_python(folder)
    return run_python(_SCENARIOS, folder / "home", args=[str(folder)])


@pytest.mark.slow
def test_addon_registers_and_unregisters_cleanly(blender):
    assert blender["registered"] == [True] * 5
    assert blender["ops"] == ["batch", "export_fbx", "import_motion", "run_video"]
    assert blender["unregistered"] == [False, False]


@pytest.mark.slow
def test_failed_imports_leave_the_scene_unchanged(blender):
    assert blender["corrupt"][0].startswith("ERROR") and "not a readable .npz" in blender["corrupt"][0]
    assert blender["after_corrupt"]
    assert "select the armature" in blender["no_rig"][0] and blender["after_no_rig"]


@pytest.mark.slow
def test_run_video_failure_or_kill_adds_nothing_and_cleans_up(blender):
    assert "no person was detected" in blender["run_fail"][0] and blender["after_run_fail"]
    assert blender["run_killed"][0].startswith("ERROR") and blender["after_run_killed"]
    assert len(blender["temp_folders"]) == 3
    assert not any(Path(folder).exists() for folder in blender["temp_folders"])


@pytest.mark.slow
def test_run_video_and_import_add_an_armature_and_export_writes_fbx(blender):
    assert blender["run_ok"] == ["FINISHED"] and blender["run_ok_added"] == ["dance"]
    assert blender["run_ok_frames"] == [1, 60, 25]
    assert blender["import_ok"] == ["FINISHED"] and blender["export_ok"] == ["FINISHED"]
    assert blender["export_size"] > 10_000
