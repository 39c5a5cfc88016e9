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
