"""videopose's own armature in real ``bpy``: the ankle bones (its feet, ankle to ball) of the default output
lie flat on the floor while planted and never go through it, on a real clip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from blender_runner import run_python

_ANKLE_BONES = """
import numpy as np, bpy
from videopose.core.animation import Animation
from videopose.addon import headless
path = sys.argv[1]
result = headless.import_motion_file(path)          # an Animation .npz: a new armature, as the add-on imports it
rig = result.armature
matrix = np.array(rig.matrix_world)
heads, tails = [], []
for frame in range(result.frame_end - result.frame_start + 1):
    bpy.context.scene.frame_set(result.frame_start + frame)
    heads.append([(matrix @ np.append(np.array(rig.pose.bones[n].head), 1.0))[:3].tolist() for n in json.loads(sys.argv[2])])
    tails.append([(matrix @ np.append(np.array(rig.pose.bones[n].tail), 1.0))[:3].tolist() for n in json.loads(sys.argv[2])])
emit({"heads": heads, "tails": tails})
"""


@pytest.mark.slow
def test_the_canonical_armatures_feet_are_flat_when_planted_and_never_through_the_floor(shared_dir: Path, tmp_path):
    """Before: the squats clip's planted ankle bones stayed rigid with the shin, tilted about 30 degrees (their
    balls dipped under the floor with the grounding of an hour before)."""
    from videopose.lifter.checkpoint import load_checkpoint, resolve_checkpoint
    from videopose.lifter.detect import detect_video
    from videopose.lifter.infer import lift_keypoints
    from videopose.retarget.pipeline import retarget_motion

    video = shared_dir / "videos" / "tfjs_pose_squats.mp4"
    if not video.is_file():
        pytest.skip(f"{video} not found")
    keypoints = detect_video(video)
    animation = retarget_motion(lift_keypoints(keypoints, load_checkpoint(resolve_checkpoint(None)), device="cpu"),
                                keypoints=keypoints)   # grounded in the camera, as `videopose run` does
    path = tmp_path / "squats.npz"
    animation.save(path)
    ankles = ["left_ankle", "right_ankle"]
    read = run_python(_ANKLE_BONES, tmp_path / "home", args=[str(path), json.dumps(ankles)])
    heads, tails = np.array(read["heads"]), np.array(read["tails"])
    positions = animation.world_positions()[:, [animation.skeleton.index(n) for n in ankles]]
    assert heads == pytest.approx(positions, abs=1e-4)
    contacts = np.asarray(animation.extras.get("heel_contacts", animation.contacts), dtype=bool)
    assert contacts.sum() > 20
    lowest = np.minimum(heads[..., 2], tails[..., 2])
    assert lowest.min() > -1e-3, f"an ankle bone {lowest.min() * 100:.1f} cm under the floor"
    feet = tails - heads
    tilt = np.degrees(np.arcsin(np.clip(np.abs(feet[..., 2]) / np.linalg.norm(feet, axis=-1), 0, 1)))
    assert tilt[contacts].max() < 0.5, f"a planted ankle bone tilted {tilt[contacts].max():.1f} deg"
