"""Skeletal animation: a joint tree with rest offsets, and per-frame local rotations plus root motion.

Conventions (shared by the solver, BVH, and the Blender add-on):
- World frame: right-handed, Z up, metres; the performer faces -Y at rest (Blender's front view).
- Rest pose = every local rotation the identity (as in BVH): ``offsets[j]`` is joint j's position
  relative to its parent in that rest pose, in world axes.
- Forward kinematics: ``world_rot[j] = world_rot[parent] * local_rot[j]`` and
  ``world_pos[j] = world_pos[parent] + world_rot[parent] @ offsets[j]``; the root is at
  ``root_positions[f]`` with rotation ``local_rot[root]``.
- Quaternions are scalar-last ``(x, y, z, w)``, as ``scipy.spatial.transform.Rotation`` uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.errors import VideoposeError
from videopose.core.fileio import load_npz, save_npz
from videopose.core.validate import check_fps, check_joint_positions, check_rotations


@dataclass(frozen=True)
class Skeleton:
    """A joint tree. ``parents[j] < j`` (parents first), -1 for the root; offsets (joints, 3) metres."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64)
        if offsets.shape != (len(self.names), 3) or len(self.parents) != len(self.names):
            raise VideoposeError(
                f"skeleton needs one name, parent and (3,) offset per joint; got {len(self.names)} names, "
                f"{len(self.parents)} parents, offsets {offsets.shape}"
            )
        if self.parents[0] != -1 or any(not (-1 <= p < j) for j, p in enumerate(self.parents[1:], start=1)):
            raise VideoposeError("skeleton joints must be ordered parents-first with a single root at index 0")
        if len(set(self.names)) != len(self.names):
            raise VideoposeError("skeleton joint names must be unique")
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "parents", tuple(int(p) for p in self.parents))

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise VideoposeError(f"skeleton has no joint {name!r}") from None

    def children(self, joint: int) -> list[int]:
        return [j for j, p in enumerate(self.parents) if p == joint]

    def bone_lengths(self) -> np.ndarray:
        """(joints,) distance of each joint from its parent (0 for the root)."""
        return np.linalg.norm(self.offsets, axis=1)

    def rest_positions(self) -> np.ndarray:
        """(joints, 3) world positions in the rest pose with the root at the origin."""
        positions = np.zeros((self.num_joints, 3))
        for joint, parent in enumerate(self.parents):
            if parent >= 0:
                positions[joint] = positions[parent] + self.offsets[joint]
        return positions


CONTACT_EXTRAS = ("heel_contacts", "toe_contacts")  # extras that are (frames, 2) foot contacts, like ``contacts``


@dataclass(frozen=True)
class Animation:
    """Local rotations (frames, joints, 4) xyzw and root positions (frames, 3) metres, at ``fps``.

    ``contacts`` (frames, 2) bool marks left/right foot contact where the solver detected it.
    """

    skeleton: Skeleton
    local_quats_xyzw: np.ndarray
    root_positions: np.ndarray
    fps: float
    contacts: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        quats = np.asarray(self.local_quats_xyzw, dtype=np.float64)
        roots = np.asarray(self.root_positions, dtype=np.float64)
        frames = quats.shape[0] if quats.ndim == 3 else -1
        if quats.shape != (frames, self.skeleton.num_joints, 4) or frames < 1:
            raise VideoposeError(
                f"local_quats_xyzw must have shape (frames, {self.skeleton.num_joints}, 4), got {quats.shape}"
            )
        if roots.shape != (frames, 3):
            raise VideoposeError(f"root_positions must have shape ({frames}, 3), got {roots.shape}")
        object.__setattr__(self, "fps", check_fps(self.fps, "animation fps"))
        if not (np.isfinite(quats).all() and np.isfinite(roots).all()):
            raise VideoposeError("animation holds NaN or infinite values")
        named = [("contacts", self.contacts)] + [(f"extra_{key}", self.extras.get(key)) for key in CONTACT_EXTRAS]
        for name, contacts in named:
            if contacts is not None and np.shape(contacts) != (frames, 2):
                raise VideoposeError(f"{name} must have shape ({frames}, 2) (left, right foot per frame), "
                                     f"got {np.shape(contacts)}")
        object.__setattr__(self, "local_quats_xyzw", quats)
        object.__setattr__(self, "root_positions", roots)

    @property
    def num_frames(self) -> int:
        return int(self.local_quats_xyzw.shape[0])

    def world_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Forward kinematics: world positions (frames, joints, 3) and world rotation matrices (frames, joints, 3, 3)."""
        return forward_kinematics(self.skeleton, self.local_quats_xyzw, self.root_positions)

    def world_positions(self) -> np.ndarray:
        """(frames, joints, 3) world joint positions in metres."""
        return self.world_transforms()[0]

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> None:
        arrays = dict(
            joint_names=np.array(self.skeleton.names), parents=np.array(self.skeleton.parents, dtype=np.int32),
            offsets=self.skeleton.offsets, local_quats_xyzw=self.local_quats_xyzw,
            root_positions=self.root_positions, fps=np.array(self.fps, dtype=np.float64),
        )
        if self.contacts is not None:
            arrays["contacts"] = np.asarray(self.contacts, dtype=bool)
        arrays.update({f"extra_{key}": value for key, value in self.extras.items()})
        save_npz(path, overwrite=overwrite, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Animation":
        data = load_npz(
            path, required=("joint_names", "parents", "offsets", "local_quats_xyzw", "root_positions", "fps"),
            what="animation file",
        )
        source = f"animation file {path}"
        for key in ("parents", "offsets", "local_quats_xyzw", "root_positions"):
            if data[key].dtype.kind not in "fiu":
                raise VideoposeError(f"{source}: {key} must hold numbers, got {data[key].dtype} values")
        check_rotations(data["local_quats_xyzw"], source)
        check_joint_positions(data["root_positions"], f"{source} (root positions)")
        if data["joint_names"].ndim != 1 or data["parents"].shape != data["joint_names"].shape:
            raise VideoposeError(f"{source}: joint_names and parents must be two lists of one length")
        skeleton = Skeleton(tuple(str(n) for n in data["joint_names"]), tuple(int(p) for p in data["parents"]), data["offsets"])
        return cls(
            skeleton, data["local_quats_xyzw"], data["root_positions"], check_fps(data["fps"], f"{source}: fps"),
            data.get("contacts"),
            extras={key[len("extra_"):]: value for key, value in data.items() if key.startswith("extra_")},
        )


def forward_kinematics(
    skeleton: Skeleton, local_quats_xyzw: np.ndarray, root_positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(frames, joints, 4) local quaternions + (frames, 3) root -> world positions (frames, joints, 3)
    and world rotation matrices (frames, joints, 3, 3). Vectorised over frames; one step per joint."""
    frames, joints = local_quats_xyzw.shape[:2]
    local_matrices = Rotation.from_quat(local_quats_xyzw.reshape(-1, 4)).as_matrix().reshape(frames, joints, 3, 3)
    world_matrices = np.empty_like(local_matrices)
    world_positions = np.empty((frames, joints, 3))
    for joint, parent in enumerate(skeleton.parents):
        if parent < 0:
            world_matrices[:, joint] = local_matrices[:, joint]
            world_positions[:, joint] = root_positions
        else:
            world_matrices[:, joint] = world_matrices[:, parent] @ local_matrices[:, joint]
            world_positions[:, joint] = world_positions[:, parent] + world_matrices[:, parent] @ skeleton.offsets[joint]
    return world_positions, world_matrices


def make_continuous(quats_xyzw: np.ndarray) -> np.ndarray:
    """(frames, joints, 4) -> the same rotations with q or -q chosen so consecutive frames have dot >= 0."""
    if len(quats_xyzw) < 2:
        return quats_xyzw.copy()
    dots = np.sum(quats_xyzw[1:] * quats_xyzw[:-1], axis=-1)
    flips = np.where(dots < 0, -1.0, 1.0)
    signs = np.concatenate([np.ones((1,) + flips.shape[1:]), np.cumprod(flips, axis=0)])
    return quats_xyzw * signs[..., None]
