"""Armature building, bone-space maths and actions, checked against the Animation's own FK."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from videopose.addon import posemath
from blender_runner import run_python
from synthetic import h36m_skeleton, smooth_animation


# ---------- pure maths (no Blender) ----------

def test_pose_basis_of_a_rolled_bone_is_the_local_rotation_in_bone_axes():
    # One root bone whose rest frame is rotated 90 deg about X (Blender: bone pointing +Z) and rolled.
    rest_rotation = Rotation.from_euler("xy", [90, 30], degrees=True).as_matrix()
    rest = np.eye(4)
    rest[:3, :3], rest[:3, 3] = rest_rotation, [1.0, 2.0, 3.0]
    world = Rotation.from_euler("z", 45, degrees=True).as_matrix()
    basis = posemath.pose_basis(rest[None], [-1], world[None, None], np.array([[[4.0, 5.0, 6.0]]]),
                                np.array([True]), np.array([True]))[0, 0]
    np.testing.assert_allclose(basis[:3, :3], rest_rotation.T @ world @ rest_rotation, atol=1e-12)
    np.testing.assert_allclose(rest @ basis, np.block([[world @ rest_rotation, np.array([[4.0], [5], [6]])],
                                                       [np.zeros((1, 3)), np.ones((1, 1))]]), atol=1e-12)


def test_pose_basis_reproduces_fk_through_an_undriven_middle_bone():
    rng = np.random.default_rng(0)
    rests = np.tile(np.eye(4), (3, 1, 1))
    for bone in range(3):
        rests[bone, :3, :3] = Rotation.random(random_state=bone).as_matrix()
        rests[bone, :3, 3] = rng.normal(size=3)
    world = Rotation.random(6, random_state=7).as_matrix().reshape(2, 3, 3, 3)
    basis = posemath.pose_basis(rests, [-1, 0, 1], world, np.zeros((2, 3, 3)), np.array([True, False, True]),
                                np.array([False, False, False]))
    np.testing.assert_allclose(basis[:, 1], np.broadcast_to(np.eye(4), (2, 4, 4)))
    # Blender's chain: pose = rest0 @ b0 @ (rest0^-1 rest1) @ b1 @ (rest1^-1 rest2) @ b2
    for frame in range(2):
        pose0 = rests[0] @ basis[frame, 0]
        pose2 = pose0 @ np.linalg.inv(rests[0]) @ rests[1] @ np.linalg.inv(rests[1]) @ rests[2] @ basis[frame, 2]
        np.testing.assert_allclose(pose2[:3, :3], world[frame, 2] @ rests[2, :3, :3], atol=1e-10)


def test_scene_rate_and_continuity():
    assert posemath.scene_rate(30.0) == (30, 1.0)
    assert posemath.scene_rate(30000 / 1001) == (30, 1.001)
    whole, base = posemath.scene_rate(12.5)
    assert abs(whole / base - 12.5) < 1e-9
    quats = Rotation.from_euler("z", np.linspace(0, 300, 50)[:, None], degrees=True).as_quat()
    quats[::3] *= -1
    fixed = posemath.make_continuous(quats)
    assert (np.einsum("fi,fi->f", fixed[1:], fixed[:-1]) > 0).all()
    np.testing.assert_allclose(np.abs(np.einsum("fi,fi->f", fixed, quats)), 1.0)


def test_rest_layout_points_tails_at_centred_children_and_extends_leaves():
    skeleton = h36m_skeleton()
    heads, tails = posemath.rest_bone_layout(skeleton)
    assert heads[:, 2].min() == pytest.approx(0.0)
    names = skeleton.names
    np.testing.assert_allclose(tails[names.index("pelvis")], heads[names.index("spine")])
    np.testing.assert_allclose(tails[names.index("thorax")], heads[names.index("neck_nose")])
    wrist, elbow = names.index("left_wrist"), names.index("left_elbow")
    direction = (tails[wrist] - heads[wrist]) / np.linalg.norm(tails[wrist] - heads[wrist])
    np.testing.assert_allclose(direction, (heads[wrist] - heads[elbow]) / np.linalg.norm(heads[wrist] - heads[elbow]))
    assert (np.linalg.norm(tails - heads, axis=1) >= 0.02 - 1e-12).all()
    # Ankles (feet without toes) lie forward, level, instead of continuing the shin down through the floor.
    for ankle in ("left_ankle", "right_ankle"):
        foot = tails[names.index(ankle)] - heads[names.index(ankle)]
        assert foot[1] < -0.1 and foot[2] == pytest.approx(0.0) and foot[0] == pytest.approx(0.0)


def test_object_transform_split_rejects_non_uniform_scale():
    matrix = np.diag([0.01, 0.01, 0.01, 1.0])
    matrix[:3, :3] = matrix[:3, :3] @ Rotation.from_euler("x", 90, degrees=True).as_matrix()
    rotation, scale, _ = posemath.split_object_transform(matrix)
    assert scale == pytest.approx(0.01)
    with pytest.raises(ValueError, match="non-uniform"):
        posemath.split_object_transform(np.diag([1.0, 2.0, 1.0, 1.0]))


# ---------- in Blender ----------

_SCENARIOS = """
import numpy as np, bpy, mathutils
from synthetic import smooth_animation
from videopose.addon import armature, scene_io

def heads_world(obj, bone_names, frames, start=1):
    out = []
    matrix = np.array(obj.matrix_world)
    for frame in frames:
        bpy.context.scene.frame_set(start + frame)
        out.append([(matrix @ np.append(np.array(obj.pose.bones[n].head), 1.0))[:3].tolist() for n in bone_names])
    return np.array(out)

results = {}
animation = smooth_animation(240, 30000 / 1001, seed=3)
names = list(animation.skeleton.names)
sample = [0, 1, 77, 150, 239]
expected = animation.world_positions()[sample]
imported = armature.import_animation(bpy.context, animation, "walk")
obj, scene = imported.armature, bpy.context.scene
bag = obj.animation_data.action.layers[0].strips[0].channelbags[0]
results["new"] = dict(
    bones=[b.name for b in obj.data.bones], parents=[b.parent.name if b.parent else None for b in obj.data.bones],
    frame_range=[scene.frame_start, scene.frame_end], fps=[scene.render.fps, scene.render.fps_base],
    action=imported.action.name, modes=sorted({pb.rotation_mode for pb in obj.pose.bones}),
    fcurves=len(bag.fcurves), keys=sorted({len(fc.keyframe_points) for fc in bag.fcurves}),
    interpolation=sorted({kp.interpolation for fc in bag.fcurves for kp in fc.keyframe_points}),
    error=float(np.abs(heads_world(obj, names, sample) - expected).max()),
)

# A second import never touches the first action: new unique name, old one kept.
again = armature.import_animation(bpy.context, animation, "walk", armature=obj)
results["again"] = dict(action=again.action.name, previous=again.previous_action.name,
                        previous_kept=again.previous_action.use_fake_user, actions=sorted(a.name for a in bpy.data.actions))

# The user's rig: other names, random bone directions and rolls, an undriven twist bone, a
# Mixamo-like object transform (rotated, 0.01 scale); heads on the animation's rest joints.
rng = np.random.default_rng(1)
data = bpy.data.armatures.new("rig")
rig = bpy.data.objects.new("rig", data)
bpy.context.collection.objects.link(rig)
rig.matrix_world = (mathutils.Matrix.Translation((1, 2, 0.5)) @ mathutils.Matrix.Rotation(1.0, 4, "Z")
                    @ mathutils.Matrix.Rotation(np.pi / 2, 4, "X") @ mathutils.Matrix.Scale(0.01, 4))
bpy.context.view_layer.objects.active = rig
bpy.ops.object.mode_set(mode="EDIT")
to_object = np.linalg.inv(np.array(rig.matrix_world))
rest = animation.skeleton.rest_positions() + np.array([0.3, -0.2, 0.9])
edit = {}
for joint, name in enumerate(names):
    bone = data.edit_bones.new("B_" + name)
    head = (to_object @ np.append(rest[joint], 1.0))[:3]
    direction = rng.normal(size=3)
    bone.head, bone.tail, bone.roll = head.tolist(), (head + 10 * direction / np.linalg.norm(direction)).tolist(), rng.uniform(-3, 3)
    if animation.skeleton.parents[joint] >= 0:
        bone.parent = edit[names[animation.skeleton.parents[joint]]]
    edit[name] = bone
twist = data.edit_bones.new("twist")
twist.head, twist.tail, twist.roll = edit["spine"].head, edit["spine"].head + mathutils.Vector((5, 0, 0)), 0.7
twist.parent = edit["spine"]
edit["thorax"].parent = twist
bpy.ops.object.mode_set(mode="OBJECT")
skeleton = scene_io.skeleton_from_armature(rig)
order = [skeleton.index("B_" + n) for n in names]
onto = armature.import_animation(bpy.context, animation, "walk", armature=rig, bone_map={n: "B_" + n for n in names})
results["rig"] = dict(
    skeleton_error=float(np.abs(skeleton.rest_positions()[order] - (rest - rest[0])).max()),
    skeleton_root=skeleton.names[0], joints=skeleton.num_joints,
    error=float(np.abs(heads_world(rig, ["B_" + n for n in names], sample) - expected).max()),
    twist_keyed=any("twist" in fc.data_path for fc in onto.action.layers[0].strips[0].channelbags[0].fcurves),
)
emit(results)
"""


@pytest.fixture(scope="module")
def blender(tmp_path_factory):
    return run_python(_SCENARIOS, tmp_path_factory.mktemp("home"))


@pytest.mark.slow
def test_new_armature_matches_the_animation(blender):
    new = blender["new"]
    skeleton = h36m_skeleton()
    assert new["bones"] == list(skeleton.names)
    assert new["parents"] == [skeleton.names[p] if p >= 0 else None for p in skeleton.parents]
    assert new["frame_range"] == [1, 240]
    assert new["fps"][0] == 30 and new["fps"][1] == pytest.approx(1.001, abs=1e-6)
    assert new["action"] == "walk" and new["modes"] == ["QUATERNION"]
    assert new["fcurves"] == 17 * 4 + 3 and new["keys"] == [240] and new["interpolation"] == ["LINEAR"]
    assert new["error"] < 1e-4  # float32 keys; the bar is 1 mm


@pytest.mark.slow
def test_reimport_keeps_the_users_action(blender):
    again = blender["again"]
    assert again["action"] != "walk" and again["action"].startswith("walk")
    assert again["previous"] == "walk" and again["previous_kept"]


@pytest.mark.slow
def test_onto_a_rig_with_other_rest_orientations(blender):
    rig = blender["rig"]
    assert rig["joints"] == 18 and rig["skeleton_root"] == "B_pelvis" and rig["skeleton_error"] < 1e-6
    assert rig["error"] < 1e-4
    assert not rig["twist_keyed"]


def test_rigid_inverse_matches_the_general_inverse():
    matrices = np.tile(np.eye(4), (5, 3, 1, 1))
    matrices[..., :3, :3] = Rotation.random(15, random_state=2).as_matrix().reshape(5, 3, 3, 3)
    matrices[..., :3, 3] = np.random.default_rng(3).normal(size=(5, 3, 3))
    np.testing.assert_allclose(posemath.rigid_inverse(matrices), np.linalg.inv(matrices), atol=1e-12)
