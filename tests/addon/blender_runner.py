"""Run Blender (bpy module) work in a fresh subprocess: bpy imports once per process and writes
under $HOME, so every test module gets its own process with HOME in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
_MARK = "@@RESULT@@"


def run_python_process(code: str, home: Path, timeout: float = 600.0,
                       args: list[str] | None = None) -> tuple[dict | None, subprocess.CompletedProcess]:
    """Run ``code`` in a new Python with HOME=home; the code calls ``emit(dict)`` to return results.

    Returns (the last emitted dict or None, the completed process). ``timeout`` only catches hangs:
    it is generous because CI machines may be slow and busy.
    """
    prelude = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(HERE)!r}]\n"
        f"def emit(value):\n    print({_MARK!r} + json.dumps(value), flush=True)\n"
    )
    home.mkdir(parents=True, exist_ok=True)
    # videopose comes from its installation (pip install -e . or a wheel), never from the repository folder.
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(HERE)}
    completed = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *(args or [])],
                               cwd=home, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_MARK)]
    return (json.loads(lines[-1][len(_MARK):]) if lines else None), completed


def run_python(code: str, home: Path, timeout: float = 600.0, args: list[str] | None = None) -> dict:
    """:func:`run_python_process`, failing with the subprocess's output unless it exits 0 having emitted."""
    result, completed = run_python_process(code, home, timeout, args)
    if completed.returncode != 0 or result is None:
        raise AssertionError(f"subprocess failed ({completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-5000:]}")
    return result


_UFBX_READ = """
import numpy as np, ufbx
path, names, frames = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
# ufbx can crash if an object it handed out is freed while the scene lives: keep every one referenced.
keep = []
scene = ufbx.load_file(path, target_axes=ufbx.axes_right_handed_z_up, target_unit_meters=1.0,
                       space_conversion=ufbx.SpaceConversion.ADJUST_TRANSFORMS)
stacks = scene.anim_stacks
stack = stacks[0]
anim = stack.anim
keep += [stacks, stack, anim]
stack_names = []
for each in stacks:
    keep.append(each)
    stack_names.append(each.name)
fps = scene.settings.frames_per_second
node_names = []
for node in scene.nodes:
    keep.append(node)
    node_names.append(node.name)
positions, rotations = [], []
for frame in frames:
    evaluated = scene.evaluate(anim, anim.time_begin + frame / fps)
    keep.append(evaluated)
    row, rotation_row = [], []
    for name in names:
        node = evaluated.find_node(name)
        matrix = node.node_to_world
        columns = [matrix.c0, matrix.c1, matrix.c2, matrix.c3]
        keep += [node, matrix, *columns]
        row.append([matrix.c3.x, matrix.c3.y, matrix.c3.z])
        rotation_row.append([[c.x for c in columns[:3]], [c.y for c in columns[:3]], [c.z for c in columns[:3]]])
    positions.append(row)
    rotations.append(rotation_row)
emit({"positions": positions, "rotations": rotations, "fps": fps, "node_names": node_names, "stacks": len(stacks),
      "stack_names": stack_names,
      "time_begin": anim.time_begin, "time_end": anim.time_end})
"""


def read_fbx_with_ufbx(path: Path, names: list[str], frames: list[int], home: Path) -> dict:
    """World joint positions (frames, joints, 3) in Z-up metres and node world matrices ``rotations``
    (frames, joints, 3, 3; may carry scale) read by ufbx (independent of Blender), at
    0-based clip frames; run in its own process (see TOOLCHAIN.md on ufbx object lifetimes)."""
    return run_python(_UFBX_READ, home, args=[str(path), json.dumps(names), json.dumps(frames)])


def rotations_relative_to_first(world_matrices) -> "np.ndarray":
    """(frames, joints, 3, 3) world matrices of bones (any uniform scale) -> each frame's rotation relative
    to the first frame's, ``R_f @ R_0^T``: independent of the bone axes a file or armature chose."""
    import numpy as np

    matrices = np.array(world_matrices, dtype=np.float64)
    matrices = matrices / np.linalg.norm(matrices, axis=-2, keepdims=True)
    return matrices @ np.swapaxes(matrices[:1], -1, -2)
