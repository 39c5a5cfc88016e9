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

from videopose.addon import jobs
from blender_runner import HERE, run_python, run_python_process
from synthetic import smooth_animation


# Waits poll for a file or a state with a deadline far beyond what a slow, busy machine needs.
_DEADLINE_SECONDS = 120.0


def _wait_for(condition, what: str, seconds: float = _DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.05)


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
    command = jobs.run_command("/py", "v.mp4", "o.npz", rig="mixamo", smooth=0.5, foot_lock=False, device="cpu",
                               height=1.61, fov=67.0)
    assert command[:6] == ["/py", "-m", "videopose", "run", "v.mp4", "-o"] and "--progress-json" in command
    assert command[command.index("--rig") + 1] == "mixamo" and "--no-foot-lock" in command
    assert command[command.index("--smooth") + 1] == "0.5" and command[command.index("--device") + 1] == "cpu"
    # The panel's performer height and camera field of view reach the run (they were left out).
    assert command[command.index("--height") + 1] == "1.61" and command[command.index("--fov") + 1] == "67"
    default = jobs.run_command("/py", "v.mp4", "o.npz")
    assert "--height" not in default and "--fov" not in default


def test_background_run_reports_failure_and_cancels(tmp_path):
    python = _fake_python(tmp_path)
    env = {**os.environ, "FAKE_LOG": str(tmp_path / "log"), "FAKE_MODE": "fail"}
    run = jobs.BackgroundRun(jobs.run_command(str(python), "v.mp4", tmp_path / "o.npz"), env=env).start()
    _wait_for(lambda: run.finished, "the failing job to end")
    events = run.poll()
    assert run.finished and not run.succeeded
    assert [e.done for e in events] == [0, 1, 2] and run.error == "no person was detected in the video"
    env.update(FAKE_MODE="hang", FAKE_PID=str(tmp_path / "pid"))
    hanging = jobs.BackgroundRun(jobs.run_command(str(python), "v.mp4", tmp_path / "o.npz"), env=env).start()
    _wait_for(lambda: (tmp_path / "pid").exists(), "the hanging job to start")
    began = time.perf_counter()
    hanging.cancel(timeout=30)
    # Cancelling does not wait for the 120 s the fake job sleeps (SIGTERM ends it at once).
    assert hanging.finished and not hanging.succeeded and time.perf_counter() - began < 60
    assert not (tmp_path / "o.npz").exists()


def test_in_process_thread_run_reports_progress_errors_and_cancels():
    import threading

    def work(progress, set_stage):
        set_stage("lift")
        for done in range(3):
            progress(done, 3, "frames")
        raise ValueError("bad clip")

    failing = jobs.ThreadRun(work).start()
    _wait_for(lambda: failing.finished, "the worker thread to end")
    assert [(e.stage, e.done) for e in failing.poll()] == [("lift", 0), ("lift", 1), ("lift", 2)]
    assert not failing.succeeded and failing.error == "bad clip"

    started = threading.Event()
    reached = []

    def endless(progress, set_stage):
        started.set()
        while True:
            progress(len(reached), 0)
            reached.append(1)
            time.sleep(0.01)

    endless_run = jobs.ThreadRun(endless).start()
    assert started.wait(_DEADLINE_SECONDS)
    endless_run.cancel(timeout=_DEADLINE_SECONDS)  # progress() raises Cancelled in the worker
    assert endless_run.finished and not endless_run.succeeded and endless_run.cancelled


def test_temp_folder_and_process_cleanup_is_idempotent_and_automatic(tmp_path):
    folder = jobs.TempFolder()
    (folder.path / "partial.npz").write_bytes(b"x")
    folder.remove()
    folder.remove()  # a second call (cancel after finish) is harmless
    assert not folder.path.exists()
    dropped = jobs.TempFolder()
    path = dropped.path
    del dropped  # no remove(): the finalizer removes it when the owner goes away
    assert not path.exists()
    python = _fake_python(tmp_path)
    env = {**os.environ, "FAKE_LOG": str(tmp_path / "log"), "FAKE_MODE": "hang", "FAKE_PID": str(tmp_path / "pid")}
    run = jobs.BackgroundRun(jobs.run_command(str(python), "v.mp4", tmp_path / "o.npz"), env=env).start()
    process = run.process
    _wait_for(lambda: (tmp_path / "pid").exists(), "the hanging job to start")
    del run  # an operator dropped without cancel(): its process is still stopped
    _wait_for(lambda: process.poll() is not None, "the dropped job's process to be stopped", 60)


def test_extension_zip_builds_with_a_valid_manifest(tmp_path):
    import tomllib
    import zipfile

    completed = subprocess.run([sys.executable, "tools/package_addon.py", "--out", str(tmp_path)],
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
        names = archive.namelist()
    # Its folder must not be called videopose: in Blender's add-ons path it would shadow the project's package.
    assert "videopose_addon/__init__.py" in names and not any(name.startswith("videopose/") for name in names)


_EXTENSION_INSTALL = """
from pathlib import Path
import bpy
zip_path, folder = Path(sys.argv[1]), Path(sys.argv[2])
bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default", enable_on_install=True)
import addon_utils
module = next(m.__name__ for m in addon_utils.modules() if m.__name__.endswith(".videopose"))
results = {"module": module, "enabled": addon_utils.check(module)[1],
           "operator": hasattr(bpy.types, "VIDEOPOSE_OT_import_motion")}
results["import"] = sorted(bpy.ops.videopose.import_motion(filepath=str(folder / "clip.npz")))
armature = bpy.context.view_layer.objects.active
results["armature"] = [armature.type, len(armature.data.bones), armature.animation_data.action is not None]
emit(results)
"""


@pytest.mark.slow
def test_the_extension_zip_installs_into_blender_and_imports_a_motion(tmp_path):
    """The extension as a user installs it: the zip into bpy's user repository, enabled, then its operator
    run; its UI reaches the installed ``videopose`` package (never the repository folder)."""
    completed = subprocess.run([sys.executable, "tools/package_addon.py", "--out", str(tmp_path / "dist")],
                               cwd=HERE.parents[1], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    extension = next(p for p in (tmp_path / "dist").glob("*.zip") if "legacy" not in p.name)
    smooth_animation(30).save(tmp_path / "clip.npz")
    result = run_python(_EXTENSION_INSTALL, tmp_path / "home", args=[str(extension), str(tmp_path)])
    assert result["module"].startswith("bl_ext.") and result["enabled"] and result["operator"]
    assert result["import"] == ["FINISHED"]
    assert result["armature"] == ["ARMATURE", 17, True]


# ---------- in Blender ----------

_SCENARIOS = """
import os, time, threading, signal
from pathlib import Path
import bpy
import videopose.addon

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

videopose.addon.register()
results["registered"] = [hasattr(bpy.types, n) for n in ("VIDEOPOSE_OT_import_motion", "VIDEOPOSE_OT_run_video",
                         "VIDEOPOSE_OT_export_fbx", "VIDEOPOSE_OT_batch", "VIDEOPOSE_PT_main")]
results["ops"] = sorted(name for name in dir(bpy.ops.videopose) if not name.startswith("_"))
videopose.addon.unregister()
results["unregistered"] = [hasattr(bpy.types, "VIDEOPOSE_OT_import_motion"), hasattr(bpy.types.Scene, "videopose")]
# A Blender where the videopose packages do not import: only the preferences register (to set the Python).
from videopose.addon import dependencies
real_ensure = dependencies.ensure_project_importable
dependencies.ensure_project_importable = lambda *args: False
videopose.addon.register()
from videopose.addon.preferences import VIDEOPOSE_AP_preferences
results["without_project"] = [VIDEOPOSE_AP_preferences.is_registered, hasattr(bpy.types, "VIDEOPOSE_OT_import_motion"),
                              hasattr(bpy.types.Scene, "videopose")]
videopose.addon.unregister()
results["without_project"].append(VIDEOPOSE_AP_preferences.is_registered)
dependencies.ensure_project_importable = real_ensure
videopose.addon.register()

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
def kill_when_started():  # the job crashes (killed) while the operator waits for it
    deadline = time.monotonic() + 300
    while not (folder / "pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = ""
    while not text.strip() and time.monotonic() < deadline:  # the pid may be half written
        text = (folder / "pid").read_text()
        time.sleep(0.05)
    os.kill(int(text), signal.SIGTERM)
threading.Thread(target=kill_when_started, daemon=True).start()
results["run_killed"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
results["after_run_killed"] = snapshot() == initial

os.environ["FAKE_MODE"] = "succeed"
results["run_ok"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
after = snapshot()
results["run_ok_added"] = sorted(set(after["objects"]) - set(initial["objects"]))
results["run_ok_frames"] = after["frames"]
results["temp_folders"] = [json.loads(line)["cwd"] for line in log.read_text().splitlines()]

# A grounded clip (the run placed it in its camera): the video's camera comes with it, the scene's camera.
os.environ["FAKE_ANIMATION"] = str(folder / "grounded.npz")
before_grounded = snapshot()
results["run_grounded"] = call(bpy.ops.videopose.run_video, filepath=str(folder / "dance.mp4"), python_executable=python)
results["run_grounded_added"] = sorted(set(snapshot()["objects"]) - set(before_grounded["objects"]))
results["run_grounded_camera"] = bpy.context.scene.camera.name
os.environ["FAKE_ANIMATION"] = str(folder / "clip.npz")

bpy.ops.ed.undo_push(message="before import")
results["import_ok"] = call(bpy.ops.videopose.import_motion, filepath=str(folder / "clip.npz"))
results["undo_options"] = [sorted(getattr(bpy.types, name).bl_options)
                           for name in ("VIDEOPOSE_OT_import_motion", "VIDEOPOSE_OT_run_video")]
results["export_ok"] = call(bpy.ops.videopose.export_fbx, filepath=str(folder / "out.fbx"), preset="unreal")
results["export_size"] = (folder / "out.fbx").stat().st_size
videopose.addon.unregister()
emit(results)
"""


def _grounded_animation():
    """A walk grounded in its camera (retarget_motion with its 2D keypoints), as ``videopose run`` writes one."""
    sys.path.insert(0, str(HERE.parent / "helpers"))
    from grounding_scene import camera_scene
    from synthetic_motion import walking_motion

    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(walking_motion(40)[0])
    return retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)


@pytest.fixture(scope="module")
def blender(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operators")
    smooth_animation(60, 25.0, seed=2).save(folder / "clip.npz")
    _grounded_animation().save(folder / "grounded.npz")
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "dance.mp4").write_bytes(b"\x00" * 64)
    _fake_python(folder)
    return run_python(_SCENARIOS, folder / "home", args=[str(folder)])


@pytest.mark.slow
def test_addon_registers_and_unregisters_cleanly(blender):
    assert blender["registered"] == [True] * 5
    assert blender["ops"] == ["batch", "export_fbx", "import_motion", "run_video"]
    assert blender["unregistered"] == [False, False]
    assert blender["without_project"] == [True, False, False, False]


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
    # Grounded: the armature and the video's camera (the fake video cannot be its background: left out).
    assert blender["run_grounded"] == ["FINISHED"] and blender["run_grounded_added"] == ["dance.001", "dance.001 camera"]
    assert blender["run_grounded_camera"] == "dance.001 camera"
    assert blender["import_ok"] == ["FINISHED"] and blender["export_ok"] == ["FINISHED"]
    # Blender pushes an undo step for a finished operator with UNDO (undo itself needs the UI: the
    # bpy module runs in background mode, where Blender keeps no undo stack).
    assert all("UNDO" in options for options in blender["undo_options"])
    assert blender["export_size"] > 10_000


# Blender calls a running modal operator's cancel() while it quits, after Python has started tearing
# modules down. Force the modal path (as in Blender's UI) and quit with the job still running.
_QUIT_WHILE_RUNNING = """
import os, time
from pathlib import Path
import bpy, videopose.addon
from videopose.addon import operators
folder = Path(sys.argv[1])
videopose.addon.register()
operators._has_ui = lambda context: True  # the UI path: a modal operator polled by a timer
os.environ.update(FAKE_LOG=str(folder / "fake.log"), FAKE_ANIMATION=str(folder / "clip.npz"),
                  FAKE_PID=str(folder / "pid"), FAKE_MODE="hang")
state = sorted(bpy.ops.videopose.run_video(filepath=str(folder / "dance.mp4"), python_executable=sys.argv[2]))
deadline = time.monotonic() + 300
while not (folder / "pid").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
emit(dict(state=state, objects=sorted(o.name for o in bpy.data.objects)))
"""


@pytest.mark.slow
def test_quitting_with_a_running_job_stops_it_without_errors(tmp_path):
    smooth_animation(20, 25.0, seed=2).save(tmp_path / "clip.npz")
    (tmp_path / "dance.mp4").write_bytes(b"\x00" * 64)
    result, completed = run_python_process(_QUIT_WHILE_RUNNING, tmp_path / "home",
                                           args=[str(tmp_path), str(_fake_python(tmp_path))])
    assert completed.returncode == 0 and result is not None, completed.stderr[-3000:]
    assert result["state"] == ["RUNNING_MODAL"] and result["objects"] == ["Camera", "Cube", "Light"]
    assert "Traceback" not in completed.stderr and "Python script error" not in completed.stderr, completed.stderr
    temp_folder = Path(json.loads((tmp_path / "fake.log").read_text().splitlines()[0])["cwd"])
    assert not temp_folder.exists()
    status = Path(f"/proc/{int((tmp_path / 'pid').read_text())}/status")
    alive = status.exists() and "\tZ" not in status.read_text().split("State:", 1)[1].split("\n", 1)[0]
    assert not alive, "the background job outlived Blender"


def test_batch_video_runs_carry_the_performer_height_and_field_of_view(monkeypatch, tmp_path):
    """The batch's videos are run with the panel's height and field of view (they ran at the defaults)."""
    from videopose.addon import batch
    from videopose.retarget.pipeline import RetargetOptions

    commands = []

    def fake_run(command, **_):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(batch.subprocess, "run", fake_run)
    batch.run_video_to_fbx(tmp_path / "v.mp4", tmp_path / "v.fbx", "unity", RetargetOptions.chosen(height=1.55, fov=62.0),
                           python="/py")
    command = commands[0]
    assert command[command.index("--height") + 1] == "1.55" and command[command.index("--fov") + 1] == "62"
