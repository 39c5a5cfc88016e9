"""BlazePose detection on real videos, the sample regression file, bad inputs, and ``videopose detect``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from videopose.lifter.detect import COCO17_FROM_MEDIAPIPE33, detect_video, landmark_model_available
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import COCO17, MEDIAPIPE33

REPO = Path(__file__).resolve().parents[2]
SAMPLE_VIDEO = REPO / "samples" / "tfjs_pose_1.mp4"
SAMPLE_EXPECTED = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"


def confident_inside_image(keypoints: Keypoints2D, min_score: float = 0.5, margin: float = 2.0) -> float:
    """Share of joints scoring at least ``min_score`` that lie inside the frame."""
    confident = keypoints.scores >= min_score
    x, y = keypoints.keypoints[..., 0], keypoints.keypoints[..., 1]
    inside = (x >= -margin) & (x <= keypoints.width + margin) & (y >= -margin) & (y <= keypoints.height + margin)
    return float(inside[confident].mean())


def faces_camera_share(keypoints: Keypoints2D) -> float:
    """Share of frames where the performer's left hip and left shoulder are on the image's right
    (a person facing the camera), i.e. left and right are not swapped."""
    def right_of(left: str, right: str) -> np.ndarray:
        return keypoints.keypoints[:, COCO17.index(left), 0] > keypoints.keypoints[:, COCO17.index(right), 0]
    return float((right_of("left_hip", "right_hip") & right_of("left_shoulder", "right_shoulder")).mean())


@pytest.fixture(scope="module")
def sample_keypoints() -> Keypoints2D:
    return detect_video(SAMPLE_VIDEO)


@pytest.mark.slow
def test_sample_clip_detection(sample_keypoints: Keypoints2D) -> None:
    keypoints = sample_keypoints
    assert (keypoints.num_frames, keypoints.fps, keypoints.width, keypoints.height) == (120, 30.0, 576, 576)
    assert keypoints.layout == "coco17" and keypoints.source_layout == "mediapipe33"
    assert keypoints.source_keypoints.shape == (120, 33, 2)
    # The full body is in view in every frame of this clip.
    detected = (keypoints.scores >= 0.5).mean(axis=1) >= 0.9
    assert detected.mean() >= 0.95
    assert keypoints.extras["detected"].mean() >= 0.95
    assert confident_inside_image(keypoints) == 1.0
    assert faces_camera_share(keypoints) >= 0.95
    np.testing.assert_allclose(keypoints.extras["timestamps"], np.arange(120) / 30.0, atol=1e-3)
    assert not bool(keypoints.extras["variable_frame_rate"])
    # coco17 is the 33 landmarks picked by name.
    np.testing.assert_array_equal(keypoints.keypoints, keypoints.source_keypoints[:, COCO17_FROM_MEDIAPIPE33])
    assert [MEDIAPIPE33.names[i] for i in COCO17_FROM_MEDIAPIPE33] == list(COCO17.names)


@pytest.mark.slow
def test_sample_clip_matches_the_stored_detection(sample_keypoints: Keypoints2D) -> None:
    """A regression check: `videopose detect samples/tfjs_pose_1.mp4` as it was when the file was made."""
    expected = Keypoints2D.load(SAMPLE_EXPECTED)
    assert expected.keypoints.shape == sample_keypoints.keypoints.shape
    confident = (expected.scores >= 0.8) & (sample_keypoints.scores >= 0.8)
    assert confident.mean() > 0.8
    distance = np.linalg.norm(sample_keypoints.keypoints - expected.keypoints, axis=-1)[confident]
    assert np.percentile(distance, 95) < 4.0 and distance.max() < 15.0


@pytest.mark.slow
def test_portrait_camera(shared_dir: Path) -> None:
    keypoints = detect_video(shared_dir / "videos" / "pose2sim_single" / "cam01.mp4", max_frames=45, pipelined=False)
    assert (keypoints.num_frames, keypoints.width, keypoints.height, keypoints.fps) == (45, 1080, 1920, 60.0)
    assert ((keypoints.scores >= 0.5).mean(axis=1) >= 0.9).mean() >= 0.95
    assert confident_inside_image(keypoints) == 1.0
    assert faces_camera_share(keypoints) >= 0.95
    # A standing person: head above hips above ankles, and taller than wide, in a portrait frame.
    y = keypoints.keypoints[..., 1]
    assert (y[:, COCO17.index("nose")] < y[:, COCO17.index("left_hip")]).all()
    assert (y[:, COCO17.index("left_hip")] < y[:, COCO17.index("left_ankle")]).all()


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_no_person_in_any_frame(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [np.full((120, 160, 3), 90, np.uint8) + rng.integers(0, 10, (120, 160, 3), dtype=np.uint8) for _ in range(8)]
    with pytest.raises(VideoposeError, match="no person found in any of the 8 frames"):
        detect_video(write_clip(tmp_path / "empty_room.mp4", frames))


def test_unshipped_model_is_refused_without_downloading() -> None:
    for complexity in (0, 2):
        if not landmark_model_available(complexity):
            with pytest.raises(VideoposeError, match="does not ship"):
                detect_video(SAMPLE_VIDEO, model_complexity=complexity)
    with pytest.raises(VideoposeError, match="0, 1 or 2"):
        detect_video(SAMPLE_VIDEO, model_complexity=3)


def test_pipelined_and_sequential_decoding_agree() -> None:
    pipelined = detect_video(SAMPLE_VIDEO, max_frames=10)
    sequential = detect_video(SAMPLE_VIDEO, max_frames=10, pipelined=False)
    assert pipelined.num_frames == 10
    np.testing.assert_array_equal(pipelined.keypoints, sequential.keypoints)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "videopose", "detect", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_cli_end_to_end_with_preview(tmp_path: Path) -> None:
    output, preview = tmp_path / "clip.keypoints.npz", tmp_path / "clip_detect.mp4"
    completed = run_cli(str(SAMPLE_VIDEO), "-o", str(output), "--preview", str(preview), "--json")
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["frames"] == 120 and summary["detected_percent"] >= 95
    keypoints = Keypoints2D.load(output)
    assert keypoints.num_frames == 120 and keypoints.layout == "coco17"
    capture = cv2.VideoCapture(str(preview))
    count, first = 0, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        first = frame if first is None else first
        count += 1
    capture.release()
    assert count == 120 and first.shape == (576, 576, 3)
    # The skeleton is drawn: the preview differs from the video near the joints, not far from them.
    original = cv2.cvtColor(next(iter(__import__("videopose.lifter.video", fromlist=["iter_frames"]).iter_frames(SAMPLE_VIDEO))), cv2.COLOR_RGB2BGR)
    difference = np.abs(first.astype(int) - original.astype(int)).sum(axis=2)
    x, y = np.round(keypoints.keypoints[0, COCO17.index("left_hip")]).astype(int)
    assert difference[y - 3:y + 4, x - 3:x + 4].mean() > 60
    assert difference[:40, :40].mean() < 15
    # An existing output is refused without --overwrite, and left as it was.
    before = output.read_bytes()
    refused = run_cli(str(SAMPLE_VIDEO), "-o", str(output), "-q")
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--overwrite" in refused.stderr
    assert output.read_bytes() == before


def test_cli_bad_inputs_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.mp4").write_text("not a video")
    for source, message in ((tmp_path / "missing.mp4", "video not found"), (tmp_path / "notes.mp4", "cannot open")):
        output = tmp_path / "out.npz"
        completed = run_cli(str(source), "-o", str(output), "--preview", str(tmp_path / "p.mp4"))
        assert completed.returncode == 1
        assert message in completed.stderr and "Traceback" not in completed.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


@pytest.mark.slow
def test_tracker_jumping_to_a_passer_by_is_dropped(shared_dir: Path) -> None:
    """sports2d_demo: the performer is lost mid-flip (frame ~169) and BlazePose's tracker takes the woman
    walking past in front until she leaves the frame (~200), then finds the performer again."""
    keypoints = detect_video(shared_dir / "videos" / "sports2d_demo.mp4", max_frames=215)
    other = np.flatnonzero(keypoints.extras["other_person"])
    assert len(other) >= 20
    assert other.min() >= 160 and other.max() <= 210
    assert np.isnan(keypoints.keypoints[other]).all() and (keypoints.scores[other] == 0).all()
    # The performer before the flip and after landing is kept.
    assert keypoints.extras["detected"][10:160].mean() > 0.95 and not keypoints.extras["other_person"][:160].any()
    assert np.isfinite(keypoints.keypoints[205:215]).any()
