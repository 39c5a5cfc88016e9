"""World-grounded motion from one static camera (issue 11): synthetic scenes seen by a known virtual
camera over a known floor, and one real pose2sim camera against its calibration."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from grounding_scene import ANKLES, camera_scene, seated_pose, standing_world
from synthetic_motion import camera_from_world, reference_skeleton, walking_motion

from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import H36M17
from videopose.retarget.camera_model import PinholeCamera
from videopose.core.frame_runs import frame_runs
from videopose.retarget.grounding import off_floor_footprints, reproject_translation
from videopose.retarget.pipeline import RetargetOptions, retarget_motion
from videopose.retarget.solve import solve_grounded_animation



def _angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def test_pinhole_camera_from_field_of_view_and_focal_length() -> None:
    camera = PinholeCamera.from_frame(1600, 1200, 90.0)  # diagonal 2000 px, half of it at 45 degrees
    assert camera.focal_px == pytest.approx(1000.0)
    assert camera.project(np.array([0.5, -0.25, 2.0])) == pytest.approx([1050.0, 475.0])
    assert PinholeCamera.from_frame(1600, 1200, focal_mm=43.27).focal_px == pytest.approx(2000.0)
    assert PinholeCamera.from_frame(1080, 1920).diagonal_fov_degrees == pytest.approx(70.0)


def test_reprojection_recovers_the_translation_despite_a_wrong_keypoint() -> None:
    pose = reference_skeleton().rest_positions() @ camera_from_world(10, 0, 0).T
    truth = np.array([[0.3, -0.2, 3.5], [-0.5, 0.1, 6.0]])
    camera = PinholeCamera.from_frame(1280, 720, 65.0)
    absolute = pose[None] + truth[:, None]
    rays = camera.normalized(camera.project(absolute))
    rays[0, 3] += 0.1  # one keypoint far off (a detector swap)
    poses = np.repeat(pose[None], 2, axis=0)
    found, _ = reproject_translation(poses, rays, np.ones((2, 17)))
    assert found[:, :2] == pytest.approx(truth[:, :2], abs=0.005)
    assert found[:, 2] == pytest.approx(truth[:, 2], abs=0.02)
    plain, _ = reproject_translation(poses, rays, np.ones((2, 17)), iterations=1)  # no re-weighting
    assert abs(plain[0, 2] - truth[0, 2]) > 0.1


def test_a_pose_that_does_not_fit_its_picture_places_nothing() -> None:
    """An upright pose fitted to the keypoints of a body upside down (a flip) lands next to the lens with a
    large residual: that frame gets no translation (filled from its neighbours later), the others do."""
    pose = reference_skeleton().rest_positions() @ camera_from_world(10, 0, 0).T
    camera = PinholeCamera.from_frame(1280, 720, 65.0)
    truth = np.array([0.0, 0.0, 5.0])
    rays = np.repeat(camera.normalized(camera.project(pose + truth))[None], 2, axis=0)
    rays[1] = 2 * rays[1, :1] - rays[1]           # frame 1: the picture turned upside down about the pelvis
    found, residual = reproject_translation(np.repeat(pose[None], 2, axis=0), rays, np.ones((2, 17)))
    assert found[0] == pytest.approx(truth, abs=0.02)
    assert np.isnan(found[1]).all()


def test_footprints_on_another_level_are_found() -> None:
    """A landing 1 m below the floor (off a roof) is another level; footprints within a few cm are not."""
    frames = 40
    reprojected = np.zeros((frames, 3))
    reprojected[:, 2] = 0.9
    reprojected[20:, 2] = -0.1                   # dropped 1 m at frame 20
    ankles = np.zeros((frames, 2, 3))
    ankles[..., 2] = -0.82 + np.random.default_rng(0).normal(0, 0.02, (frames, 2))
    pinned = np.zeros((frames, 2), dtype=bool)
    pinned[2:10, 0] = pinned[25:35, 1] = True
    off = off_floor_footprints(reprojected, ankles, pinned, ankle_level=0.08)
    assert not off[:20].any() and off[25:35, 1].all() and not off[:, 0].any()


def test_up_floor_contacts_and_distance_of_a_walk_seen_by_a_known_camera() -> None:
    world, true_contacts = walking_motion(150)
    motion, keypoints, truth = camera_scene(world)
    animation = retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    # Up within 1 degree, floor (the camera's height over it) within 1 cm.
    assert animation.extras["up_source"] == "floor plane"
    assert _angle_degrees(animation.extras["world_from_camera"][2], truth["up_camera"]) < 1.0
    assert animation.extras["camera_position"][2] == pytest.approx(truth["camera_height"], abs=0.01)
    # Contacts within two frames of the truth (runs of at least 4 frames; the clip's ends excepted).
    for foot in range(2):
        found = frame_runs(animation.contacts[:, foot])
        for start, stop in frame_runs(true_contacts[:, foot]):
            if stop - start < 4:
                continue
            near = [(s, e) for s, e in found if abs(s - start) <= 2 and abs(e - stop) <= 2]
            assert near, f"foot {foot}: true contact {start}-{stop} not found within 2 frames in {found}"
        assert len(found) <= len(frame_runs(true_contacts[:, foot]))
    # The planted ankle stays put (< 1 cm) on the floor (ankle height within 1 cm), and the walk covers its distance.
    ankles = animation.world_positions()[:, ANKLES]
    for foot in range(2):
        for start, stop in frame_runs(animation.extras["heel_contacts"][:, foot]):
            assert np.linalg.norm(ankles[start:stop, foot, :2] - ankles[start, foot, :2], axis=-1).max() < 0.01
            assert np.abs(ankles[start:stop, foot, 2] - truth["ankle_level"]).max() < 0.01
    travelled = np.linalg.norm(animation.root_positions[-1, :2] - animation.root_positions[0, :2])
    assert travelled == pytest.approx(np.linalg.norm(world[-1, 0, :2] - world[0, 0, :2]), rel=0.03)


def test_a_still_performer_stays_within_a_centimetre() -> None:
    motion, keypoints, truth = camera_scene(standing_world(120), noise_px=1.0, seed=3)
    # The lifter's own guess drifts (its trajectory wobbles by 8 % of the distance)...
    drift = np.linalg.norm(motion.trajectory - motion.trajectory[0], axis=1).max()
    assert drift > 0.1
    animation = retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    root = animation.root_positions
    assert np.linalg.norm(root - root[0], axis=1).max() < 0.01
    assert animation.contacts.all()


def _jump(fps: float = 30.0) -> tuple[np.ndarray, slice]:
    """Standing 1 s, a 0.5 s straight-legged hop (free fall), standing 1 s -> world joints, flight frames."""
    stand, flight_frames = int(fps), int(0.5 * fps)
    world = standing_world(2 * stand + flight_frames)
    time = (np.arange(flight_frames) + 1) / fps
    flight_seconds = (flight_frames + 1) / fps
    rise = 0.5 * 9.81 * time * (flight_seconds - time)  # leaves and lands at t = 0, flight_seconds
    world[stand:stand + flight_frames] += np.stack([np.zeros_like(rise), np.zeros_like(rise), rise], 1)[:, None]
    return world, slice(stand, stand + flight_frames)


def test_a_jump_stays_a_jump() -> None:
    world, flight = _jump()
    motion, keypoints, truth = camera_scene(world)
    animation = solve_grounded_animation(motion, keypoints, truth["camera"], truth["height"])
    assert not animation.contacts[flight].any(axis=1)[2:-2].any()  # both feet off the ground in flight
    assert animation.contacts[:20].all() and animation.contacts[-20:].all()
    height = animation.root_positions[:, 2] - animation.root_positions[0, 2]
    true_height = world[:, 0, 2] - world[0, 0, 2]
    assert height[flight].max() == pytest.approx(true_height.max(), abs=0.03)  # apex 35 cm
    assert np.abs(height[:20]).max() < 0.02 and np.abs(height[-20:]).max() < 0.02  # lands where it stood


def test_no_planted_foot_warns_and_falls_back_to_the_lifter_depth() -> None:
    world, _ = walking_motion(60)
    motion, keypoints, truth = camera_scene(world)
    scores = keypoints.scores.copy()
    scores[:, [15, 16]] = 0.0  # the feet never seen (out of the frame): nothing planted
    keypoints = Keypoints2D(keypoints.keypoints, scores, "coco17", keypoints.fps, 1920, 1080)
    with pytest.warns(UserWarning, match="no foot is ever planted"):
        animation = retarget_motion(motion, RetargetOptions(height=truth["height"]), keypoints=keypoints)
    assert "lifter depth" in str(animation.extras["grounding"])


@pytest.mark.slow
def test_a_real_pose2sim_camera_is_upright_and_its_feet_planted(shared_dir: Path, tmp_path: Path) -> None:
    """cam03 of pose2sim (calibrated): the up axis against the calibration's vertical, contacts, camera height."""
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.detect import detect_video
    from videopose.lifter.infer import lift_keypoints

    video = shared_dir / "videos" / "pose2sim_single" / "cam03.mp4"
    keypoints = detect_video(video)
    motion = lift_keypoints(keypoints, load_checkpoint(resolve_checkpoint(None)), device="cpu")
    # The calibration (Calib.qca.txt, cam03): the camera sits 2.09 m over the floor and its optical axis
    # points 24.9 degrees below the horizontal (third column of its rotation); the performer is 1.61 m.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animation = retarget_motion(motion, RetargetOptions(height=1.61), keypoints=keypoints)
    world_from_camera = animation.extras["world_from_camera"]
    pitch = np.degrees(np.arcsin(-world_from_camera[2, 2]))
    # The up axis from balance over the footprints (not the lifted body's lean): pitch 23.6, height 1.83 m.
    assert pitch == pytest.approx(24.9, abs=4.0)
    # ... and the room's vertical lines (the calibration's vertical in cam03's frame: 2.6 degrees off from the
    # balance alone, 1.4 with the lines).
    calibrated_up = np.array([-0.0447, -0.9061, -0.4206])
    tilt = np.degrees(np.arccos(np.clip(world_from_camera[2] @ calibrated_up / np.linalg.norm(calibrated_up), -1, 1)))
    assert tilt < 2.0 and int(animation.extras["scene_vertical_lines"]) >= 10
    # The focal length from the room's three vanishing points (calibrated 1682 px; the default 70 degrees: 1576).
    assert str(animation.extras["camera_focal_source"]) == "the background's vanishing points"
    assert float(animation.extras["camera_focal_px"]) == pytest.approx(1682, rel=0.03)
    assert animation.extras["camera_position"][2] == pytest.approx(2.09, abs=0.35)
    assert animation.contacts.mean() > 0.3  # today's lifter-depth contacts: 7 % and 6 %
    travelled = np.linalg.norm(animation.root_positions[-1, :2] - animation.root_positions[0, :2])
    assert travelled == pytest.approx(0.74, rel=0.25)


def test_the_preview_is_grounded_with_the_users_height_and_field_of_view() -> None:
    from videopose.preview.render import scene_from_motion

    world, _ = walking_motion(60)
    motion, keypoints, truth = camera_scene(world)
    options = RetargetOptions(height=1.45, fov=60.0)
    animation = retarget_motion(motion, options, keypoints=keypoints)
    scene = scene_from_motion(motion, keypoints, grounding=options)
    pelvis = scene.positions[:, H36M17.index("pelvis")]
    assert pelvis == pytest.approx(animation.root_positions, abs=1e-6)  # one world: the export's root path
    default = scene_from_motion(motion, keypoints).positions[:, H36M17.index("pelvis")]
    assert np.abs(default - pelvis).max() > 0.05  # the default height and field of view place it elsewhere


def test_the_pose_is_turned_onto_the_picture_before_the_floor_is_found() -> None:
    """A lifter whose pose leans sideways in the picture (rolled 8 degrees about the camera ray against the
    keypoints): the up axis follows the image, not the lifted lean."""
    world, _ = walking_motion(150)
    motion, keypoints, truth = camera_scene(world)
    ray = np.nanmean(motion.trajectory, axis=0)
    ray = ray / np.linalg.norm(ray)
    from scipy.spatial.transform import Rotation

    rolled = Rotation.from_rotvec(np.radians(8.0) * ray).as_matrix()
    leaning = Motion3D((motion.joints_3d @ rolled.T).astype(np.float32), motion.fps, trajectory=motion.trajectory)
    animation = retarget_motion(leaning, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    assert _angle_degrees(animation.extras["world_from_camera"][2], truth["up_camera"]) < 1.5


def test_a_footprint_lies_where_its_ankle_ray_meets_the_floor() -> None:
    """Root path with a reprojection depth that drifts 30 cm along the ray while the foot stays planted (its
    ankle keypoint's ray constant): the footprint, and with it the root, stay where the ray meets the floor."""
    from videopose.retarget.grounding import solve_root_path

    frames, fps, level = 60, 30.0, 0.1
    camera = np.array([0.0, -4.0, 1.5])
    ankle = np.array([0.0, 0.0, level])
    relative = np.zeros((frames, 2, 3))
    relative[:, :, 2] = -0.9  # ankles 0.9 m under the root
    true_root = ankle + [0.0, 0.0, 0.9]
    direction = (true_root - camera) / np.linalg.norm(true_root - camera)
    reprojected = true_root + np.linspace(0.0, 0.3, frames)[:, None] * direction  # drifts away along the ray
    distance = np.linalg.norm(reprojected - camera, axis=1)
    rays = np.repeat(direction[None], frames, axis=0)
    ankle_ray = (ankle - camera) / np.linalg.norm(ankle - camera)
    ankle_rays = np.repeat(ankle_ray[None, None], frames, axis=0).repeat(2, axis=1)
    pinned = np.ones((frames, 2), dtype=bool)
    root = solve_root_path(reprojected, rays, distance, relative, pinned, level, fps,
                           ankle_rays=ankle_rays, camera_position=camera)
    assert np.linalg.norm(root - root[0], axis=1).max() < 0.01  # still
    assert np.abs(root - true_root).max() < 0.03  # where the ray meets the floor (the drift pulls a little)
    body_size_only = solve_root_path(reprojected, rays, distance, relative, pinned, level, fps)
    assert np.abs(body_size_only - true_root).max() > 0.1


def test_a_footprint_whose_points_the_detector_dragged_stays_one_place_and_they_do_not_move_the_root() -> None:
    """One foot planted 60 frames; over frames 30-59 the detector dragged its points 40 cm to the side, and the
    lifted leg went with them (the ankle 40 cm off under the root). Marked unsure (contact.dragged_frames),
    those frames neither pin the root to the footprint nor move it along their rays: the root stays over the
    foot. Unmarked, the footprint settles between the two places and the root swings 36 cm across the clip
    (pose2sim cam03's end: direction 7.5 -> 13 degrees)."""
    from videopose.retarget.grounding import solve_root_path

    frames, fps, level = 60, 30.0, 0.1
    camera = np.array([0.0, -4.0, 1.5])
    ankle = np.array([0.0, 0.0, level])
    true_root = ankle + [0.0, 0.0, 0.9]
    relative = np.zeros((frames, 2, 3))
    relative[:, :, 2] = -0.9
    relative[30:, 0, 0] = 0.4  # the dragged leg
    direction = (true_root - camera) / np.linalg.norm(true_root - camera)
    reprojected = np.repeat(true_root[None], frames, axis=0)
    distance = np.linalg.norm(reprojected - camera, axis=1)
    rays = np.repeat(direction[None], frames, axis=0)
    dragged_ankle = ankle + [0.4, 0.0, 0.0]
    ankle_rays = np.repeat(((ankle - camera) / np.linalg.norm(ankle - camera))[None, None], frames, axis=0).repeat(2, 1)
    ankle_rays[30:, 0] = (dragged_ankle - camera) / np.linalg.norm(dragged_ankle - camera)
    pinned = np.zeros((frames, 2), dtype=bool)
    pinned[:, 0] = True
    unsure = np.zeros((frames, 2), dtype=bool)
    unsure[30:, 0] = True
    arguments = (reprojected, rays, distance, relative, pinned, level, fps)
    root = solve_root_path(*arguments, ankle_rays=ankle_rays, camera_position=camera, unsure=unsure)
    assert np.abs(root - true_root).max() < 0.02
    carried = solve_root_path(*arguments, ankle_rays=ankle_rays, camera_position=camera)
    assert np.ptp(carried[:, 0]) > 0.3


def test_a_landing_on_the_toes_lies_where_the_toe_ray_meets_the_floor() -> None:
    """Both feet down on their toes only (heels up, the ankles 5 cm over their flat-foot height: a jumping jack's
    landing), the reprojection depth drifting 30 cm along the ray: the toes' rays meet the floor where they
    stand and hold the root nearer there than the ankles alone (pinned along the floor only) do."""
    from videopose.retarget.grounding import TOE_FORWARD_PER_LEG, solve_root_path, toe_offsets

    frames, fps, level, leg = 60, 30.0, 0.1, 0.8
    camera = np.array([0.0, -4.0, 1.5])
    ankles = np.array([[-0.15, 0.0, level + 0.05], [0.15, 0.0, level + 0.05]])
    true_root = np.array([0.0, 0.0, level + 0.05 + 0.9])
    pose = np.zeros((frames, 17, 3))  # facing the camera (-Y): the left hip at +X
    pose[:, H36M17.index("left_hip"), 0], pose[:, H36M17.index("right_hip"), 0] = 0.12, -0.12
    offsets = toe_offsets(pose, leg)
    assert np.allclose(offsets[0, 0], [0.0, -TOE_FORWARD_PER_LEG * leg, 0.0])
    toes = ankles + offsets[0] - [0.0, 0.0, level + 0.05]  # on the floor, in front of the ankles
    relative = np.repeat((ankles - true_root)[None], frames, axis=0)
    direction = (true_root - camera) / np.linalg.norm(true_root - camera)
    reprojected = true_root + np.linspace(0.0, 0.3, frames)[:, None] * direction
    distance = np.linalg.norm(reprojected - camera, axis=1)
    rays = np.repeat(direction[None], frames, axis=0)
    toe_rays = np.repeat(((toes - camera) / np.linalg.norm(toes - camera, axis=1, keepdims=True))[None], frames, axis=0)
    heel = np.zeros((frames, 2), dtype=bool)
    toe = np.ones((frames, 2), dtype=bool)
    arguments = (reprojected, rays, distance, relative, heel, level, fps)
    root = solve_root_path(*arguments, camera_position=camera, toe_pinned=toe, toe_rays=toe_rays, toe_offsets=offsets)
    ankles_only = solve_root_path(*arguments, camera_position=camera, toe_pinned=toe)
    error, error_without = (float(np.abs(path[:, :2] - true_root[:2]).max()) for path in (root, ankles_only))
    # The foot's offset is one term per footprint against the reprojection's one per frame: pulled 9 cm, not 15.
    assert np.ptp(root[:, 1]) < 0.02 and error < 0.1 and error_without - error > 0.05


def test_hops_in_place_stay_in_place_where_the_pose_in_the_air_is_placed_near() -> None:
    """Six hops in place (4 frames down, 14 in the air) seen by a camera 0.7 m over the floor from 6 m, the
    reprojection placing the pose in the air 40 cm nearer along its ray (sports2d's jumping jacks: limbs spread,
    lifted depth short): the ballistic path between the landings' footprints carries the root, which stays
    within 8 cm of its place (18 cm with the reprojection as sure in the air as on the ground)."""
    from videopose.retarget.grounding import GRAVITY, solve_root_path

    fps, level, ground, air = 30.0, 0.1, 4, 14
    frames = 6 * (ground + air) + ground
    camera = np.array([0.0, -6.0, 0.7])
    phase = np.arange(frames) % (ground + air)
    flying = phase >= ground
    seconds = np.where(flying, (phase - ground + 1) / fps, 0.0)
    true_root = np.zeros((frames, 3))
    true_root[:, 2] = level + 0.9 + 0.5 * GRAVITY * seconds * ((air + 1) / fps - seconds)
    relative = np.zeros((frames, 2, 3))
    relative[:, 0, 0], relative[:, 1, 0], relative[:, :, 2] = -0.12, 0.12, -0.9
    rays = (true_root - camera) / np.linalg.norm(true_root - camera, axis=1, keepdims=True)
    reprojected = true_root - 0.4 * flying[:, None] * rays
    ankles = true_root[:, None] + relative
    ankle_rays = (ankles - camera) / np.linalg.norm(ankles - camera, axis=-1, keepdims=True)
    root = solve_root_path(reprojected, rays, np.linalg.norm(reprojected - camera, axis=1), relative,
                           np.repeat(~flying[:, None], 2, axis=1), level, fps, ankle_rays=ankle_rays,
                           camera_position=camera)
    assert np.abs(root[:, :2] - true_root[:, :2]).max() < 0.08
    assert np.abs(root[:, 2] - true_root[:, 2]).max() < 0.05  # the hops stay hops


def test_missed_contacts_with_a_level_body_are_not_a_flight() -> None:
    """Both feet unplanted for 0.35 s while the pictures keep the root level (pose2sim cam02: the detector lost
    the standing foot): the root follows the pictures, no free-fall hop (12 cm there); a stretch whose pictures
    rise as free fall does stays ballistic."""
    from videopose.retarget.grounding import GRAVITY, solve_root_path

    frames, fps, level = 90, 60.0, 0.1
    camera = np.array([0.0, -4.0, 1.5])
    relative = np.zeros((frames, 2, 3))
    relative[:, :, 2] = -0.9
    relative[:, 0, 0], relative[:, 1, 0] = -0.1, 0.1
    root_truth = np.zeros((frames, 3))
    root_truth[:, 2] = 0.9 + level
    gap = slice(30, 51)  # 21 frames (0.35 s) with no foot planted
    pinned = np.ones((frames, 2), dtype=bool)
    pinned[gap] = False
    rays = (root_truth - camera) / np.linalg.norm(root_truth - camera, axis=1, keepdims=True)
    distance = np.linalg.norm(root_truth - camera, axis=1)
    level_root = solve_root_path(root_truth, rays, distance, relative, pinned, level, fps)
    assert np.abs(level_root[:, 2] - root_truth[:, 2]).max() < 0.01

    seconds = (np.arange(frames) - (gap.start - 1)) / fps  # 0 at the last planted frame
    flight = (gap.stop - gap.start + 1) / fps
    jumping = root_truth.copy()
    jumping[gap, 2] += 0.5 * GRAVITY * seconds[gap] * (flight - seconds[gap])  # apex 16.5 cm
    rays = (jumping - camera) / np.linalg.norm(jumping - camera, axis=1, keepdims=True)
    jump_root = solve_root_path(jumping, rays, np.linalg.norm(jumping - camera, axis=1), relative, pinned, level, fps)
    assert jump_root[gap, 2].max() == pytest.approx(jumping[:, 2].max(), abs=0.015)


def test_a_performer_who_sits_down_is_not_tipped_onto_the_feet_and_is_warned_of() -> None:
    """A walk of 4 s, then 2 s seated on a chair, feet planted: the grounding warns that the performer is not
    standing on the feet there and leaves the seated torso upright (the balance steps tipped it ~30 degrees
    forward over the feet)."""
    walk, _ = walking_motion(120)
    seated = seated_pose() + [0.0, 0.0, 0.08]
    feet = [H36M17.index("left_ankle"), H36M17.index("right_ankle")]
    seated[:, :2] += walk[-1, feet, :2].mean(axis=0) - seated[feet, :2].mean(axis=0)
    world = np.concatenate([walk, np.repeat(seated[None], 60, axis=0)])
    motion, keypoints, truth = camera_scene(world)
    with pytest.warns(UserWarning, match="not to stand on the feet in frames 1[23][0-9]-179"):
        animation = retarget_motion(motion, RetargetOptions(height=truth["height"], fov=60.0), keypoints=keypoints)
    positions = animation.world_positions()[125:]
    names = list(animation.skeleton.names)
    trunk = positions[:, names.index("thorax")] - positions[:, names.index("pelvis")]
    assert np.degrees(np.arccos(trunk[:, 2] / np.linalg.norm(trunk, axis=1))).max() < 5.0
