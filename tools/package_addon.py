"""Build the installable zips of the add-on.

    python tools/package_addon.py [--out dist]

writes ``dist/videopose-<version>.zip`` (a Blender extension: ``blender_manifest.toml`` at the zip's
root; install with Edit > Preferences > Get Extensions > Install from Disk, or
``blender --command extension install-file -r user_default FILE``) and
``dist/videopose-<version>-legacy-addon.zip`` (the same files in a ``videopose_addon/`` folder, for
Edit > Preferences > Add-ons > Install from Disk). Only the add-on's own modules go in; the
videopose packages come from the project's Python environment (docs/blender.md).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import zipfile
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[1] / "addon"


def manifest() -> dict:
    return tomllib.loads((ADDON_DIR / "blender_manifest.toml").read_text(encoding="utf-8"))


def addon_files() -> list[Path]:
    files = [ADDON_DIR / "blender_manifest.toml"]
    files += sorted(ADDON_DIR.glob("*.py"))
    return files


def build(out_dir: str | Path = "dist") -> tuple[Path, Path]:
    """Write the extension zip and the legacy add-on zip; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = manifest()
    extension = out / f"{info['id']}-{info['version']}.zip"
    legacy = out / f"{info['id']}-{info['version']}-legacy-addon.zip"
    # The legacy add-on's folder must not be called ``videopose``: it would shadow the project's package.
    for target, prefix in ((extension, ""), (legacy, f"{info['id']}_addon/")):
        temporary = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in addon_files():
                archive.write(path, prefix + path.name)
        temporary.replace(target)
    return extension, legacy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the VideoPose Blender extension zip (and a legacy add-on zip).")
    parser.add_argument("--out", default="dist", help="output folder (default: dist)")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
