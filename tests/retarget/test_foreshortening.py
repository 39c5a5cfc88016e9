"""The shins' lean towards the camera from their image lengths (retarget/foreshortening.py, issue 11)."""

from __future__ import annotations

import numpy as np
from test_grounding import _scene, _standing

from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17
from videopose.retarget.foreshortening import LIFTER_SIGMA, fused_lean, lean_bone
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


def test_knees_the_lifter_bends_along_the_camera_ray_come_out_straighter_where_the_picture_shows_them_straight() -> None:
    motion, keypoints, truth = _scene(_standing(90), noise_px=1.0, seed=5)
    bent = _bend_along_the_ray(motion, 15.0, 20.0)
    lifted_flexion = _knee_flexion_degrees(np.asarray(bent.joints_3d, dtype=np.float64), H36M17.names)
    assert np.median(lifted_flexion) > 30.0
    animation = retarget_motion(bent, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    flexion = _knee_flexion_degrees(animation.world_positions(), animation.skeleton.names)
    # The shins' 20 degrees are read from the picture (their image length stays at its longest), down to
    # what the lifter's +-10 degrees still pull; the thighs are the lifter's.
    assert np.median(flexion) < np.median(lifted_flexion) - 7.0
    assert np.median(flexion) > 15.0 - 1.0  # the thighs' 15 degrees are kept


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
