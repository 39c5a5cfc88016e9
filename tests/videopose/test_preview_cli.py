"""``videopose preview``: outputs from good inputs, clear errors and no files from bad ones."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from videopose.core.animation import Animation, Skeleton
from videopose.cli import main
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import H36M17

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared"))
VIDEO = SHARED / "videos" / "tfjs_pose_1.mp4"  # 576x576, 30 fps, 120 frames
needs_video = pytest.mark.skipif(not VIDEO.exists(), reason=f"shared test video missing: {VIDEO}")

_STANDING = np.array([  # camera frame (x right, y down, z forward), facing the camera
    [0, 0, 0], [-0.13, 0, 0], [-0.13, 0.45, 0], [-0.13, 0.88, 0], [0.13, 0, 0], [0.13, 0.45, 0], [0.13, 0.88, 0],
    [0, -0.25, 0], [0, -0.5, 0], [0, -0.6, 0], [0, -0.72, 0], [0.18, -0.5, 0], [0.2, -0.25, 0], [0.22, 0, 0],
    [-0.18, -0.5, 0], [-0.2, -0.25, 0], [-0.22, 0, 0],
])


def _motion(frames: int) -> Motion3D:
    joints = np.tile(_STANDING, (frames, 1, 1))
    joints[:, 13, 2] += 0.3 * np.sin(np.arange(frames) / 5)  # a waving left wrist
    return Motion3D(joints, 30.0)


def _keypoints(frames: int) -> Keypoints2D:
    pixels = np.tile(np.linspace(150, 420, 17)[:, None].repeat(2, axis=1), (frames, 1, 1))
    return Keypoints2D(pixels, np.ones((frames, 17)), "coco17", 30.0, 576, 576)


def _animation(frames: int) -> Animation:
    world = np.stack([_STANDING[:, 0], _STANDING[:, 2], -_STANDING[:, 1]], axis=1)
    offsets = world - np.array([world[p] if p >= 0 else np.zeros(3) for p in H36M17.parents])
    quats = np.tile([0.0, 0.0, 0.0, 1.0], (frames, 17, 1))
    roots = np.column_stack([np.zeros(frames), np.zeros(frames), np.full(frames, 0.9)])
    return Animation(Skeleton(H36M17.names, H36M17.parents, offsets), quats, roots, 30.0)


def _frame_count(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


@needs_video
def test_preview_video_uses_the_keypoints_kept_beside_the_motion(tmp_path, capsys):
    _motion(120).save(tmp_path / "clip.motion.npz")
    _keypoints(120).save(tmp_path / "clip.keypoints.npz")
    output = tmp_path / "clip_preview.mp4"
    code = main(["preview", str(tmp_path / "clip.motion.npz"), "--video", str(VIDEO), "-o", str(output),
                 "--size", "200", "--azimuth", "70"])
    assert code == 0
    assert "clip.keypoints.npz" in capsys.readouterr().err
    assert _frame_count(output) == 120


def test_contact_sheet_from_an_animation_file(tmp_path):
    _animation(50).save(tmp_path / "clip.npz")
    output = tmp_path / "sheet.png"
    assert main(["preview", str(tmp_path / "clip.npz"), "-o", str(output), "--columns", "3", "--rows", "2", "-q"]) == 0
    sheet = cv2.imread(str(output))
    assert sheet.shape == (2 * 320 + 3 * 4, 3 * 320 + 4 * 4, 3)


@pytest.mark.parametrize("output_name", ["preview.gif", "preview", "preview.avi"])
def test_unknown_output_type_fails_without_output(tmp_path, capsys, output_name):
    _motion(10).save(tmp_path / "clip.motion.npz")
    code = main(["preview", str(tmp_path / "clip.motion.npz"), "-o", str(tmp_path / output_name)])
    assert code == 1
    assert ".mp4" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.motion.npz"]


def test_missing_inputs_are_named(tmp_path, capsys):
    _motion(10).save(tmp_path / "clip.motion.npz")
    assert main(["preview", str(tmp_path / "absent.npz"), "-o", str(tmp_path / "a.mp4")]) == 1
    assert "absent.npz" in capsys.readouterr().err
    assert main(["preview", str(tmp_path / "clip.motion.npz"), "--video", str(tmp_path / "absent.mp4"),
                 "-o", str(tmp_path / "a.mp4")]) == 1
    assert "video not found" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.motion.npz"]


def test_a_keypoints_file_is_not_taken_for_a_motion(tmp_path, capsys):
    _keypoints(10).save(tmp_path / "clip.keypoints.npz")
    assert main(["preview", str(tmp_path / "clip.keypoints.npz"), "-o", str(tmp_path / "a.png")]) == 1
    assert "neither a motion" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()


@needs_video
def test_a_video_of_another_length_is_refused(tmp_path, capsys):
    _motion(40).save(tmp_path / "clip.motion.npz")
    output = tmp_path / "preview.mp4"
    assert main(["preview", str(tmp_path / "clip.motion.npz"), "--video", str(VIDEO), "-o", str(output)]) == 1
    error = capsys.readouterr().err
    assert "differ too much" in error and "motion 40" in error and "video 120" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.motion.npz"]


@needs_video
def test_a_video_a_few_frames_longer_warns_and_previews_the_motion(tmp_path, capsys):
    _motion(118).save(tmp_path / "clip.motion.npz")
    output = tmp_path / "preview.mp4"
    assert main(["preview", str(tmp_path / "clip.motion.npz"), "--video", str(VIDEO), "-o", str(output),
                 "--size", "128", "-q"]) == 0
    assert "warning: frame counts differ a little" in capsys.readouterr().err
    assert _frame_count(output) == 118


def test_existing_output_needs_overwrite(tmp_path, capsys):
    _motion(10).save(tmp_path / "clip.motion.npz")
    output = tmp_path / "sheet.png"
    output.write_bytes(b"keep me")
    assert main(["preview", str(tmp_path / "clip.motion.npz"), "-o", str(output)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert output.read_bytes() == b"keep me"
    assert main(["preview", str(tmp_path / "clip.motion.npz"), "-o", str(output), "--overwrite", "-q"]) == 0
    assert cv2.imread(str(output)) is not None
