"""VideoPose for Blender: import video-derived motion as an animated armature, export FBX.

A Blender extension (``blender_manifest.toml``, Blender 4.2+) that also installs as a legacy add-on
(``bl_info``). Modules that need ``bpy`` are imported in :func:`register`, so ``addon.posemath``,
``addon.fbx`` presets, ``addon.jobs`` and ``addon.batch`` planning import without Blender.
"""

bl_info = {
    "name": "VideoPose",
    "author": "videopose contributors",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "View3D > Sidebar (N) > VideoPose; File > Import/Export",
    "description": "Animate an armature from a video of a person; export FBX for Unity, Unreal, Mixamo pipelines",
    "doc_url": "https://github.com/videopose/videopose/blob/main/docs/blender.md",
    "category": "Animation",
}

_registered: list = []


def _classes():
    from . import operators, panels, preferences, properties

    return (*preferences.CLASSES, *properties.CLASSES, *operators.CLASSES, *panels.CLASSES)


def register() -> None:
    import bpy

    from . import dependencies, panels, properties

    dependencies.ensure_project_importable()
    for cls in _classes():
        bpy.utils.register_class(cls)
        _registered.append(cls)
    properties.register_properties()
    for menu, function in panels.MENUS:
        menu.append(function)


def unregister() -> None:
    import bpy

    from . import panels, properties

    for menu, function in panels.MENUS:
        menu.remove(function)
    if hasattr(bpy.types.Scene, "videopose"):
        properties.unregister_properties()
    while _registered:
        bpy.utils.unregister_class(_registered.pop())
