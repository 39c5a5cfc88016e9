"""``videopose run`` end to end: the shipped sample through the real detector, the shipped lifter
weights, the retargeter and Blender's FBX exporter, read back with an independent reader (ufbx).

The fast tests start from the sample's expected keypoints (samples/), so they skip the detector but
run everything after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from videopose.core.animation import Animation
from videopose.core.frame_runs import frame_runs
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.pipeline import RunOptions, file_signature, intermediate_paths, run_pipeline
from videopose.retarget.pipeline import RetargetOptions

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "tfjs_pose_1.mp4"
EXPECTED_KEYPOINTS = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"
sys.path.insert(0, str(REPO / "tests" / "addon"))
from blender_runner import read_fbx_with_ufbx  # noqa: E402

ANKLES = ("left_ankle", "right_ankle")


def _video_frames(path: Path) -> tuple[int, float]:
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()


def _stamped_keypoints(output: Path) -> Path:
    """Put the sample's expected keypoints where ``run`` keeps them for ``output``, stamped as made
    from the sample, so the run reuses them instead of detecting."""
    keypoints = Keypoints2D.load(EXPECTED_KEYPOINTS)
    extras = {**keypoints.extras, "video_signature": np.array(file_signature(SAMPLE))}
    path = intermediate_paths(output)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    Keypoints2D(**{**keypoints.__dict__, "extras": extras}).save(path)
    return path


def _bone_length_spread(positions: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(joints,) max - min over frames of each bone's length; positions (frames, joints, 3)."""
    spreads = []
    for joint, parent in enumerate(parents):
        if parent >= 0:
            lengths = np.linalg.norm(positions[:, joint] - positions[:, parent], axis=-1)
            spreads.append(lengths.max() - lengths.min())
    return np.array(spreads)


@pytest.mark.slow
def test_video_to_fbx_read_back_with_ufbx(tmp_path):
    """The README's first command on the sample: FBX with constant bones, feet on the floor, right timing."""
    output = tmp_path / "out" / "sample.fbx"
    preview = tmp_path / "out" / "sample_preview.png"
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    completed = subprocess.run(
        [sys.executable, "-m", "videopose", "run", str(SAMPLE), "-o", str(output), "--preview", str(preview), "-q"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    keypoints_path, motion_path = intermediate_paths(output)
    assert output.is_file() and keypoints_path.is_file() and motion_path.is_file()
    sheet = cv2.imread(str(preview))
    assert sheet is not None and sheet.shape[0] > 200 and sheet.shape[1] > 200

    video_frames, video_fps = _video_frames(SAMPLE)
    keypoints = Keypoints2D.load(keypoints_path)
    assert keypoints.num_frames == video_frames == 120
    assert (keypoints.scores > 0.5).all(axis=1).mean() >= 0.95, "the performer is in full view in every frame"

    # The same run to .npz reuses detection and lifting and gives the animation the FBX should hold.
    result = run_pipeline(SAMPLE, output.with_suffix(".npz"), RunOptions())
    assert result.reused == ("detect", "lift")  # same stem: the keypoints and motion beside the FBX
    animation = Animation.load(output.with_suffix(".npz"))
    names = list(animation.skeleton.names)
    frames = list(range(video_frames))
    read = read_fbx_with_ufbx(output, names, frames, tmp_path / "home")

    assert read["fps"] == pytest.approx(video_fps)
    assert round((read["time_end"] - read["time_begin"]) * read["fps"]) + 1 == video_frames
    positions = np.array(read["positions"])  # (frames, joints, 3), Z up, metres
    assert np.isfinite(positions).all()
    assert _bone_length_spread(positions, animation.skeleton.parents).max() < 1e-3
    assert np.abs(positions - animation.world_positions()).max() < 1e-3

    ankle_heights = positions[:, [names.index(name) for name in ANKLES], 2]
    lowest = ankle_heights.min(axis=1)
    assert lowest.min() > -0.01, "a foot goes through the floor"
    assert np.percentile(lowest, 50) < 0.15, "the performer floats above the floor"
    contacts = animation.contacts
    assert contacts is not None and contacts.any()
    planted_ankles = positions[:, [names.index(name) for name in ANKLES]]
    for side in range(2):
        for start, stop in frame_runs(contacts[:, side]):
            planted = planted_ankles[start:stop, side]
            assert np.abs(planted - planted.mean(axis=0)).max() < 0.01, "a locked foot moves during its contact"
            assert planted[:, 2].max() < 0.2, "a foot in contact is far above the floor"


def test_run_reuses_keypoints_and_motion_when_only_retargeting_changes(tmp_path):
    output = tmp_path / "clip.bvh"
    _stamped_keypoints(output)
    first = run_pipeline(SAMPLE, output, RunOptions())
    assert first.reused == ("detect",) and "lift" in first.seconds
    # The run says the world it grounded the clip in: the sample's camera is level (its walls' verticals
    # parallel in the picture), so no focal length comes from them and the default field of view stays.
    assert first.world.startswith("static camera: reprojection, floor from planted feet; up axis from the ")
    assert "vertical lines" in first.world and "focal length 582 px (default field of view)" in first.world
    motion = Motion3D.load(first.motion_path)
    assert motion.num_frames == 120 and np.isfinite(motion.joints_3d).all()
    assert motion.trajectory is not None

    import bvh  # independent BVH parser

    parsed = bvh.Bvh(output.read_text())
    assert parsed.nframes == 120 and parsed.frame_time == pytest.approx(1 / 30)

    # Other retarget options, same output name: detection and lifting are reused.
    second = run_pipeline(SAMPLE, output, RunOptions(RetargetOptions(foot_lock=False, smooth=0.0), overwrite=True))
    assert second.reused == ("detect", "lift")
    assert second.frames == 120


def test_run_refuses_to_replace_outputs_and_rejects_bad_requests(tmp_path):
    existing = tmp_path / "mine.bvh"
    existing.write_text("the user's own file")
    with pytest.raises(VideoposeError, match="already exists"):
        run_pipeline(SAMPLE, existing, RunOptions())
    assert existing.read_text() == "the user's own file"
    with pytest.raises(VideoposeError, match="must end in"):
        run_pipeline(SAMPLE, tmp_path / "clip.mp4", RunOptions())
    with pytest.raises(VideoposeError, match="not found"):
        run_pipeline(tmp_path / "missing.mp4", tmp_path / "clip.bvh", RunOptions())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine.bvh"]


def test_run_cli_reports_errors_without_traceback(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "videopose", "run", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "x.fbx")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert "not found" in completed.stderr and "Traceback" not in completed.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_jumping_jacks_in_place_on_a_level_roof_stay_level_and_in_place(shared_dir: Path, tmp_path: Path) -> None:
    """sports2d (a level camera at the roof's height; the performer does jumping jacks in place for 3 s before
    walking off): the up axis is not rolled across the picture (it was 8.9 degrees: landings on both feet found
    on one) nor pitched along the line of sight (it was 8.8 degrees, the camera 0.84 m over the roof, before the
    scene's verticals: the box's and buildings' edges stand parallel in the picture and the roof's top is seen
    edge-on), and the root stays within 25 cm over frames 6-100 (it spread over 46 cm; 20 now)."""
    output = tmp_path / "sports2d.npz"
    run_pipeline(shared_dir / "videos" / "sports2d_demo.mp4", output, RunOptions(RetargetOptions(height=1.61)))
    animation = Animation.load(output)
    up = animation.extras["world_from_camera"][2]
    assert abs(np.degrees(np.arctan2(up[0], -up[1]))) < 4.0
    assert abs(np.degrees(np.arctan2(-up[2], -up[1]))) < 2.5 and abs(animation.extras["camera_position"][2]) < 0.3
    root = animation.root_positions[6:100, :2]
    assert np.linalg.norm(root[:, None] - root[None], axis=-1).max() < 0.25
