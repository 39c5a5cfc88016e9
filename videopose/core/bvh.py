"""BVH motion capture files: read into an :class:`~videopose.core.animation.Animation`, write one back.

Reading converts to the project's world frame (Z up, metres, performer facing -Y at rest; see
``videopose/core/animation.py``):

- rotation orders come from each joint's own ``CHANNELS`` line (any of the six orders, intrinsic,
  as BVH defines them: ``Zrotation Xrotation Yrotation`` means ``R = Rz @ Rx @ Ry``);
- the up axis (Y or Z) is detected from the motion itself: the axis along which the performer's
  median per-frame extent is largest (people are taller than they are deep); a Y-up file is turned
  into Z-up by ``(x, y, z) -> (x, -z, y)``, which maps BVH's usual +Z facing onto -Y;
- the unit is detected from the performer's median standing extent: of metres, centimetres, inches
  and millimetres, the one that makes it closest to 1.7 m.

Either can be forced (``up_axis=``, ``scale=``) where a file is not a person (tests, props).
``End Site`` entries become joints named ``<parent>_end`` (flagged in ``extras["bvh_end_site"]``)
so that a read -> write round trip keeps the file's hierarchy.
Translation channels are honoured on the root only (non-root joints keep their OFFSET); the root's
position is its OFFSET plus its translation channels (the CMU conversions rely on this).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton, forward_kinematics
from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output
from videopose.core.validate import check_fps

# Rotation taking a Y-up world (facing +Z) to the project's Z-up world (facing -Y): (x, y, z) -> (x, -z, y).
Z_UP_FROM_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
_UNIT_CANDIDATES = {"m": 1.0, "cm": 0.01, "in": 0.0254, "mm": 0.001}
_TYPICAL_HEIGHT_M = 1.7


@dataclass(frozen=True)
class _RawBvh:
    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # (joints, 3) file units and axes
    channels: list[list[str]]  # per joint, e.g. ["Xposition", ..., "Zrotation", ...]; [] for end sites
    end_site: np.ndarray  # (joints,) bool
    motion: np.ndarray  # (frames, total_channels)
    frame_time: float


def _parse(text: str, source: str) -> _RawBvh:
    header, separator, motion_text = text.partition("MOTION")
    if not separator:
        raise VideoposeError(f"{source} is not a BVH file: it has no MOTION section")
    tokens = header.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise VideoposeError(f"{source} is not a BVH file: it does not start with HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    end_site: list[bool] = []
    stack: list[int] = []
    position = 1
    try:
        while position < len(tokens):
            token = tokens[position]
            if token in ("ROOT", "JOINT"):
                names.append(tokens[position + 1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                end_site.append(False)
                position += 2
            elif token == "End":
                parent = stack[-1]
                names.append(f"{names[parent]}_end")
                parents.append(parent)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                end_site.append(True)
                position += 2
            elif token == "{":
                stack.append(len(names) - 1)
                position += 1
            elif token == "}":
                stack.pop()
                position += 1
            elif token == "OFFSET":
                offsets[stack[-1]] = [float(value) for value in tokens[position + 1:position + 4]]
                position += 4
            elif token == "CHANNELS":
                count = int(tokens[position + 1])
                channels[stack[-1]] = tokens[position + 2:position + 2 + count]
                if not 0 <= count <= 6 or len(channels[stack[-1]]) != count:
                    raise ValueError(f"CHANNELS {count} on {names[stack[-1]]}")
                position += 2 + count
            else:
                raise VideoposeError(f"{source}: unexpected token {token!r} in the BVH hierarchy")
    except (IndexError, ValueError) as error:
        raise VideoposeError(f"{source}: malformed BVH hierarchy ({error})") from None
    if not names or stack:
        raise VideoposeError(f"{source}: BVH hierarchy is empty or its braces do not match")
    if len(set(names)) != len(names):
        raise VideoposeError(f"{source}: BVH joint names repeat; every joint needs a unique name")

    lines = [line for line in motion_text.strip().splitlines() if line.strip()]
    try:
        frame_count = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
    except (IndexError, ValueError) as error:
        raise VideoposeError(f"{source}: BVH MOTION section needs 'Frames:' and 'Frame Time:' lines") from None
    if not (frame_time > 0):
        raise VideoposeError(f"{source}: BVH Frame Time must be positive, got {frame_time}")
    check_fps(1.0 / frame_time, f"{source}: BVH frame rate (1 / Frame Time)")
    motion = _motion_values(lines[2:], frame_count, sum(len(c) for c in channels), source)
    if not np.isfinite(np.asarray(offsets, dtype=np.float64)).all():
        raise VideoposeError(f"{source}: a BVH OFFSET holds NaN or infinite numbers: the file is damaged")
    return _RawBvh(names, parents, np.array(offsets), channels, np.array(end_site), motion, frame_time)


def _motion_values(rows: list[str], frame_count: int, total_channels: int, source: str) -> np.ndarray:
    """The MOTION lines -> (frames, channels) numbers; every line must hold one value per channel of
    the hierarchy (else the columns would be read into the wrong joints), all finite."""
    if frame_count < 1:
        raise VideoposeError(f"{source}: BVH says it holds {frame_count} frames")
    if len(rows) < frame_count:
        raise VideoposeError(f"{source}: BVH says {frame_count} frames but holds {len(rows)}: the file was cut off; "
                             "export it again")
    fields = [row.split() for row in rows[:frame_count]]
    counts = np.fromiter((len(values) for values in fields), dtype=np.int64, count=frame_count)
    wrong = np.flatnonzero(counts != total_channels)
    if wrong.size:
        raise VideoposeError(
            f"{source}: frame {wrong[0]} of the BVH motion holds {counts[wrong[0]]} values but its hierarchy "
            f"declares {total_channels} channels ({wrong.size} frames differ): the file is cut off or its "
            "motion does not belong to this skeleton"
        )
    try:
        motion = np.array(fields, dtype=np.float64).reshape(frame_count, total_channels)
    except ValueError:
        bad = next(index for index, values in enumerate(fields) if not _all_numbers(values))
        raise VideoposeError(f"{source}: frame {bad} of the BVH motion holds text that is not a number "
                             f"({' '.join(fields[bad])[:60]!r}...): the file is damaged or cut off") from None
    if not np.isfinite(motion).all():
        frame = int(np.flatnonzero(~np.isfinite(motion).all(axis=1))[0])
        raise VideoposeError(f"{source}: frame {frame} of the BVH motion holds NaN or infinite numbers: "
                             "the file is damaged")
    return motion


def _all_numbers(values: list[str]) -> bool:
    try:
        np.array(values, dtype=np.float64)
        return True
    except ValueError:
        return False


def _local_rotations(raw: _RawBvh) -> tuple[np.ndarray, np.ndarray]:
    """-> local quaternions (frames, joints, 4) xyzw and root translation (frames, 3), file axes/units."""
    frames = raw.motion.shape[0]
    quats = np.zeros((frames, len(raw.names), 4))
    quats[..., 3] = 1.0
    root_translation = np.tile(raw.offsets[0], (frames, 1))
    column = 0
    for joint, joint_channels in enumerate(raw.channels):
        rotation_axes = ""
        rotation_columns = []
        for channel in joint_channels:
            kind = channel[1:].lower()
            axis = channel[0].upper()
            if axis not in "XYZ" or kind not in ("rotation", "position"):
                raise VideoposeError(f"unknown BVH channel {channel!r} on joint {raw.names[joint]}")
            if kind == "rotation":
                rotation_axes += axis
                rotation_columns.append(column)
            elif joint == 0:
                root_translation[:, "XYZ".index(axis)] = raw.offsets[0, "XYZ".index(axis)] + raw.motion[:, column]
            column += 1
        if rotation_axes:
            # Uppercase = intrinsic axes, applied in the order listed (BVH semantics).
            quats[:, joint] = Rotation.from_euler(rotation_axes, raw.motion[:, rotation_columns], degrees=True).as_quat()
    return quats, root_translation


def _detect_up_axis(positions: np.ndarray) -> str:
    """(frames, joints, 3) file-frame positions -> 'Y' or 'Z' (the axis of largest median extent)."""
    extent = np.median(positions.max(axis=1) - positions.min(axis=1), axis=0)
    return "Y" if extent[1] >= extent[2] else "Z"


def _detect_scale(positions: np.ndarray, up_index: int) -> float:
    """Metres per file unit: the candidate unit that makes the median height closest to 1.7 m."""
    height = float(np.median(positions[..., up_index].max(axis=1) - positions[..., up_index].min(axis=1)))
    if not height > 0:
        return 1.0
    return min(_UNIT_CANDIDATES.values(), key=lambda scale: abs(np.log(height * scale / _TYPICAL_HEIGHT_M)))


def read_bvh(path: str | os.PathLike, scale: float | None = None, up_axis: str | None = None) -> Animation:
    """Read a BVH file -> Animation in the Z-up metres world frame (see the module docstring).

    ``scale`` (metres per file unit) and ``up_axis`` ('Y' or 'Z') override the detection.
    ``extras`` holds ``bvh_end_site`` (joints,) bool, ``bvh_scale`` and ``bvh_up_axis``.
    """
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"BVH file not found: {source}")
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise VideoposeError(f"cannot read BVH file {source}: {error}") from error
    raw = _parse(text, str(source))
    local_quats, root_translation = _local_rotations(raw)
    skeleton_file = Skeleton(tuple(raw.names), tuple(raw.parents), raw.offsets)
    if up_axis is None or scale is None:
        sample = slice(None, None, max(1, raw.motion.shape[0] // 200))
        positions, _ = forward_kinematics(skeleton_file, local_quats[sample], root_translation[sample])
        up_axis = up_axis or _detect_up_axis(positions)
        scale = scale if scale is not None else _detect_scale(positions, "XYZ".index(up_axis.upper()))
    up_axis = up_axis.upper()
    if up_axis not in ("Y", "Z"):
        raise VideoposeError(f"up_axis must be 'Y' or 'Z', got {up_axis!r}")
    to_world = Z_UP_FROM_Y_UP if up_axis == "Y" else np.eye(3)
    # A change of basis C: offsets and positions become C v, rotations C R C^T.
    change = Rotation.from_matrix(to_world)
    frames, joints = local_quats.shape[:2]
    rotations = Rotation.from_quat(local_quats.reshape(-1, 4))
    world_quats = (change * rotations * change.inv()).as_quat().reshape(frames, joints, 4)
    skeleton = Skeleton(tuple(raw.names), tuple(raw.parents), raw.offsets @ to_world.T * scale)
    extras = {
        "bvh_end_site": raw.end_site.copy(),
        "bvh_scale": np.array(scale, dtype=np.float64),
        "bvh_up_axis": np.array(up_axis),
    }
    return Animation(skeleton, world_quats, root_translation @ to_world.T * scale, 1.0 / raw.frame_time, extras=extras)


# Units a BVH can be written in: name -> file units per metre.
BVH_UNITS = {"m": 1.0, "cm": 100.0}


def write_bvh(
    animation: Animation,
    path: str | os.PathLike,
    rotation_order: str = "ZXY",
    up_axis: str = "Y",
    units_per_metre: float = 1.0,
    overwrite: bool = True,
    decimals: int = 6,
) -> None:
    """Write ``animation`` as BVH: root with 6 channels, other joints 3 rotation channels.

    ``up_axis='Y'`` (default) writes the common Y-up convention, performer facing +Z: what Blender's
    BVH importer with its default settings (forward -Z, up Y), MotionBuilder and most tools assume, so
    the figure opens upright facing the front view. ``'Z'`` keeps the project's own frame (Blender:
    import with forward Y, up Z). ``units_per_metre`` 1 writes metres (Blender's importer at its default
    scale 1.0 gives the true size), 100 centimetres (MotionBuilder, Maya). Joints flagged in
    ``extras['bvh_end_site']`` become ``End Site``; other leaves get a short End Site continuing their bone.
    """
    order = rotation_order.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise VideoposeError(f"rotation_order must be a permutation of XYZ, got {rotation_order!r}")
    if up_axis.upper() not in ("Y", "Z"):
        raise VideoposeError(f"up_axis must be 'Y' or 'Z', got {up_axis!r}")
    if not (units_per_metre > 0):
        raise VideoposeError(f"units_per_metre must be positive (1 = metres, 100 = centimetres), got {units_per_metre}")
    skeleton = animation.skeleton
    from_world = Z_UP_FROM_Y_UP.T if up_axis.upper() == "Y" else np.eye(3)
    change = Rotation.from_matrix(from_world)
    end_site = np.asarray(animation.extras.get("bvh_end_site", np.zeros(skeleton.num_joints, bool)), dtype=bool)
    if end_site.shape != (skeleton.num_joints,):
        end_site = np.zeros(skeleton.num_joints, bool)
    children = [skeleton.children(joint) for joint in range(skeleton.num_joints)]
    for joint in np.flatnonzero(end_site):
        if children[joint] or joint == 0:
            end_site[joint] = False
    offsets = skeleton.offsets @ from_world.T * units_per_metre
    # The root's OFFSET is written as 0 and its position channels as absolute positions: tools differ on
    # whether the channels add to the OFFSET (read_bvh) or replace it (Blender, MotionBuilder); with a zero
    # OFFSET both readings agree.
    offsets[0] = 0.0
    number = f"{{:.{decimals}f}}"

    lines = ["HIERARCHY"]

    def emit(joint: int, depth: int) -> None:
        indent = "  " * depth
        keyword = "ROOT" if joint == 0 else "JOINT"
        lines.append(f"{indent}{keyword} {skeleton.names[joint]}")
        lines.append(f"{indent}{{")
        lines.append(f"{indent}  OFFSET {' '.join(number.format(v) for v in offsets[joint])}")
        rotation_channels = " ".join(f"{axis}rotation" for axis in order)
        if joint == 0:
            lines.append(f"{indent}  CHANNELS 6 Xposition Yposition Zposition {rotation_channels}")
        else:
            lines.append(f"{indent}  CHANNELS 3 {rotation_channels}")
        real_children = [child for child in children[joint] if not end_site[child]]
        site_children = [child for child in children[joint] if end_site[child]]
        for child in real_children:
            emit(child, depth + 1)
        site_offsets = [offsets[child] for child in site_children]
        if not children[joint]:
            site_offsets = [offsets[joint] * 0.25]
        for site in site_offsets[:1]:
            lines.append(f"{indent}  End Site")
            lines.append(f"{indent}  {{")
            lines.append(f"{indent}    OFFSET {' '.join(number.format(v) for v in site)}")
            lines.append(f"{indent}  }}")
        lines.append(f"{indent}}}")

    emit(0, 0)
    written = [joint for joint in _depth_first(children, 0) if not end_site[joint]]
    frames = animation.num_frames
    rotations = Rotation.from_quat(animation.local_quats_xyzw[:, written].reshape(-1, 4))
    euler = (change * rotations * change.inv()).as_euler(order, degrees=True).reshape(frames, len(written) * 3)
    root = animation.root_positions @ from_world.T * units_per_metre
    motion = np.concatenate([root, euler], axis=1)
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {1.0 / animation.fps:.8f}"]
    body = "\n".join(" ".join(number.format(v) for v in row) for row in motion)
    with atomic_output(path, overwrite=overwrite) as temp_path:
        Path(temp_path).write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")


def _depth_first(children: list[list[int]], joint: int) -> list[int]:
    order = [joint]
    for child in children[joint]:
        order += _depth_first(children, child)
    return order
