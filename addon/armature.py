"""Armatures and actions from videopose Animations (bpy).

Keys are written in bulk (``keyframe_points.add(n)`` then ``foreach_set``), never one
``keyframe_insert`` per frame: 17 bones x 10,000 frames take well under a second this way
(``benchmarks/bench_blender.py``). Bone maths lives in :mod:`.posemath`.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np
from bpy_extras.anim_utils import action_ensure_channelbag_for_slot

from videopose.core.animation import Animation
from videopose.core.errors import VideoposeError

from . import posemath

_LINEAR = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value


@dataclass(frozen=True)
class ImportResult:
    armature: bpy.types.Object
    action: bpy.types.Action
    frame_start: int
    frame_end: int
    previous_action: bpy.types.Action | None = None


def object_mode(context: bpy.types.Context) -> None:
    """Leave edit/pose mode so data can be created and edited safely."""
    if context.view_layer.objects.active is not None and context.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")


def create_armature(context: bpy.types.Context, animation: Animation, name: str) -> bpy.types.Object:
    """A new armature object in the active collection, at rest = the animation skeleton's rest pose.

    One deforming bone per joint, named after it, parented like the skeleton (connected where the
    parent's tail sits on the joint); feet on z = 0. The new object becomes active and selected.
    """
    skeleton = animation.skeleton
    heads, tails = posemath.rest_bone_layout(skeleton)
    object_mode(context)
    data = bpy.data.armatures.new(name)
    armature = bpy.data.objects.new(name, data)
    context.collection.objects.link(armature)
    for selected in context.selected_objects:
        selected.select_set(False)
    armature.select_set(True)
    context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        edit_bones = []
        for joint, joint_name in enumerate(skeleton.names):
            bone = data.edit_bones.new(joint_name)
            bone.head, bone.tail, bone.roll = heads[joint].tolist(), tails[joint].tolist(), 0.0
            bone.use_deform = True
            parent = skeleton.parents[joint]
            if parent >= 0:
                bone.parent = edit_bones[parent]
                bone.use_connect = bool(np.allclose(tails[parent], heads[joint], atol=1e-9))
            edit_bones.append(bone)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    data.display_type = "OCTAHEDRAL"
    armature.show_in_front = True
    return armature


def identity_bone_map(animation: Animation, armature: bpy.types.Object) -> dict[str, str]:
    """Joint name -> bone name for the joints the armature has a bone of the same name for."""
    return {name: name for name in animation.skeleton.names if name in armature.data.bones}


def write_action(
    armature: bpy.types.Object,
    animation: Animation,
    bone_map: dict[str, str] | None = None,
    action_name: str = "videopose",
    frame_start: int = 1,
) -> tuple[bpy.types.Action, bpy.types.Action | None]:
    """Key ``animation`` onto ``armature`` in a new action; returns (new action, the one it replaced).

    bone_map: animation joint name -> armature bone name (default: same names). Mapped bones get
    quaternion keys; the animation's root also gets location keys (root motion). Unmapped bones are
    reset to their rest pose (they follow their parents). A replaced action of the user's is kept
    (fake user), never overwritten: the new action gets a unique name.
    """
    bone_map = identity_bone_map(animation, armature) if bone_map is None else dict(bone_map)
    bones = armature.data.bones
    missing = sorted(bone for bone in bone_map.values() if bone not in bones)
    if missing:
        raise VideoposeError(f"armature {armature.name} has no bone(s) {', '.join(missing)}: check the bone map")
    unknown = sorted(joint for joint in bone_map if joint not in animation.skeleton.names)
    if unknown:
        raise VideoposeError(f"the animation has no joint(s) {', '.join(unknown)}: check the bone map")
    if not bone_map:
        raise VideoposeError(f"no animation joint maps onto a bone of {armature.name}: choose a bone map preset")
    try:
        object_rotation, object_scale, object_translation = posemath.split_object_transform(
            np.array(armature.matrix_world))
    except ValueError as error:
        raise VideoposeError(f"{error}: apply the armature's scale (Ctrl+A > Scale) and try again") from None

    bone_names = [bone.name for bone in bones]
    bone_index = {name: i for i, name in enumerate(bone_names)}
    parents = [bone_index[bone.parent.name] if bone.parent else -1 for bone in bones]
    rest = np.array([np.array(bone.matrix_local) for bone in bones])

    # Animation world frame -> armature space: W_arm = Q^T W Q, p_arm = Q^T (p - t) / s.
    world_positions, world_rotations = animation.world_transforms()
    frames = animation.num_frames
    rotations = np.broadcast_to(np.eye(3), (frames, len(bones), 3, 3)).copy()
    positions = np.zeros((frames, len(bones), 3))
    animated = np.zeros(len(bones), dtype=bool)
    keyed_location = np.zeros(len(bones), dtype=bool)
    root_joint = animation.skeleton.names[0]
    for joint_name, bone_name in bone_map.items():
        joint, bone = animation.skeleton.index(joint_name), bone_index[bone_name]
        rotations[:, bone] = object_rotation.T @ world_rotations[:, joint] @ object_rotation
        positions[:, bone] = (world_positions[:, joint] - object_translation) @ object_rotation / object_scale
        animated[bone] = True
        keyed_location[bone] = joint_name == root_joint
    basis = posemath.pose_basis(rest, parents, rotations, positions, animated, keyed_location)

    action = bpy.data.actions.new(action_name)
    slot = action.slots.new(id_type="OBJECT", name=armature.name)
    if armature.animation_data is None:
        armature.animation_data_create()
    previous = armature.animation_data.action
    if previous is not None and not previous.use_fake_user:
        previous.use_fake_user = True
    armature.animation_data.action = action
    armature.animation_data.action_slot = slot
    channelbag = action_ensure_channelbag_for_slot(action, slot)
    frame_numbers = np.arange(frame_start, frame_start + frames, dtype=np.float64)
    for bone in np.flatnonzero(animated):
        name = bone_names[bone]
        pose_bone = armature.pose.bones[name]
        pose_bone.rotation_mode = "QUATERNION"
        quats_wxyz, locations = posemath.basis_to_channels(basis[:, bone])
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"]'
        channels = [("rotation_quaternion", quats_wxyz)]
        if keyed_location[bone]:
            channels.append(("location", locations))
        for prop, values in channels:
            for index in range(values.shape[1]):
                write_fcurve(channelbag, f"{path}.{prop}", index, name, frame_numbers, values[:, index])
    for pose_bone in armature.pose.bones:
        if not animated[bone_index[pose_bone.name]]:
            pose_bone.matrix_basis.identity()
    return action, previous


def write_fcurve(channelbag, data_path: str, index: int, group: str, frames: np.ndarray, values: np.ndarray):
    """One F-curve with LINEAR keys at (frames,) x (frames,) values, written in bulk."""
    fcurve = channelbag.fcurves.new(data_path, index=index, group_name=group)
    points = fcurve.keyframe_points
    points.add(len(frames))
    points.foreach_set("co", np.column_stack([frames, values]).astype(np.float32).ravel())
    points.foreach_set("interpolation", np.full(len(frames), _LINEAR, dtype=np.int32))
    fcurve.update()
    return fcurve


def set_scene_timing(scene: bpy.types.Scene, fps: float, frame_start: int, frames: int) -> None:
    """Scene frame rate (``fps``/``fps_base``, so 29.97 is exact) and frame range of the clip."""
    scene.render.fps, scene.render.fps_base = posemath.scene_rate(fps)
    scene.frame_start, scene.frame_end = frame_start, frame_start + frames - 1
    scene.frame_set(frame_start)


def import_animation(
    context: bpy.types.Context,
    animation: Animation,
    name: str,
    armature: bpy.types.Object | None = None,
    bone_map: dict[str, str] | None = None,
    frame_start: int = 1,
) -> ImportResult:
    """Import an Animation: a new armature (``armature=None``) or onto an existing one via ``bone_map``.

    Sets the scene's fps and frame range; the action is named after the clip.
    """
    created = armature is None
    if created:
        armature = create_armature(context, animation, name)
    try:
        action, previous = write_action(armature, animation, bone_map, action_name=name, frame_start=frame_start)
    except Exception:
        if created:
            data = armature.data
            bpy.data.objects.remove(armature)
            bpy.data.armatures.remove(data)
        raise
    set_scene_timing(context.scene, animation.fps, frame_start, animation.num_frames)
    return ImportResult(armature, action, frame_start, frame_start + animation.num_frames - 1, previous)
