"""The one place that checks inputs at the boundary, with the limits written in docs/formats.md.

Every function raises :class:`VideoposeError` with one line saying what was wrong and what to do,
and returns nothing (or the cleaned value): the readers in :mod:`videopose.core.formats`,
:mod:`videopose.core.bvh`, the importers and the commands call these, so a limit lives here once.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from videopose.core.errors import VideoposeError

# Frame rates a camera or an animation can have (a 1,000 fps high-speed camera; 1 fps time-lapse).
MIN_FPS, MAX_FPS = 1.0, 1000.0
# Frame sizes in pixels (16K video at most).
MAX_FRAME_SIZE = 16384
# Keypoints more than this many frame sizes outside the frame are not detections of a person in it.
KEYPOINT_MARGIN_FRAMES = 1.0
# Joint coordinates (metres, relative to the pelvis or the floor) beyond this are not a person.
MAX_MOTION_METRES = 1000.0
MAX_POSE_METRES = 10.0
# A performer's height in metres (a small child to the tallest people).
MIN_HEIGHT_M, MAX_HEIGHT_M = 0.5, 2.5
# Options: smoothing strength (1 = default), gap filling (seconds), preview height (pixels).
MAX_SMOOTH = 10.0
MAX_FILL_GAP_SECONDS = 10.0
MIN_PREVIEW_SIZE, MAX_PREVIEW_SIZE = 64, 4320
# Contact sheet: tiles per row and per column.
MAX_SHEET_TILES = 20
# A performer found in fewer frames than this is an error for `run`; fewer than the warning share, a warning.
MIN_DETECTED_SHARE, WARN_DETECTED_SHARE = 0.2, 0.8


def finite_number(value: Any, name: str, low: float, high: float, unit: str = "") -> float:
    """``value`` as a float in [low, high], or an error naming ``name`` and the range."""
    try:
        number = float(np.asarray(value).item()) if np.size(value) == 1 else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if np.size(value) != 1:
        raise VideoposeError(f"{name} must be one number, got an array of shape {np.shape(value)}")
    unit_text = f" {unit}" if unit else ""
    if not math.isfinite(number) or not low <= number <= high:
        raise VideoposeError(f"{name} must be a number from {low:g} to {high:g}{unit_text}, got {value!r}")
    return number


def check_fps(fps: Any, what: str = "fps") -> float:
    """A frame rate in [MIN_FPS, MAX_FPS] frames per second."""
    return finite_number(fps, what, MIN_FPS, MAX_FPS, "frames per second")


def check_frame_size(width: Any, height: Any, what: str = "frame size") -> tuple[int, int]:
    """Positive whole-pixel width and height up to MAX_FRAME_SIZE."""
    sizes = []
    for name, value in (("width", width), ("height", height)):
        number = finite_number(value, f"{what} {name}", 1, MAX_FRAME_SIZE, "pixels")
        if number != int(number):
            raise VideoposeError(f"{what} {name} must be a whole number of pixels, got {value!r}")
        sizes.append(int(number))
    return sizes[0], sizes[1]


def check_keypoints(keypoints: np.ndarray, scores: np.ndarray, width: int, height: int, source: str) -> None:
    """(frames, joints, 2) pixels, NaN where missing, within KEYPOINT_MARGIN_FRAMES frame sizes of the
    width x height frame; (frames, joints) scores finite in [0, 1]."""
    points = np.asarray(keypoints, dtype=np.float64)
    if np.isinf(points).any():
        raise VideoposeError(f"{source}: keypoints hold infinite coordinates; a broken file (missing joints are NaN)")
    margin = KEYPOINT_MARGIN_FRAMES * np.array([width, height], dtype=np.float64)
    outside = np.isfinite(points) & ((points < -margin) | (points > np.array([width, height]) + margin))
    if outside.any():
        frame, joint, _ = np.argwhere(outside)[0]
        raise VideoposeError(
            f"{source}: {int(outside.any(axis=2).sum())} keypoints lie far outside the {width}x{height} frame "
            f"(first: frame {frame}, joint {joint} at {tuple(np.round(points[frame, joint], 1))}): wrong width/height "
            "(pass --width/--height or --video) or normalised coordinates?"
        )
    values = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any() or (values > 1).any():
        raise VideoposeError(f"{source}: scores must be finite numbers from 0 to 1")


def check_joint_positions(joints: np.ndarray, source: str, limit: float = MAX_MOTION_METRES) -> None:
    """(frames, joints, 3) metres: finite (NaN allowed for unknown) and within ``limit`` metres."""
    points = np.asarray(joints, dtype=np.float64)
    if np.isinf(points).any() or (np.abs(np.nan_to_num(points)) > limit).any():
        raise VideoposeError(f"{source}: joint positions reach beyond {limit:g} m (or are infinite): not a person's "
                             "motion in metres; a broken file, or a lifter checkpoint with broken weights?")
    if np.isnan(points).all():
        raise VideoposeError(f"{source}: every joint position is NaN (unknown): nothing to animate")


def check_rotations(quats_xyzw: np.ndarray, source: str) -> None:
    """(frames, joints, 4) quaternions: finite and of non-zero length (they are normalised on use)."""
    quats = np.asarray(quats_xyzw, dtype=np.float64)
    if not np.isfinite(quats).all():
        raise VideoposeError(f"{source}: rotations hold NaN or infinite numbers: a broken file")
    lengths = np.linalg.norm(quats, axis=-1)
    if (lengths < 1e-6).any():
        frame, joint = np.argwhere(lengths < 1e-6)[0]
        raise VideoposeError(f"{source}: a rotation is all zeros (frame {frame}, joint {joint}): not a rotation; "
                             "a broken file")


def check_smooth(strength: float | None) -> float | None:
    """Smoothing strength: 0 (off) to MAX_SMOOTH (None: the default)."""
    return None if strength is None else finite_number(strength, "--smooth", 0.0, MAX_SMOOTH)


def check_performer_height(metres: float | None) -> float | None:
    """The performer's height: MIN_HEIGHT_M to MAX_HEIGHT_M metres (None: the default)."""
    return None if metres is None else finite_number(metres, "--height", MIN_HEIGHT_M, MAX_HEIGHT_M, "metres")


def check_fill_gap(seconds: float) -> float:
    """Longest gap to fill by interpolation: 0 (never) to MAX_FILL_GAP_SECONDS seconds."""
    return finite_number(seconds, "--fill-gap", 0.0, MAX_FILL_GAP_SECONDS, "seconds")


def check_preview_size(size: int) -> int:
    """Preview video height: MIN_PREVIEW_SIZE to MAX_PREVIEW_SIZE pixels."""
    return int(finite_number(size, "--size", MIN_PREVIEW_SIZE, MAX_PREVIEW_SIZE, "pixels"))


def check_view(azimuth_deg: float, elevation_deg: float) -> None:
    """Preview camera angles: finite degrees, azimuth within one turn either way, elevation below the poles."""
    finite_number(azimuth_deg, "--azimuth", -360.0, 360.0, "degrees")
    finite_number(elevation_deg, "--elevation", -89.0, 89.0, "degrees")


def check_sheet_grid(columns: int, rows: int) -> None:
    """Contact sheet grid: 1 to MAX_SHEET_TILES columns and rows."""
    finite_number(columns, "--columns", 1, MAX_SHEET_TILES)
    finite_number(rows, "--rows", 1, MAX_SHEET_TILES)


def check_suffix(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> None:
    """``path`` must end in one of ``suffixes`` (e.g. (".npz",))."""
    name = Path(path).name.lower()
    if not any(name.endswith(suffix) for suffix in suffixes):
        raise VideoposeError(f"{what} must end in {' or '.join(suffixes)}, got {Path(path).name!r}")


def check_detected_share(detected: int, frames: int, source: str) -> str | None:
    """Refuse a clip whose performer was found in under MIN_DETECTED_SHARE of the frames; a warning
    line under WARN_DETECTED_SHARE (None above it)."""
    share = detected / max(frames, 1)
    if share < MIN_DETECTED_SHARE:
        raise VideoposeError(
            f"a person was found in only {share:.0%} of the {frames} frames of {source} (at least "
            f"{MIN_DETECTED_SHARE:.0%} needed): the animation would be mostly guesswork; check the framing and "
            "lighting with `videopose detect VIDEO -o K.npz --preview P.mp4`"
        )
    if share < WARN_DETECTED_SHARE:
        return (f"a person was found in only {share:.0%} of the {frames} frames of {source}; the rest is "
                "interpolated or held: check the result (e.g. with --preview)")
    return None


def check_constant_rate(variable: bool, timestamps: np.ndarray | None, source: str) -> None:
    """Refuse a variable-frame-rate clip (``variable``: the detector's verdict on its (frames,) frame
    times in seconds): an animation has one frame rate, so its speed would be locally wrong."""
    if not variable:
        return
    intervals = np.diff(np.asarray(timestamps, dtype=np.float64)) if timestamps is not None else np.zeros(0)
    spread = (f" (frames {intervals.min() * 1000:.0f} to {intervals.max() * 1000:.0f} ms apart)"
              if intervals.size else "")
    raise VideoposeError(
        f"{source} has a variable frame rate{spread}: the animation's speed would be off; re-encode it at a "
        "constant rate first, e.g. ffmpeg -i IN.mp4 -vf fps=30 -fps_mode cfr OUT.mp4"
    )


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """A JSON file's content, with one-line errors for unreadable, invalid or absurdly nested files."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VideoposeError(f"cannot read {what} {source}: {error}") from None
    return parse_json(text, f"{what} {source}")


def parse_json(text: str, source: str) -> Any:
    """``text`` parsed as JSON; a file nested too deep for the parser is an error, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        raise VideoposeError(f"{source} is nested too deeply to be a videopose JSON file") from None
    except (json.JSONDecodeError, ValueError) as error:
        raise VideoposeError(f"{source} is not readable JSON: {error}") from None


def check_bone_map(data: Any, source: str) -> None:
    """The shape of a bone-map JSON object (docs/formats.md): ``map`` {target bone: source joint} of
    strings, optional ``end_sites`` / ``optional_bones`` lists of strings, ``joints`` a list, ``name`` a
    string."""
    if not isinstance(data, dict):
        raise VideoposeError(f"{source}: a bone map is a JSON object (see docs/formats.md), got a {type(data).__name__}")
    mapping = data.get("map")
    if not isinstance(mapping, dict) or not mapping:
        raise VideoposeError(f"{source}: a bone map needs a non-empty \"map\": {{\"TargetBone\": \"canonical_joint\", ...}}")
    if not all(isinstance(key, str) and isinstance(value, str) and key and value for key, value in mapping.items()):
        raise VideoposeError(f"{source}: every \"map\" entry must be \"TargetBone\": \"canonical_joint\" (non-empty strings)")
    for key in ("end_sites", "optional_bones"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(name, str) for name in data[key])):
            raise VideoposeError(f"{source}: \"{key}\" must be a list of bone names, got {data[key]!r:.60}")
    if "joints" in data and not isinstance(data["joints"], list):
        raise VideoposeError(f"{source}: \"joints\" must be a list of {{\"name\", \"parent\", \"head\"}} objects")
    if "name" in data and not isinstance(data["name"], str):
        raise VideoposeError(f"{source}: \"name\" must be a string")
