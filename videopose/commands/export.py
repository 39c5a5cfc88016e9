"""``videopose export``: a motion, animation or BVH file -> FBX through Blender (the bpy module)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "export"
HELP = "motion/animation .npz or BVH -> FBX (Blender's exporter, game-engine presets), optionally on your own rig"
EXAMPLE = """examples:
  videopose export clip.motion.npz -o clip.fbx
  videopose export clip.bvh -o clip_unity.fbx --preset unity
  videopose export clip.motion.npz -o clip_ue5.fbx --rig ue5 --preset unreal
  videopose export clip.motion.npz -o hero.fbx --rig hero.blend --bone-map mixamo --overwrite"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="MOTION.npz (videopose lift), ANIMATION.npz (videopose retarget) or .bvh")
    parser.add_argument("-o", "--output", required=True, type=Path, help="CLIP.fbx")
    parser.add_argument("--rig", default=None,
                        help="RIG.blend: key the motion onto the armature in that file; or a rig preset name "
                             "(rigify, mixamo, ue5, cmu, smpl) for a new armature with that skeleton")
    parser.add_argument("--bone-map", default=None,
                        help="with --rig RIG.blend: rig preset or bone-map JSON mapping videopose joints to its bones "
                             "(default: bones named like the joints)")
    parser.add_argument("--preset", default="blender", choices=("blender", "unity", "unreal", "mixamo"),
                        help="FBX settings for the target application (docs/blender.md)")
    parser.add_argument("--smooth", type=float, default=None, help="motion files: rotation smoothing (0 = off)")
    parser.add_argument("--no-foot-lock", action="store_true", help="motion files: do not pin feet in contact")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def run(args: argparse.Namespace) -> int:
    from videopose.core.errors import VideoposeError

    if args.output.suffix.lower() != ".fbx":
        raise VideoposeError(f"output must end in .fbx, got {args.output.name}")
    if args.bone_map and not (args.rig and args.rig.lower().endswith(".blend")):
        raise VideoposeError("--bone-map needs --rig RIG.blend (the armature the bones belong to)")
    from videopose.core.fileio import check_outputs
    from videopose.core.validate import check_smooth

    check_outputs({"the output": args.output}, {"the source": args.source, "--rig": args.rig,
                                                "--bone-map": args.bone_map}, args.overwrite)
    check_smooth(args.smooth)
    began = time.perf_counter()
    from videopose.addon.headless import export_fbx
    from videopose.retarget.pipeline import RetargetOptions

    rig_blend = args.rig if args.rig and args.rig.lower().endswith(".blend") else None
    settings = RetargetOptions.chosen(None if rig_blend else args.rig, args.smooth, not args.no_foot_lock)
    path = export_fbx(args.source, args.output, preset=args.preset, rig_blend=rig_blend, bone_map=args.bone_map,
                      settings=settings, overwrite=args.overwrite)
    if not args.quiet:
        size_kib = path.stat().st_size / 1024
        print(f"wrote {path} ({size_kib:,.0f} KiB, preset {args.preset}) in {time.perf_counter() - began:.1f} s")
    return 0
