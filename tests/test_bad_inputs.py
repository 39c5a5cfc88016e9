"""Bad and hostile inputs (issue 14): every case exits non-zero with one line saying what was wrong,
without a traceback, and leaves every file as it was (nothing created, nothing changed).

Grouped by the issue's items: 1 input destroyed, 2 code from data, 3 broken file called a success,
4 concurrent writes, 5 a user's own intermediate files, 6 garbage passed as success, 7 frame rates,
8 tracebacks, 9 smaller ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from videopose.cli import main
from videopose.core.animation import Animation
from videopose.core.bvh import read_bvh, write_bvh
from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model, save_checkpoint
from videopose.pipeline import file_signature, intermediate_paths

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "tfjs_pose_1.mp4"
SAMPLE_KEYPOINTS = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"
sys.path.insert(0, str(REPO / "tests" / "addon"))
from synthetic import smooth_animation  # noqa: E402


# ------------------------------------------------------------------------------------------- helpers

def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too) -> its content hash."""
    return {str(path.relative_to(folder)): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def refused(capsys, argv: list[str], folder: Path, match: str) -> str:
    """Run the CLI; assert exit 1, one error line matching ``match``, no traceback, ``folder`` unchanged
    (a progress bar that had opened before the error is not part of the message)."""
    before = snapshot(folder)
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip() and not re.search(r"\d+%\|", line)]
    assert code == 1, captured.err
    assert len(lines) == 1 and lines[0].startswith(f"videopose {argv[0]}: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert match.lower() in lines[0].lower(), lines[0]
    assert snapshot(folder) == before, "a file was created or changed"
    return lines[0]


def keypoints_file(path: Path, frames: int = 45, fps: float = 25.0, width: int = 640, height: int = 480,
                   **extras: np.ndarray) -> Path:
    rng = np.random.default_rng(frames)
    points = rng.uniform(100, 400, (frames, 17, 2))
    Keypoints2D(points, np.ones((frames, 17)), "coco17", fps, width, height, extras=extras).save(path)
    return path


def raw_npz(path: Path, **arrays) -> Path:
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)
    return path


def motion_file(path: Path, frames: int = 30) -> Path:
    rng = np.random.default_rng(1)
    Motion3D(rng.normal(0, 0.3, (frames, 17, 3)), 30.0).save(path)
    return path


def stamped_keypoints(output: Path, video: Path, **extras) -> Path:
    """The sample's keypoints where ``run`` keeps them for ``output``, stamped as made from ``video``."""
    keypoints = Keypoints2D.load(SAMPLE_KEYPOINTS)
    stamp = {**keypoints.extras, "video_signature": np.array(file_signature(video)), **extras}
    path = intermediate_paths(output)[0]
    Keypoints2D(**{**keypoints.__dict__, "extras": stamp}).save(path)
    return path


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding a copy of the sample video (clip.mp4), keypoints and a motion."""
    shutil.copy(SAMPLE, tmp_path / "clip.mp4")
    keypoints_file(tmp_path / "clip.keypoints.npz")
    motion_file(tmp_path / "clip.motion.npz")
    return tmp_path


@pytest.fixture
def small_checkpoint(tmp_path: Path) -> Path:
    config = LifterConfig((3, 3), channels=16)
    torch.manual_seed(0)
    path = tmp_path / "small.pt"
    save_checkpoint(LifterCheckpoint(config, build_model(config).state_dict()), path)
    return path


class _RunsCode:
    """A pickle payload: unpickling it creates the marker file (harmless proof that code ran)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


# ------------------------------------------------------------------------- 1. the input is destroyed

def test_run_preview_may_not_be_the_input_video(work, capsys):
    for extra in ([], ["--overwrite"]):
        refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.bvh", "--preview", work / "clip.mp4", *extra],
                work, "is the input video")


def test_detect_preview_may_not_be_the_input_video_even_with_overwrite(work, capsys):
    refused(capsys, ["detect", work / "clip.mp4", "-o", work / "k.npz", "--preview", work / "clip.mp4", "--overwrite"],
            work, "is the input video")


def test_run_preview_does_not_replace_an_existing_file(work, capsys):
    (work / "mine.mp4").write_bytes(b"the user's own video")
    refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.bvh", "--preview", work / "mine.mp4"], work,
            "already exists")


def test_preview_output_may_not_be_its_video_or_motion(work, capsys):
    refused(capsys, ["preview", work / "clip.motion.npz", "--video", work / "clip.mp4", "-o", work / "clip.mp4",
                     "--overwrite"], work, "is --video")


# ----------------------------------------------------------------------------- 2. code from data files

def test_training_data_pickles_do_not_run(tmp_path, capsys):
    marker = tmp_path / "ran"
    data = raw_npz(tmp_path / "data_3d_evil.npz", positions_3d=np.array({"S1": _RunsCode(marker)}, dtype=object))
    for argv in (["train", "--data", data, "-o", tmp_path / "run", "--epochs", "1"],
                 ["evaluate", "--data", data]):
        code = main([str(arg) for arg in argv])
        err = capsys.readouterr().err
        assert code == 1 and "not plain data" in err and "Traceback" not in err, err
        assert not marker.exists(), "the pickle ran code"


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_training_data_that_is_not_an_npz_is_a_message(tmp_path, capsys, command):
    """Before: a text file given as --data went to numpy's loader and ended in a traceback."""
    data = tmp_path / "notes.npz"
    data.write_text("these are my notes, not a dataset\n")
    argv = [command, "--data", data] + (["-o", tmp_path / "run", "--epochs", "1"] if command == "train" else [])
    refused(capsys, argv, tmp_path, "not a readable .npz")


def test_videopose3d_keypoints_pickles_do_not_run_but_plain_ones_load(tmp_path, capsys):
    marker = tmp_path / "ran"
    evil = raw_npz(tmp_path / "data_2d_evil.npz", positions_2d=np.array({"S1": _RunsCode(marker)}, dtype=object))
    refused(capsys, ["import-keypoints", evil, "--format", "videopose3d", "-o", tmp_path / "k.npz", "--fps", "25",
                     "--width", "640", "--height", "480"], tmp_path, "not plain data")
    assert not marker.exists()
    from videopose.core.fileio import load_plain_pickled_npz

    plain = {"clip": {"walk": [np.full((12, 17, 2), 200.0, np.float32)]}}
    arrays = load_plain_pickled_npz(raw_npz(tmp_path / "plain.npz", positions_2d=np.array(plain, dtype=object),
                                            metadata=np.array({"layout_name": "coco", "num_joints": 17})))
    assert arrays["positions_2d"].item()["clip"]["walk"][0].shape == (12, 17, 2)
    assert arrays["metadata"].item() == {"layout_name": "coco", "num_joints": 17}


def test_resume_loads_the_training_state_without_running_code(shared_dir, tmp_path):
    from videopose.lifter.datasets import dataset_from_bvh
    from videopose.lifter.train import TrainConfig, train

    folder = tmp_path / "bvh"
    for clip in ("cc/003/003_02", "cc/007/007_10"):  # one training, one validation clip
        (folder / clip).parent.mkdir(parents=True)
        os.symlink(shared_dir / "mocap" / "cmu" / f"{clip}.bvh", folder / f"{clip}.bvh")
    output = tmp_path / "run"
    output.mkdir()
    marker = tmp_path / "ran"
    torch.save({"config": {}, "epoch": 0, "pose_state": {}, "optimizer": _RunsCode(marker)}, output / "train_state.pt")
    config = TrainConfig(data="(memory)", output_dir=str(output), epochs=1, filter_widths=(3,), channels=8,
                         steps_per_epoch=1, batch_size=16, cameras_per_clip=1, validation_cameras=1, threads=1,
                         device="cpu", resume=True)
    with pytest.raises(VideoposeError, match="cannot resume"):
        train(config, dataset=dataset_from_bvh(folder))
    assert not marker.exists()


# --------------------------------------------------------------------- 3. a broken file is a success

def _truncating_writer(real_writer, keep: int):
    """A cv2.VideoWriter stand-in that silently drops every frame after ``keep`` (as on a full disk)."""

    class Writer:
        def __init__(self, *args, **kwargs):
            self.real, self.count = real_writer(*args, **kwargs), 0

        def isOpened(self):
            return self.real.isOpened()

        def write(self, image):
            self.count += 1
            if self.count <= keep:
                self.real.write(image)

        def release(self):
            self.real.release()

    return Writer


@pytest.mark.parametrize("command", ["preview", "detect-preview"])
def test_a_video_that_does_not_read_back_is_an_error(work, capsys, monkeypatch, command):
    import videopose.preview.render as render

    monkeypatch.setattr(render.cv2, "VideoWriter", _truncating_writer(render.cv2.VideoWriter, keep=3))
    if command == "preview":
        refused(capsys, ["preview", work / "clip.motion.npz", "-o", work / "p.mp4"], work, "reads back 3 of 30")
    else:
        keypoints = Keypoints2D.load(SAMPLE_KEYPOINTS)
        with pytest.raises(VideoposeError, match="reads back 3 of 120"):
            render.write_detection_preview(work / "clip.mp4", keypoints, work / "d.mp4")
        assert not (work / "d.mp4").exists() and not list(work.glob(".d.mp4.*"))


def test_a_full_disk_is_an_error_not_a_success(work):
    """A real write limit (RLIMIT_FSIZE, as a full disk: writes fail past 20 KB) in a subprocess."""
    script = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); "
              "from videopose.cli import main; sys.exit(main(sys.argv[1:]))")
    motion_file(work / "long.motion.npz", frames=3000)
    for argv in (["preview", work / "clip.motion.npz", "--video", work / "clip.mp4", "-o", work / "p.mp4", "-q"],
                 ["retarget", work / "long.motion.npz", "-o", work / "a.npz", "-q", "--smooth", "0"]):
        before = snapshot(work)
        done = subprocess.run([sys.executable, "-c", script, *map(str, argv)], capture_output=True, text=True,
                              timeout=300, cwd=REPO)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 1 and len(lines) == 1 and "error:" in lines[0], done.stderr
        assert snapshot(work) == before


# ----------------------------------------------------------------------------- 4. concurrent writes

def test_a_second_run_on_a_locked_output_fails_at_once(work, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom videopose.core.fileio import output_lock\n"
                               "with output_lock(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(60)",
         str(work / "out.bvh")], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.bvh"], work, "another videopose process")
    finally:
        holder.kill()
        holder.wait()


def test_sigterm_during_a_write_leaves_no_partial_file(work):
    """``kill`` (SIGTERM) while a command writes its output: exit 130, no output, no partial file."""
    script = """
import sys, time
import videopose.retarget.pipeline as pipeline
from videopose.core.fileio import atomic_output
def stuck(motion, options, **ignored):
    with atomic_output(sys.argv[2]) as temporary:
        temporary.write_text("half")
        print("writing", flush=True)
        time.sleep(60)
pipeline.retarget_motion = stuck
from videopose.cli import main
sys.exit(main(["retarget", sys.argv[1], "-o", sys.argv[2], "-q"]))
"""
    child = subprocess.Popen([sys.executable, "-c", script, str(work / "clip.motion.npz"), str(work / "out.bvh")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert child.stdout.readline().strip() == "writing"
    assert list(work.glob(".out*.partial.bvh"))
    child.terminate()
    assert child.wait(timeout=30) == 130, child.stderr.read()
    assert sorted(path.name for path in work.iterdir()) == ["clip.keypoints.npz", "clip.motion.npz", "clip.mp4"]


def test_a_file_that_appears_meanwhile_is_never_replaced_without_overwrite(tmp_path):
    target = tmp_path / "out.bvh"
    with pytest.raises(VideoposeError, match="appeared while this was running"):
        with atomic_output(target, overwrite=False) as temporary:
            temporary.write_text("ours")
            target.write_text("the other run's")
    assert target.read_text() == "the other run's"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.bvh"]


def test_batch_gives_clips_sharing_a_name_their_own_outputs(tmp_path):
    from videopose.addon.batch import plan_batch

    source = tmp_path / "in"
    source.mkdir()
    shutil.copy(SAMPLE, source / "clip.mp4")
    animation = smooth_animation(20, 30.0)
    animation.save(source / "clip.npz")
    write_bvh(animation, source / "clip.bvh")
    animation.save(source / "walk.npz")
    outputs = {item.source.name: item.output.name for item in plan_batch(source, tmp_path / "out")}
    assert outputs == {"clip.bvh": "clip_bvh.fbx", "clip.mp4": "clip_mp4.fbx", "clip.npz": "clip_npz.fbx",
                       "walk.npz": "walk.fbx"}


# ------------------------------------------------------------------ 5. the user's own kept files

@pytest.mark.parametrize("name", ["out.keypoints.npz", "out.motion.npz"])
def test_run_does_not_replace_a_users_own_intermediate_file(work, capsys, name):
    shutil.copy(work / ("clip.keypoints.npz" if "keypoints" in name else "clip.motion.npz"), work / name)
    refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.bvh"], work, "was not made by `videopose run`")


# --------------------------------------------------------------------- 6. garbage passed as success

def test_run_refuses_a_performer_found_in_few_frames(work, capsys):
    detected = np.zeros(120, bool)
    detected[:8] = True  # 7 %
    stamped_keypoints(work / "out.npz", work / "clip.mp4", detected=detected)
    refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.npz"], work, "found in only 7% of the 120 frames")


def test_run_warns_when_the_performer_is_found_in_under_80_percent(work, capsys):
    detected = np.ones(120, bool)
    detected[60:] = False
    stamped_keypoints(work / "out.npz", work / "clip.mp4", detected=detected)
    code = main(["run", str(work / "clip.mp4"), "-o", str(work / "out.npz"), "--no-flip", "-q"])
    err = capsys.readouterr().err
    assert code == 0 and "warning: a person was found in only 50% of the 120 frames" in err
    assert (work / "out.npz").is_file()


def test_run_refuses_a_variable_frame_rate_clip(work, capsys):
    times = np.cumsum(np.r_[0.0, np.where(np.arange(119) % 2, 1 / 60, 1 / 20)])
    stamped_keypoints(work / "out.npz", work / "clip.mp4", variable_frame_rate=np.array(True), timestamps=times)
    refused(capsys, ["run", work / "clip.mp4", "-o", work / "out.npz"], work, "variable frame rate (frames 17 to 50 ms")


@pytest.mark.parametrize("scale", [1e6, 1e27])
def test_keypoints_far_outside_the_frame_are_refused(work, capsys, small_checkpoint, scale):
    keypoints = Keypoints2D.load(work / "clip.keypoints.npz")
    points = keypoints.keypoints.copy()
    points[5, 3] = scale
    raw_npz(work / "far.npz", keypoints=points, scores=keypoints.scores, layout=np.array("coco17"),
            fps=np.array(25.0), width=np.array(640), height=np.array(480))
    refused(capsys, ["lift", work / "far.npz", "-o", work / "m.npz", "--checkpoint", small_checkpoint],
            work, "far outside the 640x480 frame (first: frame 5, joint 3")


def test_a_checkpoint_with_nan_weights_is_refused(work, capsys):
    config = LifterConfig((3, 3), channels=16)
    state = build_model(config).state_dict()
    state["shrink.weight"][0, 0, 0] = float("nan")
    torch.save({"format": "videopose-lifter", "version": 1, "config": config.to_dict(), "model_pos": state,
                "model_traj": None, "metadata": {}}, work / "nan.pt")
    refused(capsys, ["lift", work / "clip.keypoints.npz", "-o", work / "m.npz", "--checkpoint", work / "nan.pt"],
            work, "hold NaN or infinite numbers (shrink.weight)")


def test_a_checkpoint_that_lifts_to_absurd_distances_writes_nothing(work, capsys):
    config = LifterConfig((3, 3), channels=16)
    state = build_model(config).state_dict()
    state["shrink.weight"] *= 1e9  # finite weights, joints a million kilometres apart
    torch.save({"format": "videopose-lifter", "version": 1, "config": config.to_dict(), "model_pos": state,
                "model_traj": None, "metadata": {}}, work / "huge.pt")
    refused(capsys, ["lift", work / "clip.keypoints.npz", "-o", work / "m.npz", "--checkpoint", work / "huge.pt"],
            work, "the lifted motion: joint positions reach beyond 1000 m")


@pytest.mark.parametrize("change, message", [
    ({"end_sites": 5}, '"end_sites" must be a list'),
    ({"map": {"Hips": 3}}, "non-empty strings"),
    ({"joints": [{"name": "Hips", "parent": None, "head": [0, 0, 1]},
                 {"name": "Leg", "parent": "Hips", "head": [0, 0, 1]}]}, "at the same place"),
])
def test_degenerate_bone_maps_are_refused(work, capsys, change, message):
    bone_map = {"name": "odd", "map": {"Hips": "pelvis", "Leg": "left_hip"},
                "joints": [{"name": "Hips", "parent": None, "head": [0, 0, 1]},
                           {"name": "Leg", "parent": "Hips", "head": [0.1, 0, 0.5]}], **change}
    (work / "map.json").write_text(json.dumps(bone_map))
    refused(capsys, ["retarget", work / "clip.motion.npz", "-o", work / "a.bvh", "--rig", work / "map.json"], work,
            message)


# ------------------------------------------------------------------------------- 7. frame rates

@pytest.mark.parametrize("fps", ["inf", "1e9", "1e-9", "nan", "0"])
def test_import_keypoints_refuses_absurd_frame_rates(capsys, fps):
    folder = REPO / "tests" / "fixtures" / "keypoints"
    refused(capsys, ["import-keypoints", folder / "alphapose-results.json", "-o", folder / "never.npz", "--fps", fps,
                     "--width", "640", "--height", "480"], folder, "--fps must be a number from 1 to 1000")


@pytest.mark.parametrize("fps", [np.inf, 1e9, 1e-9])
def test_lift_refuses_absurd_frame_rates_in_the_file(work, capsys, small_checkpoint, fps):
    keypoints = Keypoints2D.load(work / "clip.keypoints.npz")
    raw_npz(work / "rate.npz", keypoints=keypoints.keypoints, scores=keypoints.scores, layout=np.array("coco17"),
            fps=np.array(fps), width=np.array(640), height=np.array(480))
    refused(capsys, ["lift", work / "rate.npz", "-o", work / "m.npz", "--checkpoint", small_checkpoint], work,
            "fps must be a number from 1 to 1000")


def test_retarget_refuses_an_absurd_frame_rate_in_a_motion(work, capsys):
    raw_npz(work / "rate.motion.npz", joints_3d=np.zeros((30, 17, 3), np.float32), fps=np.array(1e9))
    refused(capsys, ["retarget", work / "rate.motion.npz", "-o", work / "a.bvh"], work, "fps must be a number")


# ------------------------------------------------------------------ 8. tracebacks instead of messages

def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permission bits: /proc takes no new files for anyone
        return Path("/proc/videopose-unwritable")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


@pytest.mark.parametrize("command", ["run", "detect", "lift", "retarget", "preview", "import-keypoints",
                                     "prepare-data"])
def test_an_unwritable_output_folder_is_a_message(work, capsys, small_checkpoint, command):
    folder = _unwritable_folder(work)
    argv = {
        "run": ["run", work / "clip.mp4", "-o", folder / "out.bvh"],
        "detect": ["detect", work / "clip.mp4", "-o", folder / "k.npz"],
        "lift": ["lift", work / "clip.keypoints.npz", "-o", folder / "m.npz", "--checkpoint", small_checkpoint],
        "retarget": ["retarget", work / "clip.motion.npz", "-o", folder / "a.bvh"],
        "preview": ["preview", work / "clip.motion.npz", "-o", folder / "p.mp4"],
        "import-keypoints": ["import-keypoints", REPO / "tests" / "fixtures" / "keypoints" / "alphapose-results.json",
                             "-o", folder / "k.npz", "--fps", "30", "--width", "640", "--height", "480"],
        "prepare-data": ["prepare-data", work, "-o", folder / "d.npz"],
    }[command]
    refused(capsys, argv, work, "not writable")


def _last_line_starting(text: str, value: str) -> str:
    """``text`` with the first number of its last motion line replaced by ``value``."""
    lines = text.rstrip().splitlines()
    lines[-1] = " ".join([value, *lines[-1].split()[1:]])
    return "\n".join(lines) + "\n"


def _bvh_text(tmp_path: Path) -> str:
    write_bvh(smooth_animation(10, 30.0), tmp_path / "good.bvh")
    return (tmp_path / "good.bvh").read_text()


@pytest.mark.parametrize("damage, message", [
    (lambda text: text[: len(text) - 40], "cut off"),
    (lambda text: text.rstrip()[:-1] + "-\n", "not a number"),
    (lambda text: "\n".join(line + " 0.0" if line[:1].isdigit() or line[:1] == "-" else line
                            for line in text.splitlines()), "declares"),
    (lambda text: _last_line_starting(text, "nan"), "NaN or infinite"),
    (lambda text: re.sub(r"Frame Time:\s*\S+", "Frame Time: 1e-9", text), "BVH frame rate"),
])
def test_damaged_bvh_files_are_messages(tmp_path, capsys, damage, message):
    (tmp_path / "bad").mkdir()
    path = tmp_path / "bad" / "clip.bvh"
    path.write_text(damage(_bvh_text(tmp_path)))
    with pytest.raises(VideoposeError, match=message):
        read_bvh(path)
    error = refused(capsys, ["prepare-data", tmp_path / "bad", "-o", tmp_path / "bad" / "d.npz"], tmp_path, message)
    assert "clip.bvh" in error


@pytest.mark.parametrize("quats, message", [(0.0, "all zeros")])
def test_broken_rotations_in_an_animation_file_are_messages(work, capsys, quats, message):
    animation = smooth_animation(20, 30.0)
    arrays = dict(np.load(_saved(animation, work / "good.npz")))
    arrays["local_quats_xyzw"] = arrays["local_quats_xyzw"].copy()
    arrays["local_quats_xyzw"][4, 2] = quats
    raw_npz(work / "bad.npz", **arrays)
    refused(capsys, ["preview", work / "bad.npz", "-o", work / "p.png"], work, message)


def _saved(animation: Animation, path: Path) -> Path:
    animation.save(path)
    return path


@pytest.mark.parametrize("change, message", [
    ({"width": np.array(np.nan)}, "width must be a number"),
    ({"fps": np.array([25.0, 30.0, 50.0])}, "fps must be one number"),
    ({"keypoints": np.full((45, 17, 2), "x")}, "keypoints must hold numbers"),
])
def test_broken_keypoint_files_are_messages(work, capsys, small_checkpoint, change, message):
    arrays = {**dict(np.load(work / "clip.keypoints.npz")), **change}
    raw_npz(work / "bad.npz", **arrays)
    refused(capsys, ["lift", work / "bad.npz", "-o", work / "m.npz", "--checkpoint", small_checkpoint], work, message)


def test_an_npz_that_claims_a_huge_array_is_refused_before_reading(work, capsys, small_checkpoint):
    import zipfile

    with zipfile.ZipFile(work / "bomb.npz", "w") as archive:  # 100 bytes that claim 136 GB
        with archive.open("keypoints.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                         "shape": (10**9, 17, 2)})
            member.write(b"\0" * 100)
    refused(capsys, ["lift", work / "bomb.npz", "-o", work / "m.npz", "--checkpoint", small_checkpoint], work,
            "unpacks to 126.7 GB")


def test_a_npy_renamed_npz_is_a_message(work, capsys, small_checkpoint):
    np.save(work / "array.npy", np.zeros((4, 17, 2)))
    os.rename(work / "array.npy", work / "renamed.npz")
    refused(capsys, ["lift", work / "renamed.npz", "-o", work / "m.npz", "--checkpoint", small_checkpoint], work,
            "not a readable .npz archive")


def test_json_nested_very_deep_is_a_message(work, capsys):
    (work / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(capsys, ["import-keypoints", work / "deep.json", "-o", work / "k.npz", "--fps", "30", "--width", "640",
                     "--height", "480"], work, "nested too deeply")
    refused(capsys, ["retarget", work / "clip.motion.npz", "-o", work / "a.bvh", "--rig", work / "deep.json"], work,
            "nested too deeply")


@pytest.mark.parametrize("command", ["run", "lift", "retarget"])
def test_an_output_that_is_a_folder_is_refused_before_any_work(work, capsys, small_checkpoint, command):
    (work / "out.bvh").mkdir()
    (work / "out.npz").mkdir()
    argv = {"run": ["run", work / "clip.mp4", "-o", work / "out.bvh"],
            "lift": ["lift", work / "clip.keypoints.npz", "-o", work / "out.npz", "--checkpoint", small_checkpoint],
            "retarget": ["retarget", work / "clip.motion.npz", "-o", work / "out.bvh"]}[command]
    refused(capsys, argv, work, "is a folder")


@pytest.mark.parametrize("argv, message", [
    (["retarget", "{motion}", "-o", "{work}/a.bvh", "--smooth", "nan"], "--smooth must be a number from 0 to 10"),
    (["retarget", "{motion}", "-o", "{work}/a.bvh", "--smooth", "inf"], "--smooth must be a number from 0 to 10"),
    (["run", "{video}", "-o", "{work}/a.bvh", "--smooth", "1e9"], "--smooth must be a number from 0 to 10"),
    (["detect", "{video}", "-o", "{work}/k.npz", "--fill-gap", "nan"], "--fill-gap must be a number"),
    (["retarget", "{motion}", "-o", "{work}/a.bvh", "--height", "nan"], "--height must be a number from 0.5 to 2.5"),
    (["preview", "{motion}", "-o", "{work}/p.mp4", "--size", "100000"], "--size must be a number from 64 to 4320"),
    (["preview", "{motion}", "-o", "{work}/p.png", "--rows", "100000"], "--rows must be a number from 1 to 20"),
    (["preview", "{motion}", "-o", "{work}/p.mp4", "--azimuth", "nan"], "--azimuth must be a number"),
    (["train", "--data", "{work}/d.npz", "-o", "{work}/run", "--landmark-offsets", "1.5"],
     "--landmark-offsets must be a number from 0 to 1"),
    (["train", "--data", "{work}/d.npz", "-o", "{work}/run", "--spin", "-1"], "--spin must be a number from 0 to 1"),
    (["train", "--data", "{work}/d.npz", "-o", "{work}/run", "--gaps", "nan"], "--gaps must be a number from 0 to 1"),
])
def test_absurd_option_values_are_refused(work, capsys, argv, message):
    names = {"work": work, "motion": work / "clip.motion.npz", "video": work / "clip.mp4"}
    refused(capsys, [part.format(**names) for part in argv], work, message)


# ------------------------------------------------------------------------------------- 9. smaller

def test_stale_partial_files_of_a_target_are_removed_by_its_next_write(tmp_path):
    target = tmp_path / "clip.fbx"
    stale = tmp_path / ".clip.fbx.k3j9x_2a.partial.fbx"
    stale.write_bytes(b"left by a killed export")
    unrelated = tmp_path / ".clip.fbx.notours.txt"
    unrelated.write_bytes(b"someone else's")
    with atomic_output(target) as temporary:
        temporary.write_bytes(b"fbx")
    assert not stale.exists() and unrelated.exists() and target.read_bytes() == b"fbx"


@pytest.mark.parametrize("command, output", [("lift", "m.bvh"), ("import-keypoints", "k.json")])
def test_lift_and_import_keypoints_refuse_other_output_kinds(work, capsys, small_checkpoint, command, output):
    argv = {"lift": ["lift", work / "clip.keypoints.npz", "-o", work / output, "--checkpoint", small_checkpoint],
            "import-keypoints": ["import-keypoints", REPO / "tests" / "fixtures" / "keypoints" / "alphapose-results.json",
                                 "-o", work / output, "--fps", "30", "--width", "640", "--height", "480"]}[command]
    refused(capsys, argv, work, "must end in .npz")


def test_run_on_a_folder_says_it_is_a_folder(work, capsys):
    refused(capsys, ["run", work, "-o", work / "out.bvh"], work, "is a folder: give one video file")


def test_run_rejects_an_empty_video_before_loading_the_models(work):
    """A video container without frames: refused in about a second, not after torch and the models load
    (timed in a fresh process, where nothing is imported yet)."""
    import cv2

    writer = cv2.VideoWriter(str(work / "empty.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 64))
    writer.release()
    script = ("import sys, time; from videopose.cli import main; began = time.perf_counter(); "
              "code = main(sys.argv[1:]); print(code, time.perf_counter() - began)")
    before = snapshot(work)
    done = subprocess.run([sys.executable, "-c", script, "run", str(work / "empty.mp4"), "-o", str(work / "o.bvh")],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    code, seconds = done.stdout.split()
    assert code == "1" and "as a video" in done.stderr and "Traceback" not in done.stderr
    assert float(seconds) < 2.0, f"{seconds} s"
    assert snapshot(work) == before


def test_a_text_file_as_checkpoint_says_so(work, capsys):
    (work / "notes.pt").write_text("these are my notes, not weights\n")
    refused(capsys, ["lift", work / "clip.keypoints.npz", "-o", work / "m.npz", "--checkpoint", work / "notes.pt"],
            work, "not a PyTorch file (it starts with text")
