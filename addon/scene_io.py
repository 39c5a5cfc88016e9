"""Read what is in the Blender scene into videopose's own types (bpy).

:func:`skeleton_from_armature` turns an armature's rest pose into a
:class:`~videopose.core.animation.Skeleton` (world axes, metres, rest = identity rotations), the target the
retargeter's ``retarget_to_rig`` needs to drive the user's own rig.
"""

from __future__ import annotations

import bpy
import numpy as np

from videopose.core.animation import Skeleton
from videopose.core.errors import VideoposeError

from . import posemath


def armature_from_context(context: bpy.types.Context) -> bpy.types.Object | None:
    """The active object if it is an armature, else the only selected armature, else None."""
    active = context.view_layer.objects.active
    if active is not None and active.type == "ARMATURE":
        return active
    armatures = [obj for obj in context.selected_objects if obj.type == "ARMATURE"]
    return armatures[0] if len(armatures) == 1 else None


def skeleton_from_armature(armature: bpy.types.Object, deform_only: bool = False) -> Skeleton:
    """An armature's rest pose as a Skeleton: one joint per bone at its head, parents first.

    Offsets are in world axes and metres (the object's rotation and uniform scale applied, e.g. a
    Mixamo import at 0.01 scale); the root's offset is its head's world position. With ``deform_only``
    non-deforming bones (controls, IK targets) are left out and their children re-parented to the
    nearest kept ancestor.
    """
    if armature is None or armature.type != "ARMATURE":
        raise VideoposeError("select an armature first")
    bones = [bone for bone in armature.data.bones if bone.use_deform or not deform_only]
    if not bones:
        raise VideoposeError(f"armature {armature.name} has no {'deforming ' if deform_only else ''}bones")
    matrix_world = np.array(armature.matrix_world)
    kept = {bone.name for bone in bones}

    def kept_parent(bone):
        parent = bone.parent
        while parent is not None and parent.name not in kept:
            parent = parent.parent
        return parent

    index = {bone.name: i for i, bone in enumerate(bones)}
    parents = [index[kept_parent(b).name] if kept_parent(b) is not None else -1 for b in bones]
    order = posemath.topological_order(parents)
    roots = [b for b in order if parents[b] < 0]
    if len(roots) != 1:
        raise VideoposeError(
            f"armature {armature.name} has {len(roots)} root bones ({', '.join(bones[b].name for b in roots[:5])}); "
            "videopose needs a single root: parent them under one bone"
        )
    heads = np.array([(matrix_world @ np.append(np.array(bones[b].head_local), 1.0))[:3] for b in order])
    new_index = {old: new for new, old in enumerate(order)}
    new_parents = [new_index[parents[b]] if parents[b] >= 0 else -1 for b in order]
    offsets = np.array([heads[i] - (heads[p] if p >= 0 else 0.0) for i, p in enumerate(new_parents)])
    return Skeleton(tuple(bones[b].name for b in order), tuple(new_parents), offsets)
