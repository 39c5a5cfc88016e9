"""VideoPose for Blender: import video-derived motion as an animated armature, export FBX.

A Blender extension (``blender_manifest.toml``, Blender 4.2+) that also installs as a legacy add-on
(``bl_info``). Modules that need ``bpy`` are imported in :func:`register`, so ``videopose.addon.posemath``,
``videopose.addon.fbx`` presets, ``videopose.addon.jobs`` and ``videopose.addon.batch`` planning import without Blender.
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
_menus: list = []


def register() -> None:
    """Preferences first (they need only Blender), so that in a Blender without the videopose packages
    the user can point the add-on at the project's Python; the rest once those packages import, at once
    or as soon as that Python is set (:func:`register_rest`). Kept preferences are put back first."""
    import bpy

    from . import preferences

    for cls in preferences.CLASSES:
        bpy.utils.register_class(cls)
        _registered.append(cls)
    preferences.restore_kept(bpy.context)
    if not register_rest():
        print("VideoPose: the videopose packages do not import in this Blender. Set 'videopose Python' in the "
              "add-on's preferences to the Python where videopose is installed.")


def register_rest(python: str | None = None) -> bool:
    """Register the operators, panels and scene settings if videopose imports (through ``python`` or the
    preferred one); True when they are registered. Safe to call again."""
    import bpy

    from . import dependencies

    if _menus or any(getattr(cls, "bl_idname", "") == "videopose.import_motion" for cls in _registered):
        return True
    if not dependencies.ensure_project_importable(bpy.path.abspath(python) if python else None):
        return False
    from . import operators, panels, properties

    for cls in (*properties.CLASSES, *operators.CLASSES, *panels.CLASSES):
        bpy.utils.register_class(cls)
        _registered.append(cls)
    properties.register_properties()
    for menu, function in panels.MENUS:
        menu.append(function)
        _menus.append((menu, function))
    return True


def unregister() -> None:
    import bpy

    while _menus:
        menu, function = _menus.pop()
        menu.remove(function)
    if hasattr(bpy.types.Scene, "videopose"):
        from . import properties

        properties.unregister_properties()
    while _registered:
        bpy.utils.unregister_class(_registered.pop())
