"""Synthetic scenes for the grounding tests: poses in a world with a floor, and what a lifter and a 2D detector
would give of them through a known virtual camera."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation
from synthetic_motion import camera_from_world, reference_skeleton

from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import COCO17, H36M17, MEDIAPIPE33
from videopose.retarget.camera_model import PinholeCamera
from videopose.retarget.grounding import ANKLE_HEIGHT_PER_LEG, stature
from videopose.retarget.solve import solve_pose

ANKLES = [H36M17.index("left_ankle"), H36M17.index("right_ankle")]


def camera_scene(world: np.ndarray, fps: float = 30.0, camera_height: float = 1.3, distance: float = 5.0,
                 lift_scale: float = 0.9, noise_px: float = 0.0, seed: int = 0):
    """World joints (frames, 17, 3; Z up, ankles 8 cm up when flat) -> (Motion3D as a lifter
    would give it: the true pose in the camera frame at ``lift_scale`` and a trajectory whose depth wobbles
    by 8 %; Keypoints2D: COCO17 + MediaPipe heel / foot index, projected; the truth). The keypoints are a
    detector's landmarks, whose ankle sits ``ANKLE_HEIGHT_PER_LEG`` x the leg over the floor (BlazePose's,
    higher than the joint): the floor z = 0 is put that far under the flat-foot ankles."""
    leg = np.linalg.norm(np.diff(world[0, [1, 2, 3]], axis=0), axis=-1).sum()  # right hip -> knee -> ankle
    ankle_level = ANKLE_HEIGHT_PER_LEG * leg
    world = world + [0.0, 0.0, ankle_level - 0.08]
    rotation = camera_from_world(12.0, 4.0, 25.0)  # camera_from_world: p_camera = rotation @ (p - centre)
    centre = world[:, 0].mean(axis=0) - distance * rotation[2]
    centre[2] = camera_height
    camera = PinholeCamera.from_frame(1920, 1080, 60.0)
    rng = np.random.default_rng(seed)
    points = dict(zip(H36M17.names, np.moveaxis(world, 1, 0)))
    points["nose"] = points["neck_nose"]
    for side in ("left", "right"):
        points[f"{side}_heel"] = points[f"{side}_ankle"] + [0, 0.06, -0.07]
        points[f"{side}_foot_index"] = points[f"{side}_ankle"] + [0, -0.14, -0.07]

    def pixels(layout):
        found = np.full((len(world), layout.num_joints, 2), np.nan)
        scores = np.zeros((len(world), layout.num_joints))
        for index, name in enumerate(layout.names):
            if name in points:
                found[:, index] = camera.project((points[name] - centre) @ rotation.T)
                found[:, index] += rng.normal(scale=noise_px, size=(len(world), 2))
                scores[:, index] = 0.95
        return found, scores

    keypoints = Keypoints2D(*pixels(COCO17), "coco17", fps, 1920, 1080, *pixels(MEDIAPIPE33), "mediapipe33")
    joints = (world - centre) @ rotation.T
    wobble = gaussian_filter1d(rng.normal(size=len(world)), 8, mode="nearest")
    wobble = 1 + 0.08 * wobble / wobble.std()
    motion = Motion3D(((joints - joints[:, :1]) * lift_scale).astype(np.float32), fps,
                      trajectory=(joints[:, 0] * 0.8 * wobble[:, None]).astype(np.float32))
    truth = {"up_camera": rotation @ [0.0, 0.0, 1.0], "camera_height": camera_height, "camera": camera,
             "camera_from_world": rotation, "camera_centre": centre,
             "height": stature(solve_pose(world)[0]), "ankle_level": ankle_level}
    return motion, keypoints, truth


def standing_world(frames: int, seed: int = 0) -> np.ndarray:
    """A performer standing still (rest pose, arms swaying a little), ankles 8 cm over the floor."""
    rest = reference_skeleton().rest_positions()
    rest = rest + [0.0, 0.0, 0.08 - rest[ANKLES, 2].min()]
    world = np.repeat(rest[None], frames, axis=0)
    sway = 0.05 * np.sin(np.arange(frames) / 10.0)
    for wrist in (H36M17.index("left_wrist"), H36M17.index("right_wrist")):
        world[:, wrist, 1] += sway
    return world


def seated_pose() -> np.ndarray:
    """(17, 3) world pose, Z up: seated on a chair, thighs level and forward (-Y), shins upright, torso upright."""
    pose = reference_skeleton().rest_positions()
    for side in ("left", "right"):
        hip, knee, ankle = (H36M17.index(f"{side}_{part}") for part in ("hip", "knee", "ankle"))
        thigh, shin = np.linalg.norm(pose[knee] - pose[hip]), np.linalg.norm(pose[ankle] - pose[knee])
        pose[knee] = pose[hip] + [0.0, -thigh, 0.0]
        pose[ankle] = pose[knee] - [0.0, 0.0, shin]
    return pose - [0.0, 0.0, pose[[*ANKLES], 2].mean()]


def room_lines(camera_from_world: np.ndarray, centre: np.ndarray, camera: PinholeCamera, verticals: int = 12,
               floor_lines: int = 8, vertical_span_m: tuple[float, float] = (0.0, 1.2),
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A room's lines seen by a camera (``camera_from_world``: p_camera = R @ (p - centre); world Z up):
    ``verticals`` upright edges from ``vertical_span_m`` over the floor scattered 3-9 m in front of the camera, ``floor_lines`` floor
    edges running away from it along its view (a walkway, floor boards) and as many across it. -> (n, 4)
    pixel segments of those wholly in the picture, (n,) bool which are vertical."""
    rng = np.random.default_rng(seed)
    view = camera_from_world[2].copy()
    view[2] = 0.0
    view /= np.linalg.norm(view)
    side = np.cross(view, [0.0, 0.0, 1.0])
    base = centre * [1.0, 1.0, 0.0]
    ends, vertical = [], []
    for _ in range(verticals):
        foot = base + rng.uniform(3.0, 9.0) * view + rng.uniform(-3.0, 3.0) * side
        ends.append((foot + [0.0, 0.0, vertical_span_m[0]], foot + [0.0, 0.0, vertical_span_m[1]]))
        vertical.append(True)
    for offset in np.linspace(-1.2, 1.2, floor_lines):
        ends.append((base + 2.5 * view + offset * side, base + 9.0 * view + offset * side))
        vertical.append(False)
    for distance in np.linspace(3.0, 8.0, floor_lines):
        ends.append((base + distance * view - 2.0 * side, base + distance * view + 2.0 * side))
        vertical.append(False)
    ends = np.asarray(ends)
    pixels = camera.project((ends - centre) @ camera_from_world.T)
    depth_ok = (((ends - centre) @ camera_from_world.T)[..., 2] > 0.5).all(axis=1)
    inside = depth_ok & ((pixels >= 0) & (pixels < [camera.width, camera.height])).all(axis=(1, 2))
    return pixels[inside].reshape(-1, 4), np.asarray(vertical)[inside]


def box_room_lines(camera_from_world: np.ndarray, centre: np.ndarray, camera: PinholeCamera,
                   room_yaw_degrees: float = 35.0, per_direction: int = 16, noise_px: float = 0.5,
                   seed: int = 0) -> np.ndarray:
    """A room's edges along its three axes (its walls turned ``room_yaw_degrees`` from the camera's view about
    the vertical, so neither horizontal direction is parallel to the picture): ``per_direction`` segments
    of 0.6-1.5 m along each axis, scattered 3-9 m in front of the camera and 0-2.4 m over the floor, seen by
    ``camera`` (p_camera = R @ (p - centre); world Z up) with ``noise_px`` on their ends -> (n, 4) pixel
    segments of those wholly in the picture."""
    rng = np.random.default_rng(seed)
    view = camera_from_world[2].copy()
    view[2] = 0.0
    view /= np.linalg.norm(view)
    side = np.cross(view, [0.0, 0.0, 1.0])
    yaw = np.radians(room_yaw_degrees)
    along = np.cos(yaw) * view + np.sin(yaw) * side
    axes = [along, np.cross([0.0, 0.0, 1.0], along), np.array([0.0, 0.0, 1.0])]
    base = centre * [1.0, 1.0, 0.0]
    ends = []
    for axis in axes:
        for _ in range(per_direction * 3):  # drawn until enough fall wholly in the picture
            start = base + rng.uniform(3.0, 9.0) * view + rng.uniform(-3.0, 3.0) * side + [0, 0, rng.uniform(0.0, 2.4)]
            ends.append((start, start + rng.uniform(0.6, 1.5) * axis))
    ends = np.asarray(ends)
    points = (ends - centre) @ camera_from_world.T
    pixels = camera.project(points) + rng.normal(scale=noise_px, size=points.shape[:-1] + (2,))
    inside = (points[..., 2] > 0.5).all(axis=1) & ((pixels >= 0) & (pixels < [camera.width, camera.height])).all(axis=(1, 2))
    kept = []
    for index in range(3):  # at most per_direction of each axis
        mine = np.flatnonzero(inside[index * per_direction * 3:(index + 1) * per_direction * 3]) + index * per_direction * 3
        kept.extend(mine[:per_direction])
    return pixels[np.sort(kept)].reshape(-1, 4)


def turning_camera(frames: int, pan_degrees: float = 25.0, tilt_degrees: float = 6.0) -> np.ndarray:
    """(frames, 3, 3) R_t taking frame t's camera frame to the first frame's: a pan following a walker."""
    yaw = np.linspace(0.0, pan_degrees, frames)
    pitch = tilt_degrees * np.sin(np.linspace(0.0, np.pi, frames))
    return Rotation.from_euler("yx", np.c_[yaw, -pitch], degrees=True).as_matrix()


def seen_turning(motion: Motion3D, keypoints: Keypoints2D, camera: PinholeCamera,
                  turns: np.ndarray) -> tuple[Motion3D, Keypoints2D]:
    """The same clip filmed by a camera turned by R_t in frame t: each point's pixels through K R_t^T K^-1, the
    lifted camera-frame joints through R_t^T; the keypoints carry the background's homographies K R_t K^-1."""
    intrinsics = camera.intrinsics_matrix()
    inverse = np.linalg.inv(intrinsics)
    to_frame = intrinsics @ np.transpose(turns, (0, 2, 1)) @ inverse

    def carried(points):
        homogeneous = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)
        projected = np.einsum("fij,fkj->fki", to_frame, homogeneous)
        return (projected[..., :2] / projected[..., 2:]).astype(np.float32)

    homographies = intrinsics @ turns @ inverse
    turned_keypoints = Keypoints2D(**{**keypoints.__dict__, "keypoints": carried(keypoints.keypoints),
                                      "source_keypoints": carried(keypoints.source_keypoints),
                                      "extras": {"background_homographies": homographies / homographies[:, 2:, 2:]}})
    inverse_turns = np.transpose(turns, (0, 2, 1))
    turned_motion = Motion3D(np.einsum("fij,fkj->fki", inverse_turns, motion.joints_3d).astype(np.float32), motion.fps,
                             trajectory=np.einsum("fij,fj->fi", inverse_turns, motion.trajectory).astype(np.float32))
    return turned_motion, turned_keypoints
