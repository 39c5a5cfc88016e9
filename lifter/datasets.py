"""Training data: mocap clips of 3D points, the cached dataset file, the train/validation split,
and readers for VideoPose3D's public formats (Human3.6M, HumanEva, custom).

A :class:`MocapDataset` holds clips of world-frame points in :data:`videopose.lifter.mocap.MOCAP_NAMES`
order (H36M17 + five face points), Z up, metres. Clips from the VideoPose3D formats hold only the
17 H36M joints; they carry ``has_face=False`` and the synthesiser makes the face points from the
head and neck (see :func:`complete_face_points`).

The split is by clip and, where known, by subject, fixed and documented (docs/training.md):
validation = CMU subject 07 (all its clips, every skeleton: ``cmu_07``, ``007`` in older datasets), HDM05
actor ``mm`` (``hdm05_mm``) + :data:`VALIDATION_DAZ_CLIPS`;
for Human3.6M, subjects S9 and S11 (the paper's protocol); HumanEva: the ``Validate/`` chunks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import load_npz, save_npz

VALIDATION_SUBJECTS = ("cmu_07", "007", "hdm05_mm", "S9", "S11")
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
    return (clip.subject in VALIDATION_SUBJECTS or any(clip.name == name or clip.name.endswith("/" + name)
                                                       for name in VALIDATION_DAZ_CLIPS)
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


# Leading frames to drop per clip, for the known flaws of the sources (../shared/mocap/cmu/README.md): the
# papagina Daz clips (daz/<style>/NN.bvh) still blend out of an added T-pose in their first frames.
T_POSE_BLEND_FRAMES = 2
MOCAP_SUFFIXES = (".bvh", ".amc")


def _clip_identity(path: Path, root: Path) -> tuple[str, str]:
    """-> (clip name, subject) from the path below the dataset root.

    Names are the path without suffix ('cmu/daz/salsa/01', or 'daz/salsa/01' below ``cmu/``). Subjects:
    ``cmu_NN`` for CMU folders named by subject (cc/NNN, daz/NN, asf/NN, asfbvh/NN), ``hdm05_<actor>``,
    else the parent folder (the papagina styles, whose CMU subject is unknown).
    """
    relative = path.relative_to(root).with_suffix("")
    parts = relative.parts
    name = "/".join(parts)
    if len(parts) >= 2 and parts[-2].isdigit() and len(parts) >= 3 and parts[-3] in ("cc", "daz", "asf", "asfbvh"):
        return name, f"cmu_{int(parts[-2]):02d}"
    if len(parts) >= 3 and parts[-3] == "hdm05":
        return name, f"hdm05_{parts[-2]}"
    if len(parts) >= 2:
        return name, "/".join(parts[:-1])
    return name, "unknown"


def find_bvh_files(directory: str | os.PathLike) -> list[Path]:
    """Every motion file (.bvh, .amc) under ``directory``, sorted; raises if there is none."""
    root = Path(directory)
    if not root.is_dir():
        raise VideoposeError(f"mocap folder not found: {root}")
    files = sorted(path for path in root.rglob("*") if path.suffix.lower() in MOCAP_SUFFIXES)
    if not files:
        raise VideoposeError(f"no .bvh or .amc files under {root}")
    return files


def _is_papagina(name: str, skeleton: str) -> bool:
    parts = name.split("/")
    return skeleton == "daz" and len(parts) >= 3 and parts[-3] == "daz" and not parts[-2].isdigit()


def read_mocap_clip(path: Path, name: str, subject: str, skeleton: str | None = None, fps: float = 30.0) -> MocapClip:
    """One BVH or AMC file -> MocapClip of MOCAP_NAMES points; errors name the file (and the missing joint)."""
    from videopose.core.animation import Animation, Skeleton
    from videopose.core.asf_amc import read_asf_amc
    from videopose.core.bvh import read_bvh
    from videopose.lifter.mocap import ASF_UNIT_M, detect_skeleton_type, mocap_points

    try:
        if path.suffix.lower() == ".amc":
            animation = read_asf_amc(path, fps=fps)
            detected = "asf"
        else:
            animation = read_bvh(path)
            detected = detect_skeleton_type(animation.skeleton.names)
        skeleton = skeleton or detected
        if skeleton == "asfbvh":
            # BVH in ASF units (1/0.45 inch), which the BVH unit detection does not list.
            factor = ASF_UNIT_M / float(animation.extras.get("bvh_scale", 1.0))
            old = animation.skeleton
            animation = Animation(Skeleton(old.names, old.parents, old.offsets * factor), animation.local_quats_xyzw,
                                  animation.root_positions * factor, animation.fps, extras=animation.extras)
        points = mocap_points(animation, skeleton)
    except VideoposeError as error:
        raise VideoposeError(f"{path}: {error}") from None
    if _is_papagina(name, skeleton):
        points = points[T_POSE_BLEND_FRAMES:]
    if not np.isfinite(points).all():
        raise VideoposeError(f"{path}: forward kinematics gave NaN or infinite joint positions")
    return MocapClip(name, points, animation.fps, subject, skeleton)


def mocap_table(root: Path) -> list[dict[str, str]] | None:
    """``root/clips.csv`` rows (path, skeleton, subject, ...) when it exists, else None."""
    import csv

    table = root / "clips.csv"
    if not table.is_file():
        return None
    with open(table, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    if rows and not {"path", "skeleton"} <= set(rows[0]):
        raise VideoposeError(f"{table}: needs 'path' and 'skeleton' columns")
    return rows


def dataset_from_bvh(directory: str | os.PathLike, progress=None) -> MocapDataset:
    """Every clip under ``directory`` -> MocapDataset of MOCAP_NAMES points (names relative to it).

    With a ``clips.csv`` (../shared/mocap) its rows give the files, skeleton types and subjects (an empty
    subject falls back to the folder); otherwise every .bvh and .amc below is read (the skeleton type
    detected from the joint names; AMC files use the one .asf beside them). Sources: BVH (daz, cc,
    asfbvh) and ASF/AMC (CMU, HDM05). The first frames of the papagina Daz clips are dropped (T-pose blend).
    """
    root = Path(directory)
    rows = mocap_table(root)
    if rows is None:
        entries = [(path, *_clip_identity(path, root), None) for path in find_bvh_files(root)]
    else:
        entries = []
        for row in rows:
            path = root / row["path"]
            if not path.is_file():
                raise VideoposeError(f"{root / 'clips.csv'} lists {row['path']}, which is not there")
            name, subject = _clip_identity(path, root)
            entries.append((path, name, row.get("subject") or subject, row["skeleton"] or None))
    clips = []
    for index, (path, name, subject, skeleton) in enumerate(entries):
        clips.append(read_mocap_clip(path, name, subject, skeleton))
        if progress:
            progress(index + 1, len(entries), name)
    return MocapDataset(clips)


def minutes_by_source(dataset: MocapDataset) -> dict[str, float]:
    """Minutes of motion per source folder (the clip name's first parts: cmu/daz, cmu/cc, cmu/asf, hdm05...)."""
    result: dict[str, float] = {}
    for clip in dataset.clips:
        parts = clip.name.split("/")
        key = "hdm05" if parts[0] == "hdm05" else "/".join(parts[:2]) if parts[0] == "cmu" else parts[0]
        result[key] = result.get(key, 0.0) + clip.points.shape[0] / clip.fps / 60
    return dict(sorted(result.items()))


def load_training_data(source: str | os.PathLike, progress=None) -> MocapDataset:
    """A prepared dataset .npz, a VideoPose3D ``data_3d_*.npz``, or a mocap folder (BVH, ASF/AMC, clips.csv)."""
    path = Path(source)
    if path.is_dir():
        return dataset_from_bvh(path, progress)
    if not path.exists():
        raise VideoposeError(f"training data not found: {path} (give a BVH folder or a dataset .npz)")
    from videopose.core.fileio import npz_keys

    keys = set(npz_keys(path, what="training data"))
    if "positions_3d" in keys:
        return load_videopose3d_3d(path)
    return MocapDataset.load(path)


# --- VideoPose3D public formats -------------------------------------------------------------------
# Their .npz files hold Python dicts (pickled object arrays). They are read with the restricted
# unpickler of videopose.core.fileio, which rebuilds numpy arrays, dicts, lists, strings and numbers
# only: a pickle naming any other class (how a hostile file would run code) is refused.

def _load_pickled_dict(path: Path, key: str) -> dict:
    from videopose.core.fileio import load_plain_pickled_npz

    arrays = load_plain_pickled_npz(path, what="VideoPose3D file")
    if key not in arrays:
        raise VideoposeError(f"{path} has no {key!r} (has {', '.join(arrays) or 'nothing'}): not a VideoPose3D file")
    value = arrays[key].item() if arrays[key].dtype.hasobject and arrays[key].ndim == 0 else None
    if not isinstance(value, dict):
        raise VideoposeError(f"{path}: {key!r} must hold a dict of subject -> action -> arrays")
    return value


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
