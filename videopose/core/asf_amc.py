"""Acclaim ASF/AMC motion capture (CMU, HDM05): read into an :class:`~videopose.core.animation.Animation`.

The ASF is the skeleton, the AMC the motion (one ASF serves every AMC of a subject). Conventions of
the format (Acclaim / Vicon BodyBuilder, as CMU and HDM05 publish it):

- a bone has a ``direction`` (unit vector) and a ``length`` in the rest pose, both in world axes, and
  an ``axis ax ay az XYZ`` line: the bone's local frame ``C`` (angles in the file's angle unit, applied
  in the order the letters give, about fixed axes: ``XYZ`` -> ``C = Rz Ry Rx``);
- an AMC line ``bone v1 v2 ...`` holds the bone's ``dof`` values in its ``dof`` order; the rotations
  ``rx ry rz`` are applied in that order about the axes of ``C`` (``M = Rz Ry Rx`` for ``rx ry rz``);
  the bone's world rotation is ``W = W_parent C M C^-1``; the root's numbers follow ``:root order``
  (translations ``TX TY TZ`` and rotations about the root ``axis``), on top of its ``position``;
- a bone starts where its parent ends (the root's children at the root position) and ends at
  ``start + W (direction * length)``;
- lengths and root translations are in ASF units: ``:units length L`` means 1 unit = 1/L inch
  (CMU and HDM05: L = 0.45, metres = value x 0.056444); angles in degrees (``angle deg``) or radians.

The result uses the BVH form of the same skeleton (as CMU's own ASF -> BVH conversions do): a joint
``root`` at the root position, one joint per bone at the bone's *start*, named after the bone, whose
local rotation is the bone's ``C M C^-1``, and an end joint ``<bone>_end`` at the end of every bone
without children (flagged in ``extras["bvh_end_site"]``, as :func:`videopose.core.bvh.read_bvh` flags
End Sites). Y-up files (both databases) are turned to the project's world frame (Z up, metres,
performer facing -Y) by ``(x, y, z) -> (x, -z, y)``, as the BVH reader does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton
from videopose.core.bvh import Z_UP_FROM_Y_UP
from videopose.core.errors import VideoposeError

INCH_M = 0.0254
_DOF_AXES = {"rx": "x", "ry": "y", "rz": "z"}


@dataclass(frozen=True)
class AsfSkeleton:
    """One ASF file: bones in file order (parents first after :func:`read_asf` sorts them).

    ``directions`` (bones, 3) unit vectors and ``lengths`` (bones,) in ASF units; ``axes`` (bones, 3)
    the ``axis`` angles in degrees with ``axis_orders`` (e.g. 'XYZ'); ``dofs`` per bone, e.g.
    ('rx', 'ry', 'rz'); ``parents`` (bones,) index of the parent bone, -1 for children of the root.
    The root: ``root_order`` (e.g. ('tx', 'ty', 'tz', 'rx', 'ry', 'rz')), ``root_axis`` order,
    ``root_position`` / ``root_orientation`` (3,) ASF units / degrees. ``metres_per_unit`` from ``:units``.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    directions: np.ndarray
    lengths: np.ndarray
    axes: np.ndarray
    axis_orders: tuple[str, ...]
    dofs: tuple[tuple[str, ...], ...]
    root_order: tuple[str, ...]
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    metres_per_unit: float


def _sections(text: str) -> dict[str, list[str]]:
    """':keyword' sections -> their lines (the keyword line's own rest first)."""
    sections: dict[str, list[str]] = {}
    current = None
    for raw_line in text.splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(":"):
            keyword, _, rest = line[1:].partition(" ")
            current = keyword.lower()
            sections[current] = [rest.strip()] if rest.strip() else []
        elif current is not None:
            sections[current].append(line)
    return sections


def _angle_scale(units: list[str], source: str) -> tuple[float, float]:
    """``:units`` lines -> (metres per length unit, degrees per angle unit)."""
    values = {}
    for line in units:
        parts = line.split()
        if len(parts) >= 2:
            values[parts[0].lower()] = parts[1].lower()
    try:
        length = float(values.get("length", "1.0"))
    except ValueError:
        raise VideoposeError(f"{source}: ASF ':units length' is not a number") from None
    if not length > 0:
        raise VideoposeError(f"{source}: ASF ':units length' must be positive")
    angle = values.get("angle", "deg")
    if angle not in ("deg", "rad"):
        raise VideoposeError(f"{source}: ASF ':units angle' must be deg or rad, got {angle!r}")
    return INCH_M / length, (1.0 if angle == "deg" else float(np.degrees(1.0)))


def read_asf(path: str | os.PathLike) -> AsfSkeleton:
    """Parse an ASF skeleton file (see the module docstring); angles are returned in degrees."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise VideoposeError(f"cannot read ASF file {source}: {error}") from error
    sections = _sections(text)
    for needed in ("root", "bonedata", "hierarchy"):
        if needed not in sections:
            raise VideoposeError(f"{source} is not an ASF skeleton: it has no ':{needed}' section")
    metres_per_unit, degrees_per_unit = _angle_scale(sections.get("units", []), str(source))
    root = {parts[0].lower(): parts[1:] for parts in (line.split() for line in sections["root"])}
    try:
        root_order = tuple(value.lower() for value in root.get("order", ["tx", "ty", "tz", "rx", "ry", "rz"]))
        root_axis = root.get("axis", ["XYZ"])[0].upper()
        root_position = np.array([float(v) for v in root.get("position", [0, 0, 0])[:3]])
        root_orientation = np.array([float(v) for v in root.get("orientation", [0, 0, 0])[:3]]) * degrees_per_unit
    except ValueError as error:
        raise VideoposeError(f"{source}: malformed ASF :root section ({error})") from error

    bones: dict[str, dict] = {}
    order: list[str] = []
    current: dict | None = None
    for line in sections["bonedata"]:
        parts = line.split()
        key = parts[0].lower()
        if key == "begin":
            current = {"dof": ()}
        elif key == "end":
            if current is None or "name" not in current:
                raise VideoposeError(f"{source}: an ASF bone block has no name")
            for field_name in ("direction", "length", "axis"):
                if field_name not in current:
                    raise VideoposeError(f"{source}: ASF bone {current['name']!r} has no {field_name}")
            bones[current["name"]] = current
            order.append(current["name"])
            current = None
        elif current is not None:
            try:
                if key == "name":
                    current["name"] = parts[1]
                elif key == "direction":
                    current["direction"] = np.array([float(v) for v in parts[1:4]])
                elif key == "length":
                    current["length"] = float(parts[1])
                elif key == "axis":
                    current["axis"] = np.array([float(v) for v in parts[1:4]]) * degrees_per_unit
                    current["axis_order"] = parts[4].upper() if len(parts) > 4 else "XYZ"
                elif key == "dof":
                    current["dof"] = tuple(value.lower() for value in parts[1:])
            except (IndexError, ValueError) as error:
                raise VideoposeError(f"{source}: malformed ASF line {line!r} ({error})") from error

    parent_of: dict[str, str] = {}
    for line in sections["hierarchy"]:
        parts = line.split()
        if parts[0].lower() in ("begin", "end"):
            continue
        for child in parts[1:]:
            if child in parent_of:
                raise VideoposeError(f"{source}: ASF bone {child!r} has two parents in :hierarchy")
            parent_of[child] = parts[0]
    unknown = [name for name in (*parent_of, *parent_of.values()) if name != "root" and name not in bones]
    if unknown:
        raise VideoposeError(f"{source}: ASF :hierarchy names bones that :bonedata lacks: {', '.join(sorted(set(unknown)))}")
    # Parents first: breadth-first from the root, keeping file order among siblings.
    sorted_names: list[str] = []
    frontier = ["root"]
    while frontier:
        children = [name for name in order if parent_of.get(name) in frontier and name not in sorted_names]
        sorted_names += children
        frontier = children
    missing = [name for name in order if name not in sorted_names]
    if missing:
        raise VideoposeError(f"{source}: ASF bones not connected to the root in :hierarchy: {', '.join(missing)}")
    index = {name: i for i, name in enumerate(sorted_names)}
    for name in sorted_names:
        bad = [dof for dof in bones[name]["dof"] if dof not in _DOF_AXES and dof not in ("tx", "ty", "tz", "l")]
        if bad:
            raise VideoposeError(f"{source}: ASF bone {name!r} has unknown dof {', '.join(bad)}")
    return AsfSkeleton(
        names=tuple(sorted_names),
        parents=tuple(index[parent_of[name]] if parent_of[name] != "root" else -1 for name in sorted_names),
        directions=np.array([bones[name]["direction"] for name in sorted_names]).reshape(-1, 3),
        lengths=np.array([bones[name]["length"] for name in sorted_names]),
        axes=np.array([bones[name]["axis"] for name in sorted_names]).reshape(-1, 3),
        axis_orders=tuple(bones[name]["axis_order"] for name in sorted_names),
        dofs=tuple(bones[name]["dof"] for name in sorted_names),
        root_order=root_order, root_axis=root_axis, root_position=root_position,
        root_orientation=root_orientation, metres_per_unit=metres_per_unit,
    )


def read_amc(path: str | os.PathLike, skeleton: AsfSkeleton) -> dict[str, np.ndarray]:
    """Parse an AMC motion -> {bone or 'root': (frames, dof values)} in file units (degrees, ASF units).

    Every frame must give every bone with DOF its number of values; bones an AMC leaves out entirely
    are held at zero (the rest pose).
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise VideoposeError(f"cannot read AMC file {source}: {error}") from error
    if ":DEGREES" not in text.upper() and ":RADIANS" not in text.upper() and ":FULLY-SPECIFIED" not in text.upper():
        raise VideoposeError(f"{source} is not an AMC motion file (no :FULLY-SPECIFIED / :DEGREES header)")
    frames: list[dict[str, list[float]]] = []
    for line_number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#") or line.startswith(":"):
            continue
        parts = line.split()
        if len(parts) == 1 and re.fullmatch(r"\d+", parts[0]):
            frames.append({})
            continue
        if not frames:
            raise VideoposeError(f"{source}:{line_number}: AMC bone values before the first frame number")
        try:
            frames[-1][parts[0]] = [float(value) for value in parts[1:]]
        except ValueError:
            raise VideoposeError(f"{source}:{line_number}: AMC values are not numbers: {line!r}") from None
    if not frames:
        raise VideoposeError(f"{source}: AMC file holds no frames")
    counts = {"root": len(skeleton.root_order), **{name: len(dofs) for name, dofs in zip(skeleton.names, skeleton.dofs)}}
    present = set().union(*frames)
    unknown = sorted(present - set(counts))
    if unknown:
        raise VideoposeError(f"{source}: AMC bones not in the ASF skeleton: {', '.join(unknown)} (wrong .asf?)")
    result = {}
    for name, count in counts.items():
        if name not in present or count == 0:
            result[name] = np.zeros((len(frames), count))
            continue
        rows = [frame.get(name) for frame in frames]
        bad = [i + 1 for i, row in enumerate(rows) if row is None or len(row) != count]
        if bad:
            raise VideoposeError(f"{source}: AMC frame {bad[0]} gives bone {name!r} not {count} values (its DOF in the ASF)")
        result[name] = np.array(rows)
    return result


def _rotation(order: str, angles_deg: np.ndarray) -> Rotation:
    """Rotations about fixed axes applied in ``order`` (e.g. 'xyz' -> Rz Ry Rx); angles (..., len(order))."""
    return Rotation.from_euler(order.lower(), angles_deg, degrees=True)


def read_asf_amc(amc_path: str | os.PathLike, asf_path: str | os.PathLike | None = None, fps: float = 30.0,
                 up_axis: str = "Y") -> Animation:
    """An AMC motion with its ASF skeleton -> Animation (Z up, metres; see the module docstring).

    ``asf_path`` defaults to the one ``.asf`` beside the AMC. ``fps``: AMC files do not store their rate
    (the shared mocap is 30 fps). ``up_axis`` 'Y' (CMU, HDM05) or 'Z'.
    """
    amc = Path(amc_path)
    if not amc.is_file():
        raise VideoposeError(f"AMC file not found: {amc}")
    if asf_path is None:
        candidates = sorted(amc.parent.glob("*.asf"))
        if len(candidates) != 1:
            raise VideoposeError(f"{amc}: expected exactly one .asf beside it, found {len(candidates)}; give asf_path")
        asf_path = candidates[0]
    if up_axis.upper() not in ("Y", "Z"):
        raise VideoposeError(f"up_axis must be 'Y' or 'Z', got {up_axis!r}")
    asf = read_asf(asf_path)
    motion = read_amc(amc, asf)
    frames = len(motion["root"])
    bones = len(asf.names)

    # Joints: root, one per bone (at its start), an end joint per leaf bone.
    has_child = np.zeros(bones, bool)
    for parent in asf.parents:
        if parent >= 0:
            has_child[parent] = True
    leaves = np.flatnonzero(~has_child)
    names = ("root", *asf.names, *(f"{asf.names[b]}_end" for b in leaves))
    vectors = asf.directions * asf.lengths[:, None]  # (bones, 3) ASF units, rest pose, world axes
    bone_joint_parents = [0 if p < 0 else p + 1 for p in asf.parents]
    parents = (-1, *bone_joint_parents, *(int(b) + 1 for b in leaves))
    offsets = np.zeros((len(names), 3))
    for bone, parent in enumerate(asf.parents):
        offsets[bone + 1] = vectors[parent] if parent >= 0 else 0.0
    offsets[1 + bones:] = vectors[leaves]
    # End joints come after all bones, so parents stay before children.

    quats = np.zeros((frames, len(names), 4))
    quats[..., 3] = 1.0
    # Root: translation and rotation channels per :root order, about the root axis order.
    root_values = motion["root"]
    translation = np.tile(asf.root_position, (frames, 1))
    rotation_axes, rotation_columns = "", []
    for column, channel in enumerate(asf.root_order):
        if channel in ("tx", "ty", "tz"):
            translation[:, "xyz".index(channel[1])] += root_values[:, column]
        elif channel in _DOF_AXES:
            rotation_axes += _DOF_AXES[channel]
            rotation_columns.append(column)
    root_c = _rotation(asf.root_axis, asf.root_orientation)
    root_m = _rotation(rotation_axes, root_values[:, rotation_columns]) if rotation_axes else Rotation.identity(frames)
    quats[:, 0] = (root_c * root_m).as_quat()  # the root's axis is its orientation: C M (C^-1 of identity rest)
    for bone, name in enumerate(asf.names):
        dofs = asf.dofs[bone]
        rotation_axes = "".join(_DOF_AXES[dof] for dof in dofs if dof in _DOF_AXES)
        if not rotation_axes:
            continue
        columns = [i for i, dof in enumerate(dofs) if dof in _DOF_AXES]
        c = _rotation(asf.axis_orders[bone], asf.axes[bone])
        m = _rotation(rotation_axes, motion[name][:, columns])
        quats[:, bone + 1] = (c * m * c.inv()).as_quat()

    to_world = Z_UP_FROM_Y_UP if up_axis.upper() == "Y" else np.eye(3)
    change = Rotation.from_matrix(to_world)
    world_quats = (change * Rotation.from_quat(quats.reshape(-1, 4)) * change.inv()).as_quat().reshape(quats.shape)
    scale = asf.metres_per_unit
    skeleton = Skeleton(names, parents, offsets @ to_world.T * scale)
    end_site = np.zeros(len(names), bool)
    end_site[1 + bones:] = True
    extras = {"bvh_end_site": end_site, "bvh_scale": np.array(scale), "bvh_up_axis": np.array(up_axis.upper())}
    return Animation(skeleton, world_quats, translation @ to_world.T * scale, fps, extras=extras)
