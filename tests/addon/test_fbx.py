"""FBX export: every preset read back by an independent reader (ufbx) and by Blender's importer:
same bones, frame range and rate, joint positions and bone rotations."""

from __future__ import annotations

import numpy as np
import pytest

from videopose.addon import fbx
from blender_runner import read_fbx_with_ufbx, rotations_relative_to_first, run_python
from synthetic import smooth_animation
from videopose.core.errors import VideoposeError

SAMPLE = [0, 1, 40, 99]


def test_presets_bake_every_frame_without_leaf_bones():
    for preset in fbx.PRESETS.values():
        options = preset.exporter_options()
        assert options["bake_anim"] and options["bake_anim_simplify_factor"] == 0.0
        assert not options["add_leaf_bones"] and not options["bake_anim_use_all_actions"]
        assert options["use_armature_deform_only"] and options["primary_bone_axis"] != options["secondary_bone_axis"]
    with pytest.raises(VideoposeError, match="unknown FBX preset"):
        fbx.get_preset("maya")


def test_writer_registry_takes_another_implementation(tmp_path):
    class RecordingWriter:
        name = "recording"

        def write(self, source, path, preset="blender", overwrite=True):
            tmp_path.joinpath("called").write_text(f"{path}|{fbx.get_preset(preset).name}")
            return path

    fbx.register_fbx_writer("recording", RecordingWriter)
    try:
        writer = fbx.get_fbx_writer("recording")
        assert isinstance(writer, fbx.FbxWriter) and isinstance(fbx.BlenderFbxWriter(), fbx.FbxWriter)
        writer.write(None, tmp_path / "x.fbx", "unity")
        assert tmp_path.joinpath("called").read_text().endswith("x.fbx|unity")
        assert "recording" in fbx.available_fbx_writers()
    finally:
        fbx._WRITERS.pop("recording")
    with pytest.raises(VideoposeError, match="unknown FBX writer"):
        fbx.get_fbx_writer("fbxsdk")


_EXPORT_AND_REIMPORT = """
import numpy as np, bpy
from pathlib import Path
from videopose.core.animation import Animation
from videopose.addon.fbx import PRESETS, get_fbx_writer

folder = Path(sys.argv[1])
animation = Animation.load(folder / "clip.npz")
sample = json.loads(sys.argv[2])
objects_before = sorted(o.name for o in bpy.data.objects)
results = {}
for preset in PRESETS:
    get_fbx_writer().write(animation, folder / f"{preset}.fbx", preset)
results["left_behind"] = sorted(o.name for o in bpy.data.objects) != objects_before or len(bpy.data.actions) != 0
for preset in PRESETS:
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.import_scene.fbx(filepath=str(folder / f"{preset}.fbx"))  # default settings: anim_offset=1
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    matrix = np.array(rig.matrix_world)
    positions, rotations = [], []
    for frame in sample:
        bpy.context.scene.frame_set(1 + frame)
        positions.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist()
                          for n in animation.skeleton.names])
        rotations.append([(matrix[:3, :3] @ np.array(rig.pose.bones[n].matrix)[:3, :3]).tolist()
                          for n in animation.skeleton.names])
    results[preset] = dict(bones=sorted(b.name for b in rig.data.bones), positions=positions, rotations=rotations,
                           frame_range=list(rig.animation_data.action.frame_range),
                           action=rig.animation_data.action.name,
                           fps=bpy.context.scene.render.fps / bpy.context.scene.render.fps_base)
emit(results)
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fbx")
    animation = smooth_animation(100, 30.0, seed=5)
    animation.save(folder / "clip.npz")
    import json

    results = run_python(_EXPORT_AND_REIMPORT, folder / "home", args=[str(folder), json.dumps(SAMPLE)])
    return folder, animation, results


@pytest.mark.slow
def test_export_leaves_the_session_scene_alone(exported):
    _, _, results = exported
    assert results["left_behind"] is False


@pytest.mark.slow
@pytest.mark.parametrize("preset", list(fbx.PRESETS))
def test_ufbx_reads_the_same_motion(exported, preset):
    folder, animation, _ = exported
    names = list(animation.skeleton.names)
    read = read_fbx_with_ufbx(folder / f"{preset}.fbx", names, SAMPLE, folder / "home_ufbx")
    assert read["fps"] == pytest.approx(30.0) and read["stacks"] == 1
    assert set(names) <= set(read["node_names"]) and not any(n.endswith("_end") for n in read["node_names"])
    # Video frame 0 is FBX time 0 (docs/blender.md); the take is named after the clip, not "Scene".
    assert read["time_begin"] == pytest.approx(0.0, abs=1e-9) and read["time_end"] == pytest.approx(99 / 30.0, abs=1e-6)
    assert read["stack_names"] == [preset]
    error = np.abs(np.array(read["positions"]) - animation.world_positions()[SAMPLE]).max()
    assert error < 1e-3, f"{preset}: {error * 1000:.3f} mm"
    assert _rotation_error_degrees(read["rotations"], animation) < 0.05


def _rotation_error_degrees(world_matrices, animation) -> float:
    """Largest angle between the read bones' rotations (relative to frame SAMPLE[0]) and the animation's."""
    from scipy.spatial.transform import Rotation

    read = rotations_relative_to_first(world_matrices)
    _, world = animation.world_transforms()
    expected = world[SAMPLE] @ np.swapaxes(world[SAMPLE[:1]], -1, -2)
    difference = np.swapaxes(expected, -1, -2) @ read
    return float(np.degrees(Rotation.from_matrix(difference.reshape(-1, 3, 3)).magnitude()).max())


def test_rotation_check_sees_a_twist_about_the_bone():
    animation = smooth_animation(100, 30.0, seed=5)
    _, world = animation.world_transforms()
    twisted = world[SAMPLE].copy()
    twisted[2:, 3] = twisted[2:, 3] @ _rotation_z(1.0)  # 1 deg about the ankle's local z, later frames only
    assert _rotation_error_degrees(twisted, animation) == pytest.approx(1.0, abs=1e-6)
    assert _rotation_error_degrees(world[SAMPLE] * 0.01, animation) < 1e-9  # scale does not matter


def _rotation_z(degrees: float) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_euler("z", degrees, degrees=True).as_matrix()


@pytest.mark.slow
@pytest.mark.parametrize("preset", list(fbx.PRESETS))
def test_blender_reimports_the_same_motion(exported, preset):
    _, animation, results = exported
    result = results[preset]
    assert result["bones"] == sorted(animation.skeleton.names)
    # With the importer's defaults, the clip's first frame (video frame 0) lands on Blender frame 1.
    assert result["frame_range"] == [1.0, 100.0] and result["fps"] == pytest.approx(30.0)
    assert preset in result["action"] and "Scene" not in result["action"]
    error = np.abs(np.array(result["positions"]) - animation.world_positions()[SAMPLE]).max()
    assert error < 1e-3, f"{preset}: {error * 1000:.3f} mm"
    assert _rotation_error_degrees(result["rotations"], animation) < 0.05
