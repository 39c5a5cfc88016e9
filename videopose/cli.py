"""The ``videopose`` command line: a thin shell over the library.

Subcommands live in :mod:`videopose.commands`, one module each, found at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
import threading
from types import ModuleType

from videopose import __version__
from videopose.core.errors import VideoposeError
from videopose.core.progress import Cancelled

# The order subcommands are listed in ``--help``: the pipeline's order.
_ORDER = ("run", "detect", "import_keypoints", "lift", "retarget", "export", "preview",
          "prepare_data", "train", "evaluate")

_EPILOG = """examples:
  videopose run samples/tfjs_pose_1.mp4 -o out/clip.fbx --preview out/clip_preview.mp4
  videopose detect video.mp4 -o clip.keypoints.npz --preview clip_detect.mp4
  videopose lift clip.keypoints.npz -o clip.motion.npz
  videopose retarget clip.motion.npz -o clip.bvh --rig mixamo
  videopose export clip.bvh -o clip.fbx
"""


def _command_modules() -> list[ModuleType]:
    import videopose.commands as package

    names = [info.name for info in pkgutil.iter_modules(package.__path__)]
    names.sort(key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name))
    return [importlib.import_module(f"videopose.commands.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videopose",
        description="Turn a video of a person into a skeletal animation (Blender, BVH, FBX).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"videopose {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.HELP,
            epilog=getattr(module, "EXAMPLE", None), formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summaries")
        module.register(sub)
        sub.set_defaults(handler=module.run)
    return parser


def _terminated(signum: int, frame) -> None:
    """SIGTERM (a ``kill``, the add-on's cancel) ends the job as Ctrl-C does: partial files are removed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if in_main_thread else None
    try:
        return int(args.handler(args) or 0)
    except VideoposeError as error:
        print(f"videopose {args.command}: error: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Cancelled):
        print(f"videopose {args.command}: cancelled; no output was written", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"videopose {args.command}: error: out of memory; no output was written (a shorter clip, or "
              "a machine with more memory)", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
