"""Foot contacts, two-bone IK and foot locking (retarget/contact.py, retarget/ik.py) on real and synthetic walks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from videopose.core.frame_runs import frame_runs
from videopose.retarget.contact import detect_contacts, foot_sliding, hysteresis, image_contacts
from videopose.retarget.ik import soft_reach, two_bone_ik
from videopose.retarget.pipeline import RetargetOptions, retarget_motion
from synthetic_motion import to_camera, walking_motion
from videopose.core.formats import Motion3D
from videopose.core.layouts import H36M17

ANKLES = [H36M17.index("left_ankle"), H36M17.index("right_ankle")]  # Animation.contacts column order


def test_two_bone_ik_reaches_with_exact_lengths_and_keeps_the_bend_side() -> None:
    rng = np.random.default_rng(0)
    root = rng.normal(size=(200, 3))
    target = root + rng.normal(size=(200, 3)) * 0.3
    joint = root + np.array([0.0, -0.2, -0.3])
    middle, end = two_bone_ik(root, joint, target, 0.45, 0.42, np.tile([0.0, -1, 0], (200, 1)))
    assert np.linalg.norm(middle - root, axis=1) == pytest.approx(np.full(200, 0.45))
    assert np.linalg.norm(end - middle, axis=1) == pytest.approx(np.full(200, 0.42))
    reachable = np.linalg.norm(target - root, axis=1) < 0.86
    assert np.abs(end - target)[reachable].max() < 1e-9
    # Unreachable targets: the chain points straight at them.
    far = np.linalg.norm(target - root, axis=1) > 0.88
    direction = (target - root)[far] / np.linalg.norm(target - root, axis=1)[far, None]
    assert (end - root)[far] / 0.87 == pytest.approx(direction, abs=1e-4)


def test_soft_reach_never_shortens_below_the_original_and_is_continuous() -> None:
    root = np.zeros((5, 3))
    target = np.array([[0, 0, -d] for d in (0.5, 0.86, 0.88, 0.95, 2.0)], dtype=float)
    result = np.linalg.norm(soft_reach(root, target * 0.0 + [0, 0, -0.5], target, 0.9), axis=1)
    assert result[0] == pytest.approx(0.5)
    assert (result <= 0.9).all() and (np.diff(result) > 0).all() and result[3] < 0.9
    # The original end already as far as the target: nothing changes.
    assert np.linalg.norm(soft_reach(root, target, target, 0.9), axis=1) == pytest.approx(np.linalg.norm(target, axis=1))


def test_hysteresis_holds_state_between_thresholds() -> None:
    enter = np.array([0, 1, 0, 0, 0, 0, 1, 0], bool)[:, None]
    leave = np.array([1, 0, 0, 0, 1, 0, 0, 0], bool)[:, None]
    assert hysteresis(enter, leave)[:, 0].tolist() == [0, 1, 1, 1, 0, 0, 1, 1]


def test_contacts_of_a_synthetic_walk_match_the_truth() -> None:
    world, truth = walking_motion(150)
    contacts = detect_contacts(world[:, ANKLES], 30.0, contact_level=0.08)
    agreement = (contacts == truth).mean()
    assert agreement > 0.85
    assert (contacts & ~truth).mean() < 0.03  # hardly any contact claimed while a foot swings


def _cmu_walk(shared_dir: Path, clip: str, noise_m: float) -> Motion3D:
    from videopose.lifter.mocap import mocap_points
    from videopose.core.bvh import read_bvh

    animation = read_bvh(shared_dir / "mocap" / "cmu" / "cc" / f"{clip}.bvh")
    motion = to_camera(mocap_points(animation)[:, :17], animation.fps)
    if noise_m:  # lifter-like jitter: correlated over a couple of frames
        noise = gaussian_filter1d(np.random.default_rng(1).normal(size=motion.joints_3d.shape), 1.0, axis=0)
        noisy = motion.joints_3d + noise_m * noise / noise.std()
        motion = Motion3D((noisy - noisy[:, :1]).astype(np.float32), motion.fps,
                          trajectory=(motion.trajectory + noisy[:, 0]).astype(np.float32))
    return motion


@pytest.mark.slow
@pytest.mark.parametrize("clip, noise_m", [("005/005_01", 0.0), ("007/007_04", 0.0), ("006/006_01", 0.01)])
def test_foot_locking_cuts_sliding_during_contact_by_80_percent(shared_dir: Path, clip: str, noise_m: float) -> None:
    motion = _cmu_walk(shared_dir, clip, noise_m)
    free = retarget_motion(motion, RetargetOptions(foot_lock=False))
    locked = retarget_motion(motion, RetargetOptions(foot_lock=True))
    contacts = free.contacts
    assert (locked.contacts == contacts).all()
    assert 0.2 < contacts.mean() < 0.6  # a walk: each foot down a good part of the time
    sliding_free = foot_sliding(free.world_positions()[:, ANKLES], contacts)
    sliding_locked = foot_sliding(locked.world_positions()[:, ANKLES], contacts)
    print(f"{clip} noise {noise_m}: sliding {sliding_free * 1000:.2f} -> {sliding_locked * 1000:.2f} mm/frame")
    assert sliding_locked <= 0.2 * sliding_free
    # No pop when a lock starts or ends: the ankles and knees move no faster than in the unlocked motion.
    for animation in (free, locked):
        assert np.isfinite(animation.local_quats_xyzw).all()
    speed = {name: np.linalg.norm(np.diff(animation.world_positions()[:, ANKLES + [2, 5]], axis=0), axis=-1).max()
             for name, animation in (("free", free), ("locked", locked))}
    assert speed["locked"] < 1.3 * speed["free"]
    # Only the legs change (the feet, the ankle bones, turn flat where the lock puts the ankles on the floor).
    legs = [H36M17.index(n) for n in ("left_hip", "left_knee", "left_ankle", "right_hip", "right_knee", "right_ankle")]
    others = [j for j in range(17) if j not in legs]
    assert locked.local_quats_xyzw[:, others] == pytest.approx(free.local_quats_xyzw[:, others])


def _foot_in_the_picture(heel_path_px: np.ndarray, depth_m: float, focal_px: float, fps: float = 60.0):
    """(frames, 2) heel pixels of a foot ``depth_m`` away -> image_contacts' inputs for two such feet (ankle and
    toe move with the heel; the ankle stays low throughout, so only the picture decides)."""
    frames = len(heel_path_px)
    pixels = np.repeat(heel_path_px[:, None, None, :], 3, axis=2) + np.array([[0.0, -20.0], [0.0, 0.0], [25.0, 0.0]])
    pixels = np.concatenate([pixels, pixels + [200.0, 0.0]], axis=1)  # (frames, 2 feet, 3, 2)
    return pixels, np.full((frames, 2), depth_m), np.zeros((frames, 2)), focal_px, fps


def test_a_break_in_a_stance_is_closed_only_where_the_foot_comes_back() -> None:
    # pose2sim cam01's right heel at lift-off (rows in pixels, 60 fps, 3.3 m away): it rises in the picture, stalls
    # for two frames as the swing turns it towards the camera, then comes down the picture. The break in its
    # contact at the stall was closed as noise, pinning the foot 0.12 s into the swing.
    lift_off = [1026.4, 1026.5, 1027.0, 1026.8, 1026.1, 1022.2, 1020.3, 1017.0, 1018.1, 1018.2, 1015.6, 1012.9,
                1005.0, 1002.7, 993.6, 991.6, 994.7, 996.1, 1007.4, 1010.7]
    rows = np.r_[np.full(30, 1026.4), lift_off, 1010.7 + 5.0 * np.arange(1, 21)]
    heel = np.stack([np.full_like(rows, 326.0), rows], axis=1)
    heel_down = image_contacts(*_foot_in_the_picture(heel, 3.26, 1573.0)).heel
    assert frame_runs(heel_down[:, 0]) == frame_runs(heel_down[:, 1])
    (start, stop), = frame_runs(heel_down[:, 0])
    assert start == 0 and stop <= 42  # the heel starts rising at frame 35 (was: pinned until frame 48)
    # Still for 60 frames but for a 2-frame jitter of 8 px (3 cm at 6 m) that comes back: one stance, not two.
    heel = np.tile([500.0, 800.0], (60, 1))
    heel[30:32, 0] += 8.0
    heel_down = image_contacts(*_foot_in_the_picture(heel, 6.0, 1500.0)).heel
    assert frame_runs(heel_down[:, 0]) == [(0, 60)]


def _two_feet(left_px: np.ndarray, right_px: np.ndarray, fps: float = 60.0):
    """(frames, 2) heel pixels of each foot, 3.3 m away, 1573 px focal -> image_contacts' inputs."""
    feet = [np.repeat(path[:, None, :], 3, axis=1) + np.array([[0.0, -20.0], [0.0, 0.0], [25.0, 0.0]])
            for path in (left_px, right_px)]
    frames = len(left_px)
    return np.stack(feet, axis=1), np.full((frames, 2), 3.3), np.zeros((frames, 2)), 1573.0, fps


def test_a_stance_foot_the_detector_drags_away_and_back_stays_planted_but_a_hop_stays_a_hop() -> None:
    # pose2sim cam01's left foot in stance: the swinging right foot passes in front and BlazePose drags the left
    # foot's points 60 px down the picture for 0.12 s, then they are back (the two clean views see it still).
    frames = 90
    left = np.tile([400.0, 1100.0], (frames, 1))
    left[40:47, 1] += 60.0 * np.sin(np.linspace(0, np.pi, 7))
    right = np.stack([np.full(frames, 600.0), 900.0 + 4.0 * np.arange(frames)], axis=1)  # swinging throughout
    heel_down = image_contacts(*_two_feet(left, right)).heel
    assert frame_runs(heel_down[:, 0]) == [(0, frames)]
    assert not heel_down[:, 1].any()
    # But both feet planted, then both off the floor for 0.12 s (up the picture and down again), back on the same
    # spots: a hop, two stances each, since the other foot was planted when the break began.
    hop = np.zeros(frames)
    hop[40:47] = -60.0 * np.sin(np.linspace(0, np.pi, 7))
    left = np.stack([np.full(frames, 400.0), 1100.0 + hop], axis=1)
    right = np.stack([np.full(frames, 600.0), 1100.0 + hop], axis=1)
    heel_down = image_contacts(*_two_feet(left, right)).heel
    for foot in range(2):
        assert len(frame_runs(heel_down[:, foot])) == 2


def test_a_stance_foot_lost_onto_the_other_foot_does_not_end_its_stance_early() -> None:
    # pose2sim cam02: the detector puts the planted left foot's points on the swinging right foot (120 px away)
    # for 0.2 s, then finds it again where it stood. The smoothed speed of that jump ended the stance 5 frames
    # before it and never bridged it; the lost frames are now left out and the stance runs on to its lift-off.
    frames = 110
    heel = np.tile([560.0, 1100.0], (frames, 1))
    heel[60:72, 0] -= 120.0
    heel[85:, 0] += 2.0 / 60 * 1573 / 3.3 * np.arange(1, 26)  # lifts off at frame 85, away at 2 m/s
    swing = np.stack([np.full(frames, 300.0), 900.0 + 4.0 * np.arange(frames)], axis=1)  # the other foot, in the air
    heel_down = image_contacts(*_two_feet(heel, swing)).heel
    (start, stop), = frame_runs(heel_down[:, 0])
    assert start == 0 and 82 <= stop <= 86


def test_a_stance_foot_lost_for_good_stays_planted_up_to_the_jump() -> None:
    # pose2sim cam02 frames 57-61: the planted left foot's points stand still up to frame 59, then BlazePose puts
    # them on the swinging right foot (100-200 px away) and they do not come back before the foot lifts off. The
    # frame before the jump was left out with the one after it, and the smoothing reached across the lost frames
    # to the points wandering with the other foot: the stance ended 3 frames early (frame 57) and the foot slid
    # 8.5 cm there. Now only the frame jumped to is lost, and the speeds do not cross the lost stretch.
    frames = 100
    heel = np.tile([560.0, 1100.0], (frames, 1))
    heel[60:] += np.stack([-120.0 + 4.0 * np.arange(40), -30.0 + 2.0 * np.arange(40)], axis=1)  # with the swing
    heel[61] += [60.0, 40.0]  # and thrown about as it goes
    swing = np.stack([np.full(frames, 300.0), 900.0 + 4.0 * np.arange(frames)], axis=1)  # the other foot, in the air
    heel_down = image_contacts(*_two_feet(heel, swing)).heel
    (start, stop), = frame_runs(heel_down[:, 0])
    assert start == 0 and stop >= 59, stop


def test_a_support_foot_the_detector_drags_off_for_good_stays_planted_but_a_hop_off_the_floor_does_not() -> None:
    # pose2sim cam03 frames 90-99: the left foot swings past the planted right foot and BlazePose drags the right
    # heel 45 px down the picture over 6 frames, where it stays to the clip's end. The stance ended at the drag
    # (the foot then slid 8.6 cm with its points). The other foot was in the air throughout and this ankle low:
    # it was the only support, so it stayed; the frames off its place are marked dragged (their rays unused).
    frames = 80
    heel = np.tile([430.0, 1100.0], (frames, 1))
    heel[60:66, 1] += 45.0 * np.linspace(0, 1, 6)
    heel[66:, 1] += 45.0
    swing = np.stack([np.full(frames, 300.0), 900.0 + 4.0 * np.arange(frames)], axis=1)  # the other foot, in the air
    found = image_contacts(*_two_feet(heel, swing))
    assert frame_runs(found.heel[:, 0]) == [(0, frames)]  # before: [(0, 60), (67, 80)], two footprints 9 cm apart
    assert found.heel_dragged[:, 0].any() and not found.heel_dragged[:58, 0].any()
    assert found.heel_dragged[66:, 0].all()
    # The same picture with the ankle rising 12 cm over the break (a hop on that foot to a new spot): two stances.
    pixels, depth, above, focal, fps = _two_feet(heel, swing)
    above = above.copy()
    above[58:68, 0] = 0.12 * np.sin(np.linspace(0, np.pi, 10))
    hop = image_contacts(pixels, depth, above, focal, fps)
    assert not hop.heel[60:64, 0].any()


def test_a_foot_sunk_into_the_floor_is_lifted_onto_it_and_another_level_is_left_alone() -> None:
    """A walk with its left ankle pushed 4 cm under the floor over 20 frames (the foot the detector lost on
    pose2sim cam02 sank 5 cm): the knee bends it back onto the ankle's flat height, exactly, its bone lengths
    kept; the root and the other leg do not move; a leg 1 m under (a lower level) is not pulled up."""
    from videopose.core.animation import Animation
    from videopose.retarget.ik import legs_reaching, sunken_ankles_raised

    walk = retarget_motion(to_camera(walking_motion(60)[0]), RetargetOptions(foot_lock=False))
    positions = walk.world_positions()
    names = walk.skeleton.names
    left, right = names.index("left_ankle"), names.index("right_ankle")
    heights = positions[:, [left, right], 2]
    planted = heights == heights.min()  # the one lowest ankle frame, planted: every ankle over it, until the dip
    level = float(heights.min())
    lowered = positions[:, left].copy()
    lowered[20:40, 2] = level - 0.04 * np.sin(np.linspace(0, np.pi, 20))  # dips under the floor and back
    sunk = legs_reaching(walk, [(np.arange(60) >= 0, lowered), None])
    before = sunk.world_positions()
    raised = sunken_ankles_raised(sunk, planted).world_positions()
    assert before[20:40, left, 2].min() < level - 0.035  # the dip is there before
    assert raised[:, left, 2].min() == pytest.approx(level, abs=1e-6)
    under = before[:, left, 2] < level
    np.testing.assert_allclose(raised[under, left, :2], before[under, left, :2], atol=2e-3)  # lifted, not moved aside
    np.testing.assert_allclose(raised[~under], before[~under], atol=1e-9)
    np.testing.assert_allclose(raised[:, right], before[:, right], atol=1e-9)
    np.testing.assert_allclose(raised[:, 0], before[:, 0], atol=1e-9)  # the root
    shin = np.linalg.norm(raised[:, left] - raised[:, names.index("left_knee")], axis=1)
    np.testing.assert_allclose(shin, np.linalg.norm(before[:, left] - before[:, names.index("left_knee")], axis=1), atol=1e-9)
    # The body a metre down over frames 15-44 (a drop onto a lower level), the planted frames up on the floor.
    assert not planted[15:45].any()
    dropped_root = sunk.root_positions.copy()
    dropped_root[15:45, 2] -= 1.0
    dropped = Animation(sunk.skeleton, sunk.local_quats_xyzw, dropped_root, sunk.fps)
    kept = sunken_ankles_raised(dropped, planted).world_positions()
    np.testing.assert_allclose(kept[15:45], dropped.world_positions()[15:45], atol=1e-9)
    np.testing.assert_allclose(sunken_ankles_raised(sunk, np.zeros_like(planted)).world_positions(), before,
                               atol=1e-9)  # nothing planted: nothing to go by
