"""Two-bone IK (hip-knee-ankle) and foot locking during ground contact.

Locking pins each contact run's ankle at the run's median position; the pin is blended in before the
run and out after it over ``blend_frames`` frames (smoothstep), so the foot does not pop when contact
starts or ends. The leg is re-posed with an analytic two-bone IK in the plane of the original knee
(bone lengths stay exact), and the thigh and shin rotations are changed by the minimal rotation
taking each old bone direction to the new one, which keeps their twist.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from videopose.core.animation import Animation
from videopose.core.frame_runs import frame_runs
from videopose.core.animation import make_continuous

# (hip, knee, ankle) of the canonical skeleton, in Animation.contacts column order (left, right).
FEET = (("left_hip", "left_knee", "left_ankle"), ("right_hip", "right_knee", "right_ankle"))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def swing_matrices(from_directions: np.ndarray, to_directions: np.ndarray) -> np.ndarray:
    """(frames, 3) unit directions -> (frames, 3, 3) minimal rotations taking ``from`` onto ``to``."""
    axis = np.cross(from_directions, to_directions)
    cosine = np.sum(from_directions * to_directions, axis=-1)
    skew = np.zeros(axis.shape[:-1] + (3, 3))
    skew[..., 0, 1], skew[..., 0, 2], skew[..., 1, 2] = -axis[..., 2], axis[..., 1], -axis[..., 0]
    skew -= np.swapaxes(skew, -1, -2)
    return np.eye(3) + skew + skew @ skew / np.maximum(1.0 + cosine, 1e-9)[..., None, None]


def two_bone_ik(root: np.ndarray, joint: np.ndarray, target: np.ndarray, upper_length: float, lower_length: float,
                bend_hint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Place a two-bone chain (root fixed) so its end reaches ``target`` (frames, 3) as near as it can.

    The middle joint stays on the side of the root->target line where ``joint`` was (``bend_hint``,
    (frames, 3), where the chain is straight). Returns the new middle joint and end (frames, 3); the
    bone lengths are exactly ``upper_length`` and ``lower_length``.
    """
    reach = target - root
    distance = np.linalg.norm(reach, axis=-1, keepdims=True)
    direction = np.where(distance > 1e-9, reach / np.maximum(distance, 1e-12), _unit(joint - root))
    distance = np.clip(distance, abs(upper_length - lower_length) + 1e-6, upper_length + lower_length - 1e-6)
    pole = joint - root
    pole = pole - np.sum(pole * direction, axis=-1, keepdims=True) * direction
    hint = bend_hint - np.sum(bend_hint * direction, axis=-1, keepdims=True) * direction
    pole = np.where(np.linalg.norm(pole, axis=-1, keepdims=True) > 1e-4 * upper_length, pole, hint)
    pole = _unit(pole)
    cosine = (upper_length**2 + distance**2 - lower_length**2) / (2 * upper_length * distance)
    cosine = np.clip(cosine, -1.0, 1.0)
    middle = root + upper_length * (cosine * direction + np.sqrt(1 - cosine**2) * pole)
    return middle, root + direction * distance


def soft_reach(root: np.ndarray, original_end: np.ndarray, target: np.ndarray, chain_length: float,
               soft_fraction: float = 0.97) -> np.ndarray:
    """Pull (frames, 3) targets in along the root->target line so the chain never snaps straight ("soft IK").

    Reaches beyond ``soft_fraction`` of the chain length approach full extension exponentially instead of
    being clamped, so a pinned foot that the hip drags away bends the knee less and less rather than
    locking it with a jump. A target is never pulled in closer than the original end was (the motion the
    solver found is kept where no pin acts), so the change is continuous as the pin weight fades to 0.
    """
    reach = target - root
    distance = np.linalg.norm(reach, axis=-1, keepdims=True)
    soft_start = soft_fraction * chain_length
    margin = chain_length - soft_start
    softened = np.where(distance > soft_start,
                        soft_start + margin * (1.0 - np.exp(-(distance - soft_start) / margin)), distance)
    original = np.linalg.norm(original_end - root, axis=-1, keepdims=True)
    new_distance = np.minimum(distance, np.maximum(softened, original))
    return root + reach * (new_distance / np.maximum(distance, 1e-12))


def pin_weights(contact: np.ndarray, positions: np.ndarray, blend_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames,) contact mask and (frames, 3) ankle positions -> per-frame pin weight (frames,) in [0, 1]
    and pin position (frames, 3): 1 inside a contact run, easing in/out over ``blend_frames`` around it."""
    frames = len(contact)
    weight = np.zeros(frames)
    pin = positions.copy()
    ramp = np.arange(1, blend_frames + 1) / (blend_frames + 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    for start, stop in frame_runs(contact):
        target = np.median(positions[start:stop], axis=0)
        run_weight = np.zeros(frames)
        run_weight[start:stop] = 1.0
        before = np.arange(start - blend_frames, start)
        after = np.arange(stop, stop + blend_frames)
        run_weight[before[before >= 0]] = ramp[before >= 0]
        run_weight[after[after < frames]] = ramp[::-1][after < frames]
        better = run_weight > weight
        weight[better] = run_weight[better]
        pin[better] = target
    return weight, pin


def legs_reaching(animation: Animation, targets: list[tuple[np.ndarray, np.ndarray] | None]) -> Animation:
    """The canonical skeleton with each leg re-posed by two-bone IK so its ankle reaches, in the frames of
    ``active`` (frames,) bool, ``target`` (frames, 3) world metres: one ``(active, target)`` or None per leg
    (:data:`FEET` order). Thigh and shin turn by the minimal rotations (their twist kept); nothing else moves."""
    skeleton = animation.skeleton
    positions, world = animation.world_transforms()
    local = Rotation.from_quat(animation.local_quats_xyzw.reshape(-1, 4)).as_matrix().reshape(world.shape)
    lengths = skeleton.bone_lengths()
    changed: list[int] = []
    for (hip_name, knee_name, ankle_name), reach in zip(FEET, targets):
        if reach is None or not np.asarray(reach[0]).any():
            continue
        active, goal = np.asarray(reach[0], dtype=bool), np.asarray(reach[1], dtype=np.float64)
        hip, knee, ankle = (skeleton.index(name) for name in (hip_name, knee_name, ankle_name))
        target = soft_reach(positions[active, hip], positions[active, ankle], goal[active], lengths[knee] + lengths[ankle])
        # Where the leg is straight, bend the knee the way the thigh's own frame says (forward, -Y at rest).
        hint = world[active, hip] @ np.array([0.0, -1.0, 0.0])
        new_knee, new_ankle = two_bone_ik(positions[active, hip], positions[active, knee], target,
                                          lengths[knee], lengths[ankle], hint)
        thigh = swing_matrices(_unit(positions[active, knee] - positions[active, hip]),
                               _unit(new_knee - positions[active, hip])) @ world[active, hip]
        shin = swing_matrices(_unit(positions[active, ankle] - positions[active, knee]),
                              _unit(new_ankle - new_knee)) @ world[active, knee]
        parent = skeleton.parents[hip]
        local[active, hip] = np.swapaxes(world[active, parent], -1, -2) @ thigh
        local[active, knee] = np.swapaxes(thigh, -1, -2) @ shin
        changed += [hip, knee]
    quats = animation.local_quats_xyzw.copy()
    if changed:
        frames = len(quats)
        quats[:, changed] = Rotation.from_matrix(local[:, changed].reshape(-1, 3, 3)).as_quat().reshape(frames, len(changed), 4)
        quats = make_continuous(quats)
    return Animation(skeleton, quats, animation.root_positions, animation.fps, animation.contacts, dict(animation.extras))


def lock_feet(animation: Animation, contacts: np.ndarray, blend_frames: int = 4) -> Animation:
    """Pin the ankles of the canonical skeleton during ``contacts`` (frames, 2: left, right) with two-bone IK.

    Returns a new Animation (same skeleton, root motion and other joints) with ``contacts`` attached.
    """
    positions = animation.world_positions()
    targets = []
    for foot, (_, _, ankle_name) in enumerate(FEET):
        ankle = positions[:, animation.skeleton.index(ankle_name)]
        weight, pin = pin_weights(contacts[:, foot], ankle, blend_frames)
        targets.append((weight > 0, ankle + weight[:, None] * (pin - ankle)))
    locked = legs_reaching(animation, targets)
    return Animation(locked.skeleton, locked.local_quats_xyzw, locked.root_positions, locked.fps,
                     contacts=np.asarray(contacts, bool), extras=dict(locked.extras))


SUNKEN_MAX_M = 0.15  # an ankle at most this far under its floor height sank into the floor; further, another level


def sunken_ankles_raised(animation: Animation, planted: np.ndarray, max_depth_m: float = SUNKEN_MAX_M) -> Animation:
    """The canonical skeleton with every ankle under the planted ankles' height (their median height over the
    ``planted`` (frames, 2) bool frames: a grounded clip's heels down on its floor) by at most ``max_depth_m``
    raised onto it by two-bone IK (the knee bends; the root and the other leg stay). A grounded clip's feet off
    their contacts followed the lifted pose: pose2sim cam02's left foot, lost by the detector for 0.35 s, sank
    5 cm into the floor. Deeper is another level (sports2d's drop off a roof) and is left as it is; without a
    planted frame nothing changes."""
    planted = np.asarray(planted, dtype=bool)
    if not planted.any():
        return animation
    positions = animation.world_positions()
    ankles = positions[:, [animation.skeleton.index(name) for _, _, name in FEET]]
    level = float(np.median(ankles[..., 2][planted]))
    targets = []
    for foot in range(len(FEET)):
        depth = level - ankles[:, foot, 2]
        sunken = (depth > 1e-6) & (depth <= max_depth_m)
        raised = ankles[:, foot].copy()
        raised[:, 2] = np.where(sunken, level, raised[:, 2])
        targets.append((sunken, raised))
    return legs_reaching(animation, targets)
