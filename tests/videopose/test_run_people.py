"""``videopose run --people all`` / ``--person N``: one output per person, in one world, one detection.

The fast tests check the file naming, the reuse stamp and the shared-floor scale; the slow ones run the
real clip sports2d_demo.mp4 (the performer on a ~2 m utility box, a girl walking on the grass in front of
it in frames 50-202) once per session.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from videopose.core.animation import Animation
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.pipeline import (RunOptions, check_run, detection_stamp, file_signature, intermediate_paths,
                                kept_people, person_files, run_pipeline)
from videopose.retarget.grounding import Floor
from videopose.retarget.solve import floor_scale

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "tfjs_pose_1.mp4"
SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared"))
SPORTS2D = SHARED / "videos" / "sports2d_demo.mp4"


def test_person_files_are_named_like_the_keypoint_files(tmp_path):
    output = tmp_path / "clip.fbx"
    everyone = person_files(output, 2, RunOptions(people="all"))
    assert (everyone.output.name, everyone.keypoints_path.name, everyone.motion_path.name) == \
        ("clip.person2.fbx", "clip.person2.keypoints.npz", "clip.person2.motion.npz")
    chosen = person_files(output, 2, RunOptions(person=2))  # --person N: the output keeps its name
    assert (chosen.output.name, chosen.keypoints_path.name, chosen.motion_path.name) == \
        ("clip.fbx", "clip.person2.keypoints.npz", "clip.person2.motion.npz")
    one = person_files(output, 1, RunOptions())
    assert (one.output, one.keypoints_path, one.motion_path) == (output, *intermediate_paths(output))


def test_the_reuse_stamp_holds_the_people_mode():
    assert detection_stamp(SAMPLE, "one") == file_signature(SAMPLE)  # one-person files of earlier runs stay valid
    assert detection_stamp(SAMPLE, "all") != detection_stamp(SAMPLE, "one")
    assert detection_stamp(SAMPLE, "all").startswith(file_signature(SAMPLE))


def _person(number: int, people: int, stamp: str) -> Keypoints2D:
    rng = np.random.default_rng(number)
    return Keypoints2D(keypoints=rng.uniform(0, 100, (5, 17, 2)).astype(np.float32),
                       scores=np.ones((5, 17), dtype=np.float32), layout="coco17", fps=30.0, width=100, height=100,
                       extras={"person": np.array(number), "people": np.array(people),
                               "video_signature": np.array(stamp)})


def test_kept_people_reused_only_when_every_file_carries_the_stamp(tmp_path):
    base = tmp_path / "clip.keypoints.npz"
    stamp = detection_stamp(SAMPLE, "all")
    _person(1, 2, stamp).save(tmp_path / "clip.person1.keypoints.npz")
    assert kept_people(base, stamp) is None  # person 2's file is missing
    _person(2, 2, detection_stamp(SAMPLE, "one")).save(tmp_path / "clip.person2.keypoints.npz")
    assert kept_people(base, stamp) is None  # made in another people mode
    _person(2, 2, stamp).save(tmp_path / "clip.person2.keypoints.npz")
    kept = kept_people(base, stamp)
    assert kept is not None and [int(k.extras["person"]) for k in kept] == [1, 2]
    assert kept_people(base, detection_stamp(SAMPLE, "one")) is None


@pytest.mark.parametrize("options", [RunOptions(person=0), RunOptions(people="both")])
def test_bad_people_options_are_refused_before_any_work(tmp_path, options):
    with pytest.raises(VideoposeError, match="--person|--people"):
        check_run(SAMPLE, tmp_path / "clip.npz", options)
    assert not any(tmp_path.iterdir())


def test_floor_scale_puts_planted_ankles_on_the_shared_floor():
    """A camera 2 m over the floor (camera frame y down): ankles placed at half their size sit 1 m below
    the camera; doubling (about the camera) puts them, 0.1 m (scaled: 0.2) over the floor."""
    floor = Floor(np.array([0.0, -1.0, 0.0]), -2.0, "floor plane")  # up = -y, the floor at y = 2
    ankles = np.zeros((4, 2, 3))
    ankles[..., 1], ankles[..., 2] = 0.9, 5.0  # y = 0.9 m below the camera, 5 m away
    planted = np.array([[True, False]] * 4)
    factor = floor_scale(ankles, planted, floor, level=0.1)
    assert factor == pytest.approx(2.0)
    assert (ankles[0, 0] * factor) @ floor.normal - floor.offset == pytest.approx(0.1 * factor)
    assert floor_scale(ankles, np.zeros_like(planted), floor, 0.1) == 1.0


@pytest.fixture(scope="session")
def sports2d_everyone(tmp_path_factory):
    """``run --people all`` on sports2d once (detection ~25 s), .npz animations (no Blender)."""
    if not SPORTS2D.is_file():
        pytest.skip(f"{SPORTS2D} not found")
    output = tmp_path_factory.mktemp("people") / "s2d.npz"
    return output, run_pipeline(SPORTS2D, output, RunOptions(people="all"))


def _planted_ankles(animation: Animation) -> np.ndarray:
    positions = animation.world_positions()
    names = animation.skeleton.names
    ankles = positions[:, [names.index("left_ankle"), names.index("right_ankle")]]
    return ankles[np.asarray(animation.contacts, dtype=bool)]


@pytest.mark.slow
def test_everyone_gets_an_animation_in_one_world(sports2d_everyone):
    output, result = sports2d_everyone
    assert [person.output.name for person in result.people] == ["s2d.person1.npz", "s2d.person2.npz"]
    # The retargeter's warnings reach the run summary, one line each, naming the person.
    assert any(line.startswith("person 1: the feet stand on another level") for line in result.warnings)
    performer, walker = (Animation.load(person.output) for person in result.people)
    for animation in (performer, walker):
        assert animation.num_frames == 230
        assert np.isfinite(animation.root_positions).all() and np.isfinite(animation.local_quats_xyzw).all()
    # One camera, one up axis: the same camera pose in both.
    np.testing.assert_allclose(walker.extras["camera_position"], performer.extras["camera_position"])
    np.testing.assert_allclose(walker.extras["world_from_camera"], performer.extras["world_from_camera"])
    # The girl (person 2, seen in frames 50-202) walks across the shot: her root moves metres.
    assert np.linalg.norm(walker.root_positions[200, :2] - walker.root_positions[52, :2]) > 2.0
    # Her planted feet rest on one level (within 10 cm). The camera is level (the scene's verticals stand
    # parallel in the picture, the box top is seen edge-on) at the box top's height, so her feet on the lawn,
    # 1.75 m lower and ~6 m away, are seen along rays 16 degrees down: her reprojected depth, 5.5-6.3 m along
    # the walk, puts them 1.72-1.83 m down (the old floor, pitched 9 degrees, gave 6 cm) ...
    feet = _planted_ankles(walker)[:, 2]
    assert len(feet) > 30 and np.percentile(feet, 90) - np.percentile(feet, 10) < 0.10
    # ... the grass, well below the box top the performer walks on (his floor, z = 0).
    assert np.median(feet) < -0.5 and abs(np.median(_planted_ankles(performer)[:120, 2]) - 0.07) < 0.05


@pytest.mark.slow
def test_person_2_alone_reuses_the_detection_and_gives_the_girl(sports2d_everyone):
    output, everyone = sports2d_everyone
    result = run_pipeline(SPORTS2D, output, RunOptions(person=2))  # the same name: everyone's files are kept
    assert result.reused == ("detect", "lift")
    assert result.people[0].number == 2 and result.output == output
    girl = Keypoints2D.load(result.keypoints_path)
    detected = np.flatnonzero(girl.extras["detected"])
    assert int(girl.extras["person"]) == 2 and 45 <= detected[0] <= 55 and 195 <= detected[-1] <= 210
    animation = Animation.load(result.output)
    assert np.linalg.norm(animation.root_positions[200, :2] - animation.root_positions[52, :2]) > 2.0
