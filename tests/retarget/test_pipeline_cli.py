"""retarget_motion end to end, BVH round trips read by the independent ``bvh`` parser, and ``videopose retarget``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bvh import Bvh

from videopose.core.animation import Animation
from videopose.core.bvh import read_bvh, write_bvh
from videopose.retarget.pipeline import RetargetOptions, retarget_motion
from videopose.retarget.root import ankle_height
from synthetic_motion import to_camera, walking_motion
from videopose.cli import main
from videopose.core.errors import VideoposeError
from videopose.core.formats import Motion3D


@pytest.fixture(scope="module")
def walk() -> Motion3D:
    world, _ = walking_motion(90)
    return to_camera(world, noise_m=0.005)


@pytest.mark.parametrize("rig", [None, "mixamo", "ue5"])
def test_bvh_round_trip_is_read_back_by_both_parsers(walk: Motion3D, rig: str | None, tmp_path: Path) -> None:
    animation = retarget_motion(walk, RetargetOptions(rig=rig))
    path = tmp_path / "out.bvh"
    write_bvh(animation, path)
    again = read_bvh(path, scale=1.0, up_axis="Y")  # written Y up by default
    names = [n for n, end in zip(animation.skeleton.names, animation.extras.get("bvh_end_site", [False] * 99)) if not end]
    order = [again.skeleton.index(name) for name in names]
    original = animation.world_positions()[:, [animation.skeleton.index(n) for n in names]]
    assert again.world_positions()[:, order] == pytest.approx(original, abs=1e-5)
    mocap = Bvh(path.read_text())
    assert mocap.nframes == animation.num_frames
    assert mocap.frame_time == pytest.approx(1 / animation.fps)
    assert mocap.get_joints_names() == [n for n in again.skeleton.names if not again.extras["bvh_end_site"][again.skeleton.index(n)]]
    assert len(mocap.joint_channels(names[0])) == 6
    assert all(len(mocap.joint_channels(name)) == 3 for name in names[1:])
    # A frame's channels as the independent parser reads them are the ones written.
    rotation = mocap.frame_joint_channels(10, names[3], ["Zrotation", "Xrotation", "Yrotation"])
    assert np.isfinite(np.array(rotation, float)).all()


def test_contract_used_by_the_pipeline_and_addon(walk: Motion3D) -> None:
    animation = retarget_motion(walk, RetargetOptions(foot_lock=True, rig=None))
    assert isinstance(animation, Animation) and animation.num_frames == walk.num_frames
    assert animation.contacts.shape == (walk.num_frames, 2) and animation.contacts.any()
    assert animation.world_positions()[..., 2].min() > 0.0  # standing on the floor, not in it
    assert abs(np.percentile(animation.world_positions()[:, [3, 6], 2], 5) - ankle_height(animation.skeleton)) < 0.02
    assert retarget_motion(walk, RetargetOptions(smooth=0.0)).num_frames == walk.num_frames
    with pytest.raises(VideoposeError, match="smoothing strength"):
        retarget_motion(walk, RetargetOptions(smooth=-1))


def _run(*args: str) -> int:
    return main(["retarget", *args, "--quiet"])


def test_cli_writes_bvh_and_npz_and_refuses_to_overwrite(walk: Motion3D, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    motion_path = tmp_path / "walk.motion.npz"
    walk.save(motion_path)
    out_bvh, out_npz = tmp_path / "walk.bvh", tmp_path / "walk.anim.npz"
    assert _run(str(motion_path), "-o", str(out_bvh), "--rig", "cmu") == 0
    assert "lThigh" in Bvh(out_bvh.read_text()).get_joints_names()
    assert _run(str(motion_path), "-o", str(out_npz), "--smooth", "0", "--no-foot-lock") == 0
    animation = Animation.load(out_npz)
    assert animation.num_frames == 90 and animation.skeleton.names[0] == "pelvis"
    before = out_npz.read_bytes()
    assert _run(str(motion_path), "-o", str(out_npz)) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert out_npz.read_bytes() == before
    assert _run(str(motion_path), "-o", str(out_npz), "--overwrite") == 0
    assert out_npz.read_bytes() != before  # now foot-locked and smoothed


@pytest.mark.parametrize("case, message", [
    ("rig", "unknown rig"), ("suffix", ".bvh or .npz"), ("nan", "NaN"), ("short", "at least 2"), ("smooth", "--smooth"),
])
def test_cli_bad_input_writes_nothing(walk: Motion3D, tmp_path: Path, case: str, message: str,
                                      capsys: pytest.CaptureFixture) -> None:
    motion_path = tmp_path / "m.npz"
    joints = walk.joints_3d.copy()
    if case == "nan":
        joints[:] = np.nan
    Motion3D(joints[:1] if case == "short" else joints, walk.fps).save(motion_path)
    output = tmp_path / ("out.fbx" if case == "suffix" else "out.bvh")
    extra = {"rig": ["--rig", "nosuchrig"], "smooth": ["--smooth", "-2"]}.get(case, [])
    assert _run(str(motion_path), "-o", str(output), *extra) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [motion_path]


@pytest.mark.slow
def test_cli_as_a_process(walk: Motion3D, tmp_path: Path) -> None:
    motion_path = tmp_path / "walk.npz"
    walk.save(motion_path)
    result = subprocess.run([sys.executable, "-m", "videopose", "retarget", str(motion_path), "-o", str(tmp_path / "w.bvh"),
                             "--rig", "mixamo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "fit error" in result.stdout
    failed = subprocess.run([sys.executable, "-m", "videopose", "retarget", str(motion_path), "-o", str(tmp_path / "w.bvh")],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "--overwrite" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.parametrize("speed, grounded", [(0.001, True), (0.3, False)])
def test_cli_grounds_only_where_the_detection_saw_a_static_background(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                     speed: float, grounded: bool) -> None:
    """``videopose detect`` measures how fast the background moves (``extra_background_speed``);
    ``videopose retarget`` then falls back to the lifter's depth for a moving camera, as ``run`` does
    (it grounded any clip before)."""
    from grounding_scene import camera_scene

    world, _ = walking_motion(60)
    motion, keypoints, _ = camera_scene(world)
    keypoints = type(keypoints)(**{**keypoints.__dict__, "extras": {"background_speed": np.array(speed)}})
    motion_path, keypoints_path = tmp_path / "walk.motion.npz", tmp_path / "walk.keypoints.npz"
    motion.save(motion_path)
    keypoints.save(keypoints_path)
    out = tmp_path / "walk.anim.npz"
    assert main(["retarget", str(motion_path), "-o", str(out), "--quiet"]) == 0
    assert ("camera seems to move" in capsys.readouterr().err) is not grounded
    assert ("heel_contacts" in Animation.load(out).extras) is grounded


@pytest.mark.parametrize("along_m, grounded", [(0.0, True), (0.8, False)])
def test_cli_follows_a_turning_camera_and_says_in_one_line_when_the_camera_moves_along(
        tmp_path: Path, capsys: pytest.CaptureFixture, along_m: float, grounded: bool) -> None:
    """A moving background whose homographies detection kept: a camera that only turns (here: not at all) is
    grounded; one that walks sideways past a wall 4 m away is not, and the retargeter's warning is printed as
    ``videopose retarget: warning: ...`` (it was Python's own warning format)."""
    from grounding_scene import camera_scene

    world, _ = walking_motion(60)
    motion, keypoints, truth = camera_scene(world)
    intrinsics = truth["camera"].intrinsics_matrix()
    homographies = np.stack([intrinsics @ (np.eye(3) - np.outer([x, 0.0, 0.0], [0.0, 0.0, 1.0]) / 4.0)
                             @ np.linalg.inv(intrinsics) for x in np.linspace(0.0, along_m, motion.num_frames)])
    keypoints = type(keypoints)(**{**keypoints.__dict__, "extras": {"background_speed": np.array(0.3),
                                                                    "background_homographies": homographies}})
    motion_path, keypoints_path = tmp_path / "walk.motion.npz", tmp_path / "walk.keypoints.npz"
    motion.save(motion_path)
    keypoints.save(keypoints_path)
    out = tmp_path / "walk.anim.npz"
    assert main(["retarget", str(motion_path), "-o", str(out), "--quiet", "--fov", "60"]) == 0
    err = capsys.readouterr().err
    assert ("videopose retarget: warning: the camera moves (the background's motion is no turn" in err) is not grounded
    assert "UserWarning" not in err
    assert ("heel_contacts" in Animation.load(out).extras) is grounded


def test_the_world_line_says_a_camera_under_the_floor_is_under_it(walk: Motion3D) -> None:
    """A camera below the feet's level (sports2d: a performer on a roof filmed from the ground) reads "0.14 m
    under the floor", not "-0.14 m over" it."""
    from videopose.retarget.pipeline import describe_world

    animation = retarget_motion(walk, RetargetOptions())
    for height, words in ((-0.14, "camera 0.14 m under the floor"), (1.62, "camera 1.62 m over the floor")):
        placed = Animation(animation.skeleton, animation.local_quats_xyzw, animation.root_positions, animation.fps,
                           animation.contacts, {**animation.extras, "camera_position": np.array([0.0, -4.0, height])})
        assert words in describe_world(placed)


def test_an_animation_without_a_video_camera_says_why(walk: Motion3D) -> None:
    """The add-on's import report names why no camera came: not grounded, or a file from before the frame size
    was kept (before, it said nothing)."""
    from grounding_scene import camera_scene
    from synthetic_motion import walking_motion

    from videopose.retarget.camera_model import VideoCamera

    ungrounded = retarget_motion(walk, RetargetOptions())
    assert "not grounded" in VideoCamera.missing_because(ungrounded)
    world, _ = walking_motion(40)
    motion, keypoints, truth = camera_scene(world)
    grounded = retarget_motion(motion, RetargetOptions(height=truth["height"]), keypoints=keypoints)
    assert VideoCamera.missing_because(grounded) is None and VideoCamera.of(grounded) is not None
    older = Animation(grounded.skeleton, grounded.local_quats_xyzw, grounded.root_positions, grounded.fps,
                      grounded.contacts, {k: v for k, v in grounded.extras.items() if k != "camera_frame_px"})
    assert VideoCamera.of(older) is None and "videopose retarget" in VideoCamera.missing_because(older)
