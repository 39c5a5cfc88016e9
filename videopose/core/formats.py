"""The two files that travel between the steps: 2D keypoints and 3D motion (see docs/formats.md)."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import load_npz, save_npz
from videopose.core.layouts import get_layout
from videopose.core.validate import check_fps, check_frame_size, check_joint_positions, check_keypoints


@dataclass(frozen=True)
class Keypoints2D:
    """2D keypoints of one performer over a clip.

    keypoints: (frames, joints, 2) float32 pixels (x right, y down); NaN where unknown.
    scores: (frames, joints) float32 in [0, 1]; 0 marks a missing joint.
    source_*: the detector's own, richer layout (e.g. MediaPipe's 33 landmarks) when it had one.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    layout: str
    fps: float
    width: int
    height: int
    source_keypoints: np.ndarray | None = None
    source_scores: np.ndarray | None = None
    source_layout: str | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        keypoints = np.asarray(self.keypoints)
        scores = np.asarray(self.scores)
        if keypoints.ndim != 3 or keypoints.shape[2] != 2:
            raise VideoposeError(f"keypoints must have shape (frames, joints, 2), got {keypoints.shape}")
        if scores.shape != keypoints.shape[:2]:
            raise VideoposeError(f"scores must have shape {keypoints.shape[:2]} (frames, joints), got {scores.shape}")
        if keypoints.shape[0] == 0:
            raise VideoposeError("keypoints hold 0 frames")
        layout = get_layout(self.layout)
        if keypoints.shape[1] != layout.num_joints:
            raise VideoposeError(
                f"layout {self.layout} has {layout.num_joints} joints but the keypoints have {keypoints.shape[1]}"
            )
        object.__setattr__(self, "fps", check_fps(self.fps, "keypoints fps"))
        object.__setattr__(self, "keypoints", keypoints.astype(np.float32, copy=False))
        object.__setattr__(self, "scores", scores.astype(np.float32, copy=False))

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])

    def with_extras(self, **extras: np.ndarray) -> "Keypoints2D":
        """The same keypoints with ``extras`` added (or replaced) in their extras."""
        return replace(self, extras={**self.extras, **extras})

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> None:
        arrays: dict[str, np.ndarray] = dict(
            keypoints=self.keypoints, scores=self.scores, layout=np.array(self.layout),
            fps=np.array(self.fps, dtype=np.float64), width=np.array(self.width), height=np.array(self.height),
        )
        if self.source_keypoints is not None:
            arrays.update(
                source_keypoints=np.asarray(self.source_keypoints, dtype=np.float32),
                source_scores=np.asarray(self.source_scores, dtype=np.float32),
                source_layout=np.array(self.source_layout),
            )
        arrays.update({f"extra_{key}": value for key, value in self.extras.items()})
        save_npz(path, overwrite=overwrite, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Keypoints2D":
        data = load_npz(path, required=("keypoints", "scores", "layout", "fps", "width", "height"), what="keypoints file")
        source = f"keypoints file {path}"
        width, height = check_frame_size(data["width"], data["height"], f"{source}:")
        _check_numeric(data, ("keypoints", "scores"), source)
        loaded = cls(
            keypoints=data["keypoints"], scores=data["scores"], layout=str(data["layout"]),
            fps=check_fps(data["fps"], f"{source}: fps"), width=width, height=height,
            source_keypoints=data.get("source_keypoints"), source_scores=data.get("source_scores"),
            source_layout=str(data["source_layout"]) if "source_layout" in data else None,
            extras={key[len("extra_"):]: value for key, value in data.items() if key.startswith("extra_")},
        )
        check_keypoints(loaded.keypoints, loaded.scores, width, height, source)
        return loaded


def _check_numeric(data: dict[str, np.ndarray], keys: tuple[str, ...], source: str) -> None:
    """The arrays named ``keys`` hold numbers (not strings or other kinds)."""
    for key in keys:
        if key in data and data[key].dtype.kind not in "fiub":
            raise VideoposeError(f"{source}: {key} must hold numbers, got {data[key].dtype} values")


@dataclass(frozen=True)
class Motion3D:
    """3D joints of one performer over a clip, as the lifter writes them.

    joints_3d: (frames, 17, 3) float32 metres in the camera frame (x right, y down, z forward),
        root-relative (pelvis at the origin) unless ``trajectory`` is given.
    trajectory: (frames, 3) float32 camera-frame position of the pelvis in metres, optional.
    """

    joints_3d: np.ndarray
    fps: float
    layout: str = "h36m17"
    trajectory: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        joints_3d = np.asarray(self.joints_3d)
        layout = get_layout(self.layout)
        if joints_3d.ndim != 3 or joints_3d.shape[1:] != (layout.num_joints, 3):
            raise VideoposeError(f"joints_3d must have shape (frames, {layout.num_joints}, 3), got {joints_3d.shape}")
        if joints_3d.shape[0] == 0:
            raise VideoposeError("motion holds 0 frames")
        if self.trajectory is not None and np.shape(self.trajectory) != (joints_3d.shape[0], 3):
            raise VideoposeError(f"trajectory must have shape ({joints_3d.shape[0]}, 3), got {np.shape(self.trajectory)}")
        object.__setattr__(self, "fps", check_fps(self.fps, "motion fps"))
        object.__setattr__(self, "joints_3d", joints_3d.astype(np.float32, copy=False))
        if self.trajectory is not None:
            object.__setattr__(self, "trajectory", np.asarray(self.trajectory, dtype=np.float32))

    @property
    def num_frames(self) -> int:
        return int(self.joints_3d.shape[0])

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> None:
        arrays: dict[str, np.ndarray] = dict(
            joints_3d=self.joints_3d, layout=np.array(self.layout), fps=np.array(self.fps, dtype=np.float64)
        )
        if self.trajectory is not None:
            arrays["trajectory"] = self.trajectory
        arrays.update({f"extra_{key}": value for key, value in self.extras.items()})
        save_npz(path, overwrite=overwrite, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Motion3D":
        data = load_npz(path, required=("joints_3d", "fps"), what="motion file")
        source = f"motion file {path}"
        _check_numeric(data, ("joints_3d", "trajectory"), source)
        loaded = cls(
            joints_3d=data["joints_3d"], fps=check_fps(data["fps"], f"{source}: fps"),
            layout=str(data["layout"]) if "layout" in data else "h36m17",
            trajectory=data.get("trajectory"),
            extras={key[len("extra_"):]: value for key, value in data.items() if key.startswith("extra_")},
        )
        check_joint_positions(loaded.joints_3d, source)
        if loaded.trajectory is not None:
            check_joint_positions(loaded.trajectory, f"{source} (trajectory)")
        return loaded


# Arrays that tell the three videopose .npz files apart (docs/formats.md).
_NPZ_KINDS = (("animation", "local_quats_xyzw"), ("motion", "joints_3d"), ("keypoints", "keypoints"))
# Second suffixes that name what a file holds: walk.motion.npz, walk.keypoints.npz -> the clip "walk".
_KIND_SUFFIXES = (".animation.npz", ".motion.npz", ".anim.npz", ".keypoints.npz", ".npz", ".bvh")


def npz_kind(path: str | os.PathLike) -> str:
    """``"animation"``, ``"motion"`` or ``"keypoints"`` from the names of the arrays an ``.npz`` holds
    (read from the archive's index: nothing is loaded)."""
    source = Path(path)
    try:
        with zipfile.ZipFile(source) as archive:
            keys = {Path(name).stem for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as error:
        raise VideoposeError(f"{source} is not a readable .npz ({error}): is it a videopose file?") from error
    for kind, key in _NPZ_KINDS:
        if key in keys:
            return kind
    raise VideoposeError(
        f"{source} holds neither an animation (local_quats_xyzw), a motion (joints_3d) nor keypoints; "
        f"it has: {', '.join(sorted(keys)) or 'nothing'}"
    )


def load_motion_or_animation(path: str | os.PathLike):
    """A :class:`Motion3D` (from ``lift``) or an :class:`~videopose.core.animation.Animation` (from
    ``retarget``/``run``), told apart by :func:`npz_kind`."""
    from videopose.core.animation import Animation

    kind = npz_kind(path)
    if kind == "keypoints":
        raise VideoposeError(f"{path} is neither a motion (joints_3d, from lift) nor an animation (local_quats_xyzw, "
                             "from retarget): it holds 2D keypoints")
    return Motion3D.load(path) if kind == "motion" else Animation.load(path)


def clip_name(path: str | os.PathLike) -> str:
    """``walk.motion.npz`` -> ``walk``: the clip a file belongs to (armature, action and output names)."""
    name = Path(path).name
    for suffix in _KIND_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return Path(path).stem
