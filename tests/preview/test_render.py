"""Preview rendering: 3D view geometry, and videos / contact sheets on a real video."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from videopose.preview.draw import LEFT_BGR, RIGHT_BGR
from videopose.preview.render import (
    OrbitCamera, SkeletonView, render_contact_sheet, render_preview_video, scene_from_motion,
)
from videopose.core.animation import Animation, Skeleton
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import COCO17, H36M17
from videopose.retarget.solve import solve_animation

SHARED = Path(os.environ.get("VIDEOPOSE_SHARED", Path(__file__).resolve().parents[2] / ".." / "shared"))
VIDEO = SHARED / "videos" / "tfjs_pose_1.mp4"  # 576x576, 30 fps, 120 frames
needs_video = pytest.mark.skipif(not VIDEO.exists(), reason=f"shared test video missing: {VIDEO}")

# A standing H36M17 pose in the camera frame (x right, y down, z forward, metres, pelvis at 0),
# facing the camera: the performer's left side is at +x.
_STANDING = np.array([
    [0, 0, 0], [-0.13, 0, 0], [-0.13, 0.45, 0], [-0.13, 0.88, 0], [0.13, 0, 0], [0.13, 0.45, 0], [0.13, 0.88, 0],
    [0, -0.25, 0], [0, -0.5, 0], [0, -0.6, 0], [0, -0.72, 0], [0.18, -0.5, 0], [0.2, -0.25, 0], [0.22, 0, 0],
    [-0.18, -0.5, 0], [-0.2, -0.25, 0], [-0.22, 0, 0],
])
_COCO_FROM_H36M = [H36M17.index(name) if name in H36M17.names else H36M17.index("neck_nose" if name == "nose" else "head")
                   for name in COCO17.names]


def camera_to_world(points: np.ndarray) -> np.ndarray:
    """(..., 3) camera frame (x right, y down, z forward) -> Z-up world (X right, Y forward, Z up)."""
    return np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1)


def walking_motion(frames: int, fps: float = 30.0, pitch_deg: float = 0.0) -> Motion3D:
    """Legs and arms swinging in depth, optionally seen by a camera pitched down by ``pitch_deg``."""
    time = np.arange(frames) / fps
    joints = np.tile(_STANDING, (frames, 1, 1))
    swing = 0.3 * np.sin(2 * np.pi * time)
    for joint, sign in ((2, 0.5), (3, 1.0), (5, -0.5), (6, -1.0), (12, -0.4), (13, -0.8), (15, 0.4), (16, 0.8)):
        joints[:, joint, 2] += sign * swing
    joints = joints @ Rotation.from_euler("x", -pitch_deg, degrees=True).as_matrix().T
    return Motion3D(joints, fps)


def keypoints_for(motion: Motion3D, width: int = 576, height: int = 576) -> Keypoints2D:
    """COCO17 pixels of the motion seen from 4 m by a 600 px focal-length camera."""
    points = motion.joints_3d[:, _COCO_FROM_H36M] + (0.0, 0.0, 4.0)
    pixels = 600 * points[..., :2] / points[..., 2:] + (width / 2, height / 2)
    scores = np.full(pixels.shape[:2], 0.9)
    return Keypoints2D(pixels, scores, "coco17", motion.fps, width, height)


def read_video(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return frames, fps


def colour_pixels(image: np.ndarray, bgr: tuple[int, int, int], tolerance: int = 45) -> int:
    return int((np.abs(image.astype(int) - bgr).max(axis=2) < tolerance).sum())


# ------------------------------------------------------------------------------------------ 3D geometry

def test_a_lifted_motion_is_drawn_in_the_exports_world_frame():
    """One world frame: the preview's floor, up axis and root path are those of the exported animation."""
    motion = walking_motion(40, pitch_deg=12)
    scene = scene_from_motion(motion)
    animation = solve_animation(motion)
    head, ankle = H36M17.index("head"), H36M17.index("left_ankle")
    assert (scene.positions[:, head, 2] > scene.positions[:, ankle, 2] + 1.4).all(), "head above the feet"
    assert scene.floor_height == 0.0
    np.testing.assert_allclose(scene.positions[:, 0], animation.root_positions, atol=1e-9)
    exported_feet = animation.world_positions()[:, [ankle, H36M17.index("right_ankle")], 2].min(axis=1)
    drawn_feet = scene.positions[:, [ankle, H36M17.index("right_ankle")], 2].min(axis=1)
    assert np.abs(drawn_feet - exported_feet).max() < 0.05, "the drawn feet stand where the exported ones do"


def test_a_pitched_camera_is_levelled():
    scene = scene_from_motion(walking_motion(30, pitch_deg=20))
    names = H36M17.names
    up = scene.positions[:, names.index("head")] - 0.5 * (
        scene.positions[:, names.index("left_ankle")] + scene.positions[:, names.index("right_ankle")])
    mean_up = up.mean(axis=0) / np.linalg.norm(up.mean(axis=0))
    assert np.degrees(np.arccos(mean_up[2])) < 1.0


def test_feet_stay_on_the_floor_of_a_leaning_performer_walking_towards_the_camera():
    leaning = walking_motion(120)
    # Lean 8 degrees forward (towards the camera, -z) about the pelvis, and walk from 6 m to 2 m.
    joints = leaning.joints_3d @ Rotation.from_euler("x", 8, degrees=True).as_matrix().T
    trajectory = np.column_stack([np.zeros(120), np.full(120, 0.9), np.linspace(6.0, 2.0, 120)])
    scene = scene_from_motion(Motion3D(joints, 30.0, trajectory=trajectory))
    feet = scene.positions[:, [H36M17.index("left_ankle"), H36M17.index("right_ankle")], 2].min(axis=1)
    assert abs(feet[:20].min() - feet[-20:].min()) < 0.03, "the lowest foot is as high at the end as at the start"
    assert 0.0 <= feet.min() - scene.floor_height < 0.12, "the ankle rests at ankle height over the floor"


def test_front_view_shows_the_performer_as_the_video_camera_did():
    motion = walking_motion(5)
    view = SkeletonView(scene_from_motion(motion), 400, 400, OrbitCamera(azimuth_deg=0, elevation_deg=0))
    pixels, _ = view.project(view.scene.positions[0], 0)
    video_pixels = keypoints_for(motion).keypoints[0]
    for name in ("left_wrist", "left_ankle"):
        twin = name.replace("left", "right")
        h36m_side = pixels[H36M17.index(name), 0] - pixels[H36M17.index(twin), 0]
        coco_side = video_pixels[COCO17.index(name), 0] - video_pixels[COCO17.index(twin), 0]
        assert h36m_side > 0 and coco_side > 0, "the performer's left is on the image right, in both views"
    assert pixels[H36M17.index("head"), 1] < pixels[H36M17.index("left_ankle"), 1], "head at the top"
    assert (pixels > 0).all() and (pixels < 400).all(), "the whole body is in the picture"


def test_azimuth_orbits_towards_the_performers_left():
    view = SkeletonView(scene_from_motion(walking_motion(5)), 300, 300, OrbitCamera(azimuth_deg=90, elevation_deg=0))
    _, depth = view.project(view.scene.positions[0], 0)
    assert depth[H36M17.index("left_hip")] < depth[H36M17.index("right_hip")] - 0.2, "left side nearest"


def _h36m_animation(frames: int, step_m: float) -> Animation:
    """The standing pose as a Z-up animation facing -Y, walking ``step_m`` per frame along -Y."""
    rest = camera_to_world(_STANDING)
    offsets = rest - np.array([rest[p] if p >= 0 else np.zeros(3) for p in H36M17.parents])
    skeleton = Skeleton(H36M17.names, H36M17.parents, offsets)
    quats = np.tile([0.0, 0.0, 0.0, 1.0], (frames, H36M17.num_joints, 1))
    roots = np.column_stack([np.zeros(frames), -step_m * np.arange(frames), np.full(frames, 0.9)])
    contacts = np.zeros((frames, 2), bool)
    contacts[::2, 0] = contacts[1::2, 1] = True
    return Animation(skeleton, quats, roots, 30.0, contacts)


def test_animation_view_follows_a_travelling_root_and_fits_a_static_one():
    walking = SkeletonView(scene_from_motion(_h36m_animation(60, 0.05)), 200, 200)
    assert walking.follow
    centres = [walking.project(walking.scene.positions[f, 0], f)[0] for f in (10, 50)]
    np.testing.assert_allclose(centres[0], centres[1], atol=3), "the root stays in place while the grid slides"
    standing = SkeletonView(scene_from_motion(_h36m_animation(60, 0.0)), 200, 200)
    assert not standing.follow
    front = SkeletonView(scene_from_motion(_h36m_animation(3, 0.0)), 200, 200, OrbitCamera(azimuth_deg=0))
    pixels, _ = front.project(front.scene.positions[0], 0)
    assert pixels[H36M17.index("left_wrist"), 0] > pixels[H36M17.index("right_wrist"), 0]


def test_rendered_3d_view_has_both_side_colours_and_contact_rings():
    with_contacts = _h36m_animation(4, 0.0)
    without_contacts = Animation(with_contacts.skeleton, with_contacts.local_quats_xyzw, with_contacts.root_positions, 30.0)
    camera = OrbitCamera(azimuth_deg=30)
    image = SkeletonView(scene_from_motion(with_contacts), 320, 320, camera).render(0)
    plain = SkeletonView(scene_from_motion(without_contacts), 320, 320, camera).render(0)
    assert colour_pixels(image, LEFT_BGR, 10) > 100 and colour_pixels(image, RIGHT_BGR, 10) > 100
    changed = np.abs(image.astype(int) - plain).max(axis=2) > 30
    rows, _ = np.nonzero(changed)
    assert changed.sum() > 20, "a contact ring is drawn"
    ankle_row = SkeletonView(scene_from_motion(with_contacts), 320, 320, camera).project(
        scene_from_motion(with_contacts).positions[0, H36M17.index("left_ankle")], 0)[0][1]
    assert rows.min() > ankle_row - 15, "the ring is on the floor under the foot, not elsewhere"


# ---------------------------------------------------------------------------------- videos on real video

@needs_video
@pytest.mark.slow
def test_preview_video_reads_back_with_the_clip_length_and_both_panels(tmp_path):
    motion = walking_motion(120)
    output = render_preview_video(motion, tmp_path / "preview.mp4", video_path=VIDEO, keypoints=keypoints_for(motion),
                                  size=360)
    frames, fps = read_video(output)
    assert len(frames) == 120 and fps == pytest.approx(30.0, abs=0.01)
    assert frames[0].shape == (360, 720, 3), "576x576 video scaled to 360 high, beside a 360x360 3D view"
    left, right = frames[60][:, :360], frames[60][:, 360:]
    assert left.std() > 20 and right.std() > 5, "neither panel is blank"
    for panel in (left, right):
        assert colour_pixels(panel, LEFT_BGR) > 30 and colour_pixels(panel, RIGHT_BGR) > 30
    # The 2D skeleton sits where the keypoints say: the left hip-knee bone's midpoint is blue.
    keypoints = keypoints_for(motion).keypoints[60] * (360 / 576)
    hip, knee = keypoints[COCO17.index("left_hip")], keypoints[COCO17.index("left_knee")]
    x, y = np.round((hip + knee) / 2).astype(int)
    assert np.abs(left[y - 1 : y + 2, x - 1 : x + 2].astype(int) - LEFT_BGR).max(axis=2).min() < 50
    assert not list(tmp_path.glob("*.partial*")), "no temporary file left behind"


@needs_video
def test_frame_counts_a_little_off_warn_and_far_off_fail(tmp_path):
    with pytest.warns(UserWarning, match="first 117 frames"):
        render_preview_video(walking_motion(117), tmp_path / "short.mp4", video_path=VIDEO, size=128)
    assert len(read_video(tmp_path / "short.mp4")[0]) == 117
    with pytest.raises(VideoposeError, match="differ too much"):
        render_preview_video(walking_motion(60), tmp_path / "half.mp4", video_path=VIDEO, size=128)
    assert not (tmp_path / "half.mp4").exists()
    assert not list(tmp_path.glob("*.partial*"))


@needs_video
def test_keypoints_from_another_frame_size_are_scaled_or_refused(tmp_path):
    motion = walking_motion(120)
    double = keypoints_for(motion, 1152, 1152)  # same aspect: a higher-resolution copy of the video
    render_preview_video(motion, tmp_path / "scaled.mp4", video_path=VIDEO, keypoints=double, size=128)
    assert (tmp_path / "scaled.mp4").exists()
    wrong = keypoints_for(motion, 1280, 720)
    with pytest.raises(VideoposeError, match="1280x720"):
        render_preview_video(motion, tmp_path / "wrong.mp4", video_path=VIDEO, keypoints=wrong, size=128)
    assert not (tmp_path / "wrong.mp4").exists()


def test_3d_only_video_without_a_video(tmp_path):
    output = render_preview_video(walking_motion(40, fps=25.0), tmp_path / "3d.mp4", size=200)
    frames, fps = read_video(output)
    assert len(frames) == 40 and frames[0].shape == (200, 200, 3) and fps == pytest.approx(25.0, abs=0.01)
    assert frames[20].std() > 5 and colour_pixels(frames[20], LEFT_BGR) > 10


def test_existing_output_is_kept_without_overwrite(tmp_path):
    target = tmp_path / "kept.mp4"
    target.write_bytes(b"old")
    with pytest.raises(VideoposeError, match="already exists"):
        render_preview_video(walking_motion(10), target, size=128, overwrite=False)
    assert target.read_bytes() == b"old"


# ------------------------------------------------------------------------------------------ contact sheet

@needs_video
def test_contact_sheet_is_columns_by_rows_tiles_of_video_above_3d(tmp_path):
    motion = walking_motion(120)
    output = render_contact_sheet(motion, tmp_path / "sheet.png", video_path=VIDEO, keypoints=keypoints_for(motion),
                                  columns=4, rows=2, tile_width=160)
    sheet = cv2.imread(str(output))
    gap, tile_height = 4, 160 + 160  # 576x576 frame at 160 wide, above a 160x160 3D view
    assert sheet.shape == (2 * tile_height + 3 * gap, 4 * 160 + 5 * gap, 3)
    first_video = sheet[gap : gap + 160, gap : gap + 160]
    first_3d = sheet[gap + 160 : gap + 320, gap : gap + 160]
    last_video = sheet[-gap - tile_height : -gap - 160, -gap - 160 : -gap]
    original = cv2.resize(read_video(VIDEO)[0][0], (160, 160), interpolation=cv2.INTER_AREA)
    assert np.abs(first_video[40:].astype(int) - original[40:]).mean() < 12, "tile 1 is frame 0 of the video"
    assert np.abs(first_video.astype(int) - last_video).mean() > 3, "the last tile shows a later frame"
    assert colour_pixels(first_3d, LEFT_BGR) > 10 and colour_pixels(first_video, RIGHT_BGR) > 10


def test_contact_sheet_of_real_mocap_animation(tmp_path):
    bvh = pytest.importorskip("videopose.core.bvh")
    clip = SHARED / "mocap" / "cmu" / "cc" / "005" / "005_01.bvh"  # a walk
    if not clip.exists():
        pytest.skip(f"shared mocap missing: {clip}")
    animation = bvh.read_bvh(clip)
    output = render_contact_sheet(animation, tmp_path / "walk.png", columns=3, rows=1, tile_width=128)
    sheet = cv2.imread(str(output))
    assert sheet.shape == (128 + 8, 3 * 128 + 16, 3)
    assert colour_pixels(sheet, LEFT_BGR) > 30 and colour_pixels(sheet, RIGHT_BGR) > 30


def test_bad_outputs_are_clear_errors(tmp_path):
    motion = walking_motion(10)
    with pytest.raises(VideoposeError, match=r"\.png"):
        render_contact_sheet(motion, tmp_path / "sheet.jpg")
    with pytest.raises(VideoposeError, match=r"\.mp4"):
        render_preview_video(motion, tmp_path / "clip.avi")
    with pytest.raises(VideoposeError, match="video not found"):
        render_preview_video(motion, tmp_path / "clip.mp4", video_path=tmp_path / "missing.mp4")
    with pytest.raises(VideoposeError, match="cannot open video"):
        (tmp_path / "text.mp4").write_text("not a video")
        render_preview_video(motion, tmp_path / "clip.mp4", video_path=tmp_path / "text.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.mp4"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_contact_sheet(motion, tmp_path / "ok.png", columns=2, rows=1, tile_width=64)
