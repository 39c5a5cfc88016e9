"""Runs of consecutive True frames in a per-frame mask, and how the run summaries write them.

One helper for every layer that marks frames (detection: lost, filled, switched; lifting: turned over;
retargeting: planted, on another level), so that they all count and print runs the same way.
"""

from __future__ import annotations

import numpy as np


def frame_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop), ...]: the runs of consecutive True frames of a (frames,) bool mask, stop exclusive."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def frame_ranges(mask: np.ndarray) -> str:
    """``"3-7, 12, 40-41"``: the runs of True frames of a (frames,) bool mask, or ``"none"``."""
    runs = frame_runs(mask)
    return ", ".join(f"{a}" if a == b - 1 else f"{a}-{b - 1}" for a, b in runs) if runs else "none"
