"""Which animation joint drives which bone of the user's armature (no bpy).

A bone map is a rig preset name (``mixamo``, ``rigify``, ``ue5``, ``cmu``, ``smpl``) or a bone-map JSON
file (docs/formats.md, "Bone maps"), both read by ``videopose.retarget.rigs.load_rig``; a dict
``{joint: bone}`` (for scripts: copies rotations joint -> bone, which is right when the rest poses
agree); or nothing: joints drive the bones of the same name, or, where no bone is named like a joint, the
preset the armature's bone names fit (``videopose.retarget.rigs.recognise_rig``).
"""

from __future__ import annotations

from videopose.core.animation import Animation, Skeleton
from videopose.core.errors import VideoposeError


def animation_for_armature(
    animation: Animation, armature_skeleton: Skeleton, bone_map: str | dict[str, str] | None
) -> tuple[Animation, dict[str, str]]:
    """The animation to key onto an armature and the joint -> bone map to key it through.

    With a preset or JSON the motion is retargeted (``videopose.retarget.rigs.retarget_to_rig``) onto the
    armature's own rest skeleton, so any rest pose (T or A), proportions and bone axes work; then the
    mapped bones and the armature's root (root motion) are keyed, other bones follow their parents.
    """
    from videopose.retarget.rigs import REQUIRED_SOURCE_JOINTS, load_rig, recognise_rig, retarget_to_rig

    if bone_map is None or bone_map == "":
        mapping = {name: name for name in animation.skeleton.names if name in armature_skeleton.names}
        if set(REQUIRED_SOURCE_JOINTS) <= set(mapping):
            return animation, mapping
        # Bones not named like the joints (a metarig's "spine" alone does not count): a Rigify metarig, Mixamo,
        # UE5, CMU or SMPL rig is recognised by its bone names.
        rig = recognise_rig(armature_skeleton.names, armature_skeleton)
        if rig is None and mapping:
            return animation, mapping
        if rig is None:
            raise VideoposeError("no bone of the armature is named like an animation joint and its bone names fit "
                                 "no rig preset (metarig, mixamo, ue5, cmu, smpl): choose a bone map")
        retargeted = retarget_to_rig(animation, rig)
        keyed = set(rig.bone_map) | {armature_skeleton.names[0]}
        return retargeted, {name: name for name in retargeted.skeleton.names if name in keyed}
    if isinstance(bone_map, dict):
        return animation, dict(bone_map)

    rig = load_rig(bone_map, skeleton=armature_skeleton)
    retargeted = retarget_to_rig(animation, rig)
    keyed = set(rig.bone_map) | {armature_skeleton.names[0]}
    return retargeted, {name: name for name in retargeted.skeleton.names if name in keyed}
