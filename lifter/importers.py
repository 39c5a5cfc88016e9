"""Read 2D keypoints written by other detectors into :class:`videopose.core.formats.Keypoints2D`.

Formats (documented in docs/formats.md, "Detector outputs that import-keypoints reads"):

- ``openpose``: a folder of OpenPose ``*_keypoints.json`` files, one per frame (BODY_25 or COCO-18);
- ``coco``: COCO-style keypoint results JSON (AlphaPose, MMPose, Detectron2; COCO-17 or Halpe-26),
  and MMPose's ``{"meta_info", "instance_info"}`` video results;
- ``videopose3d``: VideoPose3D's custom 2D ``.npz`` (``positions_2d`` / ``metadata``, pickled);
- ``mediapipe``: MediaPipe Pose's 33 normalised landmarks per frame, as JSON or ``.npz``.

Layout rule: ``keypoints`` keep the source's own layout (``body25``, ``coco18``, ``coco17``,
``halpe26``, ``mediapipe33``, ``h36m17``), which ``lift`` converts by joint name. Asking for another
``layout`` converts by joint name and keeps the original in ``source_keypoints``/``source_scores``.

Frame rate and frame size are never guessed: they come from the file, the options, or the video.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.formats import Keypoints2D
from videopose.core.layouts import convert_layout, get_layout
from videopose.core.validate import check_fps, check_frame_size, check_keypoints

FORMATS = ("openpose", "coco", "videopose3d", "mediapipe")

# Joint counts -> layout, per format.
_OPENPOSE_LAYOUTS = {25: "body25", 18: "coco18"}
_COCO_LAYOUTS = {17: "coco17", 26: "halpe26"}
_VIDEOPOSE3D_LAYOUTS = {"coco": "coco17", "h36m": "h36m17"}

# A candidate within this many body sizes (bounding-box diagonals) of the previous pick is the same person.
SAME_PERSON_DISTANCE = 0.5

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Track:
    """Keypoints read from a file before the video's properties are settled.

    keypoints: (frames, joints, 2) float32 pixels, NaN where unknown; scores: (frames, joints) in [0, 1].
    fps/width/height: what the file itself says (None where it is silent).
    normalized: the keypoints are fractions of the frame size (MediaPipe), still to scale to pixels.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    layout: str
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    notes: tuple[str, ...] = ()
    normalized: bool = False


@dataclass(frozen=True)
class ImportedKeypoints:
    """The imported keypoints, the format they were read as, and what the user should know."""

    keypoints: Keypoints2D
    format: str
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Main-person selection (shared by the formats that list several people per frame)


def _valid(points: np.ndarray, scores: np.ndarray) -> np.ndarray:
    return (scores > 0) & np.isfinite(points).all(axis=-1)


def _body_size(points: np.ndarray, scores: np.ndarray) -> float:
    """Diagonal of the bounding box of a person's valid (joints, 2) keypoints, in pixels."""
    valid = _valid(points, scores)
    if valid.sum() < 2:
        return 0.0
    extent = points[valid].max(axis=0) - points[valid].min(axis=0)
    return float(np.hypot(*extent))


def prominence(points: np.ndarray, scores: np.ndarray) -> float:
    """How much a person stands out: body size (pixels) times mean confidence of the valid joints."""
    valid = _valid(points, scores)
    if not valid.any():
        return 0.0
    return _body_size(points, scores) * float(scores[valid].mean()) + 1e-6 * float(scores[valid].sum())


def relative_distance(points: np.ndarray, scores: np.ndarray, previous_points: np.ndarray, previous_scores: np.ndarray) -> float:
    """Mean distance of the joints valid in both people, in units of the previous person's body size."""
    both = _valid(points, scores) & _valid(previous_points, previous_scores)
    if not both.any():
        return float("inf")
    size = max(_body_size(previous_points, previous_scores), 1.0)
    return float(np.linalg.norm(points[both] - previous_points[both], axis=-1).mean() / size)


def select_main_person(
    people_per_frame: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]], num_joints: int
) -> tuple[np.ndarray, np.ndarray]:
    """Follow one performer through frames that may list several people.

    people_per_frame[f]: the (points (joints, 2), scores (joints,)) of each person in frame f.
    The first pick is the most prominent person (largest x most confident); in every later frame the
    person nearest the last pick (within SAME_PERSON_DISTANCE body sizes) is kept, otherwise the
    most prominent one is taken again. Frames with nobody get NaN keypoints and score 0.
    Returns (frames, joints, 2) keypoints and (frames, joints) scores.
    """
    frames = len(people_per_frame)
    keypoints = np.full((frames, num_joints, 2), np.nan, dtype=np.float32)
    scores = np.zeros((frames, num_joints), dtype=np.float32)
    last: tuple[np.ndarray, np.ndarray] | None = None
    for frame, people in enumerate(people_per_frame):
        people = [person for person in people if _valid(*person).any()]
        if not people:
            continue
        chosen = None
        if last is not None:
            distances = [relative_distance(points, person_scores, *last) for points, person_scores in people]
            nearest = int(np.argmin(distances))
            if distances[nearest] < SAME_PERSON_DISTANCE:
                chosen = people[nearest]
        if chosen is None:
            chosen = max(people, key=lambda person: prominence(*person))
        keypoints[frame], scores[frame] = chosen
        last = chosen
    return keypoints, scores


def _clean_person(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(joints, 3) x, y, confidence -> (joints, 2) points with NaN where confidence is 0, scores in [0, 1]."""
    points = values[:, :2].astype(np.float32)
    scores = np.clip(np.nan_to_num(values[:, 2].astype(np.float32), nan=0.0), 0.0, 1.0)
    missing = (scores <= 0) | ~np.isfinite(points).all(axis=-1)
    points[missing] = np.nan
    scores[missing] = 0.0
    return points, scores


# ---------------------------------------------------------------------------------------------
# Frame numbers


def frame_number(name: str) -> int | None:
    """The frame number in a file or image name: its last run of digits (``clip_000000000012_keypoints.json`` -> 12)."""
    stem = str(name).rsplit("/", 1)[-1]
    stem = re.sub(r"_keypoints\.json$", "", stem)
    stem = re.sub(r"\.[A-Za-z][A-Za-z0-9]*$", "", stem)
    runs = re.findall(r"\d+", stem)
    return int(runs[-1]) if runs else None


def _spread_over_frames(numbered: dict[int, Any], what: str) -> tuple[list[int], list[Any], int]:
    """Frame numbers from the smallest to the largest found; returns (numbers, items or None, gaps)."""
    first, last = min(numbered), max(numbered)
    if last - first + 1 > 10 * len(numbered) + 1000:
        raise VideoposeError(
            f"{what}: frame numbers run from {first} to {last} but only {len(numbered)} frames are given; "
            "are the frame numbers in the names right?"
        )
    numbers = list(range(first, last + 1))
    items = [numbered.get(number) for number in numbers]
    return numbers, items, sum(item is None for item in items)


# ---------------------------------------------------------------------------------------------
# OpenPose


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except RecursionError:
        raise VideoposeError(f"{path} is nested too deeply to be a keypoints file") from None
    except json.JSONDecodeError as error:
        raise VideoposeError(f"{path} is not valid JSON ({error}); is the file complete?") from error
    except UnicodeDecodeError as error:
        raise VideoposeError(f"{path} is not a JSON text file ({error})") from error
    except OSError as error:
        raise VideoposeError(f"cannot read {path}: {error}") from error


def _openpose_people(data: Any, path: Path) -> list[np.ndarray]:
    """Each person's flat pose keypoints of one OpenPose frame file, as (joints, 3) arrays."""
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise VideoposeError(f"{path} is not an OpenPose keypoints file: it has no \"people\" list")
    people = []
    for index, person in enumerate(data["people"]):
        flat = person.get("pose_keypoints_2d", person.get("pose_keypoints")) if isinstance(person, dict) else None
        if flat is None:
            raise VideoposeError(f"{path}: person {index} has no \"pose_keypoints_2d\"")
        try:
            values = np.asarray(flat, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise VideoposeError(f"{path}: person {index} has non-numeric pose_keypoints_2d ({error})") from error
        if values.ndim != 1 or values.size % 3 or values.size // 3 not in _OPENPOSE_LAYOUTS:
            raise VideoposeError(
                f"{path}: person {index} has {values.size} pose_keypoints_2d values; expected 75 (BODY_25) or "
                "54 (COCO-18): x, y, confidence per joint"
            )
        people.append(values.reshape(-1, 3))
    return people


def read_openpose_folder(folder: str | Path, progress: Progress | None = None) -> Track:
    """A folder of OpenPose ``*_keypoints.json`` files (one per frame) -> the main person's keypoints."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VideoposeError(f"OpenPose keypoints folder not found: {folder}")
    files = sorted(folder.glob("*_keypoints.json")) or sorted(folder.glob("*.json"))
    if not files:
        raise VideoposeError(f"{folder} holds no OpenPose *_keypoints.json files (run OpenPose with --write_json {folder})")
    numbered: dict[int, Path] = {}
    for path in files:
        number = frame_number(path.name)
        if number is None:
            numbered = {index: path for index, path in enumerate(files)}  # names carry no numbers: name order
            notes = [f"the file names in {folder} carry no frame numbers: frames are taken in name order"]
            break
        if number in numbered:
            raise VideoposeError(
                f"{numbered[number].name} and {path.name} are both frame {number}: does {folder} hold several clips? "
                "keep one clip's OpenPose output per folder"
            )
        numbered[number] = path
    else:
        notes = []
    numbers, paths, gaps = _spread_over_frames(numbered, str(folder))
    if gaps:
        notes.append(f"{gaps} frame numbers between {numbers[0]} and {numbers[-1]} have no file: scored 0 (missing)")

    people_per_frame: list[list[tuple[np.ndarray, np.ndarray]]] = []
    layout_files: dict[str, list[str]] = {}
    for done, path in enumerate(paths):
        people = [] if path is None else _openpose_people(_read_json(path), path)
        for person in people:
            layout_files.setdefault(_OPENPOSE_LAYOUTS[len(person)], []).append(path.name)
        people_per_frame.append([_clean_person(person) for person in people])
        if progress is not None and (done % 100 == 0 or done == len(paths) - 1):
            progress(done + 1, len(paths), "reading OpenPose JSON")
    if len(layout_files) > 1:
        described = "; ".join(
            f"{layout} in {len(names)} ({', '.join(sorted(set(names))[:3])}{', ...' if len(set(names)) > 3 else ''})"
            for layout, names in sorted(layout_files.items())
        )
        raise VideoposeError(
            f"{folder} mixes keypoint layouts: {described}; keep one OpenPose model's output per folder"
        )
    if not layout_files:
        raise VideoposeError(f"no person in any of the {len(files)} OpenPose files in {folder}")
    layout = next(iter(layout_files))
    keypoints, scores = select_main_person(people_per_frame, get_layout(layout).num_joints)
    return Track(keypoints, scores, layout, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# COCO-style keypoint results (AlphaPose, MMPose, Detectron2)


def _coco_person(values: Any, where: str) -> np.ndarray:
    try:
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise VideoposeError(f"{where}: keypoints are not numbers ({error})") from error
    if flat.size % 3 or flat.size // 3 not in _COCO_LAYOUTS:
        raise VideoposeError(
            f"{where}: {flat.size} keypoint values; expected 51 (COCO-17) or 78 (Halpe-26): x, y, score per joint"
        )
    return flat.reshape(-1, 3)


def _coco_results(data: list, source: Path) -> tuple[dict[int, list[np.ndarray]], list[str]]:
    """A COCO results list -> {frame number: [(joints, 3) person, ...]} (people only, category 1)."""
    by_frame: dict[int, list[np.ndarray]] = {}
    skipped = 0
    for index, entry in enumerate(data):
        where = f"{source} entry {index}"
        if not isinstance(entry, dict) or "keypoints" not in entry or "image_id" not in entry:
            raise VideoposeError(f"{where} is not a COCO keypoint result: it needs \"image_id\" and \"keypoints\"")
        if entry.get("category_id", 1) != 1:
            skipped += 1
            continue
        image_id = entry["image_id"]
        number = image_id if isinstance(image_id, int) else frame_number(str(image_id))
        if number is None:
            raise VideoposeError(f"{where}: image_id {image_id!r} holds no frame number")
        by_frame.setdefault(int(number), []).append(_coco_person(entry["keypoints"], where))
    notes = [f"{skipped} results of other categories than person (1) were ignored"] if skipped else []
    return by_frame, notes


def _mmpose_instances(data: dict, source: Path) -> dict[int, list[np.ndarray]]:
    """MMPose's ``{"meta_info", "instance_info": [{"frame_id", "instances": [...]}]}`` -> people per frame."""
    by_frame: dict[int, list[np.ndarray]] = {}
    for index, frame in enumerate(data["instance_info"]):
        where = f"{source} instance_info[{index}]"
        if not isinstance(frame, dict) or "instances" not in frame:
            raise VideoposeError(f"{where} has no \"instances\" list")
        number = int(frame.get("frame_id", index))
        people = []
        for person in frame["instances"]:
            try:
                points = np.asarray(person["keypoints"], dtype=np.float64)
                scores = np.asarray(person.get("keypoint_scores", np.ones(len(points))), dtype=np.float64)
            except (KeyError, TypeError, ValueError) as error:
                raise VideoposeError(f"{where}: an instance lacks numeric \"keypoints\" ({error})") from error
            if points.ndim != 2 or points.shape[1] != 2 or scores.shape != points.shape[:1]:
                raise VideoposeError(f"{where}: keypoints must be [[x, y], ...] with one keypoint_score each")
            people.append(_coco_person(np.concatenate([points, scores[:, None]], axis=1), where))
        by_frame[number] = people
    return by_frame


def coco_track(data: Any, source: Path) -> Track:
    """Parsed COCO-style keypoint results (or MMPose instance_info) -> the main person's keypoints."""
    if isinstance(data, dict) and isinstance(data.get("instance_info"), list):
        by_frame, notes = _mmpose_instances(data, source), []
    elif isinstance(data, list):
        by_frame, notes = _coco_results(data, source)
    else:
        raise VideoposeError(
            f"{source} is not COCO keypoint results: expected a list of {{\"image_id\", \"category_id\", \"keypoints\", "
            "\"score\"}} (or MMPose's {\"meta_info\", \"instance_info\"})"
        )
    people_all = [person for people in by_frame.values() for person in people]
    if not people_all:
        raise VideoposeError(f"{source} holds no person detections")
    counts = {len(person) for person in people_all}
    if len(counts) > 1:
        raise VideoposeError(f"{source} mixes keypoint layouts ({', '.join(_COCO_LAYOUTS[c] for c in sorted(counts))})")
    layout = _COCO_LAYOUTS[counts.pop()]
    if max(float(np.nanmax(person[:, 2])) for person in people_all) > 1.0:
        notes.append("keypoint scores above 1 were clipped to 1")
    numbers, frames, _ = _spread_over_frames(by_frame, str(source))  # frames without results: nobody detected
    people_per_frame = [[_clean_person(person) for person in people or []] for people in frames]
    keypoints, scores = select_main_person(people_per_frame, get_layout(layout).num_joints)
    return Track(keypoints, scores, layout, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# VideoPose3D custom 2D .npz


def _pick(options: dict, wanted: Any, what: str, source: Path) -> tuple[Any, list[str]]:
    keys = list(options)
    if not keys:
        raise VideoposeError(f"{source} holds no {what}s")
    if wanted is None:
        notes = [f"{source.name} holds {len(keys)} {what}s ({', '.join(map(str, keys[:8]))}); "
                 f"took {keys[0]!s} (choose with --{what})"] if len(keys) > 1 else []
        return keys[0], notes
    if wanted not in options:
        raise VideoposeError(f"{source} has no {what} {wanted!r}; it has: {', '.join(map(str, keys))}")
    return wanted, []


def read_videopose3d_npz(
    path: str | Path, subject: str | None = None, action: str | None = None, camera: int = 0,
    source_layout: str | None = None,
) -> Track:
    """VideoPose3D's 2D detections ``.npz`` (``positions_2d[subject][action][camera]`` (frames, 17, 2)).

    The file stores pickled Python dicts. They are read with a restricted unpickler
    (:func:`videopose.core.fileio.load_plain_pickled_npz`: numpy arrays, dicts, lists, strings and
    numbers only; any other class is refused, so the file cannot run code), and only when this
    format is asked for by name.
    """
    from videopose.core.fileio import load_plain_pickled_npz

    path = Path(path)
    if not path.is_file():
        raise VideoposeError(f"VideoPose3D keypoints file not found: {path}")
    data = load_plain_pickled_npz(path, what="VideoPose3D keypoints file")
    if "positions_2d" not in data:
        raise VideoposeError(f"{path} has no positions_2d: is it a VideoPose3D 2D detections file?")
    positions = data["positions_2d"].item() if data["positions_2d"].ndim == 0 else None
    metadata = data["metadata"].item() if "metadata" in data and data["metadata"].ndim == 0 else {}
    if not isinstance(positions, dict) or not all(isinstance(actions, dict) for actions in positions.values()):
        raise VideoposeError(f"{path}: positions_2d must be {{subject: {{action: [camera arrays]}}}}")
    notes: list[str] = []
    subject, subject_notes = _pick(positions, subject, "subject", path)
    action, action_notes = _pick(positions[subject], action, "action", path)
    notes += subject_notes + action_notes
    cameras = positions[subject][action]
    cameras = list(cameras) if isinstance(cameras, (list, tuple)) else [cameras]
    if not 0 <= camera < len(cameras):
        raise VideoposeError(f"{path}: {subject}/{action} has {len(cameras)} camera(s); --camera {camera} is out of range")
    if len(cameras) > 1:
        notes.append(f"{subject}/{action} has {len(cameras)} cameras; took camera {camera} (choose with --camera)")
    values = np.asarray(cameras[camera], dtype=np.float64)
    if values.ndim != 3 or values.shape[2] not in (2, 3) or values.shape[0] == 0:
        raise VideoposeError(f"{path}: {subject}/{action} camera {camera} has shape {values.shape}; expected (frames, joints, 2)")
    metadata = metadata if isinstance(metadata, dict) else {}
    layout_name = str(metadata.get("layout_name", "coco"))
    layout = source_layout or _VIDEOPOSE3D_LAYOUTS.get(layout_name)
    if layout is None or get_layout(layout).num_joints != values.shape[1]:
        raise VideoposeError(
            f"{path}: {values.shape[1]} joints do not fit layout {layout or layout_name!r} "
            f"(metadata layout_name {layout_name!r}; known: 'coco' and 'h36m', 17 joints each); pass --source-layout NAME"
        )
    if values.shape[2] == 3:
        track_points, track_scores = _clean_person_frames(values)
    else:
        track_points = values.astype(np.float32)
        track_scores = np.isfinite(track_points).all(axis=-1).astype(np.float32)  # the file has no confidences
        track_points[track_scores == 0] = np.nan
    size = (metadata.get("video_metadata") or {}).get(subject) or {}
    width, height = size.get("w"), size.get("h")
    return Track(track_points, track_scores, layout, None,
                 int(width) if width else None, int(height) if height else None, tuple(notes))


def _clean_person_frames(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    points, scores = zip(*(_clean_person(frame) for frame in values))
    return np.stack(points), np.stack(scores)


# ---------------------------------------------------------------------------------------------
# MediaPipe Pose (33 landmarks)


def _mediapipe_frame(frame: Any, where: str) -> np.ndarray:
    """One frame: null/[] (nobody) or 33 landmarks [x, y, z, visibility] or {"x", "y", "z", "visibility"}."""
    if frame is None or (isinstance(frame, list) and not frame):
        return np.full((33, 4), np.nan)
    if isinstance(frame, dict) and "landmarks" in frame:
        return _mediapipe_frame(frame["landmarks"], where)
    try:
        if isinstance(frame, list) and frame and isinstance(frame[0], dict):
            values = np.array([[mark["x"], mark["y"], mark.get("z", 0.0), mark.get("visibility", 1.0)] for mark in frame], dtype=np.float64)
        else:
            values = np.asarray(frame, dtype=np.float64)
    except (KeyError, TypeError, ValueError) as error:
        raise VideoposeError(f"{where}: landmarks must be [x, y, z, visibility] numbers ({error})") from error
    if values.shape != (33, 4):
        raise VideoposeError(f"{where}: expected 33 landmarks of [x, y, z, visibility], got shape {values.shape}")
    return values


def mediapipe_track(landmarks: np.ndarray, fps: float | None, width: int | None, height: int | None) -> Track:
    """(frames, 33, 4) landmarks (x, y in [0, 1] of the frame, z, visibility) -> a normalised Track.

    Scaling to pixels needs the frame size, which may come from the options or the video, so it
    happens in :func:`import_keypoints`.
    """
    points = landmarks[..., :2].astype(np.float32)
    scores = np.clip(np.nan_to_num(landmarks[..., 3], nan=0.0), 0.0, 1.0).astype(np.float32)
    missing = ~np.isfinite(points).all(axis=-1)
    points[missing] = np.nan
    scores[missing] = 0.0
    return Track(points, scores, "mediapipe33", fps, width, height, normalized=True)


def mediapipe_from_json(data: Any, source: Path) -> Track:
    header: dict = {}
    if isinstance(data, dict):
        header, frames = data, data.get("frames")
    else:
        frames = data
    if not isinstance(frames, list):
        raise VideoposeError(f"{source}: a MediaPipe landmarks JSON needs a \"frames\" list (or is the list itself)")
    if not frames:
        raise VideoposeError(f"{source} holds 0 frames")
    landmarks = np.stack([_mediapipe_frame(frame, f"{source} frame {index}") for index, frame in enumerate(frames)])
    return mediapipe_track(landmarks, header.get("fps"), header.get("width"), header.get("height"))


def _npz_keys(path: Path) -> list[str]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return list(data.files)
    except Exception as error:
        raise VideoposeError(f"{path} is not a readable .npz ({type(error).__name__}: {error})") from error


def mediapipe_from_npz(path: Path) -> Track:
    """``landmarks`` (frames, 33, 4) [+ fps, width, height], or a videopose keypoints file in mediapipe33."""
    keys = _npz_keys(path)
    if "landmarks" in keys:
        with np.load(path, allow_pickle=False) as data:
            landmarks = np.asarray(data["landmarks"], dtype=np.float64)
            scalars = {key: data[key].item() for key in ("fps", "width", "height") if key in data.files}
        if landmarks.ndim != 3 or landmarks.shape[1:] != (33, 4) or landmarks.shape[0] == 0:
            raise VideoposeError(f"{path}: landmarks must have shape (frames, 33, 4) [x, y, z, visibility], got {landmarks.shape}")
        return mediapipe_track(landmarks, scalars.get("fps"), scalars.get("width"), scalars.get("height"))
    if "keypoints" in keys and "layout" in keys:
        existing = Keypoints2D.load(path)
        if existing.layout != "mediapipe33":
            raise VideoposeError(f"{path} is already a videopose keypoints file (layout {existing.layout}): use it as it is")
        return Track(existing.keypoints, existing.scores, "mediapipe33", existing.fps, existing.width, existing.height)
    raise VideoposeError(f"{path} has neither \"landmarks\" nor videopose keypoints (keys: {', '.join(keys) or 'none'})")


# ---------------------------------------------------------------------------------------------
# Format detection, video properties, the import itself


def detect_format(source: Path) -> tuple[str, Any]:
    """(format name, parsed JSON or None) for ``source``; a clear error when it cannot tell."""
    if source.is_dir():
        return "openpose", None
    if not source.exists():
        raise VideoposeError(f"keypoints source not found: {source}")
    if source.suffix.lower() == ".npz":
        keys = _npz_keys(source)
        if "positions_2d" in keys:
            raise VideoposeError(
                f"{source} is a VideoPose3D 2D .npz, which stores pickled Python objects: pass --format videopose3d "
                "to read it (its pickles may then hold only arrays, dicts, lists, strings and numbers)"
            )
        if "landmarks" in keys or ("keypoints" in keys and "layout" in keys):
            return "mediapipe", None
        raise VideoposeError(f"cannot tell the format of {source} (keys: {', '.join(keys) or 'none'}); pass --format")
    if source.suffix.lower() != ".json":
        raise VideoposeError(f"cannot tell the format of {source}: expected a folder of OpenPose JSON, a .json or an .npz")
    data = _read_json(source)
    if isinstance(data, dict):
        if "people" in data:
            raise VideoposeError(f"{source} is one OpenPose frame: pass the folder that holds all the *_keypoints.json files")
        if "instance_info" in data:
            return "coco", data
        if "frames" in data:
            return "mediapipe", data
    if isinstance(data, list) and data:
        if isinstance(data[0], dict) and "image_id" in data[0]:
            return "coco", data
        if all(frame is None or isinstance(frame, (list, dict)) for frame in data):
            return "mediapipe", data
    raise VideoposeError(f"cannot tell the format of {source}; pass --format ({', '.join(FORMATS)})")


def read_video_properties(video: str | Path) -> tuple[float, int, int, int]:
    """(fps, width, height, frame count) of a video as OpenCV reports them (display orientation)."""
    import cv2

    video = Path(video)
    if not video.is_file():
        raise VideoposeError(f"video not found: {video}")
    capture = cv2.VideoCapture(str(video))
    try:
        if not capture.isOpened():
            raise VideoposeError(f"cannot open {video} as a video: is it a video file?")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        # The size of a decoded frame: OpenCV applies the rotation metadata, as detectors see the frames.
        ok, frame = capture.read()
        if not ok or frame is None:
            raise VideoposeError(f"{video} has no readable frame: is it a complete video file?")
        height, width = frame.shape[:2]
    finally:
        capture.release()
    if not (fps > 0) or width <= 0 or height <= 0:
        raise VideoposeError(f"{video} reports fps {fps:g} and size {width}x{height}: pass --fps, --width and --height")
    return fps, width, height, count


def _require_video_properties(source: Path, fps, width, height) -> None:
    lacking = [name for name, value in (("--fps", fps), ("--width", width), ("--height", height)) if value is None]
    if lacking:
        raise VideoposeError(
            f"{source} does not say the video's {', '.join(name[2:] for name in lacking)}: pass {' '.join(lacking)} "
            "or --video VIDEO (the video the keypoints were detected on)"
        )


def _settle(value, option, video_value, name: str, notes: list[str]):
    if option is not None:
        if value is not None and value != option:
            notes.append(f"the file says {name} {value}; using --{name} {option}")
        return option
    if value is not None:
        return value
    return video_value


def import_keypoints(
    source: str | Path,
    format: str = "auto",
    layout: str | None = None,
    source_layout: str | None = None,
    fps: float | None = None,
    width: int | None = None,
    height: int | None = None,
    video: str | Path | None = None,
    subject: str | None = None,
    action: str | None = None,
    camera: int = 0,
    progress: Progress | None = None,
) -> ImportedKeypoints:
    """Read another detector's keypoints into a :class:`Keypoints2D`.

    format: ``auto`` or one of FORMATS. layout: the layout to write ``keypoints`` in (default: the
    source's own; another one is converted by joint name and the original kept as ``source_*``).
    source_layout: declare the source's layout when the file does not say or says it wrongly (same
    joint count). fps/width/height: override the file; ``video`` supplies those the file lacks.
    """
    source = Path(source)
    parsed = None
    if format == "auto":
        format, parsed = detect_format(source)
    elif format not in FORMATS:
        raise VideoposeError(f"unknown keypoints format {format!r}; known: auto, {', '.join(FORMATS)}")
    elif not source.exists():
        raise VideoposeError(f"keypoints source not found: {source}")

    if format in ("openpose", "coco") and video is None:
        _require_video_properties(source, fps, width, height)  # these files never say: fail before reading them

    if format == "openpose":
        if not source.is_dir():
            raise VideoposeError(f"OpenPose keypoints are a folder of *_keypoints.json files; {source} is a file")
        track = read_openpose_folder(source, progress)
    elif format == "coco":
        track = coco_track(parsed if parsed is not None else _read_json(source), source)
    elif format == "videopose3d":
        track = read_videopose3d_npz(source, subject, action, camera, source_layout)
    elif source.suffix.lower() == ".npz":
        track = mediapipe_from_npz(source)
    else:
        track = mediapipe_from_json(parsed if parsed is not None else _read_json(source), source)

    notes = list(track.notes)
    if source_layout is not None:
        declared = get_layout(source_layout)
        if declared.num_joints != track.keypoints.shape[1]:
            raise VideoposeError(
                f"--source-layout {source_layout} has {declared.num_joints} joints but {source} has {track.keypoints.shape[1]}"
            )
        track = replace(track, layout=source_layout)

    video_fps = video_width = video_height = None
    if video is not None:
        video_fps, video_width, video_height, video_frames = read_video_properties(video)
        if video_frames > 0 and video_frames != track.keypoints.shape[0]:
            notes.append(f"{video} has {video_frames} frames, the keypoints {track.keypoints.shape[0]}")
    fps = _settle(track.fps, fps, video_fps, "fps", notes)
    width = _settle(track.width, width, video_width, "width", notes)
    height = _settle(track.height, height, video_height, "height", notes)
    _require_video_properties(source, fps, width, height)
    fps = check_fps(fps, f"{source}: fps")
    width, height = check_frame_size(width, height, f"{source}:")

    points, scores = track.keypoints, track.scores
    if track.normalized:
        points = points * np.array([width, height], dtype=np.float32)
    if not (scores > 0).any():
        raise VideoposeError(f"{source} holds no detected keypoint in any of its {len(scores)} frames")
    check_keypoints(points, scores, width, height, str(source))

    target = get_layout(layout or track.layout)
    if target.name == track.layout:
        keypoints = Keypoints2D(points, scores, track.layout, fps, width, height)
    else:
        converted_points, converted_scores = convert_layout(points, scores, get_layout(track.layout), target)
        keypoints = Keypoints2D(converted_points, converted_scores, target.name, fps, width, height,
                                source_keypoints=points, source_scores=scores, source_layout=track.layout)
    missing_frames = int((~(scores > 0).any(axis=1)).sum())
    if missing_frames:
        notes.append(f"{missing_frames} of {len(scores)} frames have no person: scored 0 (lift interpolates short gaps)")
    return ImportedKeypoints(keypoints, format, notes)
