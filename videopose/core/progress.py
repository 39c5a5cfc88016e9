"""Progress reporting shared by the CLI, the library and the Blender add-on.

Library functions take an optional ``progress`` callable ``(done, total, message) -> None``; the CLI
passes a terminal bar (:func:`terminal_progress`), the add-on one that drives Blender's indicator.
A callable may raise :class:`Cancelled` to stop the work cleanly.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Protocol


class Cancelled(Exception):
    """Raised by a progress callback (or Ctrl-C handling) to stop long work; outputs are not written."""


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def no_progress(done: int, total: int, message: str = "") -> None:
    """A progress callback that shows nothing."""


@contextlib.contextmanager
def terminal_progress(description: str, total: int, unit: str = "frame", quiet: bool = False) -> Iterator[ProgressCallback]:
    """A tqdm bar (frames/s shown) as a progress callback; nothing printed when ``quiet``."""
    if quiet:
        yield no_progress
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit=unit, dynamic_ncols=True, leave=True) as bar:
        def update(done: int, total_now: int, message: str = "") -> None:
            if total_now != bar.total:
                bar.total = total_now
            bar.update(max(0, done - bar.n))
            if message:
                bar.set_postfix_str(message, refresh=False)

        yield update


def scaled(progress: ProgressCallback, start: float, stop: float, total: int = 1000) -> Callable[[int, int, str], None]:
    """Map a sub-task's (done, total) onto the slice [start, stop] of a parent bar counting to ``total``."""

    def update(done: int, total_now: int, message: str = "") -> None:
        fraction = done / total_now if total_now else 1.0
        progress(int(round(total * (start + (stop - start) * fraction))), total, message)

    return update
