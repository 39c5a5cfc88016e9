"""The add-on panel's rig and bone-map menus offer every rig preset the retargeter has (real ``bpy``)."""

from __future__ import annotations

import pytest

from blender_runner import run_python

_MENUS = """
import bpy, videopose.addon
from videopose.retarget.rig_presets import PRESETS
videopose.addon.register()
settings = bpy.context.scene.videopose
found = {}
for name in PRESETS:
    try:
        settings.rig, settings.bone_map = name, name
        found[name] = [settings.retarget_settings().rig, settings.bone_map_spec()]
    except TypeError as error:   # an enum value the menu does not have
        found[name] = str(error)
videopose.addon.unregister()
emit(found)
"""


@pytest.mark.slow
def test_every_rig_preset_is_in_the_panels_rig_and_bone_map_menus(tmp_path):
    """Before: the metarig preset (Rigify's metarig, before Generate Rig) was missing from both menus."""
    from videopose.retarget.rig_presets import PRESETS

    found = run_python(_MENUS, tmp_path / "home")
    assert found == {name: [name, name] for name in PRESETS}
