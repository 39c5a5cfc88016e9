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

from videopose.lifter.detect import (
    COCO17_FROM_MEDIAPIPE33, PeopleDetections, describe_detection, detect_in_region, detect_people_video, detect_video,
    detection_summary, keypoints_from_detections, landmark_model_available, rotation_order,
)
from videopose.core.frame_runs import frame_runs
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


SPORTS2D = "sports2d_demo.mp4"


@pytest.fixture(scope="session")
def sports2d_detections(shared_dir: Path) -> dict[str, PeopleDetections]:
    """sports2d_demo detected once per session, for the performer only and for everyone (~25 s)."""
    video = shared_dir / "videos" / SPORTS2D
    return {people: detect_people_video(video, people=people) for people in ("one", "all")}


def torso(keypoints: Keypoints2D) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 2) torso centre and (frames, 2) up vector (hip centre -> shoulder centre), pixels."""
    shoulders = keypoints.keypoints[:, [COCO17.index("left_shoulder"), COCO17.index("right_shoulder")]].mean(axis=1)
    hips = keypoints.keypoints[:, [COCO17.index("left_hip"), COCO17.index("right_hip")]].mean(axis=1)
    return (shoulders + hips) / 2, shoulders - hips


@pytest.mark.slow
def test_the_performer_is_kept_through_the_flip(shared_dir: Path, sports2d_detections) -> None:
    """sports2d_demo: mid-flip (frames ~169-200) BlazePose's tracker takes the woman walking past in front;
    the performer is searched for again around where they were heading (turned when upside down) and kept,
    from the first frames to the last, with no jump to the woman, and their torso turns past horizontal."""
    video = shared_dir / "videos" / SPORTS2D
    keypoints = keypoints_from_detections(sports2d_detections["one"], video)[0]
    present = (keypoints.scores > 0).any(axis=1)
    assert present.mean() >= 0.95 and present[5:225].all()
    switched = np.flatnonzero(keypoints.extras["other_person"])
    assert len(switched) >= 20 and switched.min() >= 165 and switched.max() <= 205
    assert keypoints.extras["recovered"][switched].mean() > 0.8   # found again, not just filled
    centre, up = torso(keypoints)
    assert (centre[165:205, 0] > 800).all()                 # the performer, not the woman (x < 450)
    lean = np.degrees(np.arctan2(np.abs(up[:, 0]), -up[:, 1]))   # 0 upright, 90 horizontal, 180 upside down
    assert np.nanmax(lean[170:201]) > 100
    body = np.nanmedian(np.linalg.norm(up, axis=1))
    steps = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    assert np.nanmax(steps) < body                          # no switch to someone else anywhere
    summary = detection_summary(keypoints)
    assert summary["recovered"] >= 25 and summary["gaps"] == [b - a for a, b in frame_runs(~present)]


@pytest.mark.slow
def test_the_lifted_root_does_not_jump(shared_dir: Path, sports2d_detections) -> None:
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import retarget_motion

    keypoints = keypoints_from_detections(sports2d_detections["one"], shared_dir / "videos" / SPORTS2D)[0]
    motion = lift_keypoints(keypoints, load_checkpoint(resolve_checkpoint(None)), device="cpu")
    root = retarget_motion(motion).root_positions
    assert np.linalg.norm(np.diff(root, axis=0), axis=1).max() < 1.0


@pytest.mark.slow
def test_everyone_is_tracked_with_people_all(shared_dir: Path, sports2d_detections) -> None:
    """--people all: the performer is person 1 and the woman walking past in front person 2, each their
    own track over the frames they are in."""
    video = shared_dir / "videos" / SPORTS2D
    people = keypoints_from_detections(sports2d_detections["all"], video, people="all")
    assert len(people) == 2 and [int(p.extras["person"]) for p in people] == [1, 2]
    performer, woman = people
    single = keypoints_from_detections(sports2d_detections["one"], video)[0]
    both = ((performer.scores > 0).any(axis=1) & (single.scores > 0).any(axis=1))
    assert both.mean() > 0.9
    assert np.nanmedian(np.abs(torso(performer)[0][both] - torso(single)[0][both])) < 5
    seen = (woman.scores > 0).any(axis=1)
    assert seen.sum() >= 100 and seen[60:160].all()
    centre = torso(woman)[0]
    assert (centre[seen, 1] > 550).all()                    # on the ground in front, not on the roof
    assert centre[60, 0] - centre[160, 0] > 600             # walking right to left
    assert not seen[205:].any()


def test_a_body_found_in_a_turned_crop_maps_back_to_the_frame() -> None:
    """Searching again in a rotated crop gives the landmarks in frame pixels, as found upright."""
    import mediapipe as mp

    frame = next(iter(__import__("videopose.lifter.video", fromlist=["iter_frames"]).iter_frames(SAMPLE_VIDEO)))
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        upright = detect_in_region(pose, frame, np.array([300.0, 300.0]), 560, (0,))
        for rotation in (90, 180, 270):
            turned = detect_in_region(pose, frame, np.array([300.0, 300.0]), 560, (rotation,))
            assert turned is not None and turned[2] == rotation
            confident = (upright[1] > 0.8) & (turned[1] > 0.8)
            assert confident.sum() > 15
            assert np.median(np.linalg.norm(turned[0] - upright[0], axis=1)[confident]) < 6


def test_rotation_order_stands_the_body_up_first() -> None:
    assert rotation_order(np.array([0.0, -1.0]))[0] == 0          # upright
    assert rotation_order(np.array([0.0, 1.0]))[0] == 180         # upside down
    assert rotation_order(np.array([1.0, 0.0]))[0] == 270         # head to the right: turn anticlockwise
    assert rotation_order(np.array([-1.0, 0.0]))[0] == 90


def test_the_summary_names_lost_switched_and_filled_frames() -> None:
    frames = 50
    scores = np.full((frames, 17), 0.9, dtype=np.float32)
    scores[10:18] = 0.0
    extras = {"detected": (scores > 0).any(axis=1), "other_person": np.zeros(frames, bool),
              "filled": np.zeros(frames, bool), "recovered": np.zeros(frames, bool)}
    extras["other_person"][30:33] = True
    extras["recovered"][30:33] = True
    extras["filled"][40] = True
    extras["detected"][40] = False
    keypoints = Keypoints2D(np.zeros((frames, 17, 2), np.float32), scores, "coco17", 30.0, 640, 480, extras=extras)
    lines, warnings = describe_detection(keypoints)
    text = "\n".join(lines)
    assert "frames 10-17 (gaps of 8 frames)" in text and "frames 30-32" in text and "frames 40" in text
    assert warnings == [] and detection_summary(keypoints)["gaps"] == [8]
    extras["detected"][:15] = False
    assert describe_detection(keypoints)[1][0].startswith("the performer was found in only 62 %")
    extras.update(people=np.array(3), person=np.array(2))  # --people all: one track of several
    assert describe_detection(keypoints)[1][0].startswith("person 2 was found in only 62 %")


@pytest.mark.slow
def test_the_flip_is_lifted_past_horizontal(shared_dir: Path, sports2d_detections) -> None:
    """Issue 15: mid-flip (frames 170-200) the lifted 3D torso turns past horizontal with the turning
    weights blended in (the default weights alone keep it within ~60 degrees of upright), and the
    upright walk before it is lifted as before."""
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.lifter.turning import lift_with_turning, turning_checkpoint_path

    keypoints = keypoints_from_detections(sports2d_detections["one"], shared_dir / "videos" / SPORTS2D)[0]
    default = load_checkpoint(resolve_checkpoint(None))

    def lean_3d(motion) -> np.ndarray:
        torso = motion.joints_3d[:, 8] - motion.joints_3d[:, 0]   # pelvis -> thorax, camera frame (y down)
        return np.degrees(np.arctan2(np.hypot(torso[:, 0], torso[:, 2]), -torso[:, 1]))

    plain = lift_keypoints(keypoints, default, device="cpu")
    blended, weights = lift_with_turning(keypoints, default, turning_checkpoint_path(), device="cpu")
    assert lean_3d(plain)[170:201].max() < 90          # what the default weights do alone
    assert lean_3d(blended)[170:201].max() > 90         # the flip turns past horizontal
    assert not weights[:140].any()                      # jumping jacks and the walk: the default lift
    assert np.allclose(blended.joints_3d[:140], plain.joints_3d[:140])


@pytest.mark.slow
def test_the_grounded_root_stays_off_the_lens_through_the_flip_off_the_roof(shared_dir: Path,
                                                                          sports2d_detections) -> None:
    """sports2d: the performer flips off the roof onto the grass 1 m lower. The landing's footprints are
    not on the roof's floor (their rays would meet it next to the camera) and the flip's misfit frame
    (an upright pose fitted 5 cm from the lens) places nothing: the root stays >3 m from the camera
    (before: 1 m, pulled 4 m along the rays), and the landing is below the roof."""
    import warnings

    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    keypoints = keypoints_from_detections(sports2d_detections["one"], shared_dir / "videos" / SPORTS2D)[0]
    motion = lift_keypoints(keypoints, load_checkpoint(resolve_checkpoint(None)), device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        animation = retarget_motion(motion, RetargetOptions(), keypoints=keypoints)
    assert any("another level" in str(w.message) for w in caught)
    camera = np.asarray(animation.extras["camera_position"])
    distance = np.linalg.norm(animation.root_positions - camera, axis=1)
    assert distance.min() > 3.0
    assert animation.extras["off_floor_frames"][185:215].any()
    assert np.median(animation.root_positions[200:215, 2]) < np.median(animation.root_positions[100:140, 2]) - 0.5
