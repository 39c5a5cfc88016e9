"""Track cleaning on synthetic arrays: gap filling, left/right swap fixing, keeping one performer."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.core.frame_runs import frame_runs
from videopose.lifter.tracking import (
    FILL_SCORE_FACTOR, bounding_boxes, clean_track, fill_short_gaps, fix_left_right_swaps, main_performer,
    person_identities, swap_group_indices, track_people, track_prominence,
)
from videopose.core.layouts import COCO17, MEDIAPIPE33


def walking_coco17(frames: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A person facing the camera (their left on the image's right), drifting right, legs and arms swinging."""
    rng = np.random.default_rng(seed)
    base = {
        "nose": (0, -160), "left_eye": (6, -166), "right_eye": (-6, -166), "left_ear": (12, -162),
        "right_ear": (-12, -162), "left_shoulder": (40, -120), "right_shoulder": (-40, -120),
        "left_elbow": (50, -70), "right_elbow": (-50, -70), "left_wrist": (55, -20), "right_wrist": (-55, -20),
        "left_hip": (25, 0), "right_hip": (-25, 0), "left_knee": (27, 80), "right_knee": (-27, 80),
        "left_ankle": (28, 160), "right_ankle": (-28, 160),
    }
    points = np.array([base[name] for name in COCO17.names], dtype=np.float64)
    t = np.arange(frames)[:, None]
    keypoints = np.repeat(points[None], frames, axis=0) + np.array([300.0, 300.0])
    keypoints[..., 0] += 2.0 * t                                       # drift right 2 px/frame
    swing = 15 * np.sin(2 * np.pi * t / 30)                           # limbs swing back and forth in y
    for name in ("left_knee", "left_ankle", "right_wrist"):
        keypoints[:, COCO17.index(name), 1] += swing[:, 0]
    for name in ("right_knee", "right_ankle", "left_wrist"):
        keypoints[:, COCO17.index(name), 1] -= swing[:, 0]
    keypoints += rng.normal(0, 0.5, keypoints.shape)
    return keypoints.astype(np.float32), np.full((frames, COCO17.num_joints), 0.9, dtype=np.float32)


def test_fill_short_gaps_interpolates_and_marks_scores() -> None:
    keypoints = np.zeros((10, 1, 2), dtype=np.float32)
    keypoints[:, 0, 0] = np.arange(10) * 10.0
    scores = np.full((10, 1), 0.8, dtype=np.float32)
    scores[6] = 0.6
    keypoints[3:6] = np.nan  # a 3-frame gap between frames 2 (x=20) and 6 (x=60)
    scores[3:6] = 0.0
    filled_points, filled_scores, filled = fill_short_gaps(keypoints, scores, max_gap=3)
    np.testing.assert_allclose(filled_points[3:6, 0, 0], [30.0, 40.0, 50.0], atol=1e-5)
    np.testing.assert_allclose(filled_scores[3:6, 0], FILL_SCORE_FACTOR * 0.7, atol=1e-6)
    assert filled[:, 0].tolist() == [False] * 3 + [True] * 3 + [False] * 4
    assert np.isnan(keypoints[3:6]).all(), "the input must not be modified"


def test_long_gaps_and_clip_ends_stay_missing() -> None:
    keypoints = np.tile(np.arange(12, dtype=np.float32)[:, None, None], (1, 2, 2))
    scores = np.ones((12, 2), dtype=np.float32)
    scores[0:2, 0] = 0.0            # start of the clip: not filled
    scores[4:9, 0] = 0.0            # 5 frames: longer than max_gap
    keypoints[10:, 1] = np.nan      # end of the clip: not filled
    points, new_scores, filled = fill_short_gaps(keypoints, scores, max_gap=4)
    assert not filled.any()
    assert np.isnan(points[0:2, 0]).all() and np.isnan(points[4:9, 0]).all() and np.isnan(points[10:, 1]).all()
    assert (new_scores[4:9, 0] == 0).all() and (new_scores[10:, 1] == 0).all()


def test_left_right_swaps_are_found_and_fixed() -> None:
    clean, scores = walking_coco17()
    corrupted = clean.copy()
    mirror = COCO17.mirror_permutation()
    legs = [COCO17.index(n) for n in ("left_hip", "left_knee", "left_ankle", "right_hip", "right_knee", "right_ankle")]
    for frame in (10, 31, 32, 33):
        corrupted[frame, legs] = clean[frame, mirror[legs]]
    fixed, fixed_scores, swapped = fix_left_right_swaps(corrupted, scores, COCO17)
    assert np.flatnonzero(swapped["legs"]).tolist() == [10, 31, 32, 33]
    assert not swapped["arms"].any() and not swapped["face"].any()
    np.testing.assert_allclose(fixed, clean, atol=1e-5)


def test_a_clip_that_starts_swapped_keeps_the_majority_labels() -> None:
    clean, scores = walking_coco17()
    corrupted = clean.copy()
    arms = [COCO17.index(n) for n in ("left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist")]
    mirror = COCO17.mirror_permutation()
    corrupted[:3, arms] = clean[:3, mirror[arms]]   # the first three frames are the wrong ones
    fixed, _, swapped = fix_left_right_swaps(corrupted, scores, COCO17)
    assert np.flatnonzero(swapped["arms"]).tolist() == [0, 1, 2]
    np.testing.assert_allclose(fixed, clean, atol=1e-5)


def test_crossing_legs_are_not_swapped() -> None:
    """Legs that really cross (a spin, a crossover step) move smoothly: nothing to fix."""
    keypoints, scores = walking_coco17(frames=40)
    for side, sign in (("left", 1), ("right", -1)):
        for part in ("knee", "ankle"):
            joint = COCO17.index(f"{side}_{part}")
            keypoints[:, joint, 0] = 340 + sign * np.linspace(30, -30, 40)   # slide past each other
    _, _, swapped = fix_left_right_swaps(keypoints, scores, COCO17)
    assert not swapped["legs"].any()


def test_swap_groups_cover_the_mediapipe_hands_and_feet() -> None:
    groups = swap_group_indices(MEDIAPIPE33)
    names = {group: {MEDIAPIPE33.names[i] for i in left} for group, (left, right) in groups.items()}
    assert {"left_heel", "left_foot_index", "left_hip"} <= names["legs"]
    assert {"left_pinky", "left_thumb", "left_shoulder"} <= names["arms"]
    assert "left_eye_inner" in names["face"]
    for left, right in groups.values():
        assert all(MEDIAPIPE33.names[r] == MEDIAPIPE33.names[l].replace("left", "right") for l, r in zip(left, right))


def test_a_jump_to_another_person_is_dropped() -> None:
    keypoints, scores = walking_coco17(frames=60)
    keypoints[40:46] += np.array([900.0, 50.0], dtype=np.float32)   # the tracker grabs someone far away
    cleaned_points, cleaned_scores, other = main_performer(keypoints, scores)
    assert np.flatnonzero(other).tolist() == list(range(40, 46))
    assert np.isnan(cleaned_points[40:46]).all() and (cleaned_scores[40:46] == 0).all()
    assert np.isfinite(cleaned_points[:40]).all() and np.isfinite(cleaned_points[46:]).all()


def test_identities_follow_a_moving_person_through_a_gap() -> None:
    keypoints, scores = walking_coco17(frames=30)
    scores[10:15] = 0.0  # lost for 5 frames, then found again a little further on
    identities = person_identities(bounding_boxes(keypoints, scores))
    assert set(identities[scores.any(axis=1) > 0].tolist()) == {0}
    assert (identities[10:15] == -1).all()


@pytest.mark.parametrize("gap", [3, 12])
def test_clean_track_fills_only_short_gaps(gap: int) -> None:
    keypoints, scores = walking_coco17(frames=50)
    keypoints[20:20 + gap] = np.nan
    scores[20:20 + gap] = 0.0
    track = clean_track(keypoints, scores, COCO17, max_gap=7)
    if gap <= 7:
        assert track.filled[20:20 + gap].all()
        assert np.abs(track.keypoints[20:20 + gap] - walking_coco17(frames=50)[0][20:20 + gap]).max() < 12
        assert (track.scores[20:20 + gap] < 0.5).all()
    else:
        assert not track.filled.any() and np.isnan(track.keypoints[20:20 + gap]).all()
    assert not track.other_person.any() and not any(s.any() for s in track.swapped.values())


# --- identity from continuity of position, velocity, size and appearance (issue 15) -----------------

RED, BLUE = np.eye(64, dtype=np.float32)[3], np.eye(64, dtype=np.float32)[40]


def box_track(start: tuple[float, float], velocity: tuple[float, float], frames: int, size=(80.0, 200.0)) -> np.ndarray:
    """(frames, 4) boxes of a person of ``size`` (w, h) pixels moving at ``velocity`` pixels per frame."""
    centres = np.asarray(start) + np.arange(frames)[:, None] * np.asarray(velocity)
    half = np.asarray(size) / 2
    return np.concatenate([centres - half, centres + half], axis=1)


def keypoints_in_boxes(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 2, 2) keypoints at the corners of each box (so that bounding_boxes gives the box back)."""
    keypoints = np.stack([boxes[:, :2], boxes[:, 2:]], axis=1).astype(np.float32)
    return keypoints, np.full(keypoints.shape[:2], 0.9, dtype=np.float32)


def test_a_tracker_that_jumps_to_a_crossing_person_is_caught_by_appearance() -> None:
    """Two people cross; the detector follows A (red), then B (blue) from the crossing on: the boxes are
    continuous, only the look (and B's direction) tells the switch."""
    a = box_track((100, 300), (8, 0), 40)
    b = box_track((500, 300), (-8, 0), 40)
    # They meet at frame 25, where the detector moves over to B.
    shown = np.where((np.arange(40) >= 25)[:, None], b, a)
    histograms = np.where((np.arange(40) >= 25)[:, None], BLUE, RED)
    keypoints, scores = keypoints_in_boxes(shown)
    _, _, other = main_performer(keypoints, scores, histograms=histograms)
    assert np.flatnonzero(other).tolist() == list(range(25, 40))


def test_crossing_people_keep_their_identities() -> None:
    """Both people detected in every frame, crossing at frame 20: each keeps one identity throughout,
    with appearance, and with equal appearance from their velocity alone."""
    a = box_track((100, 300), (10, 0), 40)
    b = box_track((500, 304), (-10, 0), 40)
    frames = np.repeat(np.arange(40), 2)
    boxes = np.stack([a, b], axis=1).reshape(-1, 4)
    for histograms in (np.tile(np.stack([RED, BLUE]), (40, 1)), None):
        identities = track_people(frames, boxes, histograms).reshape(40, 2)
        assert (identities[:, 0] == identities[0, 0]).all() and (identities[:, 1] == identities[0, 1]).all()
        assert identities[0, 0] != identities[0, 1]


def test_a_flipping_body_stays_one_person_beside_a_bystander() -> None:
    """A body that turns over (its box goes from tall to wide and back, and shrinks when tucked) and moves
    fast keeps its identity, and a bystander close by keeps theirs."""
    frames = 30
    angle = np.linspace(0, np.pi, frames)
    width = 80 + 220 * np.sin(angle) ** 2                       # tall 80x300 -> wide 300x80 and back
    height = 300 - 220 * np.sin(angle) ** 2
    shrink = 1 - 0.35 * np.sin(angle)                           # tucked in the middle of the flip
    centre = np.stack([400 + 25 * np.arange(frames), 300 - 200 * np.sin(angle)], axis=1)
    half = np.stack([width, height], axis=1) * shrink[:, None] / 2
    flipping = np.concatenate([centre - half, centre + half], axis=1)
    bystander = box_track((700, 480), (0, 0), frames, size=(90, 280))
    boxes = np.stack([flipping, bystander], axis=1).reshape(-1, 4)
    histograms = np.tile(np.stack([RED, BLUE]), (frames, 1))
    identities = track_people(np.repeat(np.arange(frames), 2), boxes, histograms).reshape(frames, 2)
    assert len(set(identities[:, 0])) == 1 and len(set(identities[:, 1])) == 1
    assert identities[0, 0] != identities[0, 1]


def test_a_person_who_leaves_and_returns_gets_their_identity_back() -> None:
    """A (red) walks out on the right of a 1920-pixel frame at frame 30, someone else (blue) passes by in
    frames 35-50, and A comes back from the left edge at frame 60, far from where they left: A is the
    performer for frames 0-29 and 60-99."""
    boxes = np.full((100, 4), np.nan)
    histograms = np.zeros((100, 64), dtype=np.float32)
    boxes[:30], histograms[:30] = box_track((1500, 300), (10, 0), 30), RED
    boxes[35:51], histograms[35:51] = box_track((900, 320), (-5, 0), 16), BLUE
    boxes[60:], histograms[60:] = box_track((50, 310), (6, 0), 40), RED
    keypoints, scores = keypoints_in_boxes(np.nan_to_num(boxes))
    scores[np.isnan(boxes).any(axis=1)] = 0.0
    _, _, other = main_performer(keypoints, scores, histograms=histograms)
    assert np.flatnonzero(other).tolist() == list(range(35, 51))
    identities = person_identities(bounding_boxes(keypoints, scores), histograms=histograms)
    assert identities[0] == identities[99] != identities[40]


def test_frame_runs_and_prominence() -> None:
    assert frame_runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=bool)) == [(1, 3), (4, 5), (7, 8)]
    # Two tracks of equal length: the larger, central one is the main performer.
    central = box_track((960, 540), (0, 0), 20, size=(150, 400))
    corner = box_track((150, 150), (0, 0), 20, size=(60, 160))
    prominence = track_prominence(np.repeat([0, 1], 20), np.concatenate([central, corner]), 1920, 1080)
    assert prominence[0] > 3 * prominence[1]
