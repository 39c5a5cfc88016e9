"""Sidebar panel: View3D > N > VideoPose."""

from __future__ import annotations

import bpy

from .scene_io import armature_from_context


class VIDEOPOSE_PT_main(bpy.types.Panel):
    bl_idname = "VIDEOPOSE_PT_main"
    bl_label = "VideoPose"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "VideoPose"

    def draw(self, context):
        settings = context.scene.videopose
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False

        column = layout.column(heading="Retarget")
        column.prop(settings, "target")
        if settings.target == "NEW":
            column.prop(settings, "rig")
        else:
            column.prop(settings, "bone_map")
            column.prop(settings, "bone_map_file")
            if armature_from_context(context) is None:
                column.label(text="Select an armature", icon="ERROR")
        column.prop(settings, "smoothing")
        column.prop(settings, "foot_lock")
        column.prop(settings, "performer_height")
        column.prop(settings, "field_of_view")
        column.prop(settings, "video_camera")
        column.prop(settings, "device")

        column = layout.column(align=True)
        column.operator("videopose.run_video", icon="FILE_MOVIE")
        column.operator("videopose.import_motion", icon="IMPORT")

        column = layout.column(heading="Export")
        column.prop(settings, "fbx_preset")
        column.operator("videopose.export_fbx", icon="EXPORT")


class VIDEOPOSE_PT_batch(bpy.types.Panel):
    bl_label = "Batch"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "VideoPose"
    bl_parent_id = "VIDEOPOSE_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        settings = context.scene.videopose
        layout = self.layout
        layout.use_property_split = True
        layout.prop(settings, "batch_input")
        layout.prop(settings, "batch_output")
        layout.prop(settings, "overwrite")
        layout.operator("videopose.batch", icon="FILE_FOLDER")


def menu_import(self, context):
    self.layout.operator("videopose.import_motion", text="VideoPose Motion (.npz, .bvh)")


def menu_export(self, context):
    self.layout.operator("videopose.export_fbx", text="VideoPose FBX (game engine presets)")


CLASSES = (VIDEOPOSE_PT_main, VIDEOPOSE_PT_batch)
MENUS = ((bpy.types.TOPBAR_MT_file_import, menu_import), (bpy.types.TOPBAR_MT_file_export, menu_export))
