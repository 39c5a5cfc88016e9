"""videopose: video of a person -> clean skeletal animation (Blender, BVH, FBX).

The shared core lives here (errors, file formats, joint layouts, atomic writes,
progress) together with the thin ``videopose`` command line.  The real work is
in the sibling packages ``lifter`` (2D keypoints, 3D lifting, training),
``retarget`` (joint positions -> bone rotations) and ``addon`` (Blender).
"""

__version__ = "0.1.0"
