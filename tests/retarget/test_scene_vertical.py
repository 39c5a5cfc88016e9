"""Issue 11, the up axis from the scene's vertical lines (retarget.scene_vertical): found among a room's other
lines, not fooled by floor edges in line with the vertical vanishing point, refused when bunched in one place,
and taken by the floor's fit over a lifted body that leans; the focal length from the room's three vanishing
points, refused where they cannot give it. Synthetic and fast."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation
from grounding_scene import box_room_lines, camera_scene, room_lines, standing_world
from synthetic_motion import camera_from_world

from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.grounding import fit_floor
from videopose.retarget.scene_vertical import SCENE_SIGMA_DEGREES, SceneVertical, scene_focal_px, scene_up, vertical_lines

ANKLES = [H36M17.index("left_ankle"), H36M17.index("right_ankle")]


def _angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def _tilted(up: np.ndarray, degrees: float, axis=(1.0, 0.0, 0.0)) -> np.ndarray:
    return Rotation.from_rotvec(np.radians(degrees) * np.asarray(axis)).apply(up)


def test_the_scene_vertical_is_found_among_a_rooms_floor_and_wall_lines() -> None:
    camera = PinholeCamera.from_frame(1920, 1080, 70.0)
    for pitch, roll in ((-15.0, 5.0), (-5.0, -3.0), (0.0, 0.0)):
        rotation = camera_from_world(pitch, roll, 10.0)
        lines, vertical = room_lines(rotation, np.array([0.0, 0.0, 1.5]), camera, floor_lines=12, seed=1)
        assert vertical.sum() >= 8 and (~vertical).sum() >= 4
        up = rotation @ [0.0, 0.0, 1.0]
        noisy = lines + np.random.default_rng(0).normal(scale=0.5, size=lines.shape)
        found = scene_up(noisy, camera.intrinsics_matrix(), _tilted(up, 8.0))  # the body leans 8 degrees
        assert found is not None and found.lines == vertical.sum()
        assert _angle_degrees(found.up, up) < 0.3, (pitch, roll, _angle_degrees(found.up, up))
        assert np.allclose(found.sigma_degrees(), SCENE_SIGMA_DEGREES, atol=0.2)


def test_a_floor_edge_in_line_with_the_vertical_vanishing_point_is_not_taken_for_a_vertical() -> None:
    """A camera looking down a walkway (pose2sim cam02): its rails run away from the camera near the picture's
    centre column, and the one through the middle points straight at the vertical vanishing point below the
    picture. It belongs to the rails' vanishing point, and is left out of the vertical's lines."""
    camera = PinholeCamera.from_frame(1080, 1920, 70.0)
    rotation, centre = camera_from_world(-25.0, 0.0, 0.0), np.array([0.0, 0.0, 2.0])
    posts = [([x, y, 0.0], [x, y, 1.0]) for x, y in ((-2, 6), (2.2, 7), (-1.5, 9), (1.8, 5), (-2.5, 4.5), (2.4, 8))]
    rails = [([x, 2.5, 0.0], [x, 12.0, 0.0]) for x in np.linspace(-0.15, 0.15, 7)]
    across = [([-1.5, y, 0.0], [1.5, y, 0.0]) for y in (4.0, 6.0, 8.0)]
    ends = np.asarray(posts + rails + across)
    pixels = camera.project((ends - centre) @ rotation.T).reshape(-1, 4)
    pixels = pixels + np.random.default_rng(1).normal(scale=0.5, size=pixels.shape)
    found = vertical_lines(pixels, camera.intrinsics_matrix(), rotation @ [0.0, 0.0, 1.0])
    is_post = np.isclose(found[:, None, :], pixels[None, :len(posts)]).all(axis=2).any(axis=1)
    assert len(found) == len(posts) and is_post.all()


def test_lines_bunched_in_one_place_give_no_up_axis() -> None:
    """One post's edges (a box's corner) pin the vertical's vanishing point along one line only."""
    camera = PinholeCamera.from_frame(720, 1280, 70.0)
    rotation, centre = camera_from_world(-5.0, 0.0, 0.0), np.array([0.0, 0.0, 1.2])
    up = rotation @ [0.0, 0.0, 1.0]
    ends = np.asarray([([1.0 + dx, 4.0, 0.0 + z], [1.0 + dx, 4.0, 0.4 + z]) for dx in (0.0, 0.003) for z in (0.0, 0.5, 1.0)])
    pixels = camera.project((ends - centre) @ rotation.T).reshape(-1, 4)
    assert len(vertical_lines(pixels, camera.intrinsics_matrix(), up)) >= 4  # found, but ...
    assert scene_up(pixels, camera.intrinsics_matrix(), up) is None  # ... not trusted


def test_the_floor_takes_the_scenes_vertical_over_a_body_that_leans_towards_the_camera() -> None:
    up = np.array([0.0, -1.0, 0.0])  # camera frame, y down
    footprints = np.array([[-0.6, 1.5, 4.0], [0.0, 1.5, 4.02], [0.6, 1.5, 3.98]])  # a walk across the picture
    body = _tilted(up, 5.0)  # the lifted body leans 5 degrees towards the camera: nothing else holds the pitch
    assert _angle_degrees(fit_floor(footprints, np.ones(3), body, 0.09).normal, up) > 4.0
    tangent = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    scene = SceneVertical(up, tangent.T @ tangent / np.radians(SCENE_SIGMA_DEGREES) ** 2, 10)
    floor = fit_floor(footprints, np.ones(3), body, 0.09, scene=scene)
    assert floor.source == "floor plane" and _angle_degrees(floor.normal, up) < 1.5
    assert fit_floor(footprints[:1], np.ones(1), body, 0.09, scene=scene).source == "scene lines"


def test_a_grounded_clip_stands_on_the_scenes_vertical_where_the_lifted_body_leans() -> None:
    """A performer standing still, lifted 6 degrees leaning towards the camera (one footprint: the floor
    comes from the prior). With the room's lines in the keypoints the up axis is the room's."""
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(standing_world(90), noise_px=0.5, seed=2)
    joints = np.asarray(motion.joints_3d, dtype=np.float64)
    pivot = joints[:, ANKLES].mean(axis=1, keepdims=True)
    leaned = (joints - pivot) @ Rotation.from_rotvec([np.radians(6.0), 0.0, 0.0]).as_matrix().T + pivot
    lifted = Motion3D((leaned - leaned[:, :1]).astype(np.float32), motion.fps, trajectory=motion.trajectory)
    lines, _ = room_lines(truth["camera_from_world"], truth["camera_centre"], truth["camera"],
                          vertical_span_m=(1.3, 2.8))  # this camera looks up: the floor is out of the picture
    with_lines = type(keypoints)(**{**keypoints.__dict__,
                                    "extras": {**keypoints.extras, "background_lines_px": lines.astype(np.float32)}})
    options = RetargetOptions(height=truth["height"], fov=60.0)
    without = retarget_motion(lifted, options, keypoints=keypoints)
    grounded = retarget_motion(lifted, options, keypoints=with_lines)
    assert _angle_degrees(without.extras["world_from_camera"][2], truth["up_camera"]) > 3.0
    assert _angle_degrees(grounded.extras["world_from_camera"][2], truth["up_camera"]) < 1.0
    assert int(grounded.extras["scene_vertical_lines"]) == len(lines)


def test_malformed_background_lines_in_a_keypoints_file_are_refused_in_one_line() -> None:
    import pytest

    from videopose.core.errors import VideoposeError
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(standing_world(20))
    bad = type(keypoints)(**{**keypoints.__dict__, "extras": {"background_lines_px": np.zeros((5, 3), np.float32)}})
    with pytest.raises(VideoposeError, match="background_lines_px must be finite"):
        retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=bad)


def test_the_focal_length_is_found_from_a_rooms_three_vanishing_points() -> None:
    """A room's edges along its three axes, seen by cameras of 60 and 90 degrees: from a 70-degree first guess
    the focal length comes out within 2 % (what the camera distance is off by)."""
    guess = PinholeCamera.from_frame(1920, 1080)
    rotation, centre = camera_from_world(12.0, 4.0, 25.0), np.array([0.0, 0.0, 1.4])
    for fov in (60.0, 90.0):
        true = PinholeCamera.from_frame(1920, 1080, fov)
        lines = box_room_lines(rotation, centre, true, per_direction=20)
        found = scene_focal_px(lines, guess.intrinsics_matrix(), 1920, 1080, _tilted(rotation @ [0.0, 0.0, 1.0], 6.0))
        assert found is not None and abs(found / true.focal_px - 1) < 0.02, (fov, found, true.focal_px)


def test_no_focal_length_where_the_vanishing_points_cannot_give_one() -> None:
    """A level camera sees the verticals parallel (their vanishing point at infinity); a walkway's lines give
    one horizontal direction only; neither pins the focal length."""
    guess = PinholeCamera.from_frame(1920, 1080)
    true = PinholeCamera.from_frame(1920, 1080, 60.0)
    level, centre = camera_from_world(0.0, 0.0, 0.0), np.array([0.0, 0.0, 1.4])
    lines = box_room_lines(level, centre, true, per_direction=20)
    assert len(vertical_lines(lines, guess.intrinsics_matrix(), level @ [0.0, 0.0, 1.0])) >= 10  # seen, but ...
    assert scene_focal_px(lines, guess.intrinsics_matrix(), 1920, 1080, level @ [0.0, 0.0, 1.0]) is None
    tilted = camera_from_world(12.0, 4.0, 25.0)
    walkway, _ = room_lines(tilted, centre, true, floor_lines=12)  # verticals, edges along the view and across it
    assert scene_focal_px(walkway, guess.intrinsics_matrix(), 1920, 1080, tilted @ [0.0, 0.0, 1.0]) is None


def test_a_grounded_clip_is_seen_with_the_focal_length_of_its_background() -> None:
    """Without --fov the camera's focal length is the background's (said in the extras); a given field of
    view is kept as given; a second person of the clip is seen by the same camera."""
    from videopose.retarget.pipeline import RetargetOptions, describe_world, retarget_motion
    from videopose.retarget.solve import SCENE_FOCAL_SOURCE, SharedWorld

    motion, keypoints, truth = camera_scene(standing_world(60), noise_px=0.5, seed=3)
    lines = box_room_lines(truth["camera_from_world"], truth["camera_centre"], truth["camera"], per_direction=20)
    with_lines = type(keypoints)(**{**keypoints.__dict__,
                                    "extras": {**keypoints.extras, "background_lines_px": lines.astype(np.float32)}})
    found = retarget_motion(motion, RetargetOptions(height=truth["height"]), keypoints=with_lines)
    assert str(found.extras["camera_focal_source"]) == SCENE_FOCAL_SOURCE
    assert f"focal length {float(found.extras['camera_focal_px']):.0f} px ({SCENE_FOCAL_SOURCE})" in describe_world(found)
    assert abs(float(found.extras["camera_focal_px"]) / truth["camera"].focal_px - 1) < 0.02
    default = retarget_motion(motion, RetargetOptions(height=truth["height"]), keypoints=keypoints)
    assert str(default.extras["camera_focal_source"]) == "default field of view"
    # The camera distance follows the focal length (the true one is 60 degrees: 21 % longer than 70's).
    ratio = np.median(found.extras["root_camera"][:, 2] / default.extras["root_camera"][:, 2])
    assert abs(ratio - float(found.extras["camera_focal_px"]) / float(default.extras["camera_focal_px"])) < 0.03
    given = retarget_motion(motion, RetargetOptions(height=truth["height"], fov=70.0), keypoints=with_lines)
    assert str(given.extras["camera_focal_source"]) == "--fov"
    assert float(given.extras["camera_focal_px"]) == float(default.extras["camera_focal_px"])
    other = retarget_motion(motion, RetargetOptions(height=truth["height"]), keypoints=keypoints,
                            world=SharedWorld.of(found))
    assert float(other.extras["camera_focal_px"]) == float(found.extras["camera_focal_px"])
