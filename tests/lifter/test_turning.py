"""The turning lift (lifter/turning.py): where the picture shows the body turning over, the turning
weights are blended in; elsewhere the default lift is untouched."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D, Motion3D
from videopose.core.layouts import COCO17
from videopose.lifter.turning import (TurningThresholds, blend_motions, torso_lean_2d, turning_checkpoint_path,
                                      turning_weights)


def body_turning(angles_deg: np.ndarray) -> Keypoints2D:
    """COCO17 keypoints of a stick torso whose hip -> shoulder direction is turned by ``angles_deg`` from
    the image's up (clockwise in the picture)."""
    frames = len(angles_deg)
    points = np.zeros((frames, COCO17.num_joints, 2))
    radians = np.radians(angles_deg)
    up = np.stack([np.sin(radians), -np.cos(radians)], axis=1) * 100.0
    across = np.stack([np.cos(radians), np.sin(radians)], axis=1) * 20.0
    centre = np.array([400.0, 300.0])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        points[:, COCO17.index(f"{side}_hip")] = centre + sign * across
        points[:, COCO17.index(f"{side}_shoulder")] = centre + up + sign * across
    points[:, [i for i, n in enumerate(COCO17.names) if "hip" not in n and "shoulder" not in n]] = centre
    return Keypoints2D(points.astype(np.float32), np.ones((frames, COCO17.num_joints), np.float32), "coco17",
                       30.0, 800, 600)


def test_torso_lean_reads_upright_sideways_and_upside_down() -> None:
    lean = torso_lean_2d(body_turning(np.array([0.0, 30.0, 90.0, -90.0, 180.0, 200.0])))
    assert np.allclose(lean, [0, 30, 90, 90, 180, 160], atol=1e-3)


def test_a_missing_shoulder_gives_no_lean() -> None:
    keypoints = body_turning(np.zeros(3))
    scores = keypoints.scores.copy()
    scores[1, COCO17.index("left_shoulder")] = 0
    lean = torso_lean_2d(Keypoints2D(keypoints.keypoints, scores, "coco17", 30.0, 800, 600))
    assert np.isnan(lean[1]) and np.isfinite(lean[[0, 2]]).all()


def test_weights_are_zero_for_upright_motion_and_ease_around_a_turn() -> None:
    fps = 30.0
    assert not turning_weights(np.full(90, 40.0), fps).any()          # a deep bow stays with the default weights
    lean = np.zeros(120)
    lean[60:66] = 120.0                                                 # six frames turned over
    lean[63] = np.nan                                                   # and one with the torso missing
    weights = turning_weights(lean, fps)
    assert (weights[60:66] == 1.0).all()                                # fully the turning weights
    assert weights[:40].max() == 0.0 and weights[90:].max() == 0.0      # only around the turn
    assert np.abs(np.diff(weights)).max() < 0.2                        # eased in and out, no pop
    half = TurningThresholds().start_deg + 0.5 * (TurningThresholds().full_deg - TurningThresholds().start_deg)
    assert 0.3 < turning_weights(np.full(60, half), fps)[30] < 0.7     # a ramp between the thresholds


def test_blend_takes_each_frame_by_its_weight() -> None:
    rng = np.random.default_rng(0)
    base = Motion3D(rng.normal(size=(4, 17, 3)), 30.0, trajectory=rng.normal(size=(4, 3)))
    turned = Motion3D(rng.normal(size=(4, 17, 3)), 30.0, trajectory=rng.normal(size=(4, 3)))
    mixed = blend_motions(base, turned, np.array([0.0, 1.0, 0.5, 0.0]))
    assert np.allclose(mixed.joints_3d[0], base.joints_3d[0]) and np.allclose(mixed.joints_3d[1], turned.joints_3d[1])
    assert np.allclose(mixed.joints_3d[2], (base.joints_3d[2] + turned.joints_3d[2]) / 2, atol=1e-6)
    assert np.allclose(mixed.trajectory[1], turned.trajectory[1])
    with pytest.raises(VideoposeError, match="weights"):
        blend_motions(base, turned, np.zeros(3))


def test_the_turning_weights_are_shipped() -> None:
    from videopose.lifter.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(turning_checkpoint_path())
    assert checkpoint.config.receptive_field == 81


def test_a_rolled_camera_is_not_a_turn() -> None:
    """A camera mounted 50 degrees rolled (pose2sim's lean up to 63 in the picture while walking upright):
    read against the clip's own upright, nothing turns; a real turn in such a clip still does."""
    angles = np.full(90, 50.0) + np.random.default_rng(1).normal(0, 8, 90)
    assert not turning_weights(torso_lean_2d(body_turning(angles), relative_to_clip=True), 30.0).any()
    assert turning_weights(torso_lean_2d(body_turning(angles)), 30.0).any()    # against the image's up it would
    angles[40:50] = 50.0 + 150.0
    assert turning_weights(torso_lean_2d(body_turning(angles), relative_to_clip=True), 30.0)[40:50].min() == 1.0


def test_the_turning_weights_join_only_the_shipped_default(tmp_path) -> None:
    from videopose.lifter.turning import turning_checkpoint_for

    assert turning_checkpoint_for(None) == turning_checkpoint_path()
    assert turning_checkpoint_for(None, enabled=False) is None
    assert turning_checkpoint_for(tmp_path / "mine.pt") is None         # a user's own model stays unmixed
