"""videopose: video of a person -> clean skeletal animation (Blender, BVH, FBX).

One import root over the layers of docs/architecture.md: ``videopose.core`` (errors, file formats,
joint layouts, atomic writes, progress) at the bottom; ``videopose.lifter`` (2D keypoints, 3D lifting,
training), ``videopose.retarget`` (joint positions -> bone rotations), ``videopose.preview`` and the
Blender library in ``videopose.addon`` in the middle; ``videopose.pipeline``, the ``videopose`` command
line and the add-on's UI on top.
"""

__version__ = "0.1.0"
