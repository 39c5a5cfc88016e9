"""The foot contacts in Blender (addon/armature.py, ``write_contacts``): a grounded clip's heel-down and
toe-down frames keyed as the armature object's custom properties, 1 / 0 in steps, read back by Blender's own
evaluation of the action at every frame; on the canonical armature and on a Mixamo-named rig."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from blender_runner import REPO, run_python

sys.path.insert(0, str(REPO / "tests" / "helpers"))

_SCENARIO = """
import bpy
from pathlib import Path
from videopose.addon.armature import CONTACT_PROPERTIES
from videopose.addon.headless import import_motion_file

folder = Path(sys.argv[1])
results = {}
for name in ("canonical", "mixamo"):
    result = import_motion_file(folder / f"{name}.npz")
    obj, scene = result.armature, bpy.context.scene
    bag = obj.animation_data.action.layers[0].strips[0].channelbags[0]
    curves = {fc.data_path: fc for fc in bag.fcurves if fc.data_path.startswith('["')}
    values = {}
    for row in CONTACT_PROPERTIES:
        for prop in row:
            path = f'["{prop}"]'
            if path in curves:
                values[prop] = [curves[path].evaluate(frame) for frame in range(result.frame_start, result.frame_end + 1)]
    scene.frame_set(result.frame_start + int(sys.argv[2]))
    results[name] = {"values": values, "at_frame": {prop: obj[prop] for prop in values},
                     "interpolation": sorted({kp.interpolation for path, fc in curves.items() for kp in fc.keyframe_points})}
emit(results)
"""


@pytest.mark.slow
def test_a_grounded_clips_contacts_are_keyed_on_the_armature(tmp_path: Path) -> None:
    from grounding_scene import camera_scene
    from synthetic_motion import walking_motion

    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    world, _ = walking_motion(60)
    motion, keypoints, truth = camera_scene(world)
    expected = {}
    for name, rig in (("canonical", None), ("mixamo", "mixamo")):
        animation = retarget_motion(motion, RetargetOptions(rig=rig, height=truth["height"]), keypoints=keypoints)
        animation.save(tmp_path / f"{name}.npz")
        expected[name] = (np.asarray(animation.extras["heel_contacts"], bool), np.asarray(animation.extras["toe_contacts"], bool))
    frame = int(np.flatnonzero(expected["canonical"][0][:, 0] != expected["canonical"][0][:, 1])[0])  # one foot down
    results = run_python(_SCENARIO, tmp_path / "home", args=[str(tmp_path), str(frame)])
    for name, (heel, toe) in expected.items():
        values = results[name]["values"]
        for foot, side in enumerate(("left", "right")):
            assert values[f"videopose_contact_{side}"] == heel[:, foot].astype(float).tolist(), (name, side)
            assert values[f"videopose_toe_contact_{side}"] == toe[:, foot].astype(float).tolist(), (name, side)
        assert results[name]["interpolation"] == ["CONSTANT"]  # steps: a contact is on or off
        assert results[name]["at_frame"]["videopose_contact_left"] == float(heel[frame, 0])
        assert heel.any() and (~heel).any()
