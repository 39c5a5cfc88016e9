"""The shins' lean towards the camera from their image lengths (retarget/foreshortening.py, issue 11)."""

from __future__ import annotations

import numpy as np
from grounding_scene import camera_scene, standing_world

from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17
from videopose.retarget.foreshortening import LIFTER_SIGMA, STRAIGHT_KNEE_DEG, fused_lean, lean_bone, straight_leg_weights
from videopose.retarget.grounding import image_points, reproject_translation
from videopose.retarget.pipeline import RetargetOptions, retarget_motion


def _knee_flexion_degrees(positions: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(frames, 2) 180 - the hip-knee-ankle angle of each leg."""
    result = []
    for side in ("left", "right"):
        hip, knee, ankle = (positions[:, names.index(f"{side}_{joint}")] for joint in ("hip", "knee", "ankle"))
        up, down = hip - knee, ankle - knee
        cosine = np.sum(up * down, axis=-1) / np.linalg.norm(up, axis=-1) / np.linalg.norm(down, axis=-1)
        result.append(180.0 - np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))
    return np.stack(result, axis=1)


def _bend_along_the_ray(motion: Motion3D, thigh_degrees: float, shin_degrees: float) -> Motion3D:
    """The lifted pose with each knee pushed towards the camera: the thigh turned by ``thigh_degrees`` and
    the shin by ``shin_degrees`` the other way about the axis across the view (x), bone lengths kept: a
    bend the picture (projected from the straight legs) does not show, as the lifter gives it."""
    joints = np.asarray(motion.joints_3d, dtype=np.float64).copy()

    def turned(vectors: np.ndarray, degrees: float) -> np.ndarray:
        angle = np.radians(degrees)
        y, z = vectors[..., 1], vectors[..., 2]
        return np.stack([vectors[..., 0], np.cos(angle) * y + np.sin(angle) * z,
                         -np.sin(angle) * y + np.cos(angle) * z], axis=-1)

    for side in ("left", "right"):
        hip, knee, ankle = (H36M17.index(f"{side}_{joint}") for joint in ("hip", "knee", "ankle"))
        thigh, shin = joints[:, knee] - joints[:, hip], joints[:, ankle] - joints[:, knee]
        joints[:, knee] = joints[:, hip] + turned(thigh, thigh_degrees)
        joints[:, ankle] = joints[:, knee] + turned(shin, -shin_degrees)
    return Motion3D(joints.astype(np.float32), motion.fps, trajectory=motion.trajectory)


def test_knees_the_lifter_bends_along_the_camera_ray_come_out_straight_where_the_picture_shows_them_straight() -> None:
    motion, keypoints, truth = camera_scene(standing_world(90), noise_px=1.0, seed=5)
    bent = _bend_along_the_ray(motion, 15.0, 20.0)
    lifted_flexion = _knee_flexion_degrees(np.asarray(bent.joints_3d, dtype=np.float64), H36M17.names)
    assert np.median(lifted_flexion) > 30.0
    animation = retarget_motion(bent, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    flexion = _knee_flexion_degrees(animation.world_positions(), animation.skeleton.names)
    # The legs stand at their longest in the picture, hip, knee and ankle on one line: straight (issue 11's
    # squats: <= 15 degrees when standing), to the relaxed STRAIGHT_KNEE_DEG.
    assert np.median(flexion) < 15.0
    assert np.median(flexion) > STRAIGHT_KNEE_DEG - 3.0


def test_a_leg_is_taken_straight_only_at_full_extension_in_line_and_not_bent_far_by_the_lifter() -> None:
    motion, keypoints, truth = camera_scene(standing_world(60), seed=2)
    points = image_points(keypoints, truth["camera"])
    hip, knee, ankle = (H36M17.index(f"left_{joint}") for joint in ("hip", "knee", "ankle"))

    def weights_for(lifted: Motion3D, rays: np.ndarray) -> np.ndarray:
        relative = np.asarray(lifted.joints_3d, dtype=np.float64)
        joints = relative + reproject_translation(relative, points.body_rays, points.body_weights)[0][:, None]
        return straight_leg_weights(joints, rays, points.body_weights, hip, knee, ankle, lifted.fps)

    assert np.median(weights_for(_bend_along_the_ray(motion, 15.0, 20.0), points.body_rays)) > 0.9
    assert np.median(weights_for(_bend_along_the_ray(motion, 45.0, 45.0), points.body_rays)) == 0.0  # sitting
    # The knee out of line in the picture (bent across the view): not straight.
    rays = points.body_rays.copy()
    rays[:, knee, 0] += 0.15 * np.linalg.norm(rays[:, ankle] - rays[:, hip], axis=-1)
    assert np.median(weights_for(_bend_along_the_ray(motion, 15.0, 20.0), rays)) == 0.0
    # The first half of the clip with the leg 10 % shorter in the picture (bent towards the camera).
    rays = points.body_rays.copy()
    rays[:30, [knee, ankle]] = rays[:30, [hip]] + 0.9 * (rays[:30, [knee, ankle]] - rays[:30, [hip]])
    weight = weights_for(_bend_along_the_ray(motion, 15.0, 20.0), rays)
    assert weight[:20].max() < 0.01 and weight[40:].min() > 0.9


def test_the_fused_lean_keeps_an_agreeing_lifter_and_follows_a_steeply_foreshortened_image() -> None:
    lifted = np.radians([30.0, 40.0, 10.0, 35.0])
    ratio = np.array([np.cos(np.radians(30.0)), 0.5, np.nan, 1.0])
    lean = np.degrees(fused_lean(lifted, ratio))
    assert abs(lean[0] - 30.0) <= 0.5  # both say 30
    assert lean[1] > 55.0  # the image's 60 degrees: its cosine is steep there, the lifter +-10 is not
    assert lean[2] == 10.0  # nothing seen: the lifter's
    assert 15.0 < lean[3] < 35.0 - np.degrees(LIFTER_SIGMA) / 2  # near the image plane the cosine is flat: between


def test_a_leaned_bone_keeps_its_length_its_side_and_its_direction_in_the_picture() -> None:
    start = np.array([[0.1, 0.2, 3.0], [0.1, 0.2, 3.0], [0.0, 0.0, 3.0]])
    direction = np.array([[0.0, 0.8, 0.6], [0.0, 0.8, -0.6], [0.0, 1.0, 0.0]])
    ends = lean_bone(start, direction, np.array([1.0, 1.0, np.nan]), 0.4)
    bones = ends - start
    assert np.allclose(np.linalg.norm(bones, axis=-1), 0.4)
    view = (start + 0.5 * direction * 0.4) / np.linalg.norm(start + 0.5 * direction * 0.4, axis=-1, keepdims=True)
    along = np.sum(bones * view, axis=-1)
    assert along[0] > 0 and along[1] < 0  # each stays on its side of the image plane, nearer to it
    assert abs(along[0]) < abs(np.sum(direction[0] * view[0])) * 0.4
    assert np.allclose(ends[2], start[2] + direction[2] * 0.4)  # unseen: unchanged


def test_the_preview_shows_the_legs_the_animation_exports() -> None:
    from videopose.retarget.solve import motion_in_world

    motion, keypoints, truth = camera_scene(standing_world(60), noise_px=1.0, seed=6)
    bent = _bend_along_the_ray(motion, 15.0, 20.0)
    positions, _ = motion_in_world(bent, keypoints, truth["camera"], truth["height"])
    assert np.median(_knee_flexion_degrees(positions, H36M17.names)) < 15.0


def test_frames_without_a_placed_root_do_not_stop_the_others_straightening() -> None:
    """A frame the reprojection could not place (NaN joints: a misfit pose, the legs out of the picture) is
    left as it is; the clip's other frames are still straightened (a NaN bone length once turned it off)."""
    from videopose.retarget.foreshortening import legs_straightened_where_the_picture_shows_them_straight

    motion, keypoints, truth = camera_scene(standing_world(60), seed=7)
    points = image_points(keypoints, truth["camera"])
    relative = np.asarray(_bend_along_the_ray(motion, 15.0, 20.0).joints_3d, dtype=np.float64)
    joints = relative + reproject_translation(relative, points.body_rays, points.body_weights)[0][:, None]
    joints[[5, 30]] = np.nan
    straightened = legs_straightened_where_the_picture_shows_them_straight(joints, points.body_rays,
                                                                           points.body_weights, motion.fps)
    flexion = _knee_flexion_degrees(straightened, H36M17.names)
    assert np.isnan(straightened[[5, 30]]).all()
    assert np.nanmedian(flexion) < 15.0
