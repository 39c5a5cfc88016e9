"""One module per ``videopose`` subcommand.

Each module defines ``NAME`` (the subcommand), ``HELP`` (one line), ``register(parser)`` that adds
its arguments, and ``run(args) -> int``.  Heavy imports (torch, mediapipe, bpy) happen inside
``run`` so that ``videopose --help`` stays fast.
"""
