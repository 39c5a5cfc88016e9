"""Video reading: real clips' properties, container rotation, timestamps, and bad files."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from videopose.lifter.video import is_variable_frame_rate, iter_frames, iter_frames_at, iter_frames_with_times, probe_video
from videopose.core.errors import VideoposeError

# tkhd display matrices (16.16 fixed point; w in 2.30) for a clockwise display rotation, as phones write them.
_DISPLAY_MATRICES = {
    90: (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000),
    180: (-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000),
    270: (0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000),
}


def write_clip(path: Path, frames_bgr: list[np.ndarray], fps: float = 30.0) -> Path:
    height, width = frames_bgr[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames_bgr:
        writer.write(frame)
    writer.release()
    return path


def with_rotation(source: Path, target: Path, degrees: int) -> Path:
    """A copy of an mp4 whose video track's display matrix says ``degrees`` clockwise."""
    data = bytearray(source.read_bytes())
    box = data.find(b"tkhd")
    version = data[box + 4]
    # size/type already passed; version+flags 4, times 8|16, track id 4, reserved 4, duration 4|8, 8 reserved, 8 layer..volume
    matrix = box + 4 + 4 + (8 if version == 0 else 16) + 4 + 4 + (4 if version == 0 else 8) + 8 + 8
    assert struct.unpack(">9i", data[matrix:matrix + 36])[8] == 0x40000000, "not a display matrix"
    data[matrix:matrix + 36] = struct.pack(">9i", *_DISPLAY_MATRICES[degrees])
    target.write_bytes(bytes(data))
    return target


@pytest.fixture(scope="module")
def tfjs(shared_dir: Path) -> Path:
    return shared_dir / "videos" / "tfjs_pose_1.mp4"


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory: pytest.TempPathFactory, tfjs: Path) -> Path:
    """12 real frames, 96 wide and 64 high (not square, so a quarter turn shows)."""
    frames = [cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), (96, 64)) for rgb in iter_frames(tfjs, max_frames=12)]
    return write_clip(tmp_path_factory.mktemp("clips") / "small.mp4", frames, fps=24.0)


def test_real_clip_properties_and_timestamps(tfjs: Path) -> None:
    info = probe_video(tfjs)
    assert (info.width, info.height, info.fps, info.frame_count, info.rotation) == (576, 576, 30.0, 120, 0)
    assert info.duration == pytest.approx(4.0)
    pairs = list(iter_frames_with_times(tfjs))
    assert len(pairs) == 120
    frame = pairs[0][0]
    assert frame.shape == (576, 576, 3) and frame.dtype == np.uint8
    times = np.array([seconds for _, seconds in pairs])
    np.testing.assert_allclose(times, np.arange(120) / 30.0, atol=1e-3)
    assert not is_variable_frame_rate(times)


def test_frames_are_rgb(tfjs: Path) -> None:
    rgb = next(iter_frames(tfjs))
    capture = cv2.VideoCapture(str(tfjs))
    ok, bgr = capture.read()
    capture.release()
    assert ok
    np.testing.assert_array_equal(rgb, bgr[..., ::-1])


def test_portrait_camera_size(shared_dir: Path) -> None:
    info = probe_video(shared_dir / "videos" / "pose2sim_single" / "cam01.mp4")
    assert (info.width, info.height, info.fps, info.frame_count) == (1080, 1920, 60.0, 100)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_container_rotation_is_applied(small_clip: Path, tmp_path: Path, degrees: int) -> None:
    rotated = with_rotation(small_clip, tmp_path / f"rot{degrees}.mp4", degrees)
    info = probe_video(rotated)
    assert info.rotation == degrees
    assert (info.width, info.height) == ((64, 96) if degrees in (90, 270) else (96, 64))
    plain = list(iter_frames(small_clip))
    turned = list(iter_frames(rotated))
    assert len(turned) == len(plain) == 12
    # np.rot90 turns counter-clockwise for positive k: clockwise by ``degrees`` is k = -degrees/90.
    for original, shown in zip(plain, turned):
        np.testing.assert_array_equal(shown, np.rot90(original, k=-degrees // 90))


def test_variable_frame_rate_is_recognised() -> None:
    assert not is_variable_frame_rate(np.arange(50) / 30.0)
    assert not is_variable_frame_rate(np.arange(50) / 30.0 + np.random.default_rng(0).normal(0, 1e-4, 50))
    times = np.concatenate([np.arange(20) / 30.0, 20 / 30.0 + np.arange(1, 21) / 15.0])  # 30 fps, then 15
    assert is_variable_frame_rate(times)


def test_missing_empty_and_non_video_files(tmp_path: Path) -> None:
    with pytest.raises(VideoposeError, match="not found"):
        probe_video(tmp_path / "nothing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoposeError, match="empty"):
        probe_video(tmp_path / "empty.mp4")
    (tmp_path / "notes.mp4").write_text("this is not a video\n" * 100)
    with pytest.raises(VideoposeError, match="cannot open .* as a video"):
        list(iter_frames(tmp_path / "notes.mp4"))
    with pytest.raises(VideoposeError, match="folder"):
        probe_video(tmp_path)
    writer = cv2.VideoWriter(str(tmp_path / "zero.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 48))
    writer.release()  # a container with no frames in it
    with pytest.raises(VideoposeError, match="zero.mp4"):
        probe_video(tmp_path / "zero.mp4")


def test_truncated_and_corrupt_files(tfjs: Path, tmp_path: Path) -> None:
    data = tfjs.read_bytes()
    index_at = data.find(b"moov") - 4
    # Cut before the index (a download stopped half-way): the container cannot be opened.
    (tmp_path / "cut.mp4").write_bytes(data[: index_at // 2])
    with pytest.raises(VideoposeError, match="truncated or corrupt"):
        probe_video(tmp_path / "cut.mp4")
    # Index intact but the second half of the picture data destroyed: decoding stops early.
    damaged = bytearray(data)
    damaged[index_at // 2:index_at] = bytes(index_at - index_at // 2)
    (tmp_path / "damaged.mp4").write_bytes(bytes(damaged))
    with pytest.raises(VideoposeError, match=r"stopped decoding after \d+ of the 120 frames"):
        for _ in iter_frames(tmp_path / "damaged.mp4"):
            pass


def test_chosen_frames_are_the_same_frames_turned_as_displayed(small_clip: Path, tmp_path: Path) -> None:
    rotated = with_rotation(small_clip, tmp_path / "rot90.mp4", 90)
    every = list(iter_frames_with_times(rotated, rgb=False))
    chosen = list(iter_frames_at(rotated, [7, 0, 3, 3, 40]))  # any order, repeats once, past the end left out
    assert [index for index, _ in chosen] == [0, 3, 7]
    for index, frame in chosen:
        np.testing.assert_array_equal(frame, every[index][0])
