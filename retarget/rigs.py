"""Target rigs (a rest skeleton + a bone map) and retargeting an Animation onto one.

Retargeting works in world space, so the target may have other proportions, another rest pose
(T or A) and other bone axes. For a target bone t driven by source joint s:

    target_world[t] = source_world[s] @ align[t]

where ``align[t]`` is the minimal rotation taking t's rest direction (towards the target bone driven
by s's child) onto s's rest direction. At rest both skeletons face -Y with Z up, so the source's
twist carries over; the target bone then points exactly where the source bone points. Source joints
with several children (pelvis, thorax) use ``align = identity`` (their whole frame is copied), and end
joints (ankles, wrists, head) inherit the alignment of the nearest driven ancestor so hands and
feet stay in line with the forearm and shin. Local rotations follow as
``local[t] = target_world[parent]^-1 @ target_world[t]``; unmapped bones keep their rest pose relative
to their parent. Root translation is the source root's, scaled by the ratio of leg lengths, placed so
the bone driven by the source root lands on it.

Before the transfer the canonical motion's twists are made continuous (retarget/twist.py), once: an
Animation marked ``extras["twist_continuous"]`` (``retarget_motion``'s canonical output) is taken as it is,
so a canonical Animation file moved onto a rig gets what ``retarget_motion`` with that rig gives. After it,
the rig stands on its own floor (retarget/rig_feet.py): the root is raised or lowered once so a planted
ankle stands at the rig's own ankle height over its rest sole, raised further in a frame whose lower
ankle would be under the floor, the feet are locked again on the rig by two-bone IK, and the foot and
toe bones turn flat on the floor while planted and never through it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton, forward_kinematics, make_continuous
from videopose.retarget.ik import swing_matrices
from videopose.retarget.rig_feet import find_legs, plant_feet, rest_ankle_height
from videopose.retarget.rig_presets import PRESETS
from videopose.retarget.solve import CANONICAL_NAMES
from videopose.retarget.twist import continuous_twist
from videopose.core.errors import VideoposeError
from videopose.core.validate import check_bone_map, read_json

# Canonical joints every bone map must drive: the root (root motion) and both limbs of each side.
REQUIRED_SOURCE_JOINTS = ("pelvis", "left_hip", "left_knee", "right_hip", "right_knee",
                          "left_shoulder", "left_elbow", "right_shoulder", "right_elbow")


@dataclass(frozen=True)
class Rig:
    """A target rig: its rest ``skeleton`` and ``bone_map`` (target bone -> source joint name)."""

    name: str
    skeleton: Skeleton
    bone_map: dict[str, str]
    end_sites: tuple[str, ...] = ()
    rest_pose: str = ""
    optional_bones: tuple[str, ...] = field(default=())


def skeleton_from_joints(joints: list, source: str) -> Skeleton:
    """``[{"name", "parent", "head": [x, y, z]}, ...]`` (any order, one root) -> Skeleton (parents first)."""
    try:
        names = [str(joint["name"]) for joint in joints]
        parents = {str(joint["name"]): (None if joint.get("parent") in (None, "") else str(joint["parent"]))
                   for joint in joints}
        heads = {str(joint["name"]): np.asarray(joint["head"], dtype=np.float64) for joint in joints}
    except (TypeError, KeyError, ValueError) as error:
        raise VideoposeError(f"{source}: every joint needs 'name', 'parent' (null for the root) and 'head' [x, y, z] "
                             f"({error!r})") from error
    if len(set(names)) != len(names):
        raise VideoposeError(f"{source}: joint names repeat")
    if any(head.shape != (3,) or not np.isfinite(head).all() for head in heads.values()):
        raise VideoposeError(f"{source}: every joint 'head' must be three finite numbers (metres, Z up)")
    unknown = sorted({p for p in parents.values() if p is not None and p not in parents})
    if unknown:
        raise VideoposeError(f"{source}: parents name joints that are not listed: {', '.join(unknown)}")
    roots = [name for name in names if parents[name] is None]
    if len(roots) != 1:
        raise VideoposeError(f"{source}: the skeleton needs exactly one root joint (parent null), found {roots}")
    order: list[str] = []
    stack = roots[:]
    while stack:
        name = stack.pop()
        order.append(name)
        stack.extend(reversed([child for child in names if parents[child] == name]))
    if len(order) != len(names):
        raise VideoposeError(f"{source}: the joints' parents form a loop: {sorted(set(names) - set(order))}")
    index = {name: i for i, name in enumerate(order)}
    offsets = np.array([heads[name] - (heads[parents[name]] if parents[name] else 0.0) for name in order])
    offsets[0] = 0.0
    return Skeleton(tuple(order), tuple(index[parents[name]] if parents[name] else -1 for name in order), offsets)


def rig_from_dict(data: dict, source: str, skeleton: Skeleton | None = None) -> Rig:
    """A bone-map dictionary (docs/formats.md) -> validated Rig. ``skeleton`` (the rig at hand, e.g. the
    Blender armature) replaces the dictionary's ``joints``."""
    check_bone_map(data, source)
    end_sites = tuple(str(name) for name in data.get("end_sites", []))
    if skeleton is None:
        if "joints" not in data:
            raise VideoposeError(f"{source}: no \"joints\" list and no rig at hand: add the target skeleton's joints "
                                 "(name, parent, head) or apply the map to an armature")
        skeleton = skeleton_from_joints(data["joints"], source)
        if skeleton.num_joints > 1 and np.allclose(skeleton.offsets[1:], 0.0, atol=1e-6):
            raise VideoposeError(f"{source}: every joint 'head' is at the same place: the skeleton has no bones "
                                 "(heads are joint positions in metres, Z up)")
        optional: tuple[str, ...] = ()
    else:
        optional = tuple(name for name in data.get("optional_bones", end_sites) if name not in skeleton.names)
    bone_map = {str(target): str(joint) for target, joint in data["map"].items() if str(target) not in optional}
    rig = Rig(str(data.get("name", Path(source).stem)), skeleton, bone_map,
              tuple(name for name in end_sites if name in skeleton.names), str(data.get("rest_pose", "")), optional)
    validate_rig(rig, source)
    return rig


def validate_rig(rig: Rig, source: str = "bone map") -> None:
    """Raise VideoposeError naming every bone the rig lacks, unknown source joints and missing required ones."""
    problems = []
    lacking = [bone for bone in rig.bone_map if bone not in rig.skeleton.names]
    if lacking:
        problems.append(f"names bones the rig does not have: {', '.join(lacking)} "
                        f"(the rig has: {', '.join(rig.skeleton.names[:40])}{' ...' if rig.skeleton.num_joints > 40 else ''})")
    unknown = sorted({joint for joint in rig.bone_map.values() if joint not in CANONICAL_NAMES})
    if unknown:
        problems.append(f"maps onto unknown source joints: {', '.join(unknown)} "
                        f"(the source joints are: {', '.join(CANONICAL_NAMES)})")
    missing = [joint for joint in REQUIRED_SOURCE_JOINTS if joint not in rig.bone_map.values()]
    if missing:
        problems.append(f"drives no bone from the required source joints: {', '.join(missing)}")
    if problems:
        raise VideoposeError(f"{source}: " + "; ".join(problems))


def load_rig(preset_or_path: str | os.PathLike, skeleton: Skeleton | None = None) -> Rig:
    """A preset name (rigify, metarig, mixamo, ue5, cmu, smpl) or a bone-map JSON path -> Rig.

    ``skeleton``: the target rig at hand (the Blender add-on passes the user's armature); it replaces
    the preset's or file's own rest skeleton.
    """
    key = str(preset_or_path)
    if key.lower() in PRESETS:
        return rig_from_dict(PRESETS[key.lower()](), f"rig preset {key.lower()}", skeleton)
    path = Path(key)
    if not path.is_file():
        raise VideoposeError(f"unknown rig {key!r}: not a preset ({', '.join(PRESETS)}) and no such bone-map file")
    data = read_json(path, "bone map")
    return rig_from_dict(data, str(path), skeleton)


# ---------------------------------------------------------------------------------------------- recognition
_MIXAMO_PREFIX = "mixamorig:"


def recognise_rig(bone_names: list[str] | tuple[str, ...], skeleton: Skeleton | None = None) -> Rig | None:
    """The rig preset a rig's bone names fit, as a Rig on ``skeleton`` (the rig at hand; else the preset's
    own), or None. A preset fits when the rig has a bone for every joint the map requires; of several, the
    one mapping most bones wins. Mixamo's bones may carry any ``mixamorig<N>:`` prefix or none.

    A generated Rigify rig (:func:`is_generated_rigify`) is not a preset fit: its DEF bones follow its
    controls through constraints, so it is animated through its controls (the Blender add-on does that).
    """
    names = set(bone_names)
    if is_generated_rigify(names):
        return None
    best: tuple[int, Rig] | None = None
    for preset in PRESETS:
        data = PRESETS[preset]()
        mapping = dict(data["map"])
        if preset == "mixamo":
            prefix = next((name[: -len("Hips")] for name in names if name.endswith("Hips")), None)
            if prefix is None:
                continue
            mapping = {prefix + bone[len(_MIXAMO_PREFIX):]: joint for bone, joint in mapping.items()}
            data = {**data, "map": mapping,
                    "end_sites": [prefix + name[len(_MIXAMO_PREFIX):] for name in data["end_sites"]]}
        required = [bone for bone, joint in mapping.items() if joint in REQUIRED_SOURCE_JOINTS]
        if not all(bone in names for bone in required):
            continue
        if skeleton is None and mapping != data_map_of(preset):
            continue  # renamed bones need the rig at hand (the preset's own skeleton has the preset's names)
        present = sum(bone in names for bone in mapping)
        if best is None or present > best[0]:
            best = (present, rig_from_dict(data, f"rig preset {preset} (recognised)", skeleton))
    return best[1] if best else None


RIGIFY_CONTROLS = ("torso", "hips", "chest", "neck", "head", "thigh_fk.L", "upper_arm_fk.L")


def is_generated_rigify(bone_names) -> bool:
    """Whether bone names are those of a rig Rigify generated (``DEF-`` bones and its FK controls)."""
    names = set(bone_names)
    return set(RIGIFY_CONTROLS) <= names and "DEF-thigh.L" in names


def data_map_of(preset: str) -> dict[str, str]:
    """A preset's own bone map (target bone -> canonical joint)."""
    return dict(PRESETS[preset]()["map"])


# ---------------------------------------------------------------------------------------------- transfer
def _descendants(skeleton: Skeleton, joint: int) -> set[int]:
    found: set[int] = set()
    for child in range(joint + 1, skeleton.num_joints):
        if skeleton.parents[child] == joint or skeleton.parents[child] in found:
            found.add(child)
    return found


def alignment_rotations(source: Skeleton, rig: Rig) -> dict[int, np.ndarray]:
    """Target joint index -> (3, 3) rest alignment (see the module docstring) for every mapped bone."""
    target = rig.skeleton
    source_rest = source.rest_positions()
    target_rest = target.rest_positions()
    driven_by = {target.index(bone): source.index(joint) for bone, joint in rig.bone_map.items()}
    align: dict[int, np.ndarray] = {}
    for t in range(target.num_joints):
        if t not in driven_by:
            continue
        s = driven_by[t]
        children = source.children(s)
        if len(children) >= 2:
            align[t] = np.eye(3)
            continue
        if not children:  # end joint: inherit from the nearest driven ancestor
            ancestor = target.parents[t]
            while ancestor >= 0 and ancestor not in align:
                ancestor = target.parents[ancestor]
            align[t] = align[ancestor] if ancestor >= 0 else np.eye(3)
            continue
        below = _descendants(target, t)
        ends = [u for u, joint in driven_by.items() if joint == children[0] and u in below]
        if ends:
            target_direction = target_rest[min(ends)] - target_rest[t]
        elif len(target.children(t)) == 1:
            target_direction = target.offsets[target.children(t)[0]]
        else:
            align[t] = np.eye(3)
            continue
        source_direction = source_rest[children[0]] - source_rest[s]
        norms = np.linalg.norm(target_direction) * np.linalg.norm(source_direction)
        if norms < 1e-12:
            align[t] = np.eye(3)
            continue
        align[t] = swing_matrices((target_direction / np.linalg.norm(target_direction))[None],
                                  (source_direction / np.linalg.norm(source_direction))[None])[0]
    return align


def _leg_length(skeleton: Skeleton, joints_of: dict[str, int]) -> float | None:
    rest = skeleton.rest_positions()
    legs = []
    for side in ("left", "right"):
        chain = [joints_of.get(f"{side}_{part}") for part in ("hip", "knee", "ankle")]
        if None not in chain:
            legs.append(np.linalg.norm(rest[chain[1]] - rest[chain[0]]) + np.linalg.norm(rest[chain[2]] - rest[chain[1]]))
        elif None not in chain[:2]:
            legs.append(2.0 * np.linalg.norm(rest[chain[1]] - rest[chain[0]]))
    return float(np.mean(legs)) if legs else None


TWIST_CONTINUOUS = "twist_continuous"  # Animation.extras key: its twists were made continuous already


def twist_made_continuous(animation: Animation) -> Animation:
    """A canonical-skeleton Animation with its twists made continuous (retarget/twist.py: the solver's
    twists flip where a limb passes through straight) and marked so (``extras[TWIST_CONTINUOUS]``); one
    already marked, or on another skeleton, as it is (the twist follower is not idempotent near its
    limits, so it runs once)."""
    if animation.skeleton.names != CANONICAL_NAMES or bool(animation.extras.get(TWIST_CONTINUOUS, False)):
        return animation
    continuous = continuous_twist(animation)
    return Animation(continuous.skeleton, continuous.local_quats_xyzw, continuous.root_positions, continuous.fps,
                     continuous.contacts, {**continuous.extras, TWIST_CONTINUOUS: np.array(True)})


def retarget_to_rig(animation: Animation, rig: Rig) -> Animation:
    """An Animation on the canonical (or any) source skeleton -> the same motion on ``rig``'s skeleton."""
    source = animation.skeleton
    missing = sorted({joint for joint in rig.bone_map.values() if joint not in source.names})
    if missing:
        raise VideoposeError(f"rig {rig.name}: the animation's skeleton has no joints {', '.join(missing)}")
    target = rig.skeleton
    frames = animation.num_frames
    animation = twist_made_continuous(animation)
    source_positions, source_world = animation.world_transforms()
    align = alignment_rotations(source, rig)
    driven_by = {target.index(bone): source.index(joint) for bone, joint in rig.bone_map.items()}
    world = np.empty((frames, target.num_joints, 3, 3))
    local = np.empty_like(world)
    for t, parent in enumerate(target.parents):
        parent_world = world[:, parent] if parent >= 0 else np.broadcast_to(np.eye(3), (frames, 3, 3))
        if t in driven_by:
            world[:, t] = source_world[:, driven_by[t]] @ align[t]
            local[:, t] = np.swapaxes(parent_world, -1, -2) @ world[:, t]
        else:
            world[:, t] = parent_world
            local[:, t] = np.eye(3)
    quats = make_continuous(Rotation.from_matrix(local.reshape(-1, 3, 3)).as_quat().reshape(frames, target.num_joints, 4))

    source_joints = {name: i for i, name in enumerate(source.names)}
    target_joints = {source.names[s]: t for t, s in sorted(driven_by.items(), reverse=True)}
    source_leg, target_leg = _leg_length(source, source_joints), _leg_length(target, target_joints)
    scale = target_leg / source_leg if source_leg and target_leg else 1.0
    root = scale * animation.root_positions
    anchor = target_joints.get(source.names[0])
    if anchor is not None and anchor != 0:
        anchored, _ = forward_kinematics(target, quats, np.zeros((frames, 3)))
        root = root - anchored[:, anchor]
    legs = find_legs(target, rig.bone_map)
    if legs:  # the rig's ankles at its own ankle height over its own floor (retarget/rig_feet.py)
        source_height = scale * _source_ankle_height(source_positions, source, animation)
        heights = [rest_ankle_height(target, leg, source_height) for leg in legs]
        root[:, 2] += float(np.mean(heights)) - source_height
        # ... and never under it: a frame whose lower ankle would be is raised (never lowered).
        ankles = forward_kinematics(target, quats, root)[0][:, [leg.foot for leg in legs], 2]
        root[:, 2] += np.maximum(0.0, (np.array(heights) - ankles).max(axis=1))
    extras = {key: value for key, value in animation.extras.items() if key not in ("bvh_end_site", TWIST_CONTINUOUS)}
    extras["bvh_end_site"] = np.array([name in rig.end_sites for name in target.names])
    extras["root_scale"] = np.array(scale)
    if anchor is not None and anchor != 0 and target.parents[anchor] == 0 and 0 not in driven_by:
        # A root bone above the pelvis (UE5's ``root``): engines want it on the floor under the pelvis,
        # carrying the horizontal root motion, and the pelvis carrying the height. An Animation moves only
        # its root, so this is a convention for writers that can key the pelvis too (the Blender armature,
        # FBX): they read the pelvis bone's name here.
        extras["root_on_floor"] = np.array(target.names[anchor])
    result = Animation(target, quats, root, animation.fps, contacts=animation.contacts, extras=extras)
    return plant_feet(result, legs, set(driven_by), heights) if legs else result


def _source_ankle_height(source_positions: np.ndarray, source: Skeleton, animation: Animation) -> float:
    """Metres over the floor of the source's planted ankles (median over the contact frames; without
    contacts, the 5th percentile of the ankle heights)."""
    ankles = [source.index(f"{side}_ankle") for side in ("left", "right") if f"{side}_ankle" in source.names]
    if not ankles:
        return 0.0
    heights = source_positions[:, ankles, 2]
    contacts = animation.extras.get("heel_contacts", animation.contacts)
    if contacts is not None and len(ankles) == 2 and np.asarray(contacts, dtype=bool).any():
        return float(np.median(heights[np.asarray(contacts, dtype=bool)]))
    return float(np.percentile(heights, 5))
