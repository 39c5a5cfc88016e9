"""The options the sidebar panel shows, kept per scene (``scene.videopose``)."""

from __future__ import annotations

import bpy

# The rig presets of videopose.retarget.rig_presets.PRESETS (not imported: the panel registers before the
# project may import), with what each is.
RIG_PRESETS = ("rigify", "metarig", "mixamo", "ue5", "cmu", "smpl")
_RIG_DESCRIPTIONS = {
    "rigify": "Rigify's generated rig (its DEF- bones; on a selected one, keyed through its FK controls)",
    "metarig": "Rigify's human metarig, before Generate Rig",
    "mixamo": "A Mixamo character (mixamorig: bones)",
    "ue5": "Unreal Engine 5's mannequin (root bone on the floor)",
    "cmu": "The CMU mocap BVH skeleton",
    "smpl": "The SMPL body model's 24 joints",
}
FBX_PRESETS = ("blender", "unity", "unreal", "mixamo")

try:  # the panel starts at the retargeter's own default (Blender reads property defaults at class creation)
    from videopose.retarget.smoothing import DEFAULT_STRENGTH as _DEFAULT_SMOOTHING
except ImportError:  # the project is not importable yet: the operators report that when used
    _DEFAULT_SMOOTHING = 1.0


# Kept at module level: Blender needs the strings of dynamic enum items to outlive the callback.
_RIG_ITEMS = [("NONE", "videopose skeleton", "Videopose's own 17-joint skeleton")] + [
    (name, name, _RIG_DESCRIPTIONS[name]) for name in RIG_PRESETS]
_BONE_MAP_ITEMS = [("NAMES", "Same names", "Joints drive the bones of the same name")] + [
    (name, name, f"{_RIG_DESCRIPTIONS[name]}: its bone map") for name in RIG_PRESETS]


def _rig_items(_self, _context):
    return _RIG_ITEMS


def _bone_map_items(_self, _context):
    return _BONE_MAP_ITEMS


class VIDEOPOSE_PG_settings(bpy.types.PropertyGroup):
    rig: bpy.props.EnumProperty(name="Rig", description="Skeleton of a new armature", items=_rig_items)
    target: bpy.props.EnumProperty(
        name="Import to", items=[("NEW", "New armature", "Create an armature for the motion"),
                                 ("SELECTED", "Selected armature", "Key the motion onto the selected armature")],
    )
    bone_map: bpy.props.EnumProperty(name="Bone map", description="How joints map onto the selected armature",
                                     items=_bone_map_items)
    bone_map_file: bpy.props.StringProperty(name="Bone map JSON", subtype="FILE_PATH",
                                            description="A bone-map JSON file (overrides the preset)")
    smoothing: bpy.props.FloatProperty(name="Smoothing", min=0.0, max=10.0, default=_DEFAULT_SMOOTHING,
                                       description="Rotation smoothing strength for motion files and videos (0 = off)")
    foot_lock: bpy.props.BoolProperty(name="Foot lock", default=True, description="Pin feet during ground contact")
    performer_height: bpy.props.FloatProperty(
        name="Performer height", min=0.5, max=2.6, default=1.70, unit="LENGTH",
        description="The performer's height: scales the skeleton and sets the camera distance")
    field_of_view: bpy.props.FloatProperty(
        name="Camera FOV", min=0.0, max=170.0, default=0.0,
        description="The video camera's diagonal field of view in degrees (0 = from the background's lines "
                    "where a room is seen, or a turning camera's turn, else 70: a phone or webcam)")
    video_camera: bpy.props.BoolProperty(
        name="Video camera", default=True,
        description="With a video: add its camera (where it stood, its lens, turning with it) with the video behind "
                    "it, as the scene's camera")
    device: bpy.props.EnumProperty(name="Device", items=[("auto", "Auto", ""), ("cpu", "CPU", ""), ("cuda", "CUDA", "")])
    fbx_preset: bpy.props.EnumProperty(name="FBX preset", items=[(n, n.capitalize(), "") for n in FBX_PRESETS])
    batch_input: bpy.props.StringProperty(name="Input folder", subtype="DIR_PATH")
    batch_output: bpy.props.StringProperty(name="Output folder", subtype="DIR_PATH")
    overwrite: bpy.props.BoolProperty(name="Overwrite", default=False, description="Replace existing FBX files")

    def retarget_settings(self):
        from videopose.retarget.pipeline import RetargetOptions

        return RetargetOptions.chosen(None if self.rig == "NONE" else self.rig, float(self.smoothing), self.foot_lock,
                                      float(self.performer_height), float(self.field_of_view) or None)

    def bone_map_spec(self) -> str | None:
        if self.bone_map_file:
            return bpy.path.abspath(self.bone_map_file)
        return None if self.bone_map == "NAMES" else self.bone_map


CLASSES = (VIDEOPOSE_PG_settings,)


def register_properties() -> None:
    bpy.types.Scene.videopose = bpy.props.PointerProperty(type=VIDEOPOSE_PG_settings)


def unregister_properties() -> None:
    del bpy.types.Scene.videopose
