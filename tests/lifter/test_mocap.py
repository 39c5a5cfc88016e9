"""BVH skeletons -> H36M17 + face points: plausible human proportions, feet down, left is left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videopose.lifter.mocap import MOCAP_NAMES, SKELETON_MAPS, detect_skeleton_type, h36m_bone_lengths, mocap_points
from videopose.core.bvh import read_bvh
from videopose.core.errors import VideoposeError
from videopose.core.layouts import H36M17

# (file, its toe joints left/right: independent of the mapping, they say where the feet point)
CLIPS = [("cmu/cc/007/007_01.bvh", ("CC_Base_L_ToeBase", "CC_Base_R_ToeBase")),
         ("cmu/daz/salsa/16.bvh", ("lFoot_end", "rFoot_end")),
         ("cmu/asf/01/01_01.amc", ("ltoes", "rtoes")),  # CMU ASF/AMC, the subject's own skeleton
         ("cmu/asfbvh/16/16_01.bvh", ("ltoes", "rtoes")),  # BVH with ASF bone names, in ASF units
         ("hdm05/tr/HDM_tr_jogLeftCircle4StepsRstart_016_120.amc", ("ltoes", "rtoes"))]


@pytest.fixture(scope="module", params=CLIPS, ids=lambda clip: clip[0].split("/")[-3])
def clip(request, shared_dir: Path):
    from videopose.core.asf_amc import read_asf_amc
    from videopose.lifter.datasets import read_mocap_clip

    relative, toes = request.param
    path = shared_dir / "mocap" / relative
    animation = read_asf_amc(path) if path.suffix == ".amc" else read_bvh(path)
    points = read_mocap_clip(path, relative, "subject").points if "asf" in relative or "hdm05" in relative \
        else mocap_points(animation)
    return animation, points, toes


def _index(name: str) -> int:
    return MOCAP_NAMES.index(name)


def test_bone_lengths_are_human_and_constant(clip) -> None:
    animation, points, _ = clip
    assert points.shape == (animation.num_frames, len(MOCAP_NAMES), 3)
    lengths = h36m_bone_lengths(points)  # (frames, 16), child order 1..16
    median = dict(zip(H36M17.names[1:], np.median(lengths, axis=0)))
    assert 0.05 < median["right_hip"] < 0.15 and 0.05 < median["left_hip"] < 0.15  # half the pelvis width
    for side in ("left", "right"):
        assert 0.33 < median[f"{side}_knee"] < 0.55, "thigh"
        assert 0.33 < median[f"{side}_ankle"] < 0.55, "shin"
        assert 0.2 < median[f"{side}_elbow"] < 0.36, "upper arm"
        assert 0.16 < median[f"{side}_wrist"] < 0.32, "forearm"  # HDM05 mm: 16.9 cm (mocap README)
    # Left and right limbs match (real bodies within 2 cm: CMU 01's thighs differ by 1.6 cm); rigid bones do
    # not stretch over the clip (< 1 cm).
    for part in ("hip", "knee", "ankle", "elbow", "wrist"):
        assert median[f"left_{part}"] == pytest.approx(median[f"right_{part}"], abs=0.02)
    assert np.ptp(lengths, axis=0)[[1, 2, 4, 5]].max() < 0.01
    # Standing height: head top above the ankles.
    height = np.median(points[:, _index("head"), 2] - points[:, [_index("left_ankle"), _index("right_ankle")], 2].min(-1))
    assert 1.4 < height < 1.95  # CMU 16 is 1.45 m from toes to crown (mocap README)


def test_feet_at_the_bottom_head_at_the_top(clip) -> None:
    _, points, _ = clip
    z = points[..., 2]
    ankles = z[:, [_index("left_ankle"), _index("right_ankle")]].mean(-1)
    knees = z[:, [_index("left_knee"), _index("right_knee")]].mean(-1)
    assert np.mean(ankles < knees) > 0.95
    assert np.mean(knees < z[:, _index("pelvis")]) > 0.95
    assert np.mean(z[:, _index("pelvis")] < z[:, _index("thorax")]) > 0.95
    assert np.mean(z[:, _index("thorax")] < z[:, _index("head")]) > 0.95
    assert np.mean(z[:, _index("neck_nose")] < z[:, _index("head")]) > 0.95


def test_left_is_the_performers_left(clip) -> None:
    """The toes (not used by the mapping) give forward; then left = up x forward (Z-up, right-handed)."""
    animation, points, toes = clip
    world = animation.world_positions()
    names = animation.skeleton.names
    feet = (world[:, names.index(toes[0])] + world[:, names.index(toes[1])]) / 2
    ankles = (points[:, _index("left_ankle")] + points[:, _index("right_ankle")]) / 2
    forward = (feet - ankles) * np.array([1.0, 1.0, 0.0])
    left = np.cross(np.array([0.0, 0.0, 1.0]), forward)
    for a, b in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"), ("left_eye", "right_eye"),
                 ("left_ear", "right_ear")):
        across = points[:, _index(a)] - points[:, _index(b)]
        assert np.mean((across * left).sum(-1) > 0) > 0.9, a
    # The nose points the way the feet do (most of the time: people look where they walk/dance).
    nose = points[:, _index("nose")] - (points[:, _index("left_ear")] + points[:, _index("right_ear")]) / 2
    assert np.mean((nose * forward).sum(-1) > 0) > 0.8


def test_skeleton_type_detection() -> None:
    daz = SKELETON_MAPS["daz"]
    names = ("hip", *daz.thighs, *daz.knees, *daz.ankles, *daz.shoulders, *daz.elbows, *daz.wrists, *daz.spine,
             daz.neck_base, daz.head, *daz.eyes)
    assert detect_skeleton_type(names) == "daz"
    with pytest.raises(VideoposeError, match="not a supported type"):
        detect_skeleton_type(("Hips", "Spine", "LeftUpLeg"))
