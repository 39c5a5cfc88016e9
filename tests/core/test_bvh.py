"""BVH reading/writing against the independent ``bvh`` (0.3) parser with plain per-frame FK."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bvh import Bvh

from videopose.core.bvh import Z_UP_FROM_Y_UP, read_bvh, write_bvh
from videopose.core.errors import VideoposeError


def _elementary(axis: str, degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    c, s = np.cos(angle), np.sin(angle)
    return {"X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]


def independent_positions(text: str, frames: list[int]) -> dict[str, np.ndarray]:
    """World positions in the file's units/axes, per joint name -> (len(frames), 3), by plain loops."""
    mocap = Bvh(text)
    names = mocap.get_joints_names()
    result = {name: np.zeros((len(frames), 3)) for name in names}
    for row, frame in enumerate(frames):
        world_rotation: dict[str, np.ndarray] = {}
        for name in names:  # the parser lists parents before children
            channels = mocap.joint_channels(name)
            values = [float(v) for v in mocap.frame_joint_channels(frame, name, channels)]
            offset = np.array(mocap.joint_offset(name), dtype=float)
            local = np.eye(3)
            translation = offset.copy()
            for channel, value in zip(channels, values):
                if channel.endswith("rotation"):
                    local = local @ _elementary(channel[0], value)
                elif mocap.joint_parent_index(name) < 0:
                    translation["XYZ".index(channel[0])] = offset["XYZ".index(channel[0])] + value
            parent = mocap.joint_parent(name)
            if parent is None:
                world_rotation[name] = local
                result[name][row] = translation
            else:
                world_rotation[name] = world_rotation[parent.name] @ local
                result[name][row] = result[parent.name][row] + world_rotation[parent.name] @ offset
    return result


@pytest.mark.slow
@pytest.mark.parametrize("relative, up, scale", [("cc/003/003_02.bvh", "Y", 0.01), ("daz/martial/05.bvh", "Y", 0.01)])
def test_read_matches_independent_fk(shared_dir: Path, relative: str, up: str, scale: float) -> None:
    path = shared_dir / "mocap" / "cmu" / relative
    animation = read_bvh(path)
    # Detected from the motion: these files move a person along +Y in centimetres.
    assert str(animation.extras["bvh_up_axis"]) == up
    assert float(animation.extras["bvh_scale"]) == scale
    assert animation.fps == pytest.approx(30.0, rel=1e-4)
    frames = [0, 7, animation.num_frames - 1]
    expected = independent_positions(path.read_text(), frames)
    positions = animation.world_positions()[frames]
    for name, file_positions in expected.items():
        world = file_positions @ Z_UP_FROM_Y_UP.T * scale
        np.testing.assert_allclose(positions[:, animation.skeleton.index(name)], world, atol=1e-4, err_msg=name)


def test_person_stands_up_in_z(shared_dir: Path) -> None:
    animation = read_bvh(shared_dir / "mocap" / "cmu" / "cc" / "003" / "003_01.bvh")
    positions = animation.world_positions()
    head = positions[:, animation.skeleton.index("CC_Base_Head")]
    foot = positions[:, animation.skeleton.index("CC_Base_L_Foot")]
    height = np.median(head[:, 2] - foot[:, 2])
    assert 1.2 < height < 1.8


@pytest.mark.slow
@pytest.mark.parametrize("up_axis, units", [("Z", 1.0), ("Y", 100.0)])
def test_write_read_round_trip(shared_dir: Path, tmp_path: Path, up_axis: str, units: float) -> None:
    original = read_bvh(shared_dir / "mocap" / "cmu" / "cc" / "003" / "003_02.bvh")
    target = tmp_path / "round_trip.bvh"
    write_bvh(original, target, up_axis=up_axis, units_per_metre=units, rotation_order="YXZ")
    again = read_bvh(target)
    assert again.skeleton.names == original.skeleton.names
    assert again.skeleton.parents == original.skeleton.parents
    assert again.num_frames == original.num_frames
    assert again.fps == pytest.approx(original.fps, rel=1e-6)
    np.testing.assert_allclose(again.world_positions(), original.world_positions(), atol=1e-4)
    # The independent parser reads the written file with the same hierarchy and frames.
    mocap = Bvh(target.read_text())
    non_end = [n for n, end in zip(original.skeleton.names, original.extras["bvh_end_site"]) if not end]
    assert mocap.get_joints_names() == non_end
    assert mocap.nframes == original.num_frames
    expected = independent_positions(target.read_text(), [0, 40])
    change = Z_UP_FROM_Y_UP if up_axis == "Y" else np.eye(3)
    positions = original.world_positions()[[0, 40]]
    for name in non_end[::7]:
        np.testing.assert_allclose(expected[name] @ change.T / units, positions[:, original.skeleton.index(name)],
                                   atol=1e-4)


def test_forced_units_and_axis(tmp_path: Path) -> None:
    text = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
  JOINT knee
  {
    OFFSET 0 -40 0
    CHANNELS 3 Xrotation Zrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 90 0 0 0 0 90 0 0
0 90 0 0 0 0 0 0 0
"""
    path = tmp_path / "leg.bvh"
    path.write_text(text)
    animation = read_bvh(path, scale=0.01, up_axis="Y")
    assert animation.fps == pytest.approx(25.0)
    positions = animation.world_positions()
    # Y-up (x, y, z) -> Z-up (x, -z, y); +90 deg about X turns the shin (0, -40, 0) to file -Z = world +Y.
    np.testing.assert_allclose(positions[0, 0], [0, 0, 0.9], atol=1e-9)
    np.testing.assert_allclose(positions[0, 2], [0, 0.4, 0.5], atol=1e-9)
    np.testing.assert_allclose(positions[1, 2], [0, 0, 0.1], atol=1e-9)
    assert animation.extras["bvh_end_site"].tolist() == [False, False, True]


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.bvh"
    path.write_text("HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n}\nMOTION\nFrames: 3\nFrame Time: 0.1\n0 0 0\n")
    with pytest.raises(VideoposeError, match="3 frames"):
        read_bvh(path)
    with pytest.raises(VideoposeError, match="not found"):
        read_bvh(tmp_path / "missing.bvh")


def test_written_y_up_in_metres_by_default_root_offset_zero(shared_dir: Path, tmp_path: Path) -> None:
    """The default is what importers assume (Blender's at its defaults, MotionBuilder): Y up, facing +Z."""
    original = read_bvh(shared_dir / "mocap" / "cmu" / "cc" / "003" / "003_01.bvh")
    target = tmp_path / "default.bvh"
    write_bvh(original, target)
    mocap = Bvh(target.read_text())
    assert [float(v) for v in mocap.joint_offset(mocap.get_joints_names()[0])] == [0.0, 0.0, 0.0]
    file_positions = independent_positions(target.read_text(), [0, 30])
    world = original.world_positions()[[0, 30]]
    for name in ("CC_Base_Head", "CC_Base_L_Foot", "CC_Base_Hip"):
        # file (x, y, z) = world (x, z, -y): metres, the world's up (+Z) on the file's +Y
        np.testing.assert_allclose(file_positions[name], world[:, original.skeleton.index(name)] @ Z_UP_FROM_Y_UP,
                                   atol=1e-5, err_msg=name)
    height = file_positions["CC_Base_Head"][:, 1] - file_positions["CC_Base_L_Foot"][:, 1]
    assert (1.2 < height).all() and (height < 1.8).all()


def test_retarget_cli_writes_the_chosen_up_axis_and_units(tmp_path: Path) -> None:
    from synthetic_motion import to_camera, walking_motion

    from videopose.cli import main

    world, _ = walking_motion(30)
    motion_path = tmp_path / "walk.motion.npz"
    to_camera(world).save(motion_path)
    heights = {}
    for name, options in (("y_m", []), ("z_cm", ["--up", "z", "--units", "cm"])):
        output = tmp_path / f"{name}.bvh"
        assert main(["retarget", str(motion_path), "-o", str(output), "-q", *options]) == 0
        positions = independent_positions(output.read_text(), [0])
        heights[name] = positions["head"][0] - positions["left_ankle"][0]
    assert heights["y_m"][1] > 1.0 and np.argmax(np.abs(heights["y_m"])) == 1  # metres, Y up
    assert heights["z_cm"][2] > 100.0 and np.argmax(np.abs(heights["z_cm"])) == 2  # centimetres, Z up
    assert heights["z_cm"][2] == pytest.approx(100 * heights["y_m"][1], rel=1e-6)


def test_run_writes_bvh_with_the_chosen_up_axis_and_units(shared_dir: Path, tmp_path: Path) -> None:
    """``videopose run -o X.bvh --up z --units cm`` reaches the writer through RunOptions."""
    from videopose.pipeline import RunOptions, export_animation

    animation = read_bvh(shared_dir / "mocap" / "cmu" / "cc" / "003" / "003_01.bvh")
    for name, options in (("default", RunOptions()), ("z_cm", RunOptions(bvh_up_axis="Z", bvh_units_per_metre=100.0))):
        export_animation(animation, tmp_path / f"{name}.bvh", options)
    default = independent_positions((tmp_path / "default.bvh").read_text(), [0])["CC_Base_Head"][0]
    z_cm = independent_positions((tmp_path / "z_cm.bvh").read_text(), [0])["CC_Base_Head"][0]
    head = animation.world_positions()[0, animation.skeleton.index("CC_Base_Head")]
    np.testing.assert_allclose(default, head @ Z_UP_FROM_Y_UP, atol=1e-5)
    np.testing.assert_allclose(z_cm, 100 * head, atol=1e-3)
