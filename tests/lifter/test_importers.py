"""Importers of other detectors' 2D keypoints, on small fixtures written in each real format.

The fixture numbers follow the formulas in tests/fixtures/keypoints/make_fixtures.py (joint j, frame f).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videopose.lifter.importers import frame_number, import_keypoints, select_main_person
from videopose.lifter.infer import keypoints_in_layout
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import COCO17, get_layout

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "keypoints"
SAMPLE_VIDEO = REPO / "samples" / "tfjs_pose_1.mp4"  # 576x576, 30 fps, 120 frames
SIZE = dict(fps=30.0, width=1920, height=1080)


def _videopose(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "videopose", "import-keypoints", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


# --- OpenPose ------------------------------------------------------------------------------------

def test_openpose_body25_keeps_the_main_person_and_marks_missing_frames():
    imported = import_keypoints(FIXTURES / "openpose_body25", **SIZE)
    keypoints = imported.keypoints
    assert imported.format == "openpose" and keypoints.layout == "body25"
    assert keypoints.keypoints.shape == (7, 25, 2) and (keypoints.fps, keypoints.width, keypoints.height) == (30.0, 1920, 1080)
    # Hand-checked: frame 0 nose (joint 0) at (100, 200), left heel (joint 21) at (310, 368).
    np.testing.assert_allclose(keypoints.keypoints[0, 0], [100, 200])
    np.testing.assert_allclose(keypoints.keypoints[0, 21], [310, 368])
    j = np.arange(25)
    for f in (0, 1, 2, 4, 6):  # the main person, not the bystander listed first, nor the larger one in frame 4
        expected = np.stack([100 + 10 * j + 2 * f, 200 + 8 * j], axis=-1)
        seen = np.isfinite(keypoints.keypoints[f, :, 0])
        np.testing.assert_allclose(keypoints.keypoints[f][seen], expected[seen])
    # Frame 1's joint 3 was 0, 0, 0 in the file; frame 3 lists nobody; frame 5 has no file.
    assert keypoints.scores[1, 3] == 0 and np.isnan(keypoints.keypoints[1, 3]).all()
    assert np.count_nonzero(keypoints.scores[1]) == 24
    assert (keypoints.scores[3] == 0).all() and (keypoints.scores[5] == 0).all()
    assert np.isnan(keypoints.keypoints[[3, 5]]).all()
    np.testing.assert_allclose(keypoints.scores[[0, 2, 4, 6]], 0.9, rtol=1e-6)
    assert keypoints.source_layout is None
    assert any("1 frame numbers" in note for note in imported.notes)


def test_openpose_coco18_folder():
    keypoints = import_keypoints(FIXTURES / "openpose_coco18", format="openpose", **SIZE).keypoints
    assert keypoints.layout == "coco18" and keypoints.keypoints.shape == (5, 18, 2)
    np.testing.assert_allclose(keypoints.keypoints[4, 17], [50 + 85 + 4, 60 + 68])  # left_ear of frame 4
    np.testing.assert_allclose(keypoints.scores, 0.8, rtol=1e-6)
    # The lifter converts it to COCO-17 by name: COCO's left_ear is COCO-18's joint 17.
    points, scores = keypoints_in_layout(keypoints, COCO17)
    np.testing.assert_allclose(points[:, COCO17.index("left_ear")], keypoints.keypoints[:, 17])


def test_openpose_mixed_layouts_is_an_error_naming_the_files():
    with pytest.raises(VideoposeError, match="mixes keypoint layouts") as error:
        import_keypoints(FIXTURES / "openpose_mixed", **SIZE)
    assert "mix_000000000000_keypoints.json" in str(error.value) and "mix_000000000003_keypoints.json" in str(error.value)
    assert "body25" in str(error.value) and "coco18" in str(error.value)


def _openpose_folder(tmp_path: Path, texts: list[str]) -> Path:
    folder = tmp_path / "json"
    folder.mkdir()
    for f, text in enumerate(texts):
        (folder / f"x_{f:012d}_keypoints.json").write_text(text)
    return folder


def _person(values: int) -> str:
    return json.dumps({"people": [{"pose_keypoints_2d": [1.0] * values}]})


@pytest.mark.parametrize("texts, message", [
    ([_person(75), '{"people": [{"pose_keypoints_2d": [1.0, 2.0'], "not valid JSON"),
    ([_person(75), _person(60)], "60 pose_keypoints_2d values"),
    ([_person(75), '{"version": 1.3}'], "no \"people\" list"),
    ([_person(75), json.dumps({"people": [{"pose_keypoints_2d": ["a"] * 75}]})], "non-numeric"),
    (['{"people": []}', '{"people": []}'], "no person in any"),
    ([], "holds no OpenPose"),
])
def test_openpose_bad_folders_are_errors(tmp_path, texts, message):
    with pytest.raises(VideoposeError, match=message):
        import_keypoints(_openpose_folder(tmp_path, texts), **SIZE)


def test_openpose_without_fps_or_size_asks_for_them_before_reading(tmp_path):
    with pytest.raises(VideoposeError, match="--fps --width --height or --video"):
        import_keypoints(FIXTURES / "openpose_body25")
    with pytest.raises(VideoposeError, match="does not say the video's height: pass --height"):
        import_keypoints(FIXTURES / "openpose_body25", fps=25, width=640)


def test_video_supplies_fps_and_size():
    keypoints = import_keypoints(FIXTURES / "openpose_coco18", video=SAMPLE_VIDEO).keypoints
    assert (keypoints.fps, keypoints.width, keypoints.height) == (30.0, 576, 576)
    with pytest.raises(VideoposeError, match="video not found"):
        import_keypoints(FIXTURES / "openpose_coco18", video=SAMPLE_VIDEO.with_name("nothing.mp4"))


def test_video_size_is_the_upright_frame_of_a_real_portrait_video(shared_dir):
    """tfjs_pose_squats.mp4 is portrait, 720x1280 (see ../shared/videos/README.md)."""
    keypoints = import_keypoints(FIXTURES / "openpose_coco18", video=shared_dir / "videos" / "tfjs_pose_squats.mp4").keypoints
    assert (keypoints.width, keypoints.height, keypoints.fps) == (720, 1280, 5.0)


def test_imported_openpose_lifts_with_gaps_filled():
    """An imported BODY_25 clip with missing frames goes through the lifter (tiny random weights)."""
    import torch

    from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model
    from videopose.lifter.infer import lift_keypoints

    config = LifterConfig((3, 3), channels=16)
    torch.manual_seed(0)
    checkpoint = LifterCheckpoint(config, build_model(config).state_dict())
    keypoints = import_keypoints(FIXTURES / "openpose_body25", **SIZE).keypoints
    motion = lift_keypoints(keypoints, checkpoint, device="cpu")
    assert motion.joints_3d.shape == (7, 17, 3) and np.isfinite(motion.joints_3d).all() and motion.fps == 30.0
    # Frames 3 and 5 (17 COCO joints each) plus frame 1's missing right_elbow (BODY_25 joint 3).
    assert int(motion.extras["filled_keypoints"]) == 2 * 17 + 1


# --- person selection ----------------------------------------------------------------------------

def _square_person(x: float, y: float, size: float, score: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    points = np.array([[x, y], [x + size, y], [x, y + size], [x + size, y + size]], dtype=np.float32)
    return points, np.full(4, score, dtype=np.float32)


def test_select_main_person_starts_with_the_most_prominent_then_follows_it():
    big, small = _square_person(100, 100, 200), _square_person(800, 100, 50, score=1.0)
    dim = _square_person(100, 100, 200, score=0.1)  # as large, barely confident: less prominent than small
    frames = [
        [small, big],                                  # the largest (size x confidence) wins
        [],                                            # nobody
        [_square_person(900, 50, 600), _square_person(110, 105, 200)],  # someone larger appears; keep following
        [_square_person(120, 110, 200)],
    ]
    keypoints, scores = select_main_person(frames, 4)
    np.testing.assert_allclose(keypoints[:, 0], [[100, 100], [np.nan, np.nan], [110, 105], [120, 110]])
    assert (scores[1] == 0).all() and (scores[[0, 2, 3]] > 0).all()
    first, _ = select_main_person([[dim, small]], 4)
    np.testing.assert_allclose(first[0, 0], [800, 100])


# --- COCO-style results --------------------------------------------------------------------------

def test_alphapose_halpe26_results_with_file_name_image_ids():
    imported = import_keypoints(FIXTURES / "alphapose-results.json", **SIZE)
    keypoints = imported.keypoints
    assert imported.format == "coco" and keypoints.layout == "halpe26" and keypoints.keypoints.shape == (6, 26, 2)
    j = np.arange(26)
    for f in (0, 1, 3, 4, 5):  # the main person, not the very confident but small one listed first in frame 0
        np.testing.assert_allclose(keypoints.keypoints[f], np.stack([300 + 3 * j + f, 100 + 6 * j], axis=-1))
    np.testing.assert_allclose(keypoints.keypoints[5, 25], [380, 250])  # right_heel, frame 5, by hand
    assert (keypoints.scores[2] == 0).all() and np.isnan(keypoints.keypoints[2]).all()  # "2.jpg" had no result
    np.testing.assert_allclose(keypoints.scores[[0, 1, 3, 4, 5]], 0.7, rtol=1e-6)
    # Halpe-26 holds COCO-17 as its first 17 joints, which lift picks by name.
    points, _ = keypoints_in_layout(keypoints, COCO17)
    np.testing.assert_allclose(points, keypoints.keypoints[:, :17])


def test_detectron2_coco17_results_with_integer_image_ids():
    imported = import_keypoints(FIXTURES / "detectron2-coco17.json", format="coco", **SIZE)
    keypoints = imported.keypoints
    assert keypoints.layout == "coco17" and keypoints.keypoints.shape == (5, 17, 2)
    np.testing.assert_allclose(keypoints.keypoints[2, 16], [400 + 64 + 4, 300 + 80])  # category 3 at image 3 ignored
    np.testing.assert_allclose(keypoints.scores, 0.6, rtol=1e-6)
    assert any("other categories" in note for note in imported.notes)


def test_mmpose_instance_info_results():
    keypoints = import_keypoints(FIXTURES / "mmpose-results.json", **SIZE).keypoints
    assert keypoints.layout == "coco17" and keypoints.keypoints.shape == (4, 17, 2)
    np.testing.assert_allclose(keypoints.keypoints[3, 10], [103, 450])
    np.testing.assert_allclose(keypoints.scores, 0.5)


@pytest.mark.parametrize("text, message", [
    ('[{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 0.5', "not valid JSON"),
    ('[{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 0.5, 3]}]', "4 keypoint values"),
    ('[{"image_id": "no-number.jpg", "category_id": 1, "keypoints": ' + json.dumps([1.0] * 51) + "}]", "no frame number"),
    ('[{"image_id": 1, "category_id": 1}]', "needs \"image_id\" and \"keypoints\""),
    ('{"images": []}', "cannot tell the format"),
    ("", "not valid JSON"),
])
def test_bad_coco_results_are_errors(tmp_path, text, message):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(VideoposeError, match=message):
        import_keypoints(path, **SIZE)


@settings(max_examples=30, deadline=None)
@given(frames=st.integers(1, 12), seed=st.integers(0, 2**16), halpe=st.booleans())
def test_coco_results_in_any_order_come_back_by_frame_number(frames, seed, halpe):
    """Results listed in any order, some keypoints with score 0: values back exactly, by image number."""
    import tempfile

    rng = np.random.default_rng(seed)
    joints = 26 if halpe else 17
    values = np.round(rng.uniform(0, 1000, (frames, joints, 2)), 2)
    scores = np.round(rng.uniform(0, 1, (frames, joints)), 3) * (rng.uniform(size=(frames, joints)) > 0.2)
    scores[:, 0] = 0.5  # every frame has someone
    results = [{"image_id": f"frame_{f + 7:05d}.jpg", "category_id": 1,
                "keypoints": np.concatenate([values[f], scores[f][:, None]], axis=1).ravel().tolist()}
               for f in rng.permutation(frames)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.json"
        path.write_text(json.dumps(results))
        keypoints = import_keypoints(path, **SIZE).keypoints
    assert keypoints.layout == ("halpe26" if halpe else "coco17") and keypoints.num_frames == frames
    np.testing.assert_allclose(keypoints.scores, scores, rtol=1e-6)
    seen = scores > 0
    np.testing.assert_allclose(keypoints.keypoints[seen], values[seen], rtol=1e-6)
    assert np.isnan(keypoints.keypoints[~seen]).all()


# --- VideoPose3D ---------------------------------------------------------------------------------

def test_videopose3d_custom_npz_needs_its_format_named():
    path = FIXTURES / "data_2d_custom_fixture.npz"
    with pytest.raises(VideoposeError, match="pickled.*--format videopose3d"):
        import_keypoints(path, fps=25)
    imported = import_keypoints(path, format="videopose3d", fps=25)
    keypoints = imported.keypoints
    assert keypoints.layout == "coco17" and keypoints.keypoints.shape == (8, 17, 2)
    assert (keypoints.width, keypoints.height, keypoints.fps) == (1280, 720, 25.0)  # size from video_metadata
    np.testing.assert_allclose(keypoints.keypoints[7, 16], [600 + 112 + 7, 350 + 144])
    assert (keypoints.scores == 1).all()  # the file holds no confidences
    assert any("other.mp4" in note for note in imported.notes)
    other = import_keypoints(path, format="videopose3d", fps=25, subject="other.mp4").keypoints
    assert other.keypoints.shape == (5, 17, 2) and (other.width, other.height) == (640, 360)
    as_h36m = import_keypoints(path, format="videopose3d", fps=25, source_layout="h36m17").keypoints
    assert as_h36m.layout == "h36m17"
    with pytest.raises(VideoposeError, match="no subject 'missing.mp4'.*clip.mp4, other.mp4"):
        import_keypoints(path, format="videopose3d", fps=25, subject="missing.mp4")
    with pytest.raises(VideoposeError, match="--camera 2 is out of range"):
        import_keypoints(path, format="videopose3d", fps=25, camera=2)
    with pytest.raises(VideoposeError, match="pass --fps"):
        import_keypoints(path, format="videopose3d")


def test_videopose3d_bad_files(tmp_path):
    not_npz = tmp_path / "broken.npz"
    not_npz.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(VideoposeError, match="not a readable"):
        import_keypoints(not_npz, format="videopose3d", fps=25)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, positions_2d={"s": {"a": [np.zeros((4, 12, 2))]}}, metadata={"layout_name": "coco"})
    with pytest.raises(VideoposeError, match="12 joints do not fit"):
        import_keypoints(wrong, format="videopose3d", fps=25, width=10, height=10)


# --- MediaPipe -----------------------------------------------------------------------------------

def test_mediapipe_json_landmarks_scale_to_pixels():
    imported = import_keypoints(FIXTURES / "mediapipe-landmarks.json")
    keypoints = imported.keypoints
    assert imported.format == "mediapipe" and keypoints.layout == "mediapipe33"
    assert (keypoints.fps, keypoints.width, keypoints.height) == (25.0, 640, 480)  # from the file
    np.testing.assert_allclose(keypoints.keypoints[0, 0], [0.2 * 640, 0.1 * 480], rtol=1e-5)  # (128, 48)
    j = np.arange(33)
    for f in (0, 1, 2, 4, 5):  # frame 4 is written as {"x", "y", "z", "visibility"} dicts
        expected = np.stack([(0.2 + 0.01 * j + 0.005 * f) * 640, (0.1 + 0.02 * j) * 480], axis=-1)
        np.testing.assert_allclose(keypoints.keypoints[f], expected, atol=0.05)
    np.testing.assert_allclose(keypoints.scores[[0, 1, 2, 4, 5]], 0.85, rtol=1e-6)
    assert (keypoints.scores[3] == 0).all() and np.isnan(keypoints.keypoints[3]).all()


def test_mediapipe_to_coco17_keeps_the_landmarks_as_source():
    keypoints = import_keypoints(FIXTURES / "mediapipe-landmarks.json", layout="coco17").keypoints
    assert keypoints.layout == "coco17" and keypoints.source_layout == "mediapipe33"
    assert keypoints.source_keypoints.shape == (6, 33, 2)
    mediapipe = get_layout("mediapipe33")
    np.testing.assert_allclose(keypoints.keypoints[:, COCO17.index("left_wrist")],
                               keypoints.source_keypoints[:, mediapipe.index("left_wrist")])
    np.testing.assert_allclose(keypoints.keypoints[0, COCO17.index("left_wrist")], [(0.2 + 0.15) * 640, (0.1 + 0.3) * 480],
                               rtol=1e-5)
    with pytest.raises(VideoposeError, match="mediapipe33 has no pelvis"):
        import_keypoints(FIXTURES / "mediapipe-landmarks.json", layout="h36m17")


def test_mediapipe_npz_needs_a_frame_size_and_round_trips(tmp_path):
    path = FIXTURES / "mediapipe-landmarks.npz"
    with pytest.raises(VideoposeError, match="fps, width, height"):
        import_keypoints(path)
    keypoints = import_keypoints(path, video=SAMPLE_VIDEO).keypoints
    assert keypoints.keypoints.shape == (5, 33, 2) and keypoints.width == 576
    np.testing.assert_allclose(keypoints.keypoints[4, 32], [(0.2 + 0.32 + 0.02) * 576, (0.1 + 0.64) * 576], rtol=1e-5)
    # A videopose keypoints file in mediapipe33 is accepted as the MediaPipe format too.
    saved = tmp_path / "mediapipe.keypoints.npz"
    keypoints.save(saved)
    again = import_keypoints(saved).keypoints
    np.testing.assert_array_equal(again.keypoints, keypoints.keypoints)
    assert (again.fps, again.width) == (30.0, 576)


# --- frame numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, number", [
    ("clip_000000000012_keypoints.json", 12), ("12.jpg", 12), ("frame_000034.png", 34),
    ("cam2/video3_000007_keypoints.json", 7), ("no_number.jpg", None),
])
def test_frame_number(name, number):
    assert frame_number(name) == number


# --- command line --------------------------------------------------------------------------------

def test_cli_imports_and_the_file_round_trips(tmp_path):
    output = tmp_path / "out" / "clip.keypoints.npz"
    result = _videopose(str(FIXTURES / "detectron2-coco17.json"), "-o", str(output), "--fps", "24",
                        "--width", "1280", "--height", "720")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "5 frames of coco17" in result.stdout
    loaded = Keypoints2D.load(output)
    direct = import_keypoints(FIXTURES / "detectron2-coco17.json", fps=24, width=1280, height=720).keypoints
    np.testing.assert_array_equal(loaded.keypoints, direct.keypoints)
    np.testing.assert_array_equal(loaded.scores, direct.scores)
    assert (loaded.layout, loaded.fps, loaded.width, loaded.height) == ("coco17", 24.0, 1280, 720)
    assert list(output.parent.iterdir()) == [output]  # no temporary files left

    # No overwrite without --overwrite; the old file is untouched.
    before = output.read_bytes()
    result = _videopose(str(FIXTURES / "openpose_body25"), "-o", str(output), "--video", str(SAMPLE_VIDEO))
    assert result.returncode == 1 and "--overwrite" in result.stderr and output.read_bytes() == before
    result = _videopose(str(FIXTURES / "openpose_body25"), "-o", str(output), "--video", str(SAMPLE_VIDEO),
                        "--overwrite", "--layout", "coco17", "-q")
    assert result.returncode == 0 and result.stdout == ""
    converted = Keypoints2D.load(output)
    assert converted.layout == "coco17" and converted.source_layout == "body25" and converted.fps == 30.0
    np.testing.assert_allclose(converted.keypoints[0, COCO17.index("right_wrist")], [140, 232])  # BODY_25 joint 4


@pytest.mark.parametrize("source, extra, message", [
    ("openpose_mixed", ["--fps", "30", "--width", "640", "--height", "480"], "mixes keypoint layouts"),
    ("openpose_body25", [], "pass --fps --width --height or --video"),
    ("data_2d_custom_fixture.npz", ["--fps", "30"], "--format videopose3d"),
    ("missing.json", ["--fps", "30"], "not found"),
    ("openpose_coco18", ["--video", str(FIXTURES / "detectron2-coco17.json")], "as a video"),
])
def test_cli_bad_input_exits_non_zero_without_output(tmp_path, source, extra, message):
    output = tmp_path / "out.npz"
    result = _videopose(str(FIXTURES / source), "-o", str(output), *extra)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not output.exists() and list(tmp_path.iterdir()) == []


def test_cli_bad_json_in_a_folder_leaves_no_output(tmp_path):
    folder = tmp_path / "json"
    shutil.copytree(FIXTURES / "openpose_coco18", folder)
    (folder / "vid_000000000002_keypoints.json").write_text('{"people": [')
    output = tmp_path / "out.npz"
    result = _videopose(str(folder), "-o", str(output), "--fps", "30", "--width", "640", "--height", "480")
    assert result.returncode == 1 and "vid_000000000002_keypoints.json is not valid JSON" in result.stderr
    assert not output.exists()
