"""Training data: mocap clips of 3D points, the cached dataset file, the train/validation split,
and readers for VideoPose3D's public formats (Human3.6M, HumanEva, custom).

A :class:`MocapDataset` holds clips of world-frame points in :data:`videopose.lifter.mocap.MOCAP_NAMES`
order (H36M17 + five face points), Z up, metres. Clips from the VideoPose3D formats hold only the
17 H36M joints; they carry ``has_face=False`` and the synthesiser makes the face points from the
head and neck (see :func:`complete_face_points`).

The split is by clip and, where known, by subject, fixed and documented (docs/training.md):
validation = CMU subject 007 (all its clips, cc skeleton) + :data:`VALIDATION_DAZ_CLIPS`;
for Human3.6M, subjects S9 and S11 (the paper's protocol); HumanEva: the ``Validate/`` chunks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import load_npz, save_npz

VALIDATION_SUBJECTS = ("007", "S9", "S11")
VALIDATION_DAZ_CLIPS = ("daz/martial/03", "daz/indian/04", "daz/salsa/01", "daz/salsa/16")
# Human3.6M's 32-joint skeleton -> the 17 joints VideoPose3D uses (its order = H36M17 here).
H36M32_TO_17 = np.array([0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27])
# VideoPose3D's HumanEva-15 order: pelvis, thorax, l shoulder/elbow/wrist, r shoulder/elbow/wrist,
# l hip/knee/ankle, r hip/knee/ankle, head. H36M17 joints taken from it (-1: made, see below).
HUMANEVA15_TO_17 = np.array([0, 11, 12, 13, 8, 9, 10, -1, 1, -1, 14, 2, 3, 4, 5, 6, 7])


@dataclass
class MocapClip:
    """One clip: points (frames, joints, 3) world metres Z up, names/fps/subject/skeleton type."""

    name: str
    points: np.ndarray
    fps: float
    subject: str
    skeleton: str
    has_face: bool = True


@dataclass
class MocapDataset:
    clips: list[MocapClip] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(sum(clip.points.shape[0] for clip in self.clips))

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> None:
        """One .npz, no pickles: points concatenated, with per-clip offsets and metadata arrays."""
        if not self.clips:
            raise VideoposeError("dataset has no clips to save")
        lengths = np.array([clip.points.shape[0] for clip in self.clips], dtype=np.int64)
        joints = {clip.points.shape[1] for clip in self.clips}
        if len(joints) != 1:
            raise VideoposeError(f"all clips need the same joints to be saved together, got {sorted(joints)}")
        save_npz(
            path, overwrite=overwrite,
            points=np.concatenate([clip.points for clip in self.clips]).astype(np.float32),
            clip_lengths=lengths,
            clip_names=np.array([clip.name for clip in self.clips]),
            clip_fps=np.array([clip.fps for clip in self.clips], dtype=np.float64),
            clip_subjects=np.array([clip.subject for clip in self.clips]),
            clip_skeletons=np.array([clip.skeleton for clip in self.clips]),
            clip_has_face=np.array([clip.has_face for clip in self.clips]),
            format_version=np.array(1),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MocapDataset":
        data = load_npz(path, required=("points", "clip_lengths", "clip_names", "clip_fps", "clip_subjects",
                                        "clip_skeletons"), what="training dataset")
        starts = np.concatenate([[0], np.cumsum(data["clip_lengths"])])
        has_face = data.get("clip_has_face", np.ones(len(data["clip_names"]), bool))
        clips = [
            MocapClip(str(name), data["points"][starts[i]:starts[i + 1]].astype(np.float64), float(data["clip_fps"][i]),
                      str(data["clip_subjects"][i]), str(data["clip_skeletons"][i]), bool(has_face[i]))
            for i, name in enumerate(data["clip_names"])
        ]
        return cls(clips)


def is_validation_clip(clip: MocapClip) -> bool:
    """The fixed split (module docstring): validation subjects, the listed daz clips and HumanEva's
    ``Validate/`` chunks."""
    return (clip.subject in VALIDATION_SUBJECTS or clip.name in VALIDATION_DAZ_CLIPS
            or clip.subject.startswith("Validate/"))


def split_dataset(dataset: MocapDataset) -> tuple[MocapDataset, MocapDataset]:
    """-> (train, validation), by clip/subject; raises if either side is empty."""
    train = [clip for clip in dataset.clips if not is_validation_clip(clip)]
    validation = [clip for clip in dataset.clips if is_validation_clip(clip)]
    if not train or not validation:
        raise VideoposeError(
            f"the fixed train/validation split left {len(train)} training and {len(validation)} validation clips; "
            f"validation = subjects {', '.join(VALIDATION_SUBJECTS)} and clips {', '.join(VALIDATION_DAZ_CLIPS)}"
        )
    return MocapDataset(train), MocapDataset(validation)


def _clip_identity(bvh_path: Path, root: Path) -> tuple[str, str]:
    """-> (clip name 'daz/salsa/01', subject) from the path below the dataset root."""
    relative = bvh_path.relative_to(root).with_suffix("")
    parts = relative.parts
    name = "/".join(parts)
    if len(parts) >= 3 and parts[-3] == "cc":
        return name, parts[-2]
    if len(parts) >= 2:
        return name, "/".join(parts[:-1])
    return name, "unknown"


def find_bvh_files(directory: str | os.PathLike) -> list[Path]:
    root = Path(directory)
    if not root.is_dir():
        raise VideoposeError(f"BVH folder not found: {root}")
    files = sorted(root.rglob("*.bvh"))
    if not files:
        raise VideoposeError(f"no .bvh files under {root}")
    return files


def dataset_from_bvh(directory: str | os.PathLike, progress=None) -> MocapDataset:
    """Read every BVH under ``directory`` -> MocapDataset of MOCAP_NAMES points (names relative to it)."""
    from videopose.lifter.mocap import detect_skeleton_type, mocap_points
    from videopose.core.bvh import read_bvh

    root = Path(directory)
    files = find_bvh_files(root)
    clips = []
    for index, bvh_path in enumerate(files):
        animation = read_bvh(bvh_path)
        skeleton = detect_skeleton_type(animation.skeleton.names)
        name, subject = _clip_identity(bvh_path, root)
        clips.append(MocapClip(name, mocap_points(animation, skeleton), animation.fps, subject, skeleton))
        if progress:
            progress(index + 1, len(files), name)
    return MocapDataset(clips)


def load_training_data(source: str | os.PathLike, progress=None) -> MocapDataset:
    """A prepared dataset .npz, a VideoPose3D ``data_3d_*.npz``, or a folder of BVH files."""
    path = Path(source)
    if path.is_dir():
        return dataset_from_bvh(path, progress)
    if not path.exists():
        raise VideoposeError(f"training data not found: {path} (give a BVH folder or a dataset .npz)")
    with np.load(path, allow_pickle=False) as probe:
        keys = set(probe.files)
    if "positions_3d" in keys:
        return load_videopose3d_3d(path)
    return MocapDataset.load(path)


# --- VideoPose3D public formats -------------------------------------------------------------------
# Their .npz files hold Python dicts (pickled object arrays): loading needs allow_pickle=True, which
# can execute code from a malicious file. Only load files you made or got from a source you trust.

def _load_pickled_dict(path: Path, key: str) -> dict:
    try:
        with np.load(path, allow_pickle=True) as data:
            if key not in data.files:
                raise VideoposeError(f"{path} has no {key!r} (has {', '.join(data.files)}): not a VideoPose3D file")
            return data[key].item()
    except (OSError, ValueError) as error:
        raise VideoposeError(f"cannot read VideoPose3D file {path}: {error}") from error


def load_videopose3d_3d(path: str | os.PathLike, fps: float = 50.0) -> MocapDataset:
    """``data_3d_h36m.npz`` (positions_3d: subject -> action -> (frames, 32, 3) metres, Y down... as
    stored by VideoPose3D: world frame, Z up) or ``data_3d_humaneva15.npz`` (15 joints) / custom (frames, 17, 3).

    Human3.6M's 32 joints are reduced to the 17 used here; 17-joint files are kept as they are.
    Human3.6M world coordinates are Z up in metres, as this project's.
    """
    positions = _load_pickled_dict(Path(path), "positions_3d")
    clips = []
    for subject in sorted(positions):
        for action in sorted(positions[subject]):
            points = np.asarray(positions[subject][action], dtype=np.float64)
            if points.ndim == 4:  # HumanEva stores one array per camera chunk in some versions
                points = points[0]
            if points.ndim != 3 or points.shape[-1] != 3:
                raise VideoposeError(f"{path}: {subject}/{action} must be (frames, joints, 3), got {points.shape}")
            if points.shape[1] == 32:
                points = points[:, H36M32_TO_17]
            elif points.shape[1] == 15:
                points = h36m17_from_humaneva15(points)
            if points.shape[1] != 17:
                raise VideoposeError(
                    f"{path}: {subject}/{action} has {points.shape[1]} joints; this trainer needs the 17-joint "
                    "Human3.6M layout (or the 32-joint original, or HumanEva's 15)"
                )
            clips.append(MocapClip(f"{subject}/{action}", complete_face_points(points), fps, str(subject), "h36m",
                                   has_face=False))
    if not clips:
        raise VideoposeError(f"{path} holds no clips")
    return MocapDataset(clips)


def h36m17_from_humaneva15(points: np.ndarray) -> np.ndarray:
    """(frames, 15, 3) HumanEva-15 -> (frames, 17, 3) H36M17. HumanEva has no spine or neck/nose
    point: the spine is put midway between pelvis and thorax, neck/nose a third of the way from
    the thorax to the head (where Human3.6M's joint 9 sits)."""
    result = points[:, np.maximum(HUMANEVA15_TO_17, 0)].copy()
    pelvis, thorax, head = points[:, 0], points[:, 1], points[:, 14]
    result[:, 7] = (pelvis + thorax) / 2
    result[:, 9] = thorax + (head - thorax) / 3
    return result


def complete_face_points(h36m_points: np.ndarray) -> np.ndarray:
    """(frames, 17, 3) H36M17 -> (frames, 22, 3) with face points estimated from thorax, nose and head.

    The H36M skeleton has no eyes/ears: the head's up axis is thorax->head top, left is the shoulder
    line, and the face points are placed as in :mod:`videopose.lifter.mocap` relative to the neck_nose joint.
    """
    thorax, neck_nose, head = h36m_points[:, 8], h36m_points[:, 9], h36m_points[:, 10]
    up = head - thorax
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-9)
    left = h36m_points[:, 11] - h36m_points[:, 14]
    left -= (left * up).sum(-1, keepdims=True) * up
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-9)
    forward = np.cross(left, up)
    eye_mid = neck_nose + 0.04 * up + 0.02 * forward
    nose = eye_mid + 0.035 * forward - 0.04 * up
    ear_centre = eye_mid - 0.08 * forward - 0.01 * up
    face = np.stack([nose, eye_mid + 0.032 * left, eye_mid - 0.032 * left,
                     ear_centre + 0.075 * left, ear_centre - 0.075 * left], axis=1)
    return np.concatenate([h36m_points, face], axis=1)
