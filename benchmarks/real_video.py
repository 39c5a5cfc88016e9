"""Real-video benchmark of world-grounded motion (issue 11): monocular ``videopose run`` against 3D
triangulated from four calibrated cameras, plus squats and a performer staying in place.

    python benchmarks/real_video.py [--label before] [--quick] [--out benchmarks/results/real_video.json]
        [--keep-runs DIR] [--videopose-args "--height 1.61 --fov 67"] [--rebuild-reference] [--git-rev HEAD]

The reference (``../shared/videos/pose2sim_single``, 4 synchronised portrait cameras, 60 fps, 100 frames):
BlazePose (``videopose.lifter.detect.detect_video``, all 33 landmarks) on every camera, triangulated per
frame and landmark by a confidence-weighted DLT that drops a view reprojecting more than 25 px off
(``benchmarks/multiview.py``, which also reads the Qualisys calibration), then mapped to the lifter's
H36M17 joints (as ``videopose.lifter.mocap`` defines them on mocap) with the feet kept. It is cached in
``benchmarks/results/real_video_reference.npz`` (rebuilt when the calibration, the videos or the
detector's settings change). Each camera's video then goes through the user's path, ``videopose run
VIDEO -o OUT.npz`` in a subprocess, and the animation, motion and keypoints files it leaves are scored
against the reference; every metric is defined in :data:`DEFINITIONS` (also written to the results).

Results: ``--out`` JSON (default ``benchmarks/results/real_video.json``; several ``--label`` runs side by
side, a re-run replaces its own label only), a markdown section beside it (``.md``) and PNG pictures
(top-down root paths, foot heights with contacts shaded) named after the label. ``--git-rev HEAD`` measures
the code as committed (a ``git archive`` copy on PYTHONPATH, for every import and every ``videopose run``)
while the working tree is being changed; the label records which code was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))  # multiview: a benchmark helper, not in the wheel

from multiview import CalibratedCamera, project, read_qca, triangulate  # noqa: E402
from videopose.core.animation import Animation  # noqa: E402
from videopose.core.errors import VideoposeError  # noqa: E402
from videopose.core.fileio import atomic_output, load_npz, save_npz  # noqa: E402
from videopose.core.formats import Keypoints2D, Motion3D  # noqa: E402
from videopose.core.layouts import H36M17, MEDIAPIPE33  # noqa: E402
from videopose.core.frame_runs import frame_runs  # noqa: E402
from videopose.retarget.grounding import centre_of_mass  # noqa: E402
from videopose.retarget.rig_feet import canonical_foot_offset  # noqa: E402

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", REPO / ".." / "shared")).resolve()
VIDEOS = SHARED / "videos"
POSE2SIM = VIDEOS / "pose2sim_single"
CALIBRATION = POSE2SIM / "Calib.qca.txt"
CAMERAS = ("cam01", "cam02", "cam03", "cam04")
QUICK_CAMERAS = ("cam01", "cam03")
SQUATS = VIDEOS / "tfjs_pose_squats.mp4"
STILL = VIDEOS / "sports2d_demo.mp4"
RESULTS = BENCHMARKS / "results"
REFERENCE_CACHE = RESULTS / "real_video_reference.npz"
REFERENCE_VERSION = 2  # bump when the reference's construction changes

MAX_RESIDUAL_PX = 25.0   # a view reprojecting farther than this from a triangulated landmark is dropped
MIN_SCORE = 0.3          # BlazePose visibility below which a view is not used for a landmark
SMOOTH_SECONDS = 0.03    # Gaussian sigma applied to the reference before speeds, stance and paths
PATH_SMOOTH_SECONDS = 0.1  # Gaussian sigma of root paths before their length is measured
STANCE_RADIUS_M = 0.01   # a reference foot is planted while it stays within this (horizontally) ...
STANCE_HALF_WINDOW_S = 0.05  # ... over +- this window around the frame ...
STANCE_LOW_M = 0.05      # ... and its lowest point is this close to the floor
MOVING_FOOT_SPEED = 0.3  # m/s: a reference foot's centre faster than this is clearly moving (contact_false_moving)
MIN_STANCE_S = 0.1
STILL_IMAGE_SHIFT = 0.10  # "in place" ends when the 2D hip centre moved this x the 2D body height sideways ...
STILL_START_SHIFT = 0.04  # ... at the last frame before that within this of where it started

FEET = ("left", "right")  # the order of Animation.contacts
FOOT_POINTS = ("ankle", "heel", "foot_index")
_MP = {name: index for index, name in enumerate(MEDIAPIPE33.names)}
_H = {name: index for index, name in enumerate(H36M17.names)}

DEFINITIONS = {
    "reprojection_px": "per camera: distance in pixels between BlazePose's landmark and the triangulated "
                       "landmark projected back (distortion included); median and mean over the landmarks that "
                       "camera contributed to; 'bias' is the mean signed (x, y) offset",
    "p_mpjpe_mm": "P-MPJPE: mean joint error in mm of the lifted pose (NAME.motion.npz joints, 17 H36M joints) "
                  "after aligning each frame to the reference by the best similarity transform (Procrustes)",
    "p_mpjpe_average_pose_mm": "baseline: the same for the clip's average lifted pose (mean over frames of the "
                               "pelvis-relative camera-frame joints) used in every frame",
    "animation_p_mpjpe_mm": "the same P-MPJPE for the exported animation's joints (NAME.npz: constant bone lengths, "
                            "the retargeter's leg angles and foot locking); 'legs' over the knees and ankles only",
    "up_tilt_deg": "angle between the animation's world up (+Z, via extra_world_from_camera) and true vertical "
                   "(the calibration's world +Z), both expressed in that camera's frame",
    "stance": "a reference foot is planted in a frame when its centre (mean of ankle, heel, foot index; smoothed, "
              "sigma 0.03 s) stays within 1 cm horizontally over +-0.05 s and its lowest point (heel or foot "
              "index) is within 5 cm of the floor; runs shorter than 0.1 s are dropped",
    "stance_slide_cm": "per reference stance phase, the largest horizontal distance the animation's ankle moves from "
                       "where it was at the phase's first frame; mean over phases and feet (the reference's own "
                       "ankle by the same measure is given as 'reference')",
    "stance_ball_slide_cm": "the same for the ball of the animation's foot (the canonical armature's ankle bone "
                            "tip, 0.35 x the shin in front of the ankle: retarget.rig_feet.canonical_foot_offset), "
                            "which also moves where a planted foot swivels about its ankle; 'reference': the "
                            "reference's foot index landmark by the same measure",
    "stance_rise_cm": "during reference stance, the animation's ankle height over its floor (z) minus the "
                      "reference ankle's height over the true floor, median over frames; positive = floats. "
                      "'own ankle height': the animation's ankle height minus the height the retargeter gives a planted ankle (retarget.root.ankle_height)",
    "contact_recall": "share of reference stance frames (both feet) that the animation marks as contact",
    "contact_precision": "share of the animation's contact frames that are reference stance frames",
    "contact_false_moving": "share of the animation's contact frames where the reference foot is clearly not "
                            "planted: its lowest point (heel or foot index) over 5 cm above the floor, or both "
                            "its heel and its foot index (smoothed as for stance) moving faster than 0.3 m/s "
                            "(the retargeter's own contact exit speed): no part of it stands still on the floor. "
                            "Unlike 1 - contact_precision it does not count the frames the strict 1 cm stance "
                            "leaves out while the foot is down and still within the triangulation's wander, nor "
                            "a foot turning on its ball (the reference's support heel swivels 5.5 cm over cam01 "
                            "frames 12-18 with its foot index within 1 cm)",
    "turning": "--turning: each camera's video resampled as seen by a camera at its centre that turns (pan -4 to +4 "
               "degrees easing in and out, tilt 0 -> 3 -> 0 degrees, focal length x1.25, principal point in the middle), "
               "run as a user's clip (the label's videopose args, no field of view: the one found is reported against "
               "the true one) and scored against its first frame's camera as above; 'hand-held': the first camera's "
               "video seen by a camera jittering 0.6 degrees per axis (a random walk smoothed over 2 frames) instead; "
               "'camera turn error': the largest angle between the found camera_turns and the true ones",
    "contact_recall_heel_or_toe": "the same two with the heel or the toe planted (extra_heel_contacts | "
                                  "extra_toe_contacts of a grounded animation): the reference's stance also holds "
                                  "a push-off on the toes, which the animation's contacts (heel down: what foot "
                                  "locking pins) leave out",
    "stance_repeatability": "the reference triangulated from three of the four cameras (each left out once), its "
                            "stance scored as contact_precision and contact_recall against the four-camera stance",
    "distance_ratio": "horizontal root displacement from first to last frame, animation / reference (pelvis)",
    "path_length_ratio": "length of the horizontal root path (smoothed, sigma 0.1 s), animation / reference",
    "root_height_error_cm": "the root's height over the floor against the reference pelvis's (smoothed) over the clip, "
                            "each less its median: 95th percentile of the absolute difference (a walk read as a "
                            "hop, a body sinking between steps)",
    "direction_error_deg": "angle between the first-to-last root displacements, compared in the camera's frame "
                           "(animation via extra_world_from_camera, reference via the extrinsics) after removing "
                           "their components along true vertical",
    "root_depth_error_pct": "median over frames of (estimated - reference) / reference pelvis depth (camera z), "
                            "%; negative = too close. 'as output': the camera-frame root the run produced "
                            "(extra_root_camera of the animation when present, else the motion's trajectory); "
                            "'true height given': the same scaled by the reference leg length / the leg length of the "
                            "skeleton that depth belongs to (the animation's when it wrote the root, else the lifted "
                            "joints'): a monocular depth scales with the assumed body size",
    "squat_standing": "frames whose mean knee flexion is within the lowest 20 % of the clip (at least 3)",
    "squat_lean_deg": "angle from vertical of the pelvis -> thorax direction, median over standing frames; "
                      "'backward' is its signed component in the body's sagittal plane (+ = leaning back)",
    "squat_knee_flexion_deg": "180 - the hip-knee-ankle angle, mean of both knees, median over standing frames",
    "com_surge_cm": "largest horizontal distance between two frames' centres of mass (unweighted mean of the 17 "
                    "joints) over the clip; 'pelvis' the same for the root. 'preview': the same for the lifted joints in "
                    "the preview's world (retarget.solve.motion_in_world, given the keypoints where it takes them: the "
                    "root path without smoothing or foot locking), which is what the figures of issue 11 match",
    "com_mass_surge_cm": "the same for the whole-body centre of mass of de Leva's (1996) segment masses on the "
                         "17 joints (retarget.grounding.centre_of_mass, which the grounding's balance steps also "
                         "use: not an independent check of them)",
    "squat_foot_slide_cm": "feet stay planted through the squats: each ankle's largest horizontal distance between "
                           "two frames of the clip (mean of both feet; 'preview' as in com_surge_cm), and the mean "
                           "slide per animation contact phase as in stance_slide_cm",
    "still_root_drift_cm": "sports2d: videopose tracks the performer on the roof, who does jumping jacks in place "
                           "before moving off; over the frames until the 2D hip centre starts to move sideways "
                           "(the last frame within 4 % of the 2D body height from its start before it is 10 % "
                           "away), the largest horizontal distance of the root from its first "
                           "position ('preview': the preview's root path, as in com_surge_cm); 'diameter': the "
                           "largest horizontal distance between two frames' roots over the same frames (not tied "
                           "to where the first frame was placed)",
    "still_up_roll_deg": "sports2d: the animation's up axis seen from the camera, its lean across the picture (a "
                         "roll about the line of sight, + = its top to the picture's right); the camera is level "
                         "(the roof's front edge within 1.4 degrees of the image rows, the box's edges upright)"
                         "; 'pitch': its lean along the line of sight (+ = its top away from the camera); the "
                         "camera is level there too (the box's and buildings' upright edges stand parallel in the "
                         "picture, and the roof's top is seen edge-on: the camera is at its height, camera_height_m "
                         "~0)",
    "still_root_across_cm": "sports2d in place: the root's range across the camera's horizontal view (cm); "
                            "'image sway': the 2D hip centre's range across the picture over the same frames, at "
                            "the root's median depth: the performer's own sideways motion, which the root should "
                            "follow; 'along': the root's range along the view (depth, which the picture barely "
                            "shows: the camera at the roof's height sees its footprints' rows edge-on)",
}


# ------------------------------------------------------------------------------------------------ helpers
def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _angle_deg(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Angle between (..., 3) vectors, degrees."""
    return np.degrees(np.arccos(np.clip(np.sum(_unit(first) * _unit(second), axis=-1), -1.0, 1.0)))


def _smooth(values: np.ndarray, fps: float, sigma_seconds: float) -> np.ndarray:
    """(frames, ...) Gaussian-smoothed over time (NaN-free input)."""
    return gaussian_filter1d(values, sigma_seconds * fps, axis=0, mode="nearest")


def _fill_nan(values: np.ndarray) -> np.ndarray:
    """(frames, ...) with NaN -> linearly interpolated over time per channel (ends: nearest)."""
    flat = np.array(values, dtype=np.float64).reshape(len(values), -1)
    time_axis = np.arange(len(flat))
    for channel in np.flatnonzero(~np.isfinite(flat).all(axis=0)):
        known = np.isfinite(flat[:, channel])
        if known.any():
            flat[:, channel] = np.interp(time_axis, time_axis[known], flat[known, channel])
    return flat.reshape(np.shape(values))


def _file_signature(path: Path) -> str:
    """Name, size and content hash (not the modification time: a fresh checkout of ../shared keeps the cache)."""
    from videopose.pipeline import file_signature

    return file_signature(path)


def _round(value, digits: int = 3):
    """Numbers (also inside dicts and lists) rounded for the JSON file; NaN -> None."""
    if isinstance(value, dict):
        return {key: _round(inner, digits) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(inner, digits) for inner in value]
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# ------------------------------------------------------------------------------------------------ reference
def h36m_from_mediapipe(landmarks: np.ndarray) -> np.ndarray:
    """(frames, 33, 3) MediaPipe landmarks, metres -> (frames, 17, 3) H36M17 joints as
    ``videopose.lifter.mocap`` defines them for training: pelvis = hip centre, thorax = shoulder centre,
    spine = half-way between, and from the eye midpoint E with the head's up (mouth -> eyes) and forward
    (ears -> eyes) axes: neck_nose = E - 0.04 up, head = E + 0.10 up - 0.03 forward."""
    point = {name: landmarks[:, index] for name, index in _MP.items()}
    pelvis = (point["left_hip"] + point["right_hip"]) / 2
    thorax = (point["left_shoulder"] + point["right_shoulder"]) / 2
    eyes = (point["left_eye"] + point["right_eye"]) / 2
    ears = (point["left_ear"] + point["right_ear"]) / 2
    mouth = (point["mouth_left"] + point["mouth_right"]) / 2
    left = _unit(point["left_ear"] - point["right_ear"])
    up = eyes - mouth
    up = _unit(up - np.sum(up * left, axis=-1, keepdims=True) * left)
    forward = _unit(np.cross(up, left))
    forward = forward * np.sign(np.sum(forward * (eyes - ears), axis=-1, keepdims=True))
    joints = {
        "pelvis": pelvis, "spine": (pelvis + thorax) / 2, "thorax": thorax,
        "neck_nose": eyes - 0.04 * up, "head": eyes + 0.10 * up - 0.03 * forward,
    }
    for side in FEET:
        for part in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
            joints[f"{side}_{part}"] = point[f"{side}_{part}"]
    return np.stack([joints[name] for name in H36M17.names], axis=1)


def foot_points(landmarks: np.ndarray) -> np.ndarray:
    """(frames, 33, 3) -> (frames, 2 feet [left, right], 3 points [ankle, heel, foot_index], 3)."""
    return np.stack([landmarks[:, [_MP[f"{side}_{part}"] for part in FOOT_POINTS]] for side in FEET], axis=1)


def reference_stance(feet: np.ndarray, floor_z: float, fps: float) -> np.ndarray:
    """(frames, 2, 3, 3) smoothed reference foot points (world, Z up) -> (frames, 2) bool planted
    (see DEFINITIONS["stance"])."""
    centre = feet.mean(axis=2)[..., :2]
    lowest = feet[..., 1:, 2].min(axis=2) - floor_z
    half = max(1, int(round(STANCE_HALF_WINDOW_S * fps)))
    frames = len(feet)
    spread = np.zeros(lowest.shape)
    for shift in range(-half, half + 1):
        other = centre[np.clip(np.arange(frames) + shift, 0, frames - 1)]
        spread = np.maximum(spread, np.linalg.norm(other - centre, axis=-1))
    planted = (spread < STANCE_RADIUS_M) & (lowest < STANCE_LOW_M)
    minimum = max(2, int(round(MIN_STANCE_S * fps)))
    for foot in range(planted.shape[1]):
        for start, stop in frame_runs(planted[:, foot]):
            if stop - start < minimum:
                planted[start:stop, foot] = False
    return planted


def reference_moving(feet: np.ndarray, floor_z: float, fps: float) -> np.ndarray:
    """(frames, 2, 3, 3) smoothed reference foot points (world, Z up) -> (frames, 2) bool: the foot is clearly
    not planted (see DEFINITIONS["contact_false_moving"])."""
    points = feet[:, :, 1:, :2]  # heel, foot index
    speeds = np.linalg.norm(np.gradient(points, axis=0), axis=-1) * fps if len(points) > 1 else np.zeros(points.shape[:3])
    lowest = feet[..., 1:, 2].min(axis=2) - floor_z
    return (lowest > STANCE_LOW_M) | (speeds.min(axis=2) > MOVING_FOOT_SPEED)


def stance_repeatability(three_view: np.ndarray, stance: np.ndarray, fps: float) -> dict:
    """How well the reference's stance repeats itself: (views, frames, 33, 3) landmarks triangulated from three
    of the four cameras (each left out once) -> per left-out camera the contact precision and recall that
    stance scores against the four-camera ``stance`` (frames, 2), by the animation's definitions. A
    monocular run cannot be judged to better than this."""
    result = {}
    for name, landmarks in zip(CAMERAS, three_view):
        feet = foot_points(_smooth(_fill_nan(landmarks), fps, SMOOTH_SECONDS))
        other = reference_stance(feet, find_floor(feet, fps)["level_z_m"], fps)[:len(stance)]
        both = other & stance[:len(other)]
        result[name] = {"contact_precision": float(both.sum() / max(1, other.sum())),
                        "contact_recall": float(both.sum() / max(1, stance[:len(other)].sum()))}
    return result


def find_floor(feet: np.ndarray, fps: float) -> dict:
    """The floor from the lowest foot points. Level: per frame the lowest heel or foot index of either foot,
    kept where it moves under 0.15 m/s; their median height along world +Z. Plane (a check of the
    calibration's vertical): each of the four sole points (heel, foot index of each foot) where it moves
    under 0.15 m/s and lies within 3 cm of its own lowest tenth, centred per point (a heel landmark sits
    higher than a toe landmark), the direction they vary least in. (frames, 2, 3, 3) smoothed world -> dict."""
    soles = feet[:, :, 1:].reshape(len(feet), -1, 3)
    speeds = np.linalg.norm(np.gradient(soles, axis=0), axis=-1) * fps
    lowest_index = np.argmin(soles[..., 2], axis=1)
    every = np.arange(len(soles))
    lowest = soles[every, lowest_index][speeds[every, lowest_index] < 0.15]
    if len(lowest) < 5:
        lowest = soles[every, lowest_index]
    groups = []
    for point in range(soles.shape[1]):
        heights = soles[:, point, 2]
        keep = (speeds[:, point] < 0.15) & (heights < np.percentile(heights, 10) + 0.03)
        if keep.sum() >= 3:
            groups.append(soles[keep, point] - soles[keep, point].mean(axis=0))
    centred = np.concatenate(groups)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    normal = vt[-1] if vt[-1][2] >= 0 else -vt[-1]
    return {"level_z_m": float(np.median(lowest[:, 2])), "plane_normal": normal.tolist(),
            "plane_tilt_from_world_z_deg": float(_angle_deg(normal, np.array([0.0, 0.0, 1.0]))),
            "plane_points": int(len(centred)), "plane_rms_m": float(singular[-1] / np.sqrt(len(centred))),
            "plane_extent_m": (singular[:2] / np.sqrt(len(centred))).tolist()}


def reference_signature() -> str:
    from videopose.lifter import detect

    parts = [_file_signature(CALIBRATION)] + [_file_signature(POSE2SIM / f"{camera}.mp4") for camera in CAMERAS]
    return "|".join(parts + [f"v{REFERENCE_VERSION}", f"residual={MAX_RESIDUAL_PX}", f"score={MIN_SCORE}",
                             f"fill={detect.FILL_GAP_SECONDS}"])


def build_reference() -> dict[str, np.ndarray]:
    """Detect, triangulate and summarise the four pose2sim cameras (the arrays the cache holds)."""
    from videopose.lifter.detect import detect_video

    cameras = read_qca(CALIBRATION)
    by_name = {camera.name: camera for camera in cameras}
    detections = []
    for name in CAMERAS:
        print(f"reference: BlazePose on {name} ...", flush=True)
        detections.append(detect_video(POSE2SIM / f"{name}.mp4"))
    frames = min(keypoints.num_frames for keypoints in detections)
    pixels = np.stack([keypoints.source_keypoints[:frames] for keypoints in detections]).astype(np.float64)
    scores = np.stack([keypoints.source_scores[:frames] for keypoints in detections]).astype(np.float64)
    ordered = tuple(by_name[name] for name in CAMERAS)
    landmarks, used, residuals = triangulate(pixels, scores, ordered, MAX_RESIDUAL_PX, MIN_SCORE)
    # The reference's own repeatability: the same triangulation from three of the four cameras, each left out once.
    three_view = np.stack([triangulate(pixels[others], scores[others], tuple(ordered[v] for v in others),
                                       MAX_RESIDUAL_PX, MIN_SCORE)[0]
                           for others in ([v for v in range(len(CAMERAS)) if v != out] for out in range(len(CAMERAS)))])
    # The calibration's frame: as stored (portrait), or the same keypoints in the frame turned 90 degrees.
    portrait_check = {}
    for turn in ("as stored", "turned 90 cw", "turned 90 ccw"):
        turned = pixels.copy()
        for view, keypoints in enumerate(detections):
            x, y = pixels[view, ..., 0], pixels[view, ..., 1]
            if turn == "turned 90 cw":
                turned[view] = np.stack([keypoints.height - 1 - y, x], axis=-1)
            elif turn == "turned 90 ccw":
                turned[view] = np.stack([y, keypoints.width - 1 - x], axis=-1)
        _, _, plain_residuals = triangulate(turned, scores, ordered, np.inf, MIN_SCORE)
        portrait_check[turn] = [float(np.nanmedian(plain_residuals[view][scores[view] >= MIN_SCORE]))
                                for view in range(len(CAMERAS))]
    stats = {"portrait_check_median_px": portrait_check, "cameras": {}}
    for view, name in enumerate(CAMERAS):
        mask = used[view]
        signed = (project(landmarks, by_name[name]) - pixels[view])[mask]
        stats["cameras"][name] = {
            "video_size": [int(detections[view].width), int(detections[view].height)],
            "calibration_size": [by_name[name].width, by_name[name].height],
            "median_px": float(np.median(residuals[view][mask])), "mean_px": float(np.mean(residuals[view][mask])),
            "bias_px": np.mean(signed, axis=0).tolist(),
            "used_share": float(mask.sum() / max(1, (scores[view] >= MIN_SCORE).sum())),
        }
    return {
        "landmarks": landmarks, "used": used, "residuals": residuals, "scores": scores, "three_view": three_view,
        "fps": np.array(detections[0].fps), "signature": np.array(reference_signature()),
        "stats_json": np.array(json.dumps(stats)),
    }


def load_reference(rebuild: bool) -> dict:
    """The cached reference when it matches the inputs, else built and cached; plus derived quantities."""
    data = None
    if REFERENCE_CACHE.exists() and not rebuild:
        data = load_npz(REFERENCE_CACHE, what="reference cache")
        if str(data.get("signature", "")) != reference_signature():
            print("reference: inputs changed, rebuilding", flush=True)
            data = None
    if data is None:
        data = build_reference()
        RESULTS.mkdir(parents=True, exist_ok=True)
        save_npz(REFERENCE_CACHE, overwrite=True, **data)
    fps = float(data["fps"])
    landmarks = _fill_nan(data["landmarks"])
    smooth_landmarks = _smooth(landmarks, fps, SMOOTH_SECONDS)
    feet = foot_points(smooth_landmarks)
    floor = find_floor(feet, fps)
    h36m = h36m_from_mediapipe(data["landmarks"])  # unsmoothed, NaN kept: scored frames need every joint
    smooth_h36m = h36m_from_mediapipe(smooth_landmarks)
    lengths = np.linalg.norm(h36m[:, 1:] - h36m[:, list(H36M17.parents[1:])], axis=-1)
    leg = float(np.nanmedian(np.mean([lengths[:, _H[f"{side}_knee"] - 1] + lengths[:, _H[f"{side}_ankle"] - 1]
                                      for side in FEET], axis=0)))
    head_height = smooth_h36m[:, _H["head"], 2] - floor["level_z_m"]
    stance = reference_stance(feet, floor["level_z_m"], fps)
    moving = reference_moving(feet, floor["level_z_m"], fps)
    stats = json.loads(str(data["stats_json"]))
    stats["stance_repeatability"] = stance_repeatability(data["three_view"], stance, fps)
    # Sanity of the triangulation: bones of constant length, a body upright at the start.
    start = smooth_h36m[: max(2, int(round(0.2 * fps)))]
    body_axis = start[:, _H["head"]] - start[:, [_H["left_ankle"], _H["right_ankle"]]].mean(axis=1)
    stats["checks"] = {
        "bone_length_std_mm_median": 1000 * float(np.nanmedian(np.nanstd(lengths, axis=0))),
        "bone_length_std_mm_max": 1000 * float(np.nanmax(np.nanstd(lengths, axis=0))),
        "start_body_axis_from_world_z_deg": float(_angle_deg(body_axis.mean(axis=0), np.array([0.0, 0.0, 1.0]))),
        "frames_with_every_joint": int(np.isfinite(h36m).all(axis=(1, 2)).sum()),
        "head_top_over_world_z0_m": float(np.percentile(smooth_h36m[:, _H["head"], 2], 90)),
    }
    return {
        "fps": fps, "h36m": h36m, "smooth_h36m": smooth_h36m, "feet": feet, "floor": floor, "stance": stance,
        "moving": moving,
        "leg_length_m": leg, "height_m": float(np.percentile(head_height, 90)), "stats": stats,
        "cameras": {camera.name: camera for camera in read_qca(CALIBRATION)},
    }


# ------------------------------------------------------------------------------------------------ runs
def calibration_summary(camera: CalibratedCamera) -> dict:
    """Focal length (px) and fields of view (degrees) of a calibrated camera, to try as ``--fov``."""
    focal = float(camera.intrinsics[0, 0])

    def fov(extent: float) -> float:
        return float(np.degrees(2 * np.arctan(extent / 2 / focal)))

    return {"focal_px": focal, "fov_horizontal_deg": fov(camera.width), "fov_vertical_deg": fov(camera.height),
            "fov_diagonal_deg": fov(float(np.hypot(camera.width, camera.height))),
            "height_over_floor_m": float(camera.centre[2])}


def videopose_run(video: Path, folder: Path, extra_args: list[str]) -> tuple[Path, Path, Path]:
    """``videopose run VIDEO -o FOLDER/NAME.npz`` in a subprocess -> (animation, motion, keypoints) paths."""
    output = folder / f"{video.stem}.npz"
    command = [sys.executable, "-m", "videopose", "run", str(video), "-o", str(output), "-q", "--overwrite",
               *extra_args]
    # Run from the output folder: with cwd = the repository, ``-m videopose`` would import the working tree
    # even when PYTHONPATH names another version of the code (--git-rev).
    completed = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if completed.returncode != 0:
        raise VideoposeError(f"videopose run failed on {video.name}: {completed.stderr.strip()[-800:]}")
    return output, folder / f"{video.stem}.motion.npz", folder / f"{video.stem}.keypoints.npz"


def root_in_camera(animation: Animation, motion: Motion3D) -> tuple[np.ndarray | None, str]:
    """(frames, 3) camera-frame root positions the run produced, and where they came from."""
    for key in ("root_camera", "root_in_camera", "camera_root"):
        if key in animation.extras and np.shape(animation.extras[key]) == (animation.num_frames, 3):
            return np.asarray(animation.extras[key], dtype=np.float64), f"animation extra_{key}"
    if motion.trajectory is not None:
        return np.asarray(motion.trajectory, dtype=np.float64), "motion trajectory"
    return None, "none"


def _leg_length(joints: np.ndarray) -> float:
    """Median over frames of thigh + shin, mean of both legs, (frames, 17, 3) H36M17 -> metres."""
    def bone(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(joints[:, _H[a]] - joints[:, _H[b]], axis=-1)

    return float(np.nanmedian(np.mean([bone(f"{s}_hip", f"{s}_knee") + bone(f"{s}_knee", f"{s}_ankle")
                                       for s in FEET], axis=0)))


def phase_slides(ankles_xy: np.ndarray, contacts: np.ndarray) -> list[float]:
    """(frames, 2, 2) horizontal ankle positions and (frames, 2) bool phases -> per phase, the largest
    distance (m) from the phase's first-frame position."""
    slides = []
    for foot in range(contacts.shape[1]):
        for start, stop in frame_runs(contacts[:, foot]):
            path = ankles_xy[start:stop, foot]
            slides.append(float(np.linalg.norm(path - path[0], axis=-1).max()))
    return slides


def _h36m_positions(animation: Animation) -> np.ndarray:
    """(frames, 17, 3) the animation's world joint positions in H36M17 order."""
    names = animation.skeleton.names
    return animation.world_positions()[:, [names.index(name) for name in H36M17.names]]


def _horizontal_diameter(points_xy: np.ndarray) -> float:
    """(frames, 2) -> largest distance between two frames (m)."""
    return float(np.linalg.norm(points_xy[:, None] - points_xy[None], axis=-1).max()) if len(points_xy) else 0.0


def _path_length(points_xy: np.ndarray, fps: float) -> float:
    smooth = _smooth(points_xy, fps, PATH_SMOOTH_SECONDS)
    return float(np.linalg.norm(np.diff(smooth, axis=0), axis=-1).sum())


def score_camera(reference: dict, camera: CalibratedCamera, animation: Animation, motion: Motion3D) -> dict:
    """Every metric of DEFINITIONS for one camera's run, plus the curves the pictures need (key "_curves")."""
    from videopose.lifter.metrics import procrustes_align

    fps = reference["fps"]
    frames = min(animation.num_frames, len(reference["h36m"]))
    up_world = np.array([0.0, 0.0, 1.0])
    camera_up = camera.camera_from_world @ up_world
    world_from_camera = np.asarray(animation.extras["world_from_camera"], dtype=np.float64)
    result: dict = {"frames": frames, "up_source": str(animation.extras.get("up_source", "?"))}

    # Pose.
    lifted = np.asarray(motion.joints_3d[:frames], dtype=np.float64)
    truth = reference["h36m"][:frames] @ camera.camera_from_world.T
    valid = np.isfinite(truth).all(axis=(1, 2)) & np.isfinite(lifted).all(axis=(1, 2))
    errors = np.linalg.norm(procrustes_align(lifted[valid], truth[valid]) - truth[valid], axis=-1)
    average = np.broadcast_to((lifted - lifted[:, :1]).mean(axis=0), lifted[valid].shape)
    baseline = np.linalg.norm(procrustes_align(average, truth[valid]) - truth[valid], axis=-1)
    result["p_mpjpe_mm"] = 1000 * float(errors.mean())
    result["p_mpjpe_average_pose_mm"] = 1000 * float(baseline.mean())
    result["p_mpjpe_per_joint_mm"] = {name: 1000 * float(value) for name, value in zip(H36M17.names, errors.mean(axis=0))}
    result["scored_frames"] = int(valid.sum())
    animated = _h36m_positions(animation)[:frames]
    animated_errors = np.linalg.norm(procrustes_align(animated[valid], truth[valid]) - truth[valid], axis=-1)
    legs = [H36M17.index(f"{side}_{joint}") for side in FEET for joint in ("knee", "ankle")]
    result["animation_p_mpjpe_mm"] = 1000 * float(animated_errors.mean())
    result["animation_p_mpjpe_legs_mm"] = 1000 * float(animated_errors[:, legs].mean())

    # Up axis.
    result["up_tilt_deg"] = float(_angle_deg(world_from_camera[2], camera_up))

    # Feet against the reference.
    positions = animation.world_positions()[:frames]
    names = animation.skeleton.names
    ankles = positions[:, [names.index(f"{side}_ankle") for side in FEET]]
    stance = reference["stance"][:frames]
    floor_z = reference["floor"]["level_z_m"]
    reference_ankles = reference["feet"][:frames, :, 0]
    slides = phase_slides(ankles[..., :2], stance)
    reference_slides = phase_slides(reference_ankles[..., :2], stance)
    transforms = animation.world_transforms()[1][:frames]
    balls = np.stack([positions[:, names.index(f"{side}_ankle")]
                      + transforms[:, names.index(f"{side}_ankle")] @ canonical_foot_offset(animation.skeleton, side)
                      for side in FEET], axis=1)
    ball_slides = phase_slides(balls[..., :2], stance)
    reference_ball_slides = phase_slides(reference["feet"][:frames, :, 2, :2], stance)
    rise = ankles[..., 2] - (reference_ankles[..., 2] - floor_z)
    from videopose.retarget.root import ankle_height

    own_rise = ankles[..., 2] - ankle_height(animation.skeleton) if set(H36M17.names) <= set(names) else None
    contacts = np.zeros((frames, 2), bool) if animation.contacts is None else np.asarray(animation.contacts[:frames], bool)
    both = contacts & stance
    moving = reference["moving"][:frames]
    result.update({
        "stance_phases": len(slides), "stance_frames": int(stance.sum()),
        "stance_slide_cm": 100 * float(np.mean(slides)) if slides else float("nan"),
        "stance_slide_max_cm": 100 * float(np.max(slides)) if slides else float("nan"),
        "stance_slide_reference_cm": 100 * float(np.mean(reference_slides)) if reference_slides else float("nan"),
        "stance_ball_slide_cm": 100 * float(np.mean(ball_slides)) if ball_slides else float("nan"),
        "stance_ball_slide_reference_cm": 100 * float(np.mean(reference_ball_slides)) if reference_ball_slides
        else float("nan"),
        "stance_rise_cm": 100 * float(np.median(rise[stance])) if stance.any() else float("nan"),
        "stance_rise_own_ankle_height_cm": 100 * float(np.median(own_rise[stance]))
        if own_rise is not None and stance.any() else float("nan"),
        "stance_rise_per_foot_cm": [100 * float(np.median(rise[stance[:, f], f])) if stance[:, f].any() else None
                                    for f in range(2)],
        "contact_recall": float(both.sum() / max(1, stance.sum())),
        "contact_precision": float(both.sum() / contacts.sum()) if contacts.any() else float("nan"),
        "contact_recall_per_foot": [float(both[:, f].sum() / max(1, stance[:, f].sum())) for f in range(2)],
        "contact_frames": int(contacts.sum()),
        "contact_false_moving": float((contacts & moving).sum() / contacts.sum()) if contacts.any() else float("nan"),
    })
    if "heel_contacts" in animation.extras and "toe_contacts" in animation.extras:
        either = (np.asarray(animation.extras["heel_contacts"], bool) | np.asarray(animation.extras["toe_contacts"], bool))[:frames]
        result["contact_recall_heel_or_toe"] = float((either & stance).sum() / max(1, stance.sum()))
        result["contact_precision_heel_or_toe"] = float((either & stance).sum() / either.sum()) if either.any() else float("nan")
        result["contact_false_moving_heel_or_toe"] = float((either & moving).sum() / either.sum()) if either.any() else float("nan")

    # Root path.
    reference_root = reference["smooth_h36m"][:frames, _H["pelvis"]]
    root = animation.root_positions[:frames]
    true_displacement = reference_root[-1] - reference_root[0]
    displacement = root[-1] - root[0]
    result["distance_reference_m"] = float(np.linalg.norm(true_displacement[:2]))
    result["distance_m"] = float(np.linalg.norm(displacement[:2]))
    result["distance_ratio"] = result["distance_m"] / max(result["distance_reference_m"], 1e-9)
    result["path_length_reference_m"] = _path_length(reference_root[:, :2], fps)
    result["path_length_m"] = _path_length(root[:, :2], fps)
    result["path_length_ratio"] = result["path_length_m"] / max(result["path_length_reference_m"], 1e-9)
    true_in_camera = camera.camera_from_world @ true_displacement
    estimated_in_camera = world_from_camera.T @ displacement
    flatten = np.eye(3) - np.outer(camera_up, camera_up)
    result["direction_error_deg"] = float(_angle_deg(flatten @ estimated_in_camera, flatten @ true_in_camera))
    height_error = (root[:, 2] - np.median(root[:, 2])) - (reference_root[:, 2] - np.median(reference_root[:, 2]))
    result["root_height_error_cm"] = 100 * float(np.percentile(np.abs(height_error), 95))

    # Root depth.
    true_depth = (reference_root @ camera.camera_from_world.T + camera.translation)[:, 2]
    estimated, source = root_in_camera(animation, motion)
    result["root_depth_source"] = source
    if estimated is not None:
        # The size the depth was computed for: the animation's skeleton for its own camera-frame root, else
        # the lifted joints (the trajectory model's scale).
        if source.startswith("animation"):
            bones = animation.skeleton.bone_lengths()
            size = float(np.mean([bones[names.index(f"{side}_knee")] + bones[names.index(f"{side}_ankle")]
                                  for side in FEET]))
        else:
            size = _leg_length(lifted)
        scale = reference["leg_length_m"] / size
        depth = estimated[:frames, 2]
        result["root_depth_reference_m"] = float(np.median(true_depth))
        result["root_depth_m"] = float(np.median(depth))
        result["root_depth_error_pct"] = 100 * float(np.median((depth - true_depth) / true_depth))
        result["root_depth_error_true_height_pct"] = 100 * float(np.median((scale * depth - true_depth) / true_depth))
        result["depth_leg_length_m"] = size

    # Curves for the pictures: the animation's root path in the true world (start on the reference's start).
    true_world_from_world = camera.camera_from_world.T @ world_from_camera.T
    path = (root - root[0]) @ true_world_from_world.T + reference_root[0]
    result["_curves"] = {"path": path, "ankle_height": ankles[..., 2], "contacts": contacts}
    return result


# ------------------------------------------------------------------------------------------------ no reference
def preview_world(motion: Motion3D, keypoints: Keypoints2D | None) -> np.ndarray:
    """(frames, 17, 3) lifted joints in the preview's world (``videopose.retarget.solve.motion_in_world``,
    given the keypoints where that version of the code takes them, as the preview does)."""
    import inspect

    from videopose.retarget.solve import motion_in_world

    if keypoints is not None and "keypoints" in inspect.signature(motion_in_world).parameters:
        return motion_in_world(motion, keypoints=keypoints)[0]
    return motion_in_world(motion)[0]


def knee_flexion_deg(positions: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(frames, joints, 3) -> (frames, 2) left/right knee flexion (0 = straight), degrees."""
    flexion = []
    for side in FEET:
        hip, knee, ankle = (positions[:, names.index(f"{side}_{part}")] for part in ("hip", "knee", "ankle"))
        flexion.append(_angle_deg(knee - hip, ankle - knee))
    return np.stack(flexion, axis=1)


def score_squats(animation: Animation, motion: Motion3D | None = None, keypoints: Keypoints2D | None = None) -> dict:
    """Standing lean and knee flexion, centre-of-mass surge and foot slide (see DEFINITIONS) of the
    exported animation; with ``motion``, the surge and foot range also in the preview's world
    (``videopose.retarget.solve.motion_in_world``: the lifted joints on the root path, no smoothing or
    foot locking)."""
    positions = animation.world_positions()
    names = animation.skeleton.names
    preview = {}
    if motion is not None:
        world = preview_world(motion, keypoints)
        preview = {"preview_com_surge_cm": 100 * _horizontal_diameter(world.mean(axis=1)[:, :2]),
                   "preview_foot_range_cm": 100 * float(np.mean([_horizontal_diameter(world[:, _H[f"{side}_ankle"], :2])
                                                                 for side in FEET]))}
    flexion = knee_flexion_deg(positions, names)
    mean_flexion = flexion.mean(axis=1)
    count = max(3, int(round(0.2 * len(mean_flexion))))
    standing = np.argsort(mean_flexion)[:count]
    pelvis, thorax = positions[:, names.index("pelvis")], positions[:, names.index("thorax")]
    trunk = thorax - pelvis
    left = positions[:, names.index("left_hip")] - positions[:, names.index("right_hip")]
    backward = _unit(np.cross(np.array([0.0, 0.0, 1.0]), left))  # facing -Y with left +X: up x left = back
    lean = _angle_deg(trunk, np.array([0.0, 0.0, 1.0]))
    lean_back = np.degrees(np.arctan2(np.sum(trunk * backward, axis=-1), trunk[:, 2]))
    centre = positions.mean(axis=1)
    mass_centre = centre_of_mass(_h36m_positions(animation))
    ankles = positions[:, [names.index(f"{side}_ankle") for side in FEET]]
    contacts = np.zeros((len(positions), 2), bool) if animation.contacts is None else np.asarray(animation.contacts, bool)
    slides = phase_slides(ankles[..., :2], contacts)
    return {
        "frames": animation.num_frames, "standing_frames": sorted(int(f) for f in standing),
        "squat_lean_deg": float(np.median(lean[standing])),
        "squat_lean_backward_deg": float(np.median(lean_back[standing])),
        "squat_knee_flexion_deg": float(np.median(mean_flexion[standing])),
        "deepest_knee_flexion_deg": float(mean_flexion.max()),
        "com_surge_cm": 100 * _horizontal_diameter(centre[:, :2]),
        "com_mass_surge_cm": 100 * _horizontal_diameter(mass_centre[:, :2]),
        "pelvis_surge_cm": 100 * _horizontal_diameter(pelvis[:, :2]),
        "foot_range_cm": 100 * float(np.mean([_horizontal_diameter(ankles[:, f, :2]) for f in range(2)])),
        "foot_slide_per_contact_cm": 100 * float(np.mean(slides)) if slides else float("nan"),
        "contact_share": float(contacts.mean()),
        "up_source": str(animation.extras.get("up_source", "?")),
        **preview,
    }


def _hip_points(keypoints: Keypoints2D) -> tuple[np.ndarray, list[int]]:
    """The keypoints' (frames, joints, 2) pixels of its richest layout and the indices of its two hips."""
    if keypoints.source_keypoints is not None and keypoints.source_layout == MEDIAPIPE33.name:
        return keypoints.source_keypoints, [_MP["left_hip"], _MP["right_hip"]]
    from videopose.core.layouts import get_layout

    layout = get_layout(keypoints.layout)
    return keypoints.keypoints, [layout.index("left_hip"), layout.index("right_hip")]


def still_segment(keypoints: Keypoints2D) -> tuple[int, int]:
    """[first, stop) frames from the first detection until the 2D hip centre starts the move that takes it
    STILL_IMAGE_SHIFT x the 2D body height (median over the first half second) sideways: the last frame before
    it within STILL_START_SHIFT x that height of its start."""
    points, hips = _hip_points(keypoints)
    hip_x = points[:, hips, 0].mean(axis=1)
    height = np.nanmax(points[..., 1], axis=1) - np.nanmin(points[..., 1], axis=1)
    detected = np.flatnonzero(np.isfinite(hip_x))
    if not len(detected):
        return 0, 0
    first = int(detected[0])
    settle = slice(first, first + max(2, int(round(0.5 * keypoints.fps))))
    start_x, size = np.nanmedian(hip_x[settle]), np.nanmedian(height[settle])
    shift = np.abs(hip_x[first:] - start_x)
    moved = np.flatnonzero(shift > STILL_IMAGE_SHIFT * size)
    if not len(moved):
        return first, len(hip_x)
    # Back to where that move began: the last frame before it within STILL_START_SHIFT (the walk's first steps
    # are real motion, not drift: up to 16 cm on sports2d between the two thresholds).
    within = np.flatnonzero(shift[:moved[0]] <= STILL_START_SHIFT * size)
    return first, first + (int(within[-1]) + 1 if len(within) else int(moved[0]))


def score_still(animation: Animation, keypoints: Keypoints2D, motion: Motion3D | None = None) -> dict:
    """Root drift of the exported animation while the performer stays in place (and, with ``motion``, of
    the preview's root path, as in :func:`score_squats`)."""
    first, stop = still_segment(keypoints)

    def drift_of(root: np.ndarray) -> np.ndarray:
        return np.linalg.norm(root[first:stop, :2] - root[first, :2], axis=-1)

    drift = drift_of(animation.root_positions)
    result = {"frames": [first, stop], "seconds": (stop - first) / animation.fps,
              "still_root_drift_cm": 100 * float(drift.max()) if len(drift) else float("nan"),
              "still_root_end_drift_cm": 100 * float(drift[-1]) if len(drift) else float("nan"),
              "still_root_diameter_cm": 100 * _horizontal_diameter(animation.root_positions[first:stop, :2])
              if stop > first else float("nan"),
              "up_source": str(animation.extras.get("up_source", "?"))}
    if "world_from_camera" in animation.extras:  # world up seen in the camera: its lean across the picture
        world_from_camera = np.asarray(animation.extras["world_from_camera"])
        up = world_from_camera[2]
        result["up_roll_deg"] = float(np.degrees(np.arctan2(up[0], -up[1])))
        result["up_pitch_deg"] = float(np.degrees(np.arctan2(-up[2], -up[1])))
        result["camera_height_m"] = float(np.asarray(animation.extras["camera_position"])[2])
        # The root's range across and along the camera's horizontal view, and the sway across the picture
        # that the 2D hips show at the root's depth (the performer's own: not drift).
        view = world_from_camera[:, 2].copy()
        view[2] = 0.0
        view /= np.linalg.norm(view)
        across = np.cross([0.0, 0.0, 1.0], view)
        root = animation.root_positions[first:stop, :2]
        result["still_root_across_cm"] = 100 * float(np.ptp(root @ across[:2])) if stop > first else float("nan")
        result["still_root_along_cm"] = 100 * float(np.ptp(root @ view[:2])) if stop > first else float("nan")
        if "root_camera" in animation.extras and "camera_focal_px" in animation.extras:
            points, hips = _hip_points(keypoints)
            hip_x = points[first:stop, hips, 0].mean(axis=1)
            depth = float(np.nanmedian(np.asarray(animation.extras["root_camera"])[first:stop, 2]))
            result["still_image_sway_cm"] = 100 * float(np.nanmax(hip_x) - np.nanmin(hip_x)) * depth / float(
                animation.extras["camera_focal_px"])
    if motion is not None and len(drift):
        result["preview_root_drift_cm"] = 100 * float(drift_of(preview_world(motion, keypoints)[:, _H["pelvis"]]).max())
    return result


# ------------------------------------------------------------------------------------------------ pictures
def plot_paths(reference: dict, curves: dict[str, dict], path: Path, label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 6))
    truth = reference["smooth_h36m"][:, _H["pelvis"]]
    axes.plot(truth[:, 0], truth[:, 1], "k-", lw=3, label="reference (triangulated)")
    axes.plot(truth[0, 0], truth[0, 1], "ko")
    for (name, curve), colour in zip(curves.items(), ("tab:blue", "tab:orange", "tab:green", "tab:red")):
        axes.plot(curve["path"][:, 0], curve["path"][:, 1], "-", color=colour, lw=1.5, label=name)
        axes.plot(curve["path"][-1, 0], curve["path"][-1, 1], "o", color=colour, ms=4)
        # A short dashed ray from the start towards the camera that filmed this run.
        ray = truth[0, :2] + np.outer([0.0, 0.25], _unit(reference["cameras"][name].centre[:2] - truth[0, :2]))
        axes.plot(ray[:, 0], ray[:, 1], "--", color=colour, lw=1)
        axes.annotate(f"to {name}", xy=tuple(ray[1]), color=colour, fontsize=7)
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_xlabel("world x (m)")
    axes.set_ylabel("world y (m)")
    axes.set_title(f"root paths from above, starts aligned, dots at the end ({label})", fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    with atomic_output(path) as temporary:
        figure.savefig(temporary, dpi=110, format="png")
    plt.close(figure)


def plot_feet(reference: dict, curves: dict[str, dict], path: Path, label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fps = reference["fps"]
    figure, axes = plt.subplots(len(curves), 2, figsize=(11, 2.2 * len(curves) + 0.6), sharex=True, squeeze=False)
    floor_z = reference["floor"]["level_z_m"]
    for row, (name, curve) in enumerate(curves.items()):
        for foot, side in enumerate(FEET):
            axis = axes[row, foot]
            frames = len(curve["ankle_height"])
            time_axis = np.arange(frames) / fps
            truth = reference["feet"][:frames, foot, 0, 2] - floor_z
            for start, stop in frame_runs(reference["stance"][:frames, foot]):
                axis.axvspan(start / fps, (stop - 0.001) / fps, color="0.85", lw=0)
            axis.plot(time_axis, 100 * truth, "k-", lw=2, label="reference ankle (stance grey)")
            axis.plot(time_axis, 100 * curve["ankle_height"][:, foot], "-", color="tab:blue", label="animation ankle")
            low = min(-5.0, 100 * float(np.min(curve["ankle_height"][:, foot])) - 2)
            axis.fill_between(time_axis, low, low + 3, where=curve["contacts"][:, foot], color="tab:orange", step="mid",
                              label="animation contact")
            axis.axhline(0, color="0.5", lw=0.8)
            axis.set_ylabel("height (cm)")
            axis.set_title(f"{name}, {side} foot", fontsize=9)
            if row == 0:
                axis.legend(fontsize=7, loc="upper left")
    for axis in axes[-1]:
        axis.set_xlabel("seconds")
    figure.suptitle(f"ankle height over the floor, reference vs each camera ({label})", fontsize=10)
    figure.tight_layout()
    with atomic_output(path) as temporary:
        figure.savefig(temporary, dpi=100, format="png")
    plt.close(figure)


# ------------------------------------------------------------------------------------------------ turning camera
TURN_FOCAL_FACTOR = 1.25  # the turned view's focal length x the calibrated one (narrower: room for the turn)
TURN_PAN_DEGREES = 8.0  # its pan over the clip (-4 to +4), following the walk ...
TURN_TILT_DEGREES = 3.0  # ... and a tilt up and back


def _turned_camera(camera: CalibratedCamera, turns: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, CalibratedCamera]:
    """A camera at ``camera``'s centre turned by ``turns`` (frames, 3, 3) Q_t (its frame t's camera frame -> the
    calibrated camera's), with TURN_FOCAL_FACTOR x the focal length and the principal point in the middle ->
    ((frames, 3, 3) the pixel maps from each turned frame into the calibrated one, Q_t, the
    :class:`CalibratedCamera` of the turned view's first frame)."""
    focal = TURN_FOCAL_FACTOR * float(camera.intrinsics[0, 0])
    turned = np.array([[focal, 0.0, camera.width / 2], [0.0, focal, camera.height / 2], [0.0, 0.0, 1.0]])
    first = CalibratedCamera(f"{camera.name}-{kind}", camera.width, camera.height, turned, np.zeros(5),
                             turns[0].T @ camera.camera_from_world, turns[0].T @ camera.translation)
    return camera.intrinsics @ turns @ np.linalg.inv(turned), turns, first


def turning_view(camera: CalibratedCamera, frames: int) -> tuple[np.ndarray, np.ndarray, CalibratedCamera]:
    """:func:`_turned_camera` panning TURN_PAN_DEGREES (easing in and out) and tilting TURN_TILT_DEGREES and back
    over the clip."""
    phase = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, frames))  # 0 -> 1, easing in and out
    yaw = TURN_PAN_DEGREES * (phase - 0.5)
    pitch = TURN_TILT_DEGREES * np.sin(np.linspace(0.0, np.pi, frames))
    return _turned_camera(camera, Rotation.from_euler("yx", np.c_[yaw, -pitch], degrees=True).as_matrix(), "turning")


SHAKE_DEGREES = 0.6  # the hand-held view's jitter: per axis, smoothed over 2 frames


def shaken_view(camera: CalibratedCamera, frames: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, CalibratedCamera]:
    """:func:`_turned_camera` held in the hand: jittering SHAKE_DEGREES (per axis, a random walk smoothed over
    2 frames) about its centre."""
    noise = gaussian_filter1d(np.random.default_rng(seed).normal(size=(frames, 3)), 2, axis=0)
    return _turned_camera(camera, Rotation.from_rotvec(noise / noise.std(axis=0) * np.radians(SHAKE_DEGREES)).as_matrix(),
                          "shaken")


def turned_video(source: Path, target: Path, maps: np.ndarray) -> Path:
    """``source`` seen by the turned view: each frame resampled through its map (the calibrated lens's small
    distortion left as it is)."""
    import cv2

    from videopose.lifter.video import iter_frames_with_times

    writer = None
    try:
        for index, (frame, _) in enumerate(iter_frames_with_times(source, rgb=False, max_frames=len(maps))):
            if writer is None:
                writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), 60.0, (frame.shape[1], frame.shape[0]))
            writer.write(cv2.warpPerspective(frame, maps[index], (frame.shape[1], frame.shape[0]),
                                             flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR))
    finally:
        if writer is not None:
            writer.release()
    return target


def overlay_picture(video: Path, animation: Animation, path: Path, frames=(0, 50, 99), scale: float = 0.3) -> bool:
    """The animation drawn over its video through its own camera (``VideoCamera``, turning where it turned):
    the skeleton in red, its feet (ankle -> ball) in green and the floor around its start as yellow dots, at
    ``frames``, side by side. False
    (nothing written) where the animation was not grounded in a camera."""
    import cv2

    from videopose.lifter.video import iter_frames_at

    try:
        from videopose.retarget.camera_model import VideoCamera
    except ImportError:  # code measured with --git-rev from before it
        return False
    camera = VideoCamera.of(animation)
    if camera is None:
        return False
    positions, transforms = animation.world_transforms()
    pixels = camera.project(positions)
    names = animation.skeleton.names
    feet = [(names.index(f"{side}_ankle"), canonical_foot_offset(animation.skeleton, side)) for side in FEET
            if f"{side}_ankle" in names]  # the canonical armature's feet: ankle -> ball of the foot
    balls = [camera.project(positions[:, ankle] + transforms[:, ankle] @ offset) for ankle, offset in feet]
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9)), axis=-1).reshape(-1, 2)
    floor = np.c_[grid, np.zeros(len(grid))] + animation.root_positions[0] * [1.0, 1.0, 0.0]
    floor_pixels = camera.project(np.broadcast_to(floor, (animation.num_frames,) + floor.shape))
    pictures = []
    for index, frame in iter_frames_at(video, [f for f in frames if f < animation.num_frames]):
        for point in floor_pixels[index]:
            if np.isfinite(point).all():
                cv2.circle(frame, tuple(int(v) for v in point), 6, (0, 255, 255), -1)
        for joint, parent in enumerate(animation.skeleton.parents):
            if parent >= 0 and np.isfinite(pixels[index, [joint, parent]]).all():
                cv2.line(frame, tuple(int(v) for v in pixels[index, joint]), tuple(int(v) for v in pixels[index, parent]),
                         (0, 0, 255), 6)
        for (ankle, _), ball in zip(feet, balls):
            if np.isfinite(pixels[index, ankle]).all() and np.isfinite(ball[index]).all():
                cv2.line(frame, tuple(int(v) for v in pixels[index, ankle]), tuple(int(v) for v in ball[index]),
                         (0, 200, 0), 6)
        pictures.append(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    if pictures:
        with atomic_output(path) as temporary:  # (the temporary name ends in .png too)
            if not cv2.imwrite(str(temporary), np.hstack(pictures)):
                raise VideoposeError(f"could not write {path}")
    return bool(pictures)


# ------------------------------------------------------------------------------------------------ report
_TABLE = (
    ("P-MPJPE (mm)", "p_mpjpe_mm", "{:.0f}"),
    ("average pose (mm)", "p_mpjpe_average_pose_mm", "{:.0f}"),
    ("animation P-MPJPE (mm)", "animation_p_mpjpe_mm", "{:.0f}"),
    ("animation knees, ankles (mm)", "animation_p_mpjpe_legs_mm", "{:.0f}"),
    ("up tilt (deg)", "up_tilt_deg", "{:.1f}"),
    ("stance slide (cm)", "stance_slide_cm", "{:.1f}"),
    ("stance slide, ball of the foot (cm)", "stance_ball_slide_cm", "{:.1f}"),
    ("stance rise (cm)", "stance_rise_cm", "{:+.1f}"),
    ("contact recall", "contact_recall", "{:.0%}"),
    ("contact precision", "contact_precision", "{:.0%}"),
    ("contacts on a moving foot", "contact_false_moving", "{:.0%}"),
    ("contact recall, heel or toe", "contact_recall_heel_or_toe", "{:.0%}"),
    ("contact precision, heel or toe", "contact_precision_heel_or_toe", "{:.0%}"),
    ("contacts on a moving foot, heel or toe", "contact_false_moving_heel_or_toe", "{:.0%}"),
    ("distance (m)", "distance_m", "{:.2f}"),
    ("distance ratio", "distance_ratio", "x{:.2f}"),
    ("path ratio", "path_length_ratio", "x{:.2f}"),
    ("direction (deg)", "direction_error_deg", "{:.0f}"),
    ("root height error (cm)", "root_height_error_cm", "{:.1f}"),
    ("depth (%)", "root_depth_error_pct", "{:+.0f}"),
    ("depth, true height (%)", "root_depth_error_true_height_pct", "{:+.0f}"),
)


def _format(template: str, value) -> str:
    return "n/a" if value is None else template.format(value)


def render_markdown(results: dict, json_name: str) -> str:
    reference = results["reference"]
    lines = ["## Real video: world-grounded motion (issue 11)", "",
             f"`python benchmarks/real_video.py --label LABEL` (all numbers: `{json_name}`). Reference: BlazePose "
             "on the four calibrated pose2sim cameras, triangulated (robust weighted DLT); performer height "
             f"{reference['height_m']:.2f} m (head top over the lowest planted foot landmarks; "
             f"{reference['reprojection']['checks']['head_top_over_world_z0_m']:.2f} m over the calibration's z = 0), "
             f"leg {reference['leg_length_m']:.2f} m, "
             f"true distance travelled {reference['distance_m']:.2f} m.", "",
             "| camera | reprojection median / mean (px) | bias x, y (px) | views used |", "| --- | ---: | ---: | ---: |"]
    for name, camera in reference["reprojection"]["cameras"].items():
        lines.append(f"| {name} | {camera['median_px']:.1f} / {camera['mean_px']:.1f} | "
                     f"{camera['bias_px'][0]:+.0f}, {camera['bias_px'][1]:+.0f} | {camera['used_share']:.0%} |")
    check = reference["reprojection"]["portrait_check_median_px"]
    lines += ["", "Calibration frame check (median px per camera, no view dropped): " + "; ".join(
        f"{turn}: {', '.join(f'{v:.0f}' for v in values)}" for turn, values in check.items()) + ". "
        f"Floor: lowest planted foot points at z = {reference['floor']['level_z_m'] * 100:.1f} cm, their plane "
        f"{reference['floor']['plane_tilt_from_world_z_deg']:.1f} deg from world +Z (the points lie along a "
        f"{reference['floor']['plane_extent_m'][0] * 100:.0f} x {reference['floor']['plane_extent_m'][1] * 100:.0f} cm "
        "strip (rms extents), too narrow to fix a plane: true vertical is the calibration's +Z). Bone lengths vary "
        f"by {reference['reprojection']['checks']['bone_length_std_mm_median']:.0f} mm (median std over time). "
        "True cameras: " + "; ".join(f"{name} {c['focal_px']:.0f} px, field of view {c['fov_horizontal_deg']:.0f} x "
                                     f"{c['fov_vertical_deg']:.0f} deg ({c['fov_diagonal_deg']:.0f} diagonal)"
                                     for name, c in reference["calibration"].items()) + "."]
    repeat = reference.get("stance_repeatability")
    if repeat:
        precision = [value["contact_precision"] for value in repeat.values()]
        recall = [value["contact_recall"] for value in repeat.values()]
        lines[-1] += (" Stance repeatability (the reference triangulated from three cameras, each left out once, "
                      f"scored as an animation against the four-camera stance): contact precision {min(precision):.0%} "
                      f"to {max(precision):.0%}, recall {min(recall):.0%} to {max(recall):.0%}; the 1 cm stance is "
                      "at the reference's own noise, and no camera's contacts can be judged more finely than that.")
    lines.append("")
    if len(results["runs"]) > 1:
        labels = list(results["runs"])
        lines += ["### Side by side (range over the cameras)", "", "| metric | " + " | ".join(labels) + " |",
                  "| --- |" + " ---: |" * len(labels)]
        for title, key, template in _TABLE:
            cells = []
            for label in labels:
                values = [c.get(key) for c in results["runs"][label]["cameras"].values() if c.get(key) is not None]
                cells.append("n/a" if not values else _format(template, min(values)) if len(values) == 1 else
                             f"{_format(template, min(values))} to {_format(template, max(values))}")
            lines.append(f"| {title} | " + " | ".join(cells) + " |")
        for title, part, key in (("squats: standing lean (deg)", "squats", "squat_lean_deg"),
                                 ("squats: standing knees (deg)", "squats", "squat_knee_flexion_deg"),
                                 ("squats: COM surge (cm)", "squats", "com_surge_cm"),
                                 ("squats: COM surge, segment masses (cm)", "squats", "com_mass_surge_cm"),
                                 ("squats: foot range (cm)", "squats", "foot_range_cm"),
                                 ("in place: root drift (cm)", "still", "still_root_drift_cm"),
                                 ("in place: root diameter (cm)", "still", "still_root_diameter_cm")):
            lines.append(f"| {title} | " + " | ".join(
                _format("{:.0f}", results["runs"][label].get(part, {}).get(key)) for label in labels) + " |")
        lines.append("")
    for label, run in results["runs"].items():
        cameras = run["cameras"]
        lines += [f"### {label}", "", f"{run['date']}, code: {run.get('code', 'working tree')}, `videopose run` args: "
                  f"`{run['videopose_args'] or '(none)'}`"
                  f"{', quick' if run['quick'] else ''}.", "",
                  "| metric | " + " | ".join(cameras) + " |", "| --- |" + " ---: |" * len(cameras)]
        for title, key, template in _TABLE:
            lines.append(f"| {title} | " + " | ".join(_format(template, cameras[c].get(key)) for c in cameras) + " |")
        lines.append("| up from | " + " | ".join(cameras[c]["up_source"] for c in cameras) + " |")
        lines.append("| right foot recall | " + " | ".join(f"{cameras[c]['contact_recall_per_foot'][1]:.0%}"
                                                          for c in cameras) + " |")
        lines.append("")
        if run.get("overlay"):
            lines += [f"![the first camera's animation over its video, through its camera]({run['overlay']})", ""]
        if run.get("turning"):
            turning = run["turning"]
            lines += [f"Turning camera (each video seen by a camera turning about its centre: pan "
                      f"{TURN_PAN_DEGREES:.0f} deg, tilt {TURN_TILT_DEGREES:.0f} deg and back, focal length x"
                      f"{TURN_FOCAL_FACTOR:g}; 'hand-held': jittering {SHAKE_DEGREES:g} deg per axis instead; run as a "
                      f"user's clip, `{run['videopose_args'] or '(no args)'}`):", "",
                      "| metric | " + " | ".join(turning) + " |", "| --- |" + " ---: |" * len(turning)]
            for title, key, template in _TABLE:
                if key in ("p_mpjpe_mm", "p_mpjpe_average_pose_mm", "animation_p_mpjpe_mm", "animation_p_mpjpe_legs_mm"):
                    continue
                lines.append(f"| {title} | " + " | ".join(_format(template, turning[c].get(key)) for c in turning) + " |")
            lines.append("| camera turn error (deg) | " + " | ".join(_format("{:.2f}", turning[c].get("turn_error_deg"))
                                                                  for c in turning) + " |")
            lines.append("| focal length found / true (px) | " + " | ".join(
                f"{_format('{:.0f}', turning[c].get('focal_px'))} / {_format('{:.0f}', turning[c].get('focal_true_px'))}"
                for c in turning) + " |")
            lines.append("| focal length from | " + " | ".join(turning[c].get("focal_source", "?") for c in turning) + " |")
            lines.append("| grounding | " + " | ".join(turning[c]["grounding"] for c in turning) + " |")
            lines.append("")
            if run.get("turning_overlay"):
                lines += [f"![the first turned camera's animation over its video]({run['turning_overlay']})", ""]
        if "squats" in run:
            squats = run["squats"]
            backward = squats["squat_lean_backward_deg"]
            lines.append(f"Squats (exported animation): standing lean {squats['squat_lean_deg']:.0f} deg "
                         f"({abs(backward):.0f} {'back' if backward > 0 else 'forward'} in the body's sagittal plane), "
                         "standing knee flexion "
                         f"{squats['squat_knee_flexion_deg']:.0f} deg, centre of mass surge {squats['com_surge_cm']:.0f} cm "
                         f"(segment masses {_format('{:.1f}', squats.get('com_mass_surge_cm'))} cm; "
                         f"pelvis {squats['pelvis_surge_cm']:.0f} cm), foot range over the clip "
                         f"{squats['foot_range_cm']:.0f} cm with contact in {squats['contact_share']:.0%} of frames; "
                         f"preview world: centre of mass surge {_format('{:.0f}', squats.get('preview_com_surge_cm'))} cm, "
                         f"foot range {_format('{:.0f}', squats.get('preview_foot_range_cm'))} cm.")
        if "still" in run:
            still = run["still"]
            lines.append(f"In place (sports2d, frames {still['frames'][0]}-{still['frames'][1]}): the root drifts up to "
                         f"{still['still_root_drift_cm']:.0f} cm ({still['still_root_end_drift_cm']:.0f} cm at the end; "
                         f"largest distance between two frames {_format('{:.0f}', still.get('still_root_diameter_cm'))} cm; "
                         f"preview world {_format('{:.0f}', still.get('preview_root_drift_cm'))} cm); root range "
                         f"across the view {_format('{:.0f}', still.get('still_root_across_cm'))} cm (the 2D hips sway "
                         f"{_format('{:.0f}', still.get('still_image_sway_cm'))} cm across the picture), along it "
                         f"{_format('{:.0f}', still.get('still_root_along_cm'))} cm; up axis rolled "
                         f"{_format('{:.1f}', still.get('up_roll_deg'))} deg across the picture, pitched "
                         f"{_format('{:.1f}', still.get('up_pitch_deg'))} deg; camera "
                         f"{_format('{:.2f}', still.get('camera_height_m'))} m over the roof.")
        lines += ["", f"![root paths](real_video_paths_{label}.png) ![feet](real_video_feet_{label}.png)", ""]
    lines += ["Definitions:", ""] + [f"- **{key}**: {text}" for key, text in results["definitions"].items()]
    return "\n".join(lines) + "\n"


def code_from_git(revision: str, folder: Path) -> Path:
    """An importable copy of the package as committed at ``revision`` (``git archive``, read-only on the
    repository), laid out as installed (``videopose/{lifter,retarget,addon}``): put it on PYTHONPATH."""
    source = folder / "source"
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    package = folder / "package"
    package.mkdir()
    (package / "videopose").symlink_to(source / "videopose")
    for part in ("lifter", "retarget", "addon"):
        link = source / "videopose" / part
        if not link.exists():
            link.symlink_to(source / part)
    return package


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="before", help="name of this run in the results (before, after, ...)")
    parser.add_argument("--quick", action="store_true", help=f"cameras {', '.join(QUICK_CAMERAS)} only, no sports2d")
    parser.add_argument("--turning", action="store_true",
                        help="also each camera's video seen by a camera turning about its centre (a synthetic pan "
                             "and tilt of the recorded pictures), grounded with its true field of view")
    parser.add_argument("--out", type=Path, default=RESULTS / "real_video.json", help="results JSON (.md beside it)")
    parser.add_argument("--keep-runs", type=Path, default=None,
                        help="keep the videopose run outputs in DIR (a later run there reuses their detection and "
                             "lifting, as videopose run does: use a fresh DIR after changing the detector)")
    parser.add_argument("--videopose-args", default="", help='passed to every videopose run, e.g. "--height 1.72"')
    parser.add_argument("--rebuild-reference", action="store_true", help="triangulate again even if cached")
    parser.add_argument("--git-rev", default=None,
                        help="measure the code as committed at REV (e.g. HEAD) instead of the working tree")
    args = parser.parse_args()
    if args.git_rev and os.environ.get("REAL_VIDEO_CODE") is None:
        with tempfile.TemporaryDirectory() as folder:
            package = code_from_git(args.git_rev, Path(folder))
            revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.git_rev], capture_output=True,
                                      text=True, check=True).stdout.strip()
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package), os.environ.get("PYTHONPATH", "")]),
                           "REAL_VIDEO_CODE": f"git {revision}"}
            return subprocess.run([sys.executable, __file__, *sys.argv[1:]], env=environment).returncode
    if not CALIBRATION.is_file():
        print(f"shared data not found at {POSE2SIM} (set VIDEOPOSE_SHARED)", file=sys.stderr)
        return 2
    extra_args = shlex.split(args.videopose_args)
    reference = load_reference(args.rebuild_reference)
    for name, camera in reference["stats"]["cameras"].items():
        print(f"reference: {name} reprojection median {camera['median_px']:.1f} px, mean {camera['mean_px']:.1f} px, "
              f"bias ({camera['bias_px'][0]:+.1f}, {camera['bias_px'][1]:+.1f}) px, views used {camera['used_share']:.0%}")
    cameras = QUICK_CAMERAS if args.quick else CAMERAS
    import videopose

    code = os.environ.get("REAL_VIDEO_CODE", "working tree")
    print(f"measuring videopose from {Path(videopose.__file__).parent} ({code})", flush=True)
    run: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "videopose_args": args.videopose_args,
                 "code": code,
                 "quick": args.quick, "machine": f"{platform.machine()}, {os.cpu_count()} cores", "cameras": {}}
    curves = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep_runs or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name in cameras:
            print(f"videopose run {name} ...", flush=True)
            animation_path, motion_path, _ = videopose_run(POSE2SIM / f"{name}.mp4", folder, extra_args)
            scores = score_camera(reference, reference["cameras"][name], Animation.load(animation_path),
                                  Motion3D.load(motion_path))
            curves[name] = scores.pop("_curves")
            run["cameras"][name] = scores
            overlay = args.out.parent / f"real_video_overlay_{args.label}.png"
            if name == cameras[0] and overlay_picture(POSE2SIM / f"{name}.mp4", Animation.load(animation_path), overlay):
                run["overlay"] = overlay.name
        if args.turning:
            run["turning"] = {}
            views = [(name, "turning", turning_view) for name in cameras] + [(cameras[0], "shaken", shaken_view)]
            for name, kind, view in views:
                camera = reference["cameras"][name]
                maps, turns, first = view(camera, len(reference["h36m"]))
                video = turned_video(POSE2SIM / f"{name}.mp4", folder / f"{name}_{kind}.mp4", maps)
                print(f"videopose run {name} {kind} ...", flush=True)
                animation_path, motion_path, _ = videopose_run(video, folder, extra_args)
                animation = Animation.load(animation_path)
                scores = score_camera(reference, first, animation, Motion3D.load(motion_path))
                scores.pop("_curves")
                found = animation.extras.get("camera_turns")
                true_turns = turns[0].T @ turns  # turned frame t -> its first frame
                scores["turn_error_deg"] = None if found is None else float(np.degrees(np.max(np.linalg.norm(
                    Rotation.from_matrix(np.asarray(found) @ np.transpose(true_turns, (0, 2, 1))).as_rotvec(), axis=1))))
                scores["grounding"] = str(animation.extras.get("grounding", "?"))
                scores["focal_px"] = float(animation.extras["camera_focal_px"]) if "camera_focal_px" in animation.extras else None
                scores["focal_true_px"] = float(first.intrinsics[0, 0])
                scores["focal_source"] = str(animation.extras.get("camera_focal_source", "?"))
                run["turning"][name if kind == "turning" else f"{name} hand-held"] = scores
                overlay = args.out.parent / f"real_video_turning_{args.label}.png"
                if kind == "turning" and name == cameras[0] and overlay_picture(video, animation, overlay):
                    run["turning_overlay"] = overlay.name
        print("videopose run squats ...", flush=True)
        animation_path, motion_path, keypoints_path = videopose_run(SQUATS, folder, extra_args)
        run["squats"] = score_squats(Animation.load(animation_path), Motion3D.load(motion_path),
                                     Keypoints2D.load(keypoints_path))
        if not args.quick:
            print("videopose run sports2d ...", flush=True)
            animation_path, motion_path, keypoints_path = videopose_run(STILL, folder, extra_args)
            run["still"] = score_still(Animation.load(animation_path), Keypoints2D.load(keypoints_path),
                                       Motion3D.load(motion_path))
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text()) if out.exists() else {}
    truth = reference["smooth_h36m"][:, _H["pelvis"]]
    results["reference"] = _round({
        "reprojection": reference["stats"], "floor": reference["floor"], "height_m": reference["height_m"],
        "leg_length_m": reference["leg_length_m"], "distance_m": float(np.linalg.norm((truth[-1] - truth[0])[:2])),
        "path_length_m": _path_length(truth[:, :2], reference["fps"]), "frames": len(truth), "fps": reference["fps"],
        "stance_frames_per_foot": reference["stance"].sum(axis=0).tolist(),
        "stance_repeatability": reference["stats"]["stance_repeatability"],
        "calibration": {name: calibration_summary(camera) for name, camera in reference["cameras"].items()},
    })
    results["definitions"] = DEFINITIONS
    results.setdefault("runs", {})[args.label] = _round(run)
    with atomic_output(out) as temporary:
        temporary.write_text(json.dumps(results, indent=2))
    plot_paths(reference, curves, out.parent / f"real_video_paths_{args.label}.png", args.label)
    plot_feet(reference, curves, out.parent / f"real_video_feet_{args.label}.png", args.label)
    markdown = render_markdown(results, out.name)
    with atomic_output(out.with_suffix(".md")) as temporary:
        temporary.write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
