"""The shared core: file formats, atomic writes, layouts, the CLI shell."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.cli import build_parser, main
from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output, load_npz, save_npz
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import COCO17, H36M17, LAYOUTS, MEDIAPIPE33, convert_layout, get_layout


def _keypoints(frames: int = 5) -> Keypoints2D:
    rng = np.random.default_rng(0)
    return Keypoints2D(rng.uniform(0, 100, (frames, 17, 2)), rng.uniform(0, 1, (frames, 17)), "coco17", 30.0, 640, 480)


def test_keypoints_round_trip_keeps_every_field(tmp_path):
    keypoints = _keypoints()
    source = np.random.default_rng(1).uniform(0, 100, (5, 33, 2))
    keypoints = Keypoints2D(**{**keypoints.__dict__, "source_keypoints": source, "source_scores": np.ones((5, 33)),
                               "source_layout": "mediapipe33", "extras": {"timestamps": np.arange(5.0)}})
    keypoints.save(tmp_path / "k.npz")
    loaded = Keypoints2D.load(tmp_path / "k.npz")
    np.testing.assert_allclose(loaded.keypoints, keypoints.keypoints)
    np.testing.assert_allclose(loaded.source_keypoints, source.astype(np.float32))
    assert (loaded.layout, loaded.source_layout, loaded.fps, loaded.width, loaded.height) == ("coco17", "mediapipe33", 30.0, 640, 480)
    np.testing.assert_array_equal(loaded.extras["timestamps"], np.arange(5.0))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"keypoints": np.zeros((5, 17, 3))}, "(frames, joints, 2)"),
        ({"scores": np.zeros((5, 16))}, "scores must have shape"),
        ({"layout": "coco18"}, "has 18 joints"),
        ({"layout": "nonsense"}, "unknown joint layout"),
        ({"fps": 0.0}, "fps must be a number from 1 to 1000"),
        ({"keypoints": np.zeros((0, 17, 2)), "scores": np.zeros((0, 17))}, "0 frames"),
    ],
)
def test_keypoints_reject_wrong_shapes_and_values(change, message):
    with pytest.raises(VideoposeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Keypoints2D(**{**_keypoints().__dict__, **change})


def test_motion_round_trip_and_validation(tmp_path):
    joints = np.random.default_rng(2).normal(size=(7, 17, 3))
    motion = Motion3D(joints, 25.0, trajectory=np.ones((7, 3)))
    motion.save(tmp_path / "m.npz")
    loaded = Motion3D.load(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.joints_3d, joints.astype(np.float32))
    np.testing.assert_allclose(loaded.trajectory, 1.0)
    with pytest.raises(VideoposeError, match="trajectory"):
        Motion3D(joints, 25.0, trajectory=np.ones((6, 3)))
    with pytest.raises(VideoposeError, match=r"\(frames, 17, 3\)"):
        Motion3D(joints[:, :16], 25.0)


def test_load_npz_explains_missing_empty_and_corrupt_files(tmp_path):
    with pytest.raises(VideoposeError, match="not found"):
        load_npz(tmp_path / "absent.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(VideoposeError, match="empty"):
        load_npz(tmp_path / "empty.npz")
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file at all")
    with pytest.raises(VideoposeError, match="not a readable"):
        load_npz(tmp_path / "junk.npz")
    save_npz(tmp_path / "ok.npz", a=np.zeros(3))
    with pytest.raises(VideoposeError, match="lacks b"):
        load_npz(tmp_path / "ok.npz", required=("a", "b"))


def test_atomic_output_leaves_old_file_untouched_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("precious")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temp:
            temp.write_text("half")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(VideoposeError, match="already exists"):
        with atomic_output(target, overwrite=False):
            pass
    with atomic_output(target) as temp:
        temp.write_text("new")
    assert target.read_text() == "new"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_mirror_permutation_is_an_involution_that_swaps_sides(layout):
    layout = get_layout(layout)
    permutation = layout.mirror_permutation()
    np.testing.assert_array_equal(permutation[permutation], np.arange(layout.num_joints))
    for joint, twin in enumerate(permutation):
        name, twin_name = layout.names[joint], layout.names[twin]
        if "left" in name.split("_"):
            assert twin_name == name.replace("left", "right")
        elif "right" not in name.split("_"):
            assert twin == joint


def test_h36m_tree_and_known_swaps():
    assert H36M17.parents[H36M17.index("left_wrist")] == H36M17.index("left_elbow")
    assert list(H36M17.mirror_permutation()[[1, 4, 11, 14]]) == [4, 1, 14, 11]
    assert MEDIAPIPE33.mirror_permutation()[MEDIAPIPE33.index("mouth_left")] == MEDIAPIPE33.index("mouth_right")


def test_convert_layout_by_name_and_missing_joints():
    keypoints = np.arange(33 * 2, dtype=float).reshape(1, 33, 2)
    scores = np.arange(33, dtype=float)[None]
    coco, coco_scores = convert_layout(keypoints, scores, MEDIAPIPE33, COCO17)
    assert coco.shape == (1, 17, 2)
    assert coco_scores[0, COCO17.index("left_knee")] == MEDIAPIPE33.index("left_knee")
    with pytest.raises(VideoposeError, match="has no"):
        convert_layout(keypoints[:, :17], scores[:, :17], COCO17, get_layout("body25"))


def test_cli_lists_every_pipeline_command(capsys):
    help_text = build_parser().format_help()
    assert "run" in help_text
    assert main([]) == 2


def test_cli_reports_user_errors_without_traceback(tmp_path, capsys):
    code = main(["run", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "out.npz")])
    captured = capsys.readouterr()
    assert code == 1
    assert "video not found" in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "out.npz").exists()


def test_atomic_outputs_get_the_usual_permissions(tmp_path) -> None:
    import os

    from videopose.core.fileio import save_npz

    save_npz(tmp_path / "clip.motion.npz", joints=np.zeros(3))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "clip.motion.npz").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("key", ["contacts", "extra_heel_contacts", "extra_toe_contacts"])
def test_an_animation_file_with_foot_contacts_of_another_length_is_refused_in_one_line(tmp_path, key) -> None:
    """Contacts for another clip's frames (a file edited by hand or stitched): refused at load with what was
    expected, not an IndexError deep in the retargeter or in Blender's import after the armature was made."""
    from videopose.core.animation import Animation, Skeleton

    skeleton = Skeleton(("root", "child"), (-1, 0), np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.5]]))
    good = Animation(skeleton, np.tile([0.0, 0.0, 0.0, 1.0], (10, 2, 1)), np.zeros((10, 3)), 30.0,
                     np.zeros((10, 2), bool), {"heel_contacts": np.zeros((10, 2), bool), "toe_contacts": np.zeros((10, 2), bool)})
    good.save(tmp_path / "good.npz")
    data = dict(np.load(tmp_path / "good.npz"))
    data[key] = np.zeros((7, 2), bool)
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(VideoposeError, match=rf"{key} must have shape \(10, 2\).*got \(7, 2\)"):
        Animation.load(tmp_path / "bad.npz")
