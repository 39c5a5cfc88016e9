"""The layers of docs/architecture.md, read from the code's own imports (every import, also those inside
functions): imports point down only, no module imports itself back through others, ``bpy`` only in the
Blender part, and the installed wheel has one top-level name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Folder in the repository -> the package it installs as (pyproject.toml's package-dir).
PACKAGE_FOLDERS = {"videopose": "videopose", "lifter": "videopose.lifter", "retarget": "videopose.retarget",
                   "addon": "videopose.addon"}

# The Blender library: bpy work without UI, which the pipeline and the CLI call. The rest of addon/ is its UI.
BLENDER_LIBRARY = {"armature", "fbx", "headless", "posemath", "rigmap", "scene_io", "scene_state", "sources",
                   "video_camera"}

# Layer -> the layers it may import (its own included). Ground: core; middle: lifter, retarget (which do
# not know each other), then preview and the Blender library; roof: the pipeline, then the CLI and the UI.
ALLOWED = {
    "core": {"core"},
    "lifter": {"core", "lifter"},
    "retarget": {"core", "retarget"},
    "preview": {"core", "lifter", "retarget", "preview"},
    "blender": {"core", "retarget", "blender"},
    "pipeline": {"core", "lifter", "retarget", "preview", "blender", "pipeline"},
    "cli": {"core", "lifter", "retarget", "preview", "blender", "pipeline", "cli"},
    "addon-ui": {"core", "lifter", "retarget", "preview", "blender", "pipeline", "addon-ui"},
}


def module_files() -> dict[str, Path]:
    """Installed module name -> source file, for every module of the wheel."""
    modules = {}
    for folder, package in PACKAGE_FOLDERS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module == "videopose" or parts[1:2] == ["core"]:
        return "core"
    if parts[1] in ("lifter", "retarget", "preview"):
        return parts[1]
    if parts[1] == "addon":
        return "blender" if parts[2:3] and parts[2] in BLENDER_LIBRARY else "addon-ui"
    if parts[1] == "pipeline":
        return "pipeline"
    return "cli"  # videopose.cli, videopose.commands.*, videopose.__main__


def imports_of(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported name, line) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # ``from package import name``: the name may be a module; callers trim to the innermost module.
            found += [(f"{name}.{alias.name}", node.lineno) for alias in node.names]
    return found


def internal_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (the innermost existing module of each import)."""
    modules = module_files()
    graph = {}
    for module, path in modules.items():
        targets = set()
        for name, _ in imports_of(module, path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
                  for module, targets in graph.items() for target in targets
                  if layer_of(target) not in ALLOWED[layer_of(module)])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_layer():
    modules = module_files()
    assert len(modules) > 50
    assert {layer_of(m) for m in modules} == set(ALLOWED)


def test_imports_point_down_only():
    assert upward_imports(internal_graph()) == []


def test_no_import_loops():
    assert cycles(internal_graph()) == []


def test_no_generic_top_level_imports():
    """Every import of ours goes through the one root ``videopose`` (``import lifter`` works only by
    accident, from the repository folder)."""
    offenders = [f"{path.relative_to(REPO)}:{line} {name}"
                 for module, path in module_files().items() for name, line in imports_of(module, path)
                 if name.split(".")[0] in ("lifter", "retarget", "addon")]
    for folder in ("tests", "benchmarks", "tools"):
        for path in sorted((REPO / folder).rglob("*.py")):
            offenders += [f"{path.relative_to(REPO)}:{line} {name}" for name, line in imports_of("x", path)
                          if name.split(".")[0] in ("lifter", "retarget", "addon")]
    assert offenders == []


def test_bpy_only_in_the_blender_part():
    offenders = [f"{module}:{line}" for module, path in module_files().items()
                 if layer_of(module) not in ("blender", "addon-ui")
                 for name, line in imports_of(module, path) if name.split(".")[0] in ("bpy", "bpy_extras", "mathutils")]
    assert offenders == []


def test_checks_catch_an_upward_import_and_a_loop():
    """The rules themselves: a core module reaching up, and two modules importing each other."""
    graph = {"videopose.core.errors": {"videopose.retarget.solve"}, "videopose.retarget.solve": set(),
             "videopose.addon.batch": {"videopose.addon.headless"}, "videopose.addon.headless": {"videopose.addon.batch"}}
    assert upward_imports(graph) == [
        "videopose.addon.headless (blender) imports videopose.addon.batch (addon-ui)",
        "videopose.core.errors (core) imports videopose.retarget.solve (retarget)",
    ]
    assert cycles(graph) == [["videopose.addon.batch", "videopose.addon.headless"]]


@pytest.mark.slow
def test_installed_wheel_has_one_top_level_name(tmp_path):
    """Build the wheel and read its files: everything under ``videopose/``; ``import lifter`` cannot work."""
    import shutil
    import subprocess
    import sys
    import zipfile

    # Built from a copy of the tracked tree, so no build/ folder is left in the checkout.
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    source = tmp_path / "source"
    for name in listed:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    completed = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                                "-w", str(tmp_path), str(source)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    (wheel,) = tmp_path.glob("videopose-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"videopose"}
    assert "videopose/lifter/weights/default.pt" in names
    assert "videopose/addon/blender_manifest.toml" in names
    for helper in ("synthetic_motion.py", "package_addon.py"):
        assert not any(name.endswith(helper) for name in names)
    top_level_txt = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level_txt).decode().split() == ["videopose"]
