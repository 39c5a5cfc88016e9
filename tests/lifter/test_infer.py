"""Lifting whole clips: padding, causality, flip augmentation, chunking, batching, gap filling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from videopose.lifter.camera import normalize_screen_coordinates
from videopose.lifter.checkpoint import LifterCheckpoint, LifterConfig, build_model
from videopose.lifter.infer import fill_missing, lift_clips, lift_keypoints, pad_for_model, select_device
from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import COCO17, H36M17, MEDIAPIPE33

WIDTH, HEIGHT = 640, 480


def _checkpoint(widths=(3, 3, 3), causal=False, trajectory=False, seed=0, input_layout="coco17") -> LifterCheckpoint:
    config = LifterConfig(tuple(widths), channels=32, causal=causal, input_layout=input_layout)
    torch.manual_seed(seed)
    pose = build_model(config).state_dict()
    trajectory_state = build_model(config, num_joints_out=1).state_dict() if trajectory else None
    return LifterCheckpoint(config, pose, trajectory_state)


def _clip(frames: int, seed: int = 0, layout=COCO17) -> Keypoints2D:
    """A smooth random 2D motion in pixels."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([150, 100], [490, 380], (layout.num_joints, 2))
    t = np.arange(frames)[:, None, None]
    wobble = 30 * np.sin(t / 7.0 + rng.uniform(0, 6, (1, layout.num_joints, 2)))
    return Keypoints2D(base + wobble, np.ones((frames, layout.num_joints)), layout.name, 30.0, WIDTH, HEIGHT)


def _mirrored(clip: Keypoints2D) -> Keypoints2D:
    permutation = COCO17.mirror_permutation()
    points = clip.keypoints[:, permutation].copy()
    points[..., 0] = WIDTH - points[..., 0]
    return Keypoints2D(points, clip.scores[:, permutation], clip.layout, clip.fps, clip.width, clip.height)


def _model_on_padded(checkpoint: LifterCheckpoint, clip: Keypoints2D) -> np.ndarray:
    """The model run by hand on the edge-padded normalised clip, made root-relative."""
    model = checkpoint.pose_model()
    inputs = normalize_screen_coordinates(clip.keypoints.astype(np.float64), WIDTH, HEIGHT).astype(np.float32)
    padded = pad_for_model(inputs, model.receptive_field(), model.total_causal_shift())
    with torch.no_grad():
        output = model(torch.from_numpy(padded)[None])[0].numpy()
    return output - output[:, :1]


@pytest.mark.parametrize("causal", [False, True])
def test_one_output_per_frame_from_the_edge_padded_clip(causal):
    checkpoint = _checkpoint(causal=causal)
    clip = _clip(60)
    motion = lift_keypoints(clip, checkpoint, device="cpu", flip=False)
    assert motion.joints_3d.shape == (60, 17, 3) and motion.fps == 30.0 and motion.layout == "h36m17"
    assert np.abs(motion.joints_3d[:, 0]).max() == 0.0  # pelvis at the origin
    np.testing.assert_allclose(motion.joints_3d, _model_on_padded(checkpoint, clip), atol=1e-6)
    assert motion.trajectory is None and int(motion.extras["filled_keypoints"]) == 0


def test_pad_for_model_repeats_edges_and_shifts_causal_windows():
    inputs = np.arange(5.0)[:, None]
    np.testing.assert_array_equal(pad_for_model(inputs, 5, 0)[:, 0], [0, 0, 0, 1, 2, 3, 4, 4, 4])
    np.testing.assert_array_equal(pad_for_model(inputs, 5, 2)[:, 0], [0, 0, 0, 0, 0, 1, 2, 3, 4])


@pytest.mark.parametrize("widths", [(3, 3, 3), (3, 3, 3, 3)])
def test_causal_output_at_t_ignores_later_frames(widths):
    clip = _clip(120, seed=1)
    changed_points = clip.keypoints.copy()
    changed_points[71:] += np.random.default_rng(2).normal(0, 40, changed_points[71:].shape)
    changed = Keypoints2D(changed_points, clip.scores, "coco17", 30.0, WIDTH, HEIGHT)
    causal = _checkpoint(widths, causal=True)
    before, after = (lift_keypoints(c, causal, device="cpu", flip=True, chunk_frames=40) for c in (clip, changed))
    np.testing.assert_allclose(after.joints_3d[:71], before.joints_3d[:71], atol=1e-6)
    assert np.abs(after.joints_3d[71] - before.joints_3d[71]).max() > 1e-4
    # The same change reaches back rf // 2 frames through a non-causal model.
    symmetric = _checkpoint(widths, causal=False)
    before, after = (lift_keypoints(c, symmetric, device="cpu", flip=True) for c in (clip, changed))
    assert np.abs(after.joints_3d[70] - before.joints_3d[70]).max() > 1e-4
    first_reached = 71 - np.prod(widths) // 2
    np.testing.assert_allclose(after.joints_3d[:first_reached], before.joints_3d[:first_reached], atol=1e-6)


def test_lifting_a_mirrored_clip_gives_the_mirrored_motion_with_flip_augmentation():
    checkpoint = _checkpoint(trajectory=True, seed=3)
    clip = _clip(50, seed=4)
    motion, mirrored_motion = (lift_keypoints(c, checkpoint, device="cpu", flip=True) for c in (clip, _mirrored(clip)))
    expected = motion.joints_3d[:, H36M17.mirror_permutation()] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored_motion.joints_3d, expected, atol=1e-5)
    np.testing.assert_allclose(mirrored_motion.trajectory, motion.trajectory * np.array([-1.0, 1.0, 1.0]), atol=1e-5)
    # Without the augmentation an (untrained) model is not mirror-symmetric: the test above can fail.
    plain, plain_mirrored = (lift_keypoints(c, checkpoint, device="cpu", flip=False) for c in (clip, _mirrored(clip)))
    assert np.abs(plain_mirrored.joints_3d - plain.joints_3d[:, H36M17.mirror_permutation()] * [-1, 1, 1]).max() > 1e-3


@pytest.mark.parametrize("widths, causal", [((3, 3, 3), False), ((3, 3, 3, 3), True)])
def test_chunked_result_equals_one_pass(widths, causal):
    checkpoint = _checkpoint(widths, causal=causal, trajectory=True, seed=5)
    clip = _clip(150, seed=6)
    whole = lift_keypoints(clip, checkpoint, device="cpu", chunk_frames=10_000)
    for chunk_frames in (4, 37, 128):
        chunked = lift_keypoints(clip, checkpoint, device="cpu", chunk_frames=chunk_frames)
        np.testing.assert_allclose(chunked.joints_3d, whole.joints_3d, atol=1e-5)
        np.testing.assert_allclose(chunked.trajectory, whole.trajectory, atol=1e-5)


def test_clips_shorter_than_the_receptive_field():
    checkpoint = _checkpoint((3, 3, 3, 3))  # 81 frames
    for frames in (2, 5, 80):
        clip = _clip(frames, seed=frames)
        motion = lift_keypoints(clip, checkpoint, device="cpu", flip=False)
        assert motion.num_frames == frames
        np.testing.assert_allclose(motion.joints_3d, _model_on_padded(checkpoint, clip), atol=1e-6)


def test_batched_clips_equal_clips_lifted_one_at_a_time():
    checkpoint = _checkpoint(trajectory=True, seed=7)
    clips = [_clip(frames, seed=frames) for frames in (3, 40, 133, 9)]
    progress_calls = []
    together = lift_clips(clips, checkpoint, device="cpu", chunk_frames=64,
                          progress=lambda done, total, message="": progress_calls.append((done, total)))
    assert progress_calls[-1][0] == progress_calls[-1][1] == sum(c.num_frames for c in clips)
    assert all(a[0] <= b[0] for a, b in zip(progress_calls, progress_calls[1:]))
    for clip, motion in zip(clips, together):
        alone = lift_keypoints(clip, checkpoint, device="cpu")
        assert motion.num_frames == clip.num_frames
        np.testing.assert_allclose(motion.joints_3d, alone.joints_3d, atol=1e-5)
        np.testing.assert_allclose(motion.trajectory, alone.trajectory, atol=1e-5)


def test_fill_missing_interpolates_over_time_with_nearest_edges():
    points = np.zeros((6, 2, 2), dtype=np.float32)
    points[:, 0, 0] = [np.nan, 2.0, np.nan, np.nan, 8.0, np.nan]
    points[:, 1, 1] = [1.0, 1.0, 1.0, 7.0, 1.0, 1.0]
    scores = np.ones((6, 2), dtype=np.float32)
    scores[3, 1] = 0.0  # a score of 0 marks a miss even where a position is written
    filled, count = fill_missing(points, scores, ("a", "b"))
    np.testing.assert_allclose(filled[:, 0, 0], [2, 2, 4, 6, 8, 8])
    np.testing.assert_allclose(filled[:, 1, 1], 1.0)
    assert count == 4 + 1
    assert np.isnan(points[0, 0, 0])  # the input is left alone


def test_missing_keypoints_are_filled_and_counted_when_lifting():
    checkpoint = _checkpoint()
    clip = _clip(40, seed=8)
    holes = clip.keypoints.copy()
    holes[10:14, 9] = np.nan  # left wrist lost for 4 frames
    scores = clip.scores.copy()
    scores[0:3, 15] = 0.0  # left ankle at the start
    motion = lift_keypoints(Keypoints2D(holes, scores, "coco17", 30.0, WIDTH, HEIGHT), checkpoint, device="cpu")
    assert int(motion.extras["filled_keypoints"]) == 7
    manual = clip.keypoints.copy()
    manual[10:14, 9] = np.linspace(manual[9, 9], manual[14, 9], 6)[1:-1]
    manual[0:3, 15] = manual[3, 15]
    expected = lift_keypoints(Keypoints2D(manual, clip.scores, "coco17", 30.0, WIDTH, HEIGHT), checkpoint, device="cpu")
    np.testing.assert_allclose(motion.joints_3d, expected.joints_3d, atol=1e-5)


def test_other_layouts_are_converted_by_joint_name():
    checkpoint = _checkpoint(seed=9)
    mediapipe = _clip(30, seed=10, layout=MEDIAPIPE33)
    order = [MEDIAPIPE33.names.index(name) for name in COCO17.names]
    as_coco = Keypoints2D(mediapipe.keypoints[:, order], mediapipe.scores[:, order], "coco17", 30.0, WIDTH, HEIGHT)
    np.testing.assert_allclose(lift_keypoints(mediapipe, checkpoint, device="cpu").joints_3d,
                               lift_keypoints(as_coco, checkpoint, device="cpu").joints_3d, atol=1e-6)
    # A file whose main layout lacks joints falls back to its detector-native source keypoints.
    h36m_2d = Keypoints2D(np.zeros((30, 17, 2)) + 100, np.ones((30, 17)), "h36m17", 30.0, WIDTH, HEIGHT,
                          source_keypoints=mediapipe.keypoints, source_scores=mediapipe.scores, source_layout="mediapipe33")
    np.testing.assert_allclose(lift_keypoints(h36m_2d, checkpoint, device="cpu").joints_3d,
                               lift_keypoints(as_coco, checkpoint, device="cpu").joints_3d, atol=1e-6)
    without_source = Keypoints2D(h36m_2d.keypoints, h36m_2d.scores, "h36m17", 30.0, WIDTH, HEIGHT)
    with pytest.raises(VideoposeError, match=r"reads coco17 keypoints.*holds h36m17.*lacks nose"):
        lift_keypoints(without_source, checkpoint, device="cpu")


def test_bad_clips_raise_clear_errors():
    checkpoint = _checkpoint()
    with pytest.raises(VideoposeError, match="needs at least 2 frames"):
        lift_keypoints(_clip(1), checkpoint, device="cpu")
    clip = _clip(20)
    scores = clip.scores.copy()
    scores[:, 3] = 0.0
    with pytest.raises(VideoposeError, match="left_ear missing in every frame"):
        lift_keypoints(Keypoints2D(clip.keypoints, scores, "coco17", 30.0, WIDTH, HEIGHT), checkpoint, device="cpu")
    with pytest.raises(VideoposeError, match="no frame has any detected keypoint"):
        lift_keypoints(Keypoints2D(np.full((20, 17, 2), np.nan), np.zeros((20, 17)), "coco17", 30.0, WIDTH, HEIGHT),
                       checkpoint, device="cpu")
    with pytest.raises(VideoposeError, match="width and height"):
        lift_keypoints(Keypoints2D(clip.keypoints, clip.scores, "coco17", 30.0, 0, 0), checkpoint, device="cpu")


def test_device_selection():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(VideoposeError, match="unknown device"):
        select_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(VideoposeError, match="no CUDA GPU"):
            lift_keypoints(_clip(5), _checkpoint(), device="cuda")
