"""Issue 11, a camera that turns about its centre (retarget.camera_motion): the clip carried into the first
frame's camera is grounded as if the camera stood still; a camera that moves along is refused with a warning
and gets the lifter's depth. Synthetic and fast."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from grounding_scene import camera_scene, seen_turning, turning_camera
from synthetic_motion import walking_motion

from videopose.core.formats import Keypoints2D
from videopose.retarget.camera_motion import camera_turns, nearest_rotations, turn_departures
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.pipeline import RetargetOptions, describe_world, retarget_motion


def test_a_turn_is_told_from_a_camera_that_moves_along() -> None:
    camera = PinholeCamera.from_frame(1920, 1080, 60.0)
    intrinsics = camera.intrinsics_matrix()
    turns = turning_camera(30)
    homographies = intrinsics @ turns @ np.linalg.inv(intrinsics)
    found, why = camera_turns(homographies, camera)
    assert found is not None and why == "" and np.allclose(found, turns, atol=1e-6)
    # Seen with a 20 % wrong focal length it is still a turn (the check allows for it), close to the true one.
    wrong = PinholeCamera.from_frame(1920, 1080, 70.0)
    found, _ = camera_turns(homographies, wrong)
    assert found is not None
    assert np.degrees(Rotation.from_matrix(found[-1] @ turns[-1].T).magnitude()) < 1.0
    assert turn_departures(homographies, wrong.focal_px, wrong.center_px)[-1] > 0.01  # not a rotation as it is
    # A camera walking sideways past a wall 4 m away: the wall's homography K (R - t n^T / d) K^-1 is no turn.
    sideways = np.linspace(0.0, 0.8, 30)
    moving = np.stack([intrinsics @ (np.eye(3) - np.outer([x, 0.0, 0.0], [0.0, 0.0, 1.0]) / 4.0) @ np.linalg.inv(intrinsics)
                       for x in sideways])
    refused, why = camera_turns(moving, camera)
    assert refused is None and "moves along" in why
    lost = homographies.copy()
    lost[20:] = np.nan
    refused, why = camera_turns(lost, camera)
    assert refused is None and "from frame 20" in why
    # A few frames lost between followed ones (motion blur): their turns come from their neighbours'.
    blurred = homographies.copy()
    blurred[10:13] = np.nan
    bridged, _ = camera_turns(blurred, camera)
    assert bridged is not None and np.degrees(Rotation.from_matrix(bridged @ np.transpose(turns, (0, 2, 1))).magnitude().max()) < 0.3
    assert np.allclose(nearest_rotations(turns * 1.0), turns)


def test_a_walk_filmed_by_a_panning_camera_is_grounded_as_by_a_still_one() -> None:
    """A walk across the view, the camera panning 25 degrees after it and tilting 6: carried into the first
    frame's camera, the floor, contacts and root path are those of the still camera (they were placed along a
    floor that turned with the camera: the root path off by metres)."""
    world, _ = walking_motion(90)
    motion, keypoints, truth = camera_scene(world, noise_px=0.3, seed=5)
    options = RetargetOptions(height=truth["height"], fov=60.0)
    still = retarget_motion(motion, options, keypoints=keypoints)
    turns = turning_camera(motion.num_frames)
    turned_motion, turned_keypoints = seen_turning(motion, keypoints, truth["camera"], turns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        followed = retarget_motion(turned_motion, options, keypoints=turned_keypoints)
    assert np.allclose(followed.extras["camera_turns"], turns, atol=1e-5)
    assert str(followed.extras["grounding"]).startswith("turning camera")
    assert "turning up to 25 degrees" in describe_world(followed)  # the pan, with the tilt
    assert np.degrees(np.arccos(np.clip(followed.extras["world_from_camera"][2] @ still.extras["world_from_camera"][2],
                                        -1, 1))) < 0.2
    assert np.abs(followed.root_positions - still.root_positions).max() < 0.01
    assert (np.asarray(followed.contacts) == np.asarray(still.contacts)).mean() > 0.97
    # As a still camera (no homographies): the turned pictures put the walk elsewhere.
    plain = Keypoints2D(**{**turned_keypoints.__dict__, "extras": {}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unfollowed = retarget_motion(turned_motion, options, keypoints=plain)
    assert np.abs(unfollowed.root_positions - still.root_positions).max() > 0.3


def test_a_camera_that_moves_along_falls_back_to_the_lifters_depth_with_a_warning() -> None:
    world, _ = walking_motion(60)
    motion, keypoints, truth = camera_scene(world)
    camera = truth["camera"]
    intrinsics = camera.intrinsics_matrix()
    moving = np.stack([intrinsics @ (np.eye(3) - np.outer([x, 0.0, 0.0], [0.0, 0.0, 1.0]) / 4.0) @ np.linalg.inv(intrinsics)
                       for x in np.linspace(0.0, 0.8, motion.num_frames)])
    walked = Keypoints2D(**{**keypoints.__dict__, "extras": {"background_homographies": moving}})
    with pytest.warns(UserWarning, match="the camera moves .*lifter's depth"):
        animation = retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=walked)
    assert str(animation.extras["grounding"]) == "lifter depth: the camera moves"
    bad = Keypoints2D(**{**keypoints.__dict__, "extras": {"background_homographies": moving[:5]}})
    from videopose.core.errors import VideoposeError

    with pytest.raises(VideoposeError, match="background_homographies must be"):
        retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=bad)


@pytest.mark.slow
def test_a_real_walk_seen_by_a_turning_camera_is_grounded_as_the_still_one(shared_dir, tmp_path) -> None:
    """pose2sim cam01 resampled as seen by a camera at its centre that pans 8 degrees and tilts 3 and back
    (focal length x1.25): detected, lifted and retargeted as a user's clip would be, it is grounded in the first
    frame's camera and agrees with the still video's result (before: the moving background fell back to the
    lifter's depth, up axis 10.6 degrees off, no contacts)."""
    import cv2

    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.detect import detect_video
    from videopose.lifter.infer import lift_keypoints
    from videopose.lifter.video import iter_frames_with_times

    source = shared_dir / "videos" / "pose2sim_single" / "cam01.mp4"
    still_camera = PinholeCamera.from_frame(1088, 1920, 67.0)  # the calibrated cameras' diagonal field of view
    turned_camera = PinholeCamera(1.25 * still_camera.focal_px, still_camera.center_px, 1088, 1920)
    frames = 100
    phase = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, frames))
    turns = Rotation.from_euler("yx", np.c_[8.0 * (phase - 0.5), -3.0 * np.sin(np.linspace(0.0, np.pi, frames))],
                                degrees=True).as_matrix()  # turned frame t -> the still camera
    maps = still_camera.intrinsics_matrix() @ turns @ np.linalg.inv(turned_camera.intrinsics_matrix())
    video = tmp_path / "cam01_turning.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 60.0, (1088, 1920))
    for index, (frame, _) in enumerate(iter_frames_with_times(source, rgb=False, max_frames=frames)):
        writer.write(cv2.warpPerspective(frame, maps[index], (1088, 1920), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR))
    writer.release()
    checkpoint = load_checkpoint(resolve_checkpoint(None))

    def grounded(path, fov):
        keypoints = detect_video(path)
        motion = lift_keypoints(keypoints, checkpoint, device="cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return keypoints, retarget_motion(motion, RetargetOptions(height=1.61, fov=fov), keypoints=keypoints)

    keypoints, followed = grounded(video, turned_camera.diagonal_fov_degrees)
    assert "background_homographies" in keypoints.extras and float(keypoints.extras["background_speed"]) > 0.02  # 0.12
    _, still = grounded(source, 67.0)
    assert str(followed.extras["grounding"]).startswith("turning camera")
    true_turns = turns[0].T @ turns
    errors = Rotation.from_matrix(followed.extras["camera_turns"] @ np.transpose(true_turns, (0, 2, 1))).magnitude()
    assert np.degrees(errors.max()) < 1.5
    # The up axis: the still run's, seen from the turned view's first frame (2.0 degrees apart on this clip).
    still_up = turns[0].T @ still.extras["world_from_camera"][2]
    assert np.degrees(np.arccos(np.clip(followed.extras["world_from_camera"][2] @ still_up, -1, 1))) < 3.0
    assert float(followed.extras["camera_position"][2]) == pytest.approx(float(still.extras["camera_position"][2]), abs=0.1)
    distance = [np.linalg.norm(a.root_positions[-1, :2] - a.root_positions[0, :2]) for a in (followed, still)]
    assert distance[0] == pytest.approx(distance[1], rel=0.12)
    assert (np.asarray(followed.contacts) == np.asarray(still.contacts)).mean() > 0.8  # 0.85: detected apart


def test_a_turning_cameras_focal_length_comes_from_its_turn() -> None:
    """Only the true focal length makes every K^-1 H_t K a rotation: from the default 70 degrees, a 60-degree
    camera's 25-degree pan gives its focal length within 1 %; a 2-degree turn pins it too loosely (none)."""
    from videopose.retarget.camera_motion import turn_focal_px

    true = PinholeCamera.from_frame(1920, 1080, 60.0)
    guess = PinholeCamera.from_frame(1920, 1080)
    intrinsics = true.intrinsics_matrix()
    homographies = intrinsics @ turning_camera(40) @ np.linalg.inv(intrinsics)
    found = turn_focal_px(homographies, guess)
    assert found is not None and abs(found / true.focal_px - 1) < 0.01, (found, true.focal_px)
    small = intrinsics @ turning_camera(40, pan_degrees=2.0, tilt_degrees=0.5) @ np.linalg.inv(intrinsics)
    assert turn_focal_px(small, guess) is None
    # Without --fov the clip is grounded with it (and says so).
    world, _ = walking_motion(90)
    motion, keypoints, truth = camera_scene(world, noise_px=0.3, seed=5)
    turned_motion, turned_keypoints = seen_turning(motion, keypoints, truth["camera"], turning_camera(motion.num_frames))
    animation = retarget_motion(turned_motion, RetargetOptions(height=truth["height"]), keypoints=turned_keypoints)
    assert str(animation.extras["camera_focal_source"]) == "the camera's turn"
    assert abs(float(animation.extras["camera_focal_px"]) / true.focal_px - 1) < 0.01
