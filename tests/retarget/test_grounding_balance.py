"""Issue 11, the up axis and contacts beyond the lifted body's lean: balance over the feet (support_up), a floor
through footprints rather than every planted frame (fit_floor), and contacts that ignore a depth error common to
both feet (ankle_heights_for_contacts). Synthetic and fast."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation
from grounding_scene import camera_scene, seated_pose, standing_world
from synthetic_motion import camera_from_world, reference_skeleton

from videopose.core.layouts import H36M17
from videopose.retarget.grounding import centre_of_mass, fit_floor, footprint_centres, standing_still, support_up
from videopose.retarget.root import body_up
from videopose.retarget.solve import ankle_heights_for_contacts

LEFT_ANKLE, RIGHT_ANKLE = H36M17.index("left_ankle"), H36M17.index("right_ankle")


def _angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def _standing_on_the_left_foot() -> np.ndarray:
    """(17, 3) world pose, Z up: the right leg swung 50 degrees out to the side, the body leaning over the left
    ankle until its centre of mass stands over it."""
    pose = reference_skeleton().rest_positions()
    hip = pose[H36M17.index("right_hip")]
    out = Rotation.from_rotvec(np.radians(50.0) * np.array([0.0, 1.0, 0.0])).as_matrix()  # right leg to -X
    for name in ("right_knee", "right_ankle"):
        pose[H36M17.index(name)] = hip + (pose[H36M17.index(name)] - hip) @ out.T
    ankle = pose[LEFT_ANKLE].copy()
    offset = centre_of_mass(pose[None])[0] - ankle  # lean about the stance ankle (about Y): the centre over it
    lean = Rotation.from_rotvec(-np.arctan2(offset[0], offset[2]) * np.array([0.0, 1.0, 0.0])).as_matrix()
    pose = ankle + (pose - ankle) @ lean.T
    assert abs((centre_of_mass(pose[None])[0] - ankle)[0]) < 1e-9
    return pose


def test_the_vertical_from_balance_does_not_lean_with_the_pose() -> None:
    world = _standing_on_the_left_foot()
    rotation = camera_from_world(20.0, 10.0, 30.0)
    frames = np.repeat(((world - world[0]) @ rotation.T)[None], 30, axis=0)
    up = rotation @ [0.0, 0.0, 1.0]
    planted = np.zeros((30, 2), dtype=bool)
    planted[:, 0] = True  # the left foot (Animation.contacts order: left, right)
    assert _angle_degrees(body_up(frames), up) > 8.0  # the mid-ankle -> pelvis line leans with the raised leg
    assert _angle_degrees(support_up(frames, planted), up) < 2.5  # the centre of mass over the stance foot
    assert support_up(frames, np.zeros((30, 2), dtype=bool)) is None


def test_the_vertical_from_balance_prefers_standing_to_a_landing_found_on_one_foot() -> None:
    """A clip of standing on both feet for 0.4 s and of landings on both feet of which the contacts found only the
    left (sports2d's jumping jacks: its floor came out rolled 9 degrees against the upright picture): the
    vertical comes from the standing frames, where the centre of mass is over both feet."""
    pose = reference_skeleton().rest_positions()
    spread = pose.copy()  # feet 0.25 m apart sideways, as in a jumping jack's landing
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = spread[H36M17.index(f"{side}_hip")]
        for name in (f"{side}_knee", f"{side}_ankle"):
            offset = spread[H36M17.index(name)] - hip
            angle = sign * np.arcsin(0.25 / np.linalg.norm(pose[LEFT_ANKLE] - pose[H36M17.index("left_hip")]))
            turn = Rotation.from_rotvec(angle * np.array([0.0, 1.0, 0.0])).as_matrix()
            spread[H36M17.index(name)] = hip + offset @ turn.T
    rotation = camera_from_world(10.0, 0.0, 0.0)
    up = rotation @ [0.0, 0.0, 1.0]
    fps = 30.0
    frames = np.concatenate([np.repeat(pose[None], 12, axis=0), np.repeat(spread[None], 30, axis=0)])
    frames = (frames - frames[:, :1]) @ rotation.T
    planted = np.zeros((42, 2), dtype=bool)
    planted[:12] = True  # standing, 0.4 s
    planted[12:, 0] = True  # landings: only the left foot found
    heights = frames[:, [LEFT_ANKLE, RIGHT_ANKLE]] @ up
    standing = standing_still(planted[:, 0] & planted[:, 1], heights, fps)
    assert standing[:12].all() and not standing[12:].any()
    assert _angle_degrees(support_up(frames, planted), up) > 4.0  # every planted frame: leans over the left foot
    assert _angle_degrees(support_up(frames, planted, standing=standing), up) < 1.0
    walk = planted.copy()
    walk[:12, 1] = False  # no standing: every planted frame counts, as before
    assert not standing_still(walk[:, 0] & walk[:, 1], heights, fps).any()


def test_standing_is_both_feet_down_a_while_at_one_height() -> None:
    """0.4 s on both feet at one height is standing; 0.2 s is a step's double support; 0.6 s with one ankle
    rising 1 -> 8 cm over the other (a dancer onto the ball of her back foot) is not standing either."""
    fps = 30.0
    both = np.zeros(60, dtype=bool)
    both[0:12] = both[20:26] = both[30:48] = True
    heights = np.zeros((60, 2))
    heights[30:48, 1] = np.linspace(0.01, 0.08, 18)
    standing = standing_still(both, heights, fps)
    assert standing[0:12].all() and not standing[12:].any()


def test_a_floor_through_footprints_scattered_along_their_camera_rays() -> None:
    """Eight footprints of a zigzag walk seen by a camera looking 25 degrees down, each frame's depth off by up
    to 3 % along its ray (the reprojection's noise), the prior 5 degrees off along the walk: one point per
    footprint (its median), whose own small scatter about the plane outweighs the prior there: the floor
    within 1 degree."""
    rotation = camera_from_world(25.0, 0.0, 0.0)
    up = rotation @ [0.0, 0.0, 1.0]
    camera = np.array([0.0, -3.5, 2.0])
    level = 0.09
    rng = np.random.default_rng(1)
    steps = np.arange(8)
    footprints_world = np.stack([0.12 * (steps % 2) - 0.06, 0.3 * steps, np.full(8, level)], axis=1)
    ankles = np.full((8 * 20, 2, 3), np.nan)
    planted = np.zeros((8 * 20, 2), dtype=bool)
    for step in steps:
        frames, foot = slice(20 * step, 20 * step + 20), step % 2
        planted[frames, foot] = True
        true = (footprints_world[step] - camera) @ rotation.T
        ankles[frames, foot] = true * (1 + rng.uniform(-0.03, 0.03, size=(20, 1)))
    prior = Rotation.from_rotvec(np.radians(5.0) * rotation @ [1.0, 0.0, 0.0]).apply(up)  # along the walk
    centres, counts = footprint_centres(ankles, planted)
    assert counts.tolist() == [20] * 8
    true_centres = (footprints_world - camera) @ rotation.T
    order = np.argsort(centres[:, 2])
    assert np.linalg.norm(centres[order] - true_centres, axis=1).max() < 0.1  # one point per footprint, near it
    floor = fit_floor(centres, np.ones(8), prior, level, planted_points=ankles[planted])
    assert floor.source == "floor plane"
    assert _angle_degrees(floor.normal, up) < 1.0


def test_a_root_that_changes_level_does_not_tilt_the_floor() -> None:
    up = np.array([0.0, -1.0, 0.0])  # camera frame, level camera
    footprints = np.array([[0.0, 1.5, 4.0], [0.05, 1.5, 4.3]])
    along_floor = np.array([1.0, 0.0, 0.5])
    off_a_box = np.array([1.0, 2.0, 0.2])  # down 2 m while moving 1 m sideways
    walked = fit_floor(footprints, np.ones(2), up, 0.09, travel=along_floor)
    jumped = fit_floor(footprints, np.ones(2), up, 0.09, travel=off_a_box)
    assert _angle_degrees(walked.normal, up) < 0.5
    assert _angle_degrees(jumped.normal, up) < 0.5  # ignored: not a walk on this floor


def test_a_depth_error_common_to_both_feet_keeps_them_down() -> None:
    """Squats: both ankles swing 4 cm under and over the floor with the body's depth error; one foot raised
    10 cm stays raised, and a jump (both 30 cm up) is off the floor."""
    swing = 0.04 * np.sin(np.linspace(0, 4 * np.pi, 40))
    both_down = np.stack([swing, swing + 0.01], axis=1)
    assert np.abs(ankle_heights_for_contacts(both_down)).max() <= 0.011
    one_raised = np.stack([swing, swing + 0.10], axis=1)
    assert np.allclose(ankle_heights_for_contacts(one_raised)[:, 1], 0.10)
    jump = np.full((5, 2), 0.30)
    assert (ankle_heights_for_contacts(jump) >= 0.25).all()


def _trunk_lean_degrees(positions: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    trunk = positions[:, names.index("thorax")] - positions[:, names.index("pelvis")]
    return np.degrees(np.arccos(np.clip(trunk[:, 2] / np.linalg.norm(trunk, axis=1), -1.0, 1.0)))


def test_a_performer_standing_on_both_feet_is_balanced_frame_by_frame_along_the_line_of_sight() -> None:
    """The lifter rocks an upright performer 8 degrees towards and away from the camera (a lean the picture
    does not show); the clip's one balance prior cannot follow it, each frame's balance can."""

    from videopose.core.formats import Motion3D
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(standing_world(120), noise_px=0.5, seed=4)
    joints = np.asarray(motion.joints_3d, dtype=np.float64)
    pivot = joints[:, [LEFT_ANKLE, RIGHT_ANKLE]].mean(axis=1, keepdims=True)
    angles = np.radians(8.0) * np.sin(2 * np.pi * np.arange(len(joints)) / 60.0)
    rocks = Rotation.from_rotvec(angles[:, None] * np.array([1.0, 0.0, 0.0])).as_matrix()  # about the camera's x
    rocked = np.einsum("fij,fkj->fki", rocks, joints - pivot) + pivot
    rocked = rocked - rocked[:, :1]
    lifted = Motion3D(rocked.astype(np.float32), motion.fps, trajectory=motion.trajectory)
    animation = retarget_motion(lifted, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    lean = _trunk_lean_degrees(animation.world_positions(), animation.skeleton.names)
    assert np.percentile(lean, 95) < 2.5, np.percentile(lean, 95)


def test_a_walks_brief_double_support_is_not_turned() -> None:
    from videopose.retarget.grounding import BALANCED_STANCE_SECONDS, balance_turns

    pose = reference_skeleton().rest_positions()
    frames = 60
    leaning = Rotation.from_rotvec(np.radians(10.0) * np.array([1.0, 0.0, 0.0])).as_matrix()
    joints = np.repeat((pose @ leaning.T)[None], frames, axis=0)
    joints = joints - joints[:, :1]
    view = np.repeat(np.array([[0.0, 1.0, -0.2]]), frames, axis=0)
    both = np.zeros(frames, dtype=bool)
    both[10:10 + int(BALANCED_STANCE_SECONDS * 30) - 3] = True  # a walk's double support: too short
    turns, _ = balance_turns(joints, view, both, 30.0)
    assert np.allclose(turns, np.eye(3))
    both[30:] = True  # then standing for a second: turned upright, about the axis across the view only
    turns, pivots = balance_turns(joints, view, both, 30.0)
    turned = np.einsum("fij,fkj->fki", turns, joints - pivots[:, None]) + pivots[:, None]
    centre = centre_of_mass(turned)
    offset = centre - pivots
    along = offset[:, 1]  # the view is along +Y
    assert np.abs(along[40:]).max() < 0.005
    assert np.allclose(turns[:20], np.eye(3), atol=1e-3)


def test_the_floor_keeps_the_priors_tilt_in_the_picture_tighter_than_along_the_line_of_sight() -> None:
    """Footprints a little off a plane across the view (a 2-3 degree roll from 2 cm height errors) move the
    floor's tilt in the picture less than footprints along the line of sight move its pitch."""
    up = np.array([0.0, -1.0, 0.0])  # camera frame: y down
    across = np.array([[-0.4, 1.52, 4.0], [0.0, 1.5, 4.3], [0.4, 1.48, 4.0], [0.2, 1.49, 4.6]])
    floor = fit_floor(across, np.ones(4), up, 0.09)
    assert abs(np.degrees(np.arctan2(floor.normal[0], -floor.normal[1]))) < 0.6
    pitch = np.radians(4.0)  # footprints along the view on a floor pitched 4 degrees against the prior
    depths = np.array([3.0, 3.6, 4.2, 4.8])
    along = np.stack([np.array([0.1, -0.1, 0.1, -0.1]), 1.5 - (depths - 3.9) * np.tan(pitch), depths], axis=1)
    floor = fit_floor(along, np.ones(4), up, 0.09)
    assert abs(np.degrees(np.arctan2(-floor.normal[2], -floor.normal[1])) - 4.0) < 1.5


def test_a_seated_body_is_not_balanced_over_its_feet() -> None:
    """Seated for 2 s with both feet planted: its centre of mass is 30-40 degrees behind the feet; the balance
    turns leave it (they would tip it forward onto its feet) and the run is found as seated; standing is not."""
    from videopose.retarget.grounding import balance_turns, seated_runs

    fps, frames = 30.0, 60
    seated = np.repeat(seated_pose()[None], frames, axis=0)
    seated = seated - seated[:, :1]
    both = np.ones(frames, dtype=bool)
    up = np.array([0.0, 0.0, 1.0])
    assert seated_runs(seated, both, up, fps, 0.5).all()
    view = np.repeat(np.array([[0.0, 1.0, 0.0]]), frames, axis=0)  # seen from the front: the lean is along the view
    turns, _ = balance_turns(seated, view, both, fps)
    assert np.degrees(Rotation.from_matrix(turns).magnitude()).max() < 1e-6
    standing = np.repeat(reference_skeleton().rest_positions()[None], frames, axis=0)
    assert not seated_runs(standing - standing[:, :1], both, up, fps, 0.5).any()


def test_the_floors_prior_holds_for_a_camera_on_its_side() -> None:
    """A portrait clip filmed with the phone on its side: the body's vertical along the camera's x axis. The
    prior still holds the floor (its tilt across the picture was measured against camera x, which then left
    the prior holding no direction at all)."""
    up = np.array([1.0, 0.0, 0.0])
    footprints = np.array([[-1.5, 0.0, 3.0], [-1.5, 0.3, 4.0], [-1.45, -0.2, 3.5]])  # a few, nearly on one line
    floor = fit_floor(footprints, np.ones(3), up, 0.1)
    assert floor.source == "floor plane"
    assert _angle_degrees(floor.normal, up) < 2.0  # unheld, the line let it tilt 8.5 degrees


def test_standing_on_both_feet_the_root_follows_the_feet_not_the_body_size_along_the_ray() -> None:
    """Squats: the reprojected depth swings +-15 cm along the camera ray as the body folds (its image size
    changes with the pose, not its distance) while both feet stay planted. Balanced there, the root stays over
    the feet along the ray (the squats' centre of mass moved 3.7 cm along the view with its root)."""
    from videopose.retarget.grounding import solve_root_path

    frames, fps, level = 90, 30.0, 0.1
    camera = np.array([0.0, -3.5, 1.2])
    ankles = np.array([[-0.1, 0.0, level], [0.1, 0.0, level]])
    relative = np.repeat((ankles - [0.0, 0.0, 0.95])[None], frames, axis=0)  # the root 0.95 m over the floor
    true_root = np.array([0.0, 0.0, 0.95])
    direction = (true_root - camera) / np.linalg.norm(true_root - camera)
    reprojected = true_root + 0.15 * np.sin(2 * np.pi * np.arange(frames) / 45.0)[:, None] * direction
    distance = np.linalg.norm(reprojected - camera, axis=1)
    rays = np.repeat(direction[None], frames, axis=0)
    pinned = np.ones((frames, 2), dtype=bool)
    ankle_rays = np.repeat(((ankles - camera) / np.linalg.norm(ankles - camera, axis=1, keepdims=True))[None], frames, axis=0)
    arguments = (reprojected, rays, distance, relative, pinned, level, fps)
    balanced = solve_root_path(*arguments, ankle_rays=ankle_rays, camera_position=camera, balanced=np.ones(frames, bool))
    assert np.ptp((balanced - true_root) @ direction) < 0.003
    walking = solve_root_path(*arguments, ankle_rays=ankle_rays, camera_position=camera)  # a walk's pins: looser
    assert np.ptp((walking - true_root) @ direction) > 0.008


def test_a_performer_lying_across_the_picture_is_warned_of() -> None:
    """Lying on the floor throughout (the body's axis across the picture in every frame): the planted feet and
    the body's vertical then give a floor 90 degrees off (the camera 1 m under it) with no word of it before;
    now a warning names the assumption (lying, or a camera on its side)."""
    import pytest

    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    lying = standing_world(60) @ Rotation.from_rotvec([0.0, np.radians(90.0), 0.0]).as_matrix().T
    lying = lying - [0.0, 0.0, lying[..., 2].min() - 0.06]
    motion, keypoints, truth = camera_scene(lying)
    with pytest.warns(UserWarning) as caught:
        retarget_motion(motion, RetargetOptions(height=1.7, fov=60.0), keypoints=keypoints)
    messages = [str(warning.message) for warning in caught]
    assert any("lies across the picture in 100% of the frames" in message and "lying down, or a camera on its side"
               in message for message in messages), messages
    assert any("under the floor" in message for message in messages)  # and its floor puts the camera 1 m under it


def test_a_clip_seated_throughout_without_scene_lines_is_warned_of() -> None:
    """Seated on a chair for the whole clip and no background lines: no standing frame gives a vertical, and the
    seated balance tips the floor 30 degrees, the camera 0.8 m under it, with no word of it before; the camera
    under the floor is now said."""
    import pytest

    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    motion, keypoints, truth = camera_scene(np.repeat(seated_pose()[None], 90, axis=0) + [0.0, 0.0, 0.08])
    with pytest.warns(UserWarning, match="the camera comes out 0.8. m under the floor .*seated or lying throughout"):
        retarget_motion(motion, RetargetOptions(height=1.7, fov=60.0), keypoints=keypoints)
