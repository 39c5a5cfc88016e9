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
_CONSTANT = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["CONSTANT"].value
# The armature object's custom properties keyed with the foot contacts (1 planted, 0 not), for the graph editor,
# drivers and scripts: the heel down (what the foot lock pins) and, for a grounded clip, the toe down.
CONTACT_PROPERTIES = (("videopose_contact_left", "videopose_contact_right"),
                      ("videopose_toe_contact_left", "videopose_toe_contact_right"))


@dataclass(frozen=True)
class ImportResult:
    armature: bpy.types.Object
    action: bpy.types.Action
    frame_start: int
    frame_end: int
    previous_action: bpy.types.Action | None = None
    camera: bpy.types.Object | None = None  # the video's camera, where the import brought it (video_camera.py)
    animation: Animation | None = None  # what was imported (headless.import_motion_file)


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
    # A bone keyed with a location (the pelvis under a root bone on the floor) cannot be connected.
    free = str(animation.extras["root_on_floor"]) if "root_on_floor" in animation.extras else None
    if free in skeleton.names and skeleton.parents[skeleton.index(free)] == 0:
        # ... nor lie on the root bone's axis, where Blender's FBX importer would connect it again: the root
        # bone lies on the floor pointing forward (-Y).
        tails[0] = heads[0] + np.array([0.0, -0.5, 0.0]) * np.linalg.norm(heads[skeleton.index(free)] - heads[0])
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
                bone.use_connect = joint_name != free and bool(np.allclose(tails[parent], heads[joint], atol=1e-9))
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
    world_positions = world_positions.copy()
    pelvis_joint = str(animation.extras["root_on_floor"]) if "root_on_floor" in animation.extras else None
    if pelvis_joint in bone_map and bones[bone_map[pelvis_joint]].use_connect:
        pelvis_joint = None  # a connected bone cannot move: the root carries the whole motion, as before
    if pelvis_joint in bone_map:
        # The root bone on the floor under the pelvis (horizontal root motion), the pelvis keyed with the height.
        pelvis = world_positions[:, animation.skeleton.index(pelvis_joint)]
        world_positions[:, 0] = np.column_stack([pelvis[:, 0], pelvis[:, 1], np.zeros(len(pelvis))])
    for joint_name, bone_name in bone_map.items():
        joint, bone = animation.skeleton.index(joint_name), bone_index[bone_name]
        rotations[:, bone] = object_rotation.T @ world_rotations[:, joint] @ object_rotation
        positions[:, bone] = (world_positions[:, joint] - object_translation) @ object_rotation / object_scale
        animated[bone] = True
        keyed_location[bone] = joint_name in (root_joint, pelvis_joint)
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
    write_contacts(armature, channelbag, animation, frame_numbers)
    return action, previous


def write_contacts(armature: bpy.types.Object, channelbag, animation: Animation, frame_numbers: np.ndarray) -> None:
    """The animation's foot contacts as the armature object's custom properties (:data:`CONTACT_PROPERTIES`),
    keyed 1 / 0 in every frame with CONSTANT interpolation (steps, not ramps), in bulk; nothing without contacts."""
    heel = animation.extras.get("heel_contacts", animation.contacts)
    rows = [heel, animation.extras.get("toe_contacts")]
    for names, contacts in zip(CONTACT_PROPERTIES, rows):
        if contacts is None:
            continue
        contacts = np.asarray(contacts, dtype=bool)
        for foot, name in enumerate(names):
            armature[name] = float(contacts[0, foot])
            write_fcurve(channelbag, f'["{name}"]', 0, "foot contacts", frame_numbers, contacts[:, foot].astype(np.float64),
                         _CONSTANT)


def write_fcurve(channelbag, data_path: str, index: int, group: str, frames: np.ndarray, values: np.ndarray,
                 interpolation: int = _LINEAR):
    """One F-curve with keys at (frames,) x (frames,) values, LINEAR (or ``interpolation``), written in bulk."""
    fcurve = channelbag.fcurves.new(data_path, index=index, group_name=group)
    points = fcurve.keyframe_points
    points.add(len(frames))
    points.foreach_set("co", np.column_stack([frames, values]).astype(np.float32).ravel())
    points.foreach_set("interpolation", np.full(len(frames), interpolation, dtype=np.int32))
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


# ---------------------------------------------------------------------------------------------- Rigify
# Controls of a generated Rigify rig and the DEF bone whose motion each takes, in the order their parents
# settle (each group is evaluated before the next is posed).
RIGIFY_FK_LEVELS = (
    (("torso", "DEF-spine"),),
    (("hips", "DEF-spine"), ("chest", "DEF-spine.003")),
    tuple((f"{part}_fk.{side}", f"DEF-{part}.{side}") for side in "LR" for part in ("thigh", "upper_arm"))
    + (("neck", "DEF-spine.004"),),
    tuple((f"{part}_fk.{side}", f"DEF-{part}.{side}") for side in "LR" for part in ("shin", "forearm"))
    + (("head", "DEF-spine.006"),),
    tuple((f"{part}_fk.{side}", f"DEF-{part}.{side}") for side in "LR" for part in ("foot", "hand")),
    tuple((f"toe_fk.{side}", f"DEF-toe.{side}") for side in "LR"),
)
RIGIFY_FK_SWITCHES = ("thigh_parent.L", "thigh_parent.R", "upper_arm_parent.L", "upper_arm_parent.R")
# IK controls placed from the motion as well (their parents follow the unanimated ``root``): the feet and
# hands where the DEF feet and hands are, the pole targets turning with the thigh and upper arm.
RIGIFY_IK_CONTROLS = tuple((control.format(side=side), deform.format(side=side)) for side in "LR" for control, deform in (
    ("foot_ik.{side}", "DEF-foot.{side}"), ("thigh_ik_target.{side}", "DEF-thigh.{side}"),
    ("hand_ik.{side}", "DEF-hand.{side}"), ("upper_arm_ik_target.{side}", "DEF-upper_arm.{side}")))


def rigify_def_skeleton(armature: bpy.types.Object):
    """A generated Rigify rig's DEF bones as a Skeleton in the rigify preset's hierarchy (the rig parents
    its DEF bones under mechanism bones), rest heads in world space from the rig (metres, Z up)."""
    from videopose.core.animation import Skeleton
    from videopose.retarget.rig_presets import rigify

    rows = [joint for joint in rigify()["joints"] if joint["name"] in armature.data.bones]
    names = [joint["name"] for joint in rows]
    matrix_world = np.array(armature.matrix_world)
    heads = {name: (matrix_world @ np.append(np.array(armature.data.bones[name].head_local), 1.0))[:3] for name in names}
    parents = []
    for joint in rows:
        parent = joint["parent"]
        while parent is not None and parent not in heads:
            parent = next(row["parent"] for row in rigify()["joints"] if row["name"] == parent)
        parents.append(parent)
    index = {name: i for i, name in enumerate(names)}
    offsets = np.array([heads[n] - (heads[p] if p else 0.0) for n, p in zip(names, parents)])
    return Skeleton(tuple(names), tuple(index[p] if p else -1 for p in parents), offsets)


def key_rigify_controls(context: bpy.types.Context, armature: bpy.types.Object, animation: Animation,
                        action_name: str, frame_start: int = 1) -> ImportResult:
    """Key a generated Rigify rig's FK controls (torso, hips, chest, neck, head, limbs' ``*_fk``) so its
    DEF bones, which follow the controls through constraints, take ``animation`` (on
    :func:`rigify_def_skeleton`'s DEF bones); the limbs are switched to FK (``IK_FK`` = 1). The IK
    controls (feet, hands, pole targets) are keyed where the motion puts them too, so switching a limb to
    IK keeps its foot or hand in place (its knee or elbow then follows Rigify's IK).

    The controls' parents are mechanism bones with constraints, so each frame is posed level by level
    (:data:`RIGIFY_FK_LEVELS`) through ``pose_bone.matrix`` with the rig evaluated in between (about 35 ms
    a frame on the human rig); the resulting channels are then written in bulk as for any armature.
    """
    object_mode(context)
    try:
        object_rotation, object_scale, object_translation = posemath.split_object_transform(
            np.array(armature.matrix_world))
    except ValueError as error:
        raise VideoposeError(f"{error}: apply the armature's scale (Ctrl+A > Scale) and try again") from None
    skeleton = animation.skeleton
    positions, rotations = animation.world_transforms()
    pose_bones = armature.pose.bones
    for switch in RIGIFY_FK_SWITCHES:
        if switch in pose_bones and "IK_FK" in pose_bones[switch]:
            pose_bones[switch]["IK_FK"] = 1.0
    levels = ((*RIGIFY_FK_LEVELS[0], *RIGIFY_IK_CONTROLS), *RIGIFY_FK_LEVELS[1:])
    if armature.animation_data is None:
        armature.animation_data_create()
    previous = armature.animation_data.action
    armature.animation_data.action = None  # pose the controls without any action overriding them
    targets = {}
    for level in levels:
        for control, deform in level:
            if control not in pose_bones or deform not in skeleton.names:
                continue
            joint = skeleton.index(deform)
            rest = np.array(armature.data.bones[control].matrix_local)
            rest_head_world = object_rotation @ rest[:3, 3] * object_scale + object_translation
            # The control's head moves with its DEF bone (heads differ where the control pivots elsewhere).
            head_world = positions[:, joint] + np.einsum("fij,j->fi", rotations[:, joint],
                                                         rest_head_world - _rest_world(skeleton, joint, armature))
            matrices = np.broadcast_to(np.eye(4), (animation.num_frames, 4, 4)).copy()
            matrices[:, :3, :3] = object_rotation.T @ rotations[:, joint] @ object_rotation @ rest[:3, :3]
            matrices[:, :3, 3] = (head_world - object_translation) @ object_rotation / object_scale
            targets[control] = matrices
    controls = [control for level in levels for control, _ in level if control in targets]
    basis = {control: np.empty((animation.num_frames, 4, 4)) for control in controls}
    for frame in range(animation.num_frames):  # sequential: each level needs the rig evaluated below it
        for level in levels:
            posed = [control for control, _ in level if control in targets]
            for control in posed:
                pose_bones[control].matrix = targets[control][frame].T.tolist()
            context.view_layer.update()
        for control in controls:
            basis[control][frame] = np.array(pose_bones[control].matrix_basis)
    action = bpy.data.actions.new(action_name)
    slot = action.slots.new(id_type="OBJECT", name=armature.name)
    if previous is not None and not previous.use_fake_user:
        previous.use_fake_user = True
    armature.animation_data.action = action
    armature.animation_data.action_slot = slot
    channelbag = action_ensure_channelbag_for_slot(action, slot)
    frame_numbers = np.arange(frame_start, frame_start + animation.num_frames, dtype=np.float64)
    for control in controls:
        pose_bone = pose_bones[control]
        pose_bone.rotation_mode = "QUATERNION"
        quats_wxyz, locations = posemath.basis_to_channels(basis[control])
        path = f'pose.bones["{bpy.utils.escape_identifier(control)}"]'
        channels = [("rotation_quaternion", quats_wxyz)]
        if not all(pose_bone.lock_location):
            channels.append(("location", locations))
        for prop, values in channels:
            for index in range(values.shape[1]):
                write_fcurve(channelbag, f"{path}.{prop}", index, control, frame_numbers, values[:, index])
    write_contacts(armature, channelbag, animation, frame_numbers)
    set_scene_timing(context.scene, animation.fps, frame_start, animation.num_frames)
    return ImportResult(armature, action, frame_start, frame_start + animation.num_frames - 1, previous)


def _rest_world(skeleton, joint: int, armature: bpy.types.Object) -> np.ndarray:
    """(3,) world rest head of a DEF joint (the skeleton's rest positions are root-relative)."""
    root_world = np.array(armature.matrix_world) @ np.append(np.array(armature.data.bones[skeleton.names[0]].head_local), 1.0)
    return skeleton.rest_positions()[joint] + root_world[:3]
