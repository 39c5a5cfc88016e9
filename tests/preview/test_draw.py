"""Skeleton drawing: the right pixels change, colours follow the performer's sides, scores are opacity."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.preview.draw import (
    CENTRE_BGR, LEFT_BGR, RIGHT_BGR, draw_skeleton_2d, draw_text_banner, edge_colors, layout_from_parents,
    side_colors,
)
from videopose.core.errors import VideoposeError
from videopose.core.layouts import COCO17, H36M17


def _coco_pose(visible: dict[str, tuple[float, float]], score: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """COCO17 keypoints with only the named joints visible (score ``score``), the rest score 0."""
    keypoints = np.full((17, 2), 5.0)
    scores = np.zeros(17)
    for name, point in visible.items():
        keypoints[COCO17.index(name)] = point
        scores[COCO17.index(name)] = score
    return keypoints, scores


def _black(height: int = 240, width: int = 320) -> np.ndarray:
    return np.zeros((height, width, 3), dtype=np.uint8)


def test_bone_changes_pixels_along_the_line_and_not_far_away():
    keypoints, scores = _coco_pose({"left_shoulder": (60, 100), "left_elbow": (260, 100)})
    image = _black()
    drawn = draw_skeleton_2d(image, keypoints, scores, COCO17, thickness=4)
    assert not image.any(), "the input image must not be modified"
    changed = drawn.any(axis=2)
    assert changed[100, 80:240].all(), "every pixel along the bone is drawn"
    rows, columns = np.nonzero(changed)
    assert rows.min() >= 100 - 8 and rows.max() <= 100 + 8, "nothing drawn beyond the line's width"
    assert columns.min() >= 60 - 8 and columns.max() <= 260 + 8
    np.testing.assert_allclose(drawn[100, 160], LEFT_BGR, atol=2)


def test_left_and_right_bones_take_different_colours():
    keypoints, scores = _coco_pose({
        "left_shoulder": (200, 40), "left_elbow": (200, 200),
        "right_shoulder": (100, 40), "right_elbow": (100, 200),
    })
    drawn = draw_skeleton_2d(_black(), keypoints, scores, COCO17, thickness=5)
    left, right = drawn[120, 200].astype(int), drawn[120, 100].astype(int)
    np.testing.assert_allclose(left, LEFT_BGR, atol=2)
    np.testing.assert_allclose(right, RIGHT_BGR, atol=2)
    assert np.abs(left - right).sum() > 200
    # The shoulder-to-shoulder bone joins the two sides: centre colour.
    np.testing.assert_allclose(drawn[40, 150], CENTRE_BGR, atol=2)


def test_score_zero_or_nan_draws_nothing():
    keypoints, scores = _coco_pose({"left_shoulder": (60, 100), "left_elbow": (260, 100)})
    scores[COCO17.index("left_elbow")] = 0.0
    drawn = draw_skeleton_2d(_black(), keypoints, scores, COCO17)
    assert not drawn[100, 120:240].any(), "a bone to a score-0 joint is not drawn"
    assert drawn[100, 60].any(), "the visible joint's dot is drawn"

    keypoints[COCO17.index("left_elbow")] = np.nan
    scores[COCO17.index("left_elbow")] = 1.0
    drawn = draw_skeleton_2d(_black(), keypoints, scores, COCO17)
    assert not drawn[100, 120:240].any(), "a bone to a NaN joint is not drawn"

    assert not draw_skeleton_2d(_black(), keypoints, np.zeros(17), COCO17).any()
    assert not draw_skeleton_2d(_black(), keypoints, np.full(17, np.nan), COCO17).any()


def test_opacity_scales_with_score():
    image = np.full((240, 320, 3), 40, dtype=np.uint8)
    values = []
    for score in (1.0, 0.5, 0.25):
        keypoints, scores = _coco_pose({"right_hip": (60, 100), "right_knee": (260, 100)}, score=score)
        values.append(draw_skeleton_2d(image, keypoints, scores, COCO17, thickness=6)[100, 160].astype(float))
    solid = np.array(RIGHT_BGR, dtype=float)
    for score, value in zip((1.0, 0.5, 0.25), values):
        expected = score * solid + (1 - score) * 40
        np.testing.assert_allclose(value, expected, atol=3, err_msg=f"score {score}")


def test_points_outside_the_image_are_clipped_not_an_error():
    keypoints, scores = _coco_pose({"left_hip": (-500, 120), "left_knee": (1e7, 120)})
    drawn = draw_skeleton_2d(_black(), keypoints, scores, COCO17, thickness=3)
    assert drawn[120, :].any(axis=1).all(), "the bone crosses the whole image"
    assert not drawn[:100].any()


def test_thickness_scales_with_image_size():
    keypoints, scores = _coco_pose({"left_hip": (0.2, 0.5), "left_knee": (0.8, 0.5)})
    widths = []
    for size in (360, 1080):
        drawn = draw_skeleton_2d(_black(size, size), keypoints * size, scores, COCO17)
        widths.append(int((drawn[:, size // 2].max(axis=1) > 150).sum()))  # solid colour, not the rim
    assert widths[1] >= 2 * widths[0] > 0


def test_side_and_edge_colours_follow_joint_names():
    colors = side_colors(H36M17)
    np.testing.assert_array_equal(colors[H36M17.index("left_wrist")], LEFT_BGR)
    np.testing.assert_array_equal(colors[H36M17.index("right_ankle")], RIGHT_BGR)
    np.testing.assert_array_equal(colors[H36M17.index("spine")], CENTRE_BGR)
    bones = dict(zip(H36M17.edges, edge_colors(H36M17).tolist()))
    pelvis, thorax = H36M17.index("pelvis"), H36M17.index("thorax")
    assert tuple(bones[(pelvis, H36M17.index("left_hip"))]) == LEFT_BGR   # a side joint's bone to the centre
    assert tuple(bones[(thorax, H36M17.index("right_shoulder"))]) == RIGHT_BGR
    assert tuple(bones[(pelvis, H36M17.index("spine"))]) == CENTRE_BGR


def test_any_joint_tree_can_be_drawn():
    layout = layout_from_parents(["hips", "left_leg", "right_leg"], [-1, 0, 0])
    drawn = draw_skeleton_2d(_black(), np.array([[160, 50], [100, 200], [220, 200]]), np.ones(3), layout)
    np.testing.assert_allclose(drawn[125, 130], LEFT_BGR, atol=40)
    np.testing.assert_allclose(drawn[125, 190], RIGHT_BGR, atol=40)


def test_wrong_joint_count_is_a_clear_error():
    with pytest.raises(VideoposeError, match="17, 2"):
        draw_skeleton_2d(_black(), np.zeros((33, 2)), np.ones(33), "coco17")


def test_text_banner_darkens_one_corner_only():
    image = np.full((200, 400, 3), 200, dtype=np.uint8)
    labelled = draw_text_banner(image, "frame 12")
    assert (image == 200).all()
    assert (labelled[2, 2] < 100).all(), "banner background is dark"
    assert (labelled[150:, :] == 200).all() and (labelled[:, 300:] == 200).all()
    assert (labelled[:40, :120] == 255).any(), "white text is written"
    bottom_right = draw_text_banner(image, "0.40 s", corner="bottom-right")
    assert (bottom_right[-2, -2] < 100).all() and (bottom_right[2, 2] == 200).all()
