"""ASF/AMC reader: a hand-made skeleton with known forward kinematics, and real CMU files against the
BVH conversion of the same trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.core.asf_amc import read_asf_amc
from videopose.core.errors import VideoposeError

UNIT = 0.0254 / 0.45  # metres per ASF unit at ':units length 0.45'

ASF = """# hand-made
:version 1.10
:name TEST
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name a
     direction 0 1 0
     length 10
     axis 0 0 90  XYZ
    dof rx
    limits (-180.0 180.0)
  end
  begin
     id 2
     name b
     direction 0 0 1
     length 5
     axis 0 0 0  XYZ
    dof rx rz
    limits (-180.0 180.0)
           (-180.0 180.0)
  end
:hierarchy
  begin
    root a
    a b
  end
"""

AMC = """#!OML:ASF test.asf
:FULLY-SPECIFIED
:DEGREES
1
root 0 20 0 0 0 0
a 90
b 0 0
2
root 0 20 0 0 0 0
a 90
b 90 90
3
root 1 20 0 0 90 0
a 0
b 0 0
"""

# Worked out by hand (Y-up file units, then (x, y, z) -> (x, -z, y) and x UNIT):
# frame 1: a's axis is Rz(90), so its rx 90 turns about world y: a = Ry(90); a ends at (0, 30, 0), b (0, 0, 5)
#   turned by Ry(90) -> (5, 0, 0): b ends at (5, 30, 0).
# frame 2: b's rx 90 then rz 90 (dof order, fixed axes): (0, 0, 1) -> (0, -1, 0) -> (1, 0, 0); Ry(90) -> (0, 0, -1):
#   b ends at (0, 30, -5).
# frame 3: the root turned by ry 90 and moved 1 along x: b's (0, 0, 5) -> (5, 0, 0): ends at (6, 30, 0).
EXPECTED_Y_UP = {
    "root": [(0, 20, 0), (0, 20, 0), (1, 20, 0)],
    "a": [(0, 20, 0), (0, 20, 0), (1, 20, 0)],
    "b": [(0, 30, 0), (0, 30, 0), (1, 30, 0)],
    "b_end": [(5, 30, 0), (0, 30, -5), (6, 30, 0)],
}


def _write(folder: Path, amc: str = AMC) -> Path:
    (folder / "test.asf").write_text(ASF)
    path = folder / "test_01.amc"
    path.write_text(amc)
    return path


def test_hand_made_skeleton_has_the_worked_out_joint_positions(tmp_path: Path) -> None:
    animation = read_asf_amc(_write(tmp_path), fps=30)
    names = animation.skeleton.names
    assert names == ("root", "a", "b", "b_end")
    positions = animation.world_positions()
    for name, expected in EXPECTED_Y_UP.items():
        y_up = np.array(expected, dtype=float)
        z_up = np.stack([y_up[:, 0], -y_up[:, 2], y_up[:, 1]], axis=-1) * UNIT
        np.testing.assert_allclose(positions[:, names.index(name)], z_up, atol=1e-9, err_msg=name)
    assert animation.fps == 30 and animation.num_frames == 3
    np.testing.assert_allclose(animation.skeleton.bone_lengths()[names.index("b_end")], 5 * UNIT)


def test_broken_amc_names_the_file_and_the_bone(tmp_path: Path) -> None:
    path = _write(tmp_path, AMC.replace("b 90 90", "b 90"))
    with pytest.raises(VideoposeError, match=r"test_01\.amc.*frame 2.*'b'.*2 values"):
        read_asf_amc(path)
    with pytest.raises(VideoposeError, match=r"not in the ASF.*elbow"):
        read_asf_amc(_write(tmp_path, AMC.replace("a 0\n", "a 0\nelbow 3\n")))


def test_a_skeleton_without_the_lifter_joints_is_refused_naming_file_and_joint(tmp_path: Path) -> None:
    from videopose.lifter.datasets import read_mocap_clip

    path = _write(tmp_path)
    with pytest.raises(VideoposeError, match=r"test_01\.amc: the asf skeleton needs joint\(s\) lfemur, rfemur"):
        read_mocap_clip(path, "test", "s")


@pytest.mark.slow
@pytest.mark.parametrize("trial", ["03_01", "03_02"])
def test_cmu_asf_amc_agrees_with_the_bvh_conversion_of_the_same_trial(shared_dir: Path, trial: str) -> None:
    """``cmu/daz/03/03_0M.bvh`` frame j is ``cmu/asf/03/03_0M.amc`` frame j + 2 (cmu/README.md). The Daz file
    puts the motion on another figure (other bone lengths and rest directions), so what must agree is
    the pose, after aligning the joint names: the root path, the hip and shoulder lines, and the limbs'
    directions. The same reader with the rotations composed the other way round (intrinsic instead of
    the ASF's fixed axes) misses the arms by 25-68 degrees."""
    from videopose.core.bvh import read_bvh

    mocap = shared_dir / "mocap" / "cmu"
    asf = read_asf_amc(mocap / "asf" / "03" / f"{trial}.amc")
    daz = read_bvh(mocap / "daz" / "03" / f"{trial}.bvh")
    frames = min(asf.num_frames - 2, daz.num_frames)
    a, b = asf.world_positions()[2:2 + frames], daz.world_positions()[:frames]
    na, nb = asf.skeleton.names, daz.skeleton.names

    def direction(points, names, start, end):
        vector = points[:, names.index(end)] - points[:, names.index(start)]
        return vector / np.linalg.norm(vector, axis=-1, keepdims=True)

    def angle(first, second):
        return np.degrees(np.arccos(np.clip((first * second).sum(-1), -1, 1))).mean()

    pelvis_a = (a[:, na.index("lfemur")] + a[:, na.index("rfemur")]) / 2
    pelvis_b = (b[:, nb.index("lThigh")] + b[:, nb.index("rThigh")]) / 2
    path_error = np.linalg.norm((pelvis_a - pelvis_a[0]) - (pelvis_b - pelvis_b[0]), axis=-1)
    assert path_error.mean() < 0.05  # the pelvis paths from their starts (the Daz figure stands lower)
    assert angle(direction(a, na, "rfemur", "lfemur"), direction(b, nb, "rThigh", "lThigh")) < 2
    assert angle(direction(a, na, "rhumerus", "lhumerus"), direction(b, nb, "rShldr", "lShldr")) < 5
    limbs = [(("lfemur", "ltibia"), ("lThigh", "lShin")), (("rfemur", "rtibia"), ("rThigh", "rShin")),
             (("ltibia", "lfoot"), ("lShin", "lFoot")), (("rtibia", "rfoot"), ("rShin", "rFoot")),
             (("lhumerus", "lradius"), ("lShldr", "lForeArm")), (("rhumerus", "rradius"), ("rShldr", "rForeArm")),
             (("lradius", "lwrist"), ("lForeArm", "lHand")), (("rradius", "rwrist"), ("rForeArm", "rHand"))]
    errors = [angle(direction(a, na, *x), direction(b, nb, *y)) for x, y in limbs]
    assert max(errors[:6]) < 15 and max(errors) < 23, np.round(errors, 1)
