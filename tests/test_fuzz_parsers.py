"""Property tests over the parsers of user files (issue 14): keypoints .npz, OpenPose JSON, COCO JSON,
BVH and bone-map JSON. Whatever the content, a parser either reads it or raises VideoposeError: no
other exception escapes (a traceback is a bug)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from videopose.core.bvh import read_bvh, write_bvh
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.lifter.importers import import_keypoints
from videopose.retarget.rigs import load_rig

# VIDEOPOSE_FUZZ_EXAMPLES=2000 for a longer search than the suite's.
FUZZ = settings(max_examples=int(os.environ.get("VIDEOPOSE_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12))
json_scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=6))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=5), max_leaves=30)


def parses_or_refuses(read, path: Path) -> None:
    """``read(path)`` returns, or raises VideoposeError; anything else propagates and fails the test."""
    try:
        read(path)
    except VideoposeError as error:
        assert str(error) and "\n" not in str(error).strip()


def _in_temp(name: str, content: str | bytes, read) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        parses_or_refuses(read, path)


# --------------------------------------------------------------------------------- keypoints .npz

array_dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.dtype("<U3")])
any_array = array_dtypes.flatmap(lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)))
keypoint_keys = ("keypoints", "scores", "layout", "fps", "width", "height", "joints_3d", "trajectory")


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(keypoint_keys), any_array, max_size=8))
def test_keypoint_and_motion_files_parse_or_refuse(arrays):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.npz"
        with open(path, "wb") as stream:
            np.savez(stream, **arrays)
        parses_or_refuses(Keypoints2D.load, path)
        parses_or_refuses(Motion3D.load, path)


@FUZZ
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_as_npz_are_refused(content):
    _in_temp("clip.npz", content, Keypoints2D.load)


@FUZZ
@given(points=hnp.arrays(np.float64, (6, 17, 2), elements=st.floats(allow_nan=True, allow_infinity=True)),
       scores=hnp.arrays(np.float64, (6, 17), elements=st.floats(allow_nan=True, allow_infinity=True)),
       fps=numbers, width=numbers, height=numbers)
def test_keypoint_files_with_any_numbers_parse_or_refuse(points, scores, fps, width, height):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.npz"
        np.savez(path, keypoints=points, scores=scores, layout=np.array("coco17"), fps=np.array(fps),
                 width=np.array(width), height=np.array(height))
        parses_or_refuses(Keypoints2D.load, path)


# ----------------------------------------------------------------------------- OpenPose and COCO

def _import(format: str):
    return lambda path: import_keypoints(path, format=format, fps=30.0, width=640, height=480)


openpose_like = st.fixed_dictionaries({"people": st.lists(st.fixed_dictionaries(
    {"pose_keypoints_2d": st.lists(numbers, max_size=80)}, optional={"person_id": json_values}), max_size=3)})
coco_like = st.lists(st.fixed_dictionaries(
    {"image_id": st.one_of(st.integers(0, 5), json_scalars), "keypoints": st.lists(numbers, max_size=60)},
    optional={"score": numbers, "category_id": json_scalars}), max_size=4)


@FUZZ
@given(frames=st.lists(st.one_of(openpose_like, json_values), min_size=1, max_size=3))
def test_openpose_folders_parse_or_refuse(frames):
    with tempfile.TemporaryDirectory() as folder:
        for index, frame in enumerate(frames):
            (Path(folder) / f"clip_{index:012d}_keypoints.json").write_text(json.dumps(frame))
        parses_or_refuses(_import("openpose"), Path(folder))


@FUZZ
@given(content=st.one_of(coco_like, json_values))
def test_coco_json_parses_or_refuses(content):
    _in_temp("results.json", json.dumps(content), _import("coco"))


@FUZZ
@given(content=st.text(max_size=200))
def test_any_text_as_json_parses_or_refuses(content):
    _in_temp("results.json", content, _import("coco"))
    _in_temp("map.json", content, load_rig)


# ------------------------------------------------------------------------------------------- BVH

def _valid_bvh() -> str:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "addon"))
    from synthetic import smooth_animation

    with tempfile.TemporaryDirectory() as folder:
        write_bvh(smooth_animation(4, 30.0), Path(folder) / "clip.bvh")
        return (Path(folder) / "clip.bvh").read_text()


VALID_BVH = _valid_bvh()
edits = st.lists(st.tuples(st.integers(0, len(VALID_BVH)), st.integers(0, 40),
                           st.sampled_from(["", "-", "nan", "}", "{", "JOINT x", "CHANNELS 9", "1e400", "\n", "End"])),
                 min_size=1, max_size=4)


@FUZZ
@given(changes=edits)
def test_damaged_bvh_parses_or_refuses(changes):
    text = VALID_BVH
    for start, length, insert in changes:
        text = text[:start] + insert + text[start + length:]
    _in_temp("clip.bvh", text, read_bvh)


# -------------------------------------------------------------------------------------- bone maps

bone_map_like = st.fixed_dictionaries(
    {"map": st.one_of(st.dictionaries(st.sampled_from(["Hips", "Leg", "Knee"]),
                                      st.sampled_from(["pelvis", "left_hip", "left_knee", "nose"]), max_size=3),
                      json_values)},
    optional={"joints": st.one_of(st.lists(st.fixed_dictionaries(
        {"name": st.sampled_from(["Hips", "Leg", "Knee"]), "parent": st.one_of(st.none(), st.sampled_from(["Hips", "Leg"])),
         "head": st.lists(numbers, min_size=0, max_size=4)}), max_size=4), json_values),
        "end_sites": json_values, "optional_bones": json_values, "name": json_values})


@FUZZ
@given(content=st.one_of(bone_map_like, json_values))
def test_bone_maps_parse_or_refuse(content):
    _in_temp("map.json", json.dumps(content), load_rig)
