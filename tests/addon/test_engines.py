"""Engine conventions in real ``bpy``, on the shipped sample's motion: the UE5 root bone on the floor under
the pelvis, what each FBX preset changes (read back with ufbx and with Blender's importer at its defaults),
and a Mixamo-named rig built as a Mixamo FBX arrives in Blender (rotated 90 degrees, scale 0.01, rolled bones)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from blender_runner import REPO, read_fbx_with_ufbx, run_python

SAMPLE_KEYPOINTS = REPO / "samples" / "tfjs_pose_1.expected_keypoints.npz"
FRAMES = [0, 30, 60, 119]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, object]:
    """The sample's motion (kept keypoints, shipped lifter) and its animation on the ue5 preset."""
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    folder = tmp_path_factory.mktemp("engines")
    motion = lift_keypoints(Keypoints2D.load(SAMPLE_KEYPOINTS), load_checkpoint(resolve_checkpoint(None)), device="cpu")
    motion.save(folder / "clip.motion.npz")
    animation = retarget_motion(motion, RetargetOptions(rig="ue5"))
    animation.save(folder / "ue5.npz")
    return folder, animation


_EXPORT = """
import numpy as np, bpy
from pathlib import Path
from videopose.core.animation import Animation
from videopose.addon.fbx import PRESETS, get_fbx_writer
folder, frames = Path(sys.argv[1]), json.loads(sys.argv[2])
animation = Animation.load(folder / "ue5.npz")
for preset in PRESETS:
    get_fbx_writer().write(animation, folder / f"{preset}.fbx", preset)
results = {}
for preset in PRESETS:
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.import_scene.fbx(filepath=str(folder / f"{preset}.fbx"))   # the importer's defaults
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    matrix = np.array(rig.matrix_world)
    heads = []
    for frame in frames:
        bpy.context.scene.frame_set(1 + frame)
        heads.append({n: (matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in ("root", "pelvis", "foot_l")})
    results[preset] = {"object": rig.name, "heads": heads}
emit(results)
"""

_RAW_NODES = """
import ufbx
scene = ufbx.load_file(sys.argv[1])        # no conversion: the file's own nodes
keep, found = [scene], {}
nodes = scene.nodes
keep.append(nodes)
for index in range(len(nodes)):
    node = nodes[index]
    keep.append(node)
    if node.name == "root":
        parent = node.parent
        transform = parent.local_transform
        rotation = transform.rotation
        keep += [parent, transform, rotation]
        found = {"name": parent.name, "rotation": [rotation.x, rotation.y, rotation.z, rotation.w]}
emit(found)
"""


@pytest.mark.slow
def test_ue5_root_on_the_floor_and_each_preset_read_back(sample, tmp_path):
    folder, animation = sample
    blender = run_python(_EXPORT, tmp_path / "home", args=[str(folder), json.dumps(FRAMES)])
    positions = animation.world_positions()[FRAMES]
    names = animation.skeleton.names
    pelvis = positions[:, names.index("pelvis")]
    for preset in ("blender", "unity", "unreal", "mixamo"):
        read = read_fbx_with_ufbx(folder / f"{preset}.fbx", ["root", "pelvis", "foot_l", "ball_r"], FRAMES, tmp_path / "home")
        got = np.array(read["positions"])
        # Before: the root bone rode 8-22 cm under the floor and bobbed with the pelvis.
        assert np.abs(got[:, 0, 2]).max() < 1e-4, f"{preset}: root bone off the floor"
        assert got[:, 0, :2] == pytest.approx(pelvis[:, :2], abs=1e-4)
        assert got[:, 1:] == pytest.approx(positions[:, [names.index(n) for n in ("pelvis", "foot_l", "ball_r")]], abs=1e-4)
        imported = np.array([[frame[n] for n in ("root", "pelvis", "foot_l")] for frame in blender[preset]["heads"]])
        assert np.abs(imported[:, 0, 2]).max() < 1e-4 and imported[:, 1] == pytest.approx(pelvis, abs=1e-4)
        node = run_python(_RAW_NODES, tmp_path / "home", args=[str(folder / f"{preset}.fbx")])
        # Unreal drops a node called "Armature" (no extra bone above `root`); Mixamo's files use that name too.
        assert (node["name"] == "Armature") == (preset in ("unreal", "mixamo")), preset
        # Unity and Mixamo: the armature node carries no rotation (before, unity's had -90 deg about X).
        upright = abs(abs(node["rotation"][3]) - 1.0) < 1e-6
        assert upright == (preset in ("unity", "mixamo")), f"{preset}: node rotation {node['rotation']}"


_USER_RIG = """
import numpy as np, bpy
from pathlib import Path
from videopose.retarget.rigs import load_rig
from videopose.addon import headless
folder, frames, preset, turned = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
skeleton = load_rig(preset).skeleton
rest = skeleton.rest_positions() + np.array([0.0, 0.0, 0.98 if preset == "mixamo" else 0.0])
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
data = bpy.data.armatures.new("Armature")
rig = bpy.data.objects.new("Armature", data)
bpy.context.collection.objects.link(rig)
if turned:
    rig.rotation_euler, rig.scale = (np.pi / 2, 0.0, 0.0), (0.01, 0.01, 0.01)   # as a Mixamo FBX arrives
bpy.context.view_layer.update()
bpy.context.view_layer.objects.active = rig
bpy.ops.object.mode_set(mode="EDIT")
to_object = np.linalg.inv(np.array(rig.matrix_world))
rng = np.random.default_rng(2)
bones = []
for joint, name in enumerate(skeleton.names):
    bone = data.edit_bones.new(name)
    head = (to_object @ np.append(rest[joint], 1.0))[:3]
    children = skeleton.children(joint)
    forward = (to_object[:3, :3] @ np.array([0.0, -0.1, 0.0]))
    tail = (to_object @ np.append(rest[children[0]], 1.0))[:3] if children and joint else head + forward
    bone.head, bone.tail, bone.roll = head.tolist(), tail.tolist(), float(rng.uniform(-3, 3))
    if skeleton.parents[joint] >= 0:
        bone.parent = bones[skeleton.parents[joint]]
    bones.append(bone)
bpy.ops.object.mode_set(mode="OBJECT")
result = headless.import_motion_file(folder / "clip.motion.npz", armature=rig, bone_map=preset)
matrix = np.array(rig.matrix_world)
heads, rotations = [], []
for frame in frames:
    bpy.context.scene.frame_set(result.frame_start + frame)
    heads.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in skeleton.names])
    rotations.append([(matrix[:3, :3] @ np.array(rig.pose.bones[n].matrix)[:3, :3]).tolist() for n in skeleton.names])
emit({"names": list(skeleton.names), "heads": heads, "rotations": rotations, "start": result.frame_start})
"""


def _turns_degrees(world_matrices) -> np.ndarray:
    """(frames, bones, 3, 3) world matrices of bones (any uniform scale) -> (frames - 1, bones) angles turned."""
    from scipy.spatial.transform import Rotation

    matrices = np.array(world_matrices, dtype=np.float64)
    matrices = matrices / np.linalg.norm(matrices, axis=-2, keepdims=True)
    steps = matrices[1:] @ np.swapaxes(matrices[:-1], -1, -2)
    return np.degrees(Rotation.from_matrix(steps.reshape(-1, 3, 3)).magnitude()).reshape(steps.shape[:2])


@pytest.mark.slow
@pytest.mark.parametrize("preset, turned", [("mixamo", True), ("ue5", False)])
def test_a_users_rig_follows_with_feet_on_the_floor_and_no_pops(sample, tmp_path, preset, turned):
    """A Mixamo-named rig as a Mixamo FBX arrives in Blender (rotated 90 degrees, scale 0.01, rolled bones)
    and a UE5-named rig in its A-pose with a root bone: bone positions, feet, frame alignment, turns."""
    from videopose.core.formats import Motion3D
    from videopose.retarget.pipeline import RetargetOptions, retarget_motion

    folder, _ = sample
    frames = list(range(120))
    read = run_python(_USER_RIG, tmp_path / "home", args=[str(folder), json.dumps(frames), preset, "1" if turned else "0"])
    heads = np.array(read["heads"])
    names = read["names"]
    expected = retarget_motion(Motion3D.load(folder / "clip.motion.npz"), RetargetOptions(rig=preset))
    order = [expected.skeleton.index(n) for n in names]
    positions, world = expected.world_transforms()
    assert read["start"] == 1  # video frame 0 on Blender frame 1
    if preset == "ue5":  # the root bone on the floor under the pelvis, the pelvis where the motion puts it
        assert np.abs(heads[:, names.index("root"), 2]).max() < 1e-4
        keep = [i for i, n in enumerate(names) if n != "root"]
        assert heads[:, keep] == pytest.approx(positions[frames][:, order][:, keep], abs=2e-4)
    else:
        assert heads == pytest.approx(positions[frames][:, order], abs=2e-4)
    feet = [i for i, n in enumerate(names) if any(k in n for k in ("Toe", "ball_", "Foot", "foot_"))]
    assert heads[:, feet, 2].min() > -1e-3  # before: toes 14-17 cm under the floor
    # The keys turn each bone as the retargeted motion does, no more (no sign flips between keys).
    turns = _turns_degrees(read["rotations"])
    assert turns == pytest.approx(_turns_degrees(world[frames][:, order]), abs=0.05)
    assert turns.max() < 60.0
