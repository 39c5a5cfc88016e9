"""Feet on the floor of the target rig: re-plant the feet with two-bone IK and turn foot and toe bones.

After the transfer (retarget/rigs.py) the rig's legs point where the source's point, but the rig's own
proportions put its ankles elsewhere, and its foot and toe bones are rigid with the shin (the canonical
skeleton has no foot). On the rig, with its own rest pose:

- **floor and ankle height**: the rig's floor is its rest pose's sole (the lowest joint of the foot and
  toe chain); ``ankle_height`` is the rest ankle's height over it;
- **foot lock again**: in every contact run (``Animation.contacts``, or the planted-heel frames in
  ``extras["heel_contacts"]`` where the world was grounded) the ankle is pinned at the run's median
  position on the rig, at exactly its ankle height, eased in and out like the canonical lock
  (``videopose.retarget.ik.pin_weights``); in every other frame an ankle lower than its ankle height is
  raised to it. The leg is re-posed by two-bone IK on the rig's hip, knee and ankle (bones between them
  follow), in the plane of the old knee;
- **feet**: a foot turns towards flat on the floor (level, keeping the shin's heading) while planted
  and as the ankle comes within ``FLAT_BELOW`` of its ankle height, and further where its toes would
  otherwise go under the floor; a toe bone bends up (towards flat) where its tip would go under;
- **a planted foot keeps its heading** (:func:`held_headings`): through each heel-down run it points where
  it pointed on median over the run, so its toes stay put too (on its ball a foot may pivot); in the air it
  turns smoothly to its next stance's heading (or back to the shin's) over ``HEADING_EASE_SECONDS``. The
  heading otherwise follows the shin's twist, which the lifter leaves loose: on the pose2sim walk the
  canonical foot swivelled 10-40 degrees about its pinned ankle within one stance, its ball sliding 2-7 cm;
- **a push-off stands on the ball** (:func:`toes_down`): where a grounded clip has the toe down and the heel
  up (``extras["toe_contacts"]``), the foot pitches down about the ankle until its ball is at its flat-foot
  height (the heel's rise under it), at most ``MAX_TOE_DOWN_PITCH_DEG``.

Everything is vectorised over frames; loops run over the two legs and a fixed number of bisection steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation, Skeleton, make_continuous
from videopose.core.frame_runs import frame_runs
from videopose.retarget.ik import pin_weights, soft_reach, swing_matrices, two_bone_ik

FLAT_BELOW = 0.10  # m: an ankle this close to its flat-foot height has its foot (partly) flat on the floor
BLEND_SECONDS = 0.12  # easing of the pins, as the canonical foot lock's default
MAX_DROP = 0.15  # of the leg's length: the most the root is lowered for a pinned ankle to be reached
_Z = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Leg:
    """Target bone indices of one leg: thigh (head at the hip), shin (head at the knee), foot (head at the
    ankle), its toe bones (parents first) and every joint below the foot."""

    side: int  # 0 left, 1 right (Animation.contacts columns)
    thigh: int
    shin: int
    foot: int
    toes: tuple[int, ...]
    below_foot: tuple[int, ...]


def find_legs(skeleton: Skeleton, bone_map: dict[str, str]) -> list[Leg]:
    """The legs a bone map (target bone -> canonical joint) drives down to the ankle."""
    by_joint = {joint: skeleton.index(bone) for bone, joint in bone_map.items() if bone in skeleton.names}
    legs = []
    for side, name in enumerate(("left", "right")):
        chain = [by_joint.get(f"{name}_{part}") for part in ("hip", "knee", "ankle")]
        if None in chain:
            continue
        below = _descendants(skeleton, chain[2])
        toes = tuple(joint for joint in below if skeleton.children(joint))
        legs.append(Leg(side, chain[0], chain[1], chain[2], toes, tuple(below)))
    return legs


def _descendants(skeleton: Skeleton, joint: int) -> list[int]:
    found: list[int] = []
    for child in range(joint + 1, skeleton.num_joints):
        if skeleton.parents[child] == joint or skeleton.parents[child] in found:
            found.append(child)
    return found


def rest_ankle_height(skeleton: Skeleton, leg: Leg, default: float | None = None) -> float:
    """Metres of the rest ankle over the rig's sole (the lowest joint of the foot chain); ``default`` for a
    foot with no joint below it (videopose's own skeleton: the source's ankle height, scaled)."""
    rest = skeleton.rest_positions()
    if not leg.below_foot:
        if default is None:
            raise ValueError("a foot without toe joints needs a default ankle height")
        return float(default)
    return float(rest[leg.foot, 2] - rest[list(leg.below_foot), 2].min())


def plant_feet(animation: Animation, legs: list[Leg], mapped: set[int], heights: list[float]) -> Animation:
    """The rig's feet on its floor at z = 0 (see the module docstring).

    ``animation``: the motion on the rig (root positions already at the rig's scale); ``mapped``: the bones
    the bone map drives (they keep their world rotation where nothing here turns them; unmapped bones
    follow their parents); ``heights``: each leg's ankle height over the floor (:func:`rest_ankle_height`).
    Needs ``animation.contacts`` for the foot lock; without, only the floor acts.
    """
    skeleton = animation.skeleton
    frames = animation.num_frames
    rest = skeleton.rest_positions()
    local = Rotation.from_quat(animation.local_quats_xyzw.reshape(-1, 4)).as_matrix().reshape(frames, -1, 3, 3)
    positions, world = animation.world_transforms()
    contacts = animation.extras.get("heel_contacts", animation.contacts)
    toes = animation.extras.get("toe_contacts")  # the toe down (a grounded clip's): with the heel up, a push-off
    blend = max(1, int(round(BLEND_SECONDS * animation.fps)))
    heading_ease = max(1, int(round(HEADING_EASE_SECONDS * animation.fps)))
    targets, weights, drop = [], [], np.zeros(frames)
    for leg, height in zip(legs, heights):
        ankle = positions[:, leg.foot]
        if contacts is not None:
            weight, pin = pin_weights(np.asarray(contacts, dtype=bool)[:, leg.side], ankle, blend)
            pin[:, 2] = height
        else:
            weight, pin = np.zeros(frames), ankle.copy()
        targets.append(ankle + weight[:, None] * (pin - ankle))
        weights.append(weight)
        # A pinned ankle the straight leg cannot reach (other proportions than the source's) lowers the root,
        # by at most MAX_DROP of the leg: a pin left behind by a fast step (as it eases out) is not followed
        # down to the floor (sports2d: the root fell 45 cm in one frame), the soft reach lets that foot go.
        reach = _REACH * _chain_length(rest, leg)
        across = np.linalg.norm(targets[-1][:, :2] - positions[:, leg.thigh, :2], axis=-1)
        highest = targets[-1][:, 2] + np.sqrt(np.maximum(reach**2 - across**2, 0.0))
        needed = np.minimum(np.maximum(positions[:, leg.thigh, 2] - highest, 0.0), MAX_DROP * _chain_length(rest, leg))
        drop = np.maximum(drop, weight * needed)
    root = animation.root_positions.copy()
    root[:, 2] -= drop
    positions = positions - np.stack([np.zeros(frames), np.zeros(frames), drop], axis=1)[:, None]
    turned: dict[int, np.ndarray] = {}
    for leg, target, weight, height in zip(legs, targets, weights, heights):
        hip, knee, ankle = positions[:, leg.thigh], positions[:, leg.shin], positions[:, leg.foot]
        target = target.copy()
        target[:, 2] = np.maximum(target[:, 2], height)
        active = np.linalg.norm(target - ankle, axis=-1) > 1e-7
        upper, lower = np.linalg.norm(rest[leg.shin] - rest[leg.thigh]), np.linalg.norm(rest[leg.foot] - rest[leg.shin])
        thigh_world, shin_world = world[:, leg.thigh].copy(), world[:, leg.shin].copy()
        if active.any():
            reach = soft_reach(hip[active], ankle[active], target[active], upper + lower)
            hint = thigh_world[active] @ np.array([0.0, -1.0, 0.0])
            new_knee, new_ankle = two_bone_ik(hip[active], knee[active], reach, upper, lower, hint)
            thigh_world[active] = swing_matrices(_unit(knee[active] - hip[active]), _unit(new_knee - hip[active])) \
                @ thigh_world[active]
            shin_world[active] = swing_matrices(_unit(ankle[active] - knee[active]), _unit(new_ankle - new_knee)) \
                @ shin_world[active]
            ankle = ankle.copy()
            ankle[active] = new_ankle
        turned[leg.thigh], turned[leg.shin] = thigh_world, shin_world
        # The foot, rigid with the shin until now (its world rotation relative to the shin kept).
        foot_rigid = shin_world @ np.swapaxes(world[:, leg.shin], -1, -2) @ world[:, leg.foot]
        flat = np.clip((height + FLAT_BELOW - ankle[:, 2]) / FLAT_BELOW, 0.0, 1.0)
        flat = np.maximum(flat, weight)
        below = [rest[joint] - rest[leg.foot] for joint in leg.below_foot]
        turned[leg.foot] = _above_floor(foot_rigid, flat, ankle, np.array(below).reshape(-1, 3))
        if contacts is not None and below:  # the toes' farthest joint along the floor gives the foot's heading
            forward = max(below, key=lambda offset: float(np.linalg.norm(offset[:2])))
            balls = [toe_joint for toe_joint in leg.toes if skeleton.parents[toe_joint] == leg.foot]
            ball = rest[balls[0]] - rest[leg.foot] if balls else None  # the ball: where the first toe bone bends
            turned[leg.foot] = _planted_foot(turned[leg.foot], forward, ball, ankle, height, contacts, toes, leg.side,
                                             blend, heading_ease)
        for toe in (toe for toe in leg.toes if skeleton.parents[toe] == leg.foot):  # bends at the ball
            toe_head = ankle + turned[leg.foot] @ (rest[toe] - rest[leg.foot])
            tips = [rest[joint] - rest[toe] for joint in _descendants(skeleton, toe)]
            turned[toe] = _above_floor(turned[leg.foot] @ local[:, toe], np.zeros(frames), toe_head,
                                       np.array(tips).reshape(-1, 3))
    lowered = Animation(skeleton, animation.local_quats_xyzw, root, animation.fps, animation.contacts,
                        dict(animation.extras))
    return _with_world_rotations(lowered, local, world, turned, mapped)


_REACH = 0.965  # of the leg's length: where ik.soft_reach starts to pull a target in (0.97)


def _chain_length(rest: np.ndarray, leg: Leg) -> float:
    return float(np.linalg.norm(rest[leg.shin] - rest[leg.thigh]) + np.linalg.norm(rest[leg.foot] - rest[leg.shin]))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


HEADING_EASE_SECONDS = 0.25  # a held foot's heading turns back to the shin's over this, once off the floor


def _smoothstep(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


def eased_corrections(values: np.ndarray, known: np.ndarray, ease_frames: int) -> np.ndarray:
    """(frames,) corrections known in the ``known`` frames -> every frame's: between two runs of known frames
    a gap of at most 2 x ``ease_frames`` goes from the one's last value to the other's first (smoothstep);
    a longer gap, and the clip's ends, ease to 0 and back over ``ease_frames`` at each side."""
    result = np.where(known, values, 0.0)
    frames = len(result)
    for start, stop in frame_runs(~np.asarray(known, dtype=bool)):
        before = result[start - 1] if start > 0 else None
        after = result[stop] if stop < frames else None
        length = stop - start
        if before is not None and after is not None and length <= 2 * ease_frames:
            result[start:stop] = before + (after - before) * _smoothstep(np.arange(1, length + 1) / (length + 1))
            continue
        ramp = _smoothstep(np.arange(1, ease_frames + 1) / (ease_frames + 1))
        if before is not None:
            span = min(ease_frames, length)
            result[start:start + span] = before * ramp[::-1][:span]
        if after is not None:
            span = min(ease_frames, length)
            result[stop - span:stop] += after * ramp[-span:]
    return result


def held_headings(rotations: np.ndarray, forward: np.ndarray, planted: np.ndarray, ease_frames: int) -> np.ndarray:
    """(frames, 3, 3) a foot's world rotations (applied to rest offsets) -> the same turned about the vertical
    so that in each run of ``planted`` (frames,) bool frames the foot keeps one heading: the run's median
    direction, on the floor, of its ``forward`` (3,) rest offset (ankle -> toes). Off the floor the turn goes
    over to the next run's (a swing of at most 2 x ``ease_frames``) or back to none, smoothly
    (:func:`eased_corrections`): a foot let go at once flicked back to the shin's heading (up to 7.5 degrees
    a frame at 60 fps on pose2sim). Turning about the vertical keeps every point of the foot at its height
    (flat stays flat, toes stay over the floor)."""
    pointing = rotations @ np.asarray(forward, dtype=np.float64)
    length = np.linalg.norm(pointing[:, :2], axis=-1)
    usable = np.isfinite(length) & (length > 1e-6)
    heading = np.where(usable, np.arctan2(pointing[:, 1], pointing[:, 0]), 0.0)
    planted = np.asarray(planted, dtype=bool) & usable
    turn = np.zeros(len(rotations))
    for start, stop in frame_runs(planted):
        direction = np.median(np.stack([np.cos(heading[start:stop]), np.sin(heading[start:stop])], axis=1), axis=0)
        turn[start:stop] = np.mod(np.arctan2(direction[1], direction[0]) - heading[start:stop] + np.pi, 2 * np.pi) - np.pi
    turn = np.where(usable, eased_corrections(turn, planted, ease_frames), 0.0)
    return Rotation.from_rotvec(turn[:, None] * _Z).as_matrix() @ rotations


def _planted_foot(rotations: np.ndarray, forward: np.ndarray, ball: np.ndarray | None, ankles: np.ndarray,
                  flat_ankle_height: float, heel_contacts: np.ndarray, toe_contacts: np.ndarray | None, side: int,
                  blend_frames: int, ease_frames: int) -> np.ndarray:
    """A foot's world rotations (frames, 3, 3), flattened, with its heading held while its heel is down
    (:func:`held_headings`, ``forward`` its rest offset to its farthest toe; on its ball it may pivot) and
    pitched onto its ball while only its toe is down (:func:`toes_down`, ``ball`` its rest offset to the ball;
    None: no ball to stand on). ``heel_contacts`` / ``toe_contacts`` (frames, 2) bool, column ``side``."""
    heel = np.asarray(heel_contacts, dtype=bool)[:, side]
    rotations = held_headings(rotations, forward, heel, ease_frames)
    if ball is None or toe_contacts is None:
        return rotations
    toe = np.asarray(toe_contacts, dtype=bool)[:, side] & ~heel
    return toes_down(rotations, ball, ankles, flat_ankle_height, toe, blend_frames, heel)


MAX_TOE_DOWN_PITCH_DEG = 60.0  # the most a foot is pitched down to put its ball on the floor


def toes_down(rotations: np.ndarray, forward: np.ndarray, ankles: np.ndarray, flat_ankle_height: float,
              toe_down: np.ndarray, blend_frames: int, heel_down: np.ndarray | None = None) -> np.ndarray:
    """(frames, 3, 3) a foot's world rotations -> the same pitched down about the horizontal so that, while
    its toe is down and its heel up (``toe_down`` (frames,) bool), the ball of the foot (``forward`` (3,), its
    rest offset from the ankle) stands where it stands with the foot flat: as far under the ankle's flat
    height as the ankle (``ankles`` (frames, 3)) is over ``flat_ankle_height`` (the rise of the heel), at
    most ``MAX_TOE_DOWN_PITCH_DEG`` down; eased in and out over ``blend_frames`` (the ankle pin's easing), but
    not into the ``heel_down`` (frames,) bool frames, where the foot stays flat. Only ever lowers the ball. Before, a push-off's foot stayed rigid with the shin: the ball of the
    canonical foot 8-18 cm over the floor while the picture had the toes down (pose2sim)."""
    forward = np.asarray(forward, dtype=np.float64)
    length = float(np.linalg.norm(forward))
    if length < 1e-9:
        return rotations
    weight, _ = pin_weights(np.asarray(toe_down, dtype=bool), np.zeros((len(rotations), 3)), blend_frames)
    if heel_down is not None:
        weight = np.where(np.asarray(heel_down, dtype=bool), 0.0, weight)
    pointing = rotations @ forward
    target = np.clip(forward[2] - (ankles[:, 2] - flat_ankle_height), -length * np.sin(np.radians(MAX_TOE_DOWN_PITCH_DEG)),
                     length)
    axis = np.cross(pointing, _Z)
    sine = np.linalg.norm(axis, axis=-1)
    usable = (weight > 0) & (sine > 1e-6 * length) & (target < pointing[:, 2]) & np.isfinite(target)
    elevation = np.arcsin(np.clip(pointing[:, 2] / length, -1.0, 1.0))
    turn = np.where(usable, weight * (np.arcsin(np.clip(target / length, -1.0, 1.0)) - elevation), 0.0)
    axis = axis / np.maximum(sine, 1e-12)[:, None]
    return Rotation.from_rotvec(axis * turn[:, None]).as_matrix() @ rotations


def _towards_flat(rotations: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) world rotations turned by ``amount`` (frames,) in [0, 1] of the minimal rotation that
    makes them level (their rest up axis, +Z, back to world +Z): 1 = flat, keeping the heading."""
    up = rotations @ _Z
    axis = np.cross(up, _Z)
    sine = np.linalg.norm(axis, axis=-1)
    angle = np.arctan2(sine, up @ _Z)
    axis = axis / np.maximum(sine, 1e-12)[:, None]
    return Rotation.from_rotvec(axis * (angle * amount)[:, None]).as_matrix() @ rotations


def _above_floor(rigid: np.ndarray, amount: np.ndarray, head: np.ndarray, points: np.ndarray,
                 steps: int = 14) -> np.ndarray:
    """Turn a bone towards flat by at least ``amount`` and, where its ``points`` ((k, 3) rest offsets from its
    head at ``head`` (frames, 3)) would go under z = 0, by the least more that keeps them on it (bisection)."""
    if len(points) == 0:
        return _towards_flat(rigid, amount)

    def lowest(fraction: np.ndarray) -> np.ndarray:
        return (head[:, None, 2] + np.einsum("fj,kj->fk", _towards_flat(rigid, fraction)[:, 2], points)).min(axis=1)

    low, high = amount.copy(), np.ones_like(amount)
    needs = lowest(low) < 0.0
    for _ in range(steps):
        middle = 0.5 * (low + high)
        ok = lowest(middle) >= 0.0
        high = np.where(needs & ok, middle, high)
        low = np.where(needs & ~ok, middle, low)
    return _towards_flat(rigid, np.where(needs, high, amount))


def _with_world_rotations(animation: Animation, local: np.ndarray, world: np.ndarray, turned: dict[int, np.ndarray],
                          mapped: set[int]) -> Animation:
    """Local rotations that give ``turned`` bones their new world rotations; other mapped bones keep their
    world rotation, unmapped ones their local rotation (they follow their parents)."""
    skeleton = animation.skeleton
    frames = animation.num_frames
    new_world = np.empty_like(world)
    new_local = local.copy()
    for joint, parent in enumerate(skeleton.parents):
        parent_world = new_world[:, parent] if parent >= 0 else np.broadcast_to(np.eye(3), (frames, 3, 3))
        if joint in turned:
            new_world[:, joint] = turned[joint]
        elif joint in mapped:
            new_world[:, joint] = world[:, joint]
        else:
            new_world[:, joint] = parent_world @ local[:, joint]
            continue
        new_local[:, joint] = np.swapaxes(parent_world, -1, -2) @ new_world[:, joint]
    quats = Rotation.from_matrix(new_local.reshape(-1, 3, 3)).as_quat().reshape(frames, skeleton.num_joints, 4)
    return Animation(skeleton, make_continuous(quats), animation.root_positions, animation.fps, animation.contacts,
                     dict(animation.extras))


CANONICAL_FOOT_PER_SHIN = 0.35  # videopose's own skeleton has no foot joint: its ankle bone lies forward this long


def canonical_foot_offset(skeleton: Skeleton, side: str) -> np.ndarray:
    """(3,) rest vector from a canonical ankle to the ball of its foot: forward (-Y), level, 0.35 x the shin
    (the ankle bone of the Blender armature, ``videopose.addon.posemath.rest_bone_layout``)."""
    shin = np.linalg.norm(skeleton.offsets[skeleton.index(f"{side}_ankle")])
    return np.array([0.0, -CANONICAL_FOOT_PER_SHIN * shin, 0.0])


def flatten_canonical_feet(animation: Animation) -> Animation:
    """videopose's own skeleton with its ankle bones (the feet) turned as on a rig: flat on the floor while
    planted and near the floor, and never with the ball of the foot under it. Joint positions are unchanged
    (the ankles are leaves). For the canonical path (``retarget_motion`` with no rig), where
    :func:`plant_feet` does not run."""
    skeleton = animation.skeleton
    frames = animation.num_frames
    positions, world = animation.world_transforms()
    local = Rotation.from_quat(animation.local_quats_xyzw.reshape(-1, 4)).as_matrix().reshape(frames, -1, 3, 3)
    contacts = animation.extras.get("heel_contacts", animation.contacts)
    toes = animation.extras.get("toe_contacts")  # the toe down (a grounded clip's): with the heel up, a push-off
    blend = max(1, int(round(BLEND_SECONDS * animation.fps)))
    heading_ease = max(1, int(round(HEADING_EASE_SECONDS * animation.fps)))
    ankles = [skeleton.index(f"{side}_ankle") for side in ("left", "right")]
    level = np.percentile(positions[:, ankles, 2], 5)  # the ankle height of a foot on the floor
    # A grounded clip's own (its floor at z = 0; the percentile would sink into a lower level the clip steps onto).
    flat_height = float(animation.extras.get("ankle_height_m", level))
    turned = {}
    for side, (name, ankle) in enumerate(zip(("left", "right"), ankles)):
        weight = (pin_weights(np.asarray(contacts, dtype=bool)[:, side], positions[:, ankle], blend)[0]
                  if contacts is not None else np.zeros(frames))
        flat = np.maximum(np.clip((level + FLAT_BELOW - positions[:, ankle, 2]) / FLAT_BELOW, 0.0, 1.0), weight)
        forward = canonical_foot_offset(skeleton, name)
        turned[ankle] = _above_floor(world[:, ankle], flat, positions[:, ankle], forward[None])
        if contacts is not None:
            turned[ankle] = _planted_foot(turned[ankle], forward, forward, positions[:, ankle], flat_height, contacts,
                                          toes, side, blend, heading_ease)
    mapped = set(range(skeleton.num_joints)) - set(ankles)
    return _with_world_rotations(animation, local, world, turned, mapped)
