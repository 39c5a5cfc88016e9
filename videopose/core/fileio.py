"""Atomic file output and safe npz loading."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from videopose.core.errors import VideoposeError


def refuse_existing(path: str | os.PathLike | None, overwrite: bool) -> None:
    """Raise before any work is done when ``path`` exists and ``overwrite`` is off (None: nothing to check)."""
    if path is not None and not overwrite and Path(path).exists():
        raise VideoposeError(f"{path} already exists: pass --overwrite (or choose another name) to replace it")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    A failure or a cancel (KeyboardInterrupt) leaves no partial file and the old file untouched.
    With ``overwrite=False`` an existing ``path`` is an error before any work is done.
    """
    target = Path(path)
    refuse_existing(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent)
    os.close(handle)
    temp_path = Path(temp_name)
    try:
        yield temp_path
        if not temp_path.exists() or temp_path.stat().st_size == 0:
            raise VideoposeError(f"nothing was written for {target}")
        _make_readable(temp_path)
        os.replace(temp_path, target)
    finally:
        if temp_path.exists():
            temp_path.unlink()


def _make_readable(path: Path) -> None:
    """The usual permissions (0666 less the umask): ``mkstemp`` creates its files owner-only."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def save_npz(path: str | os.PathLike, overwrite: bool = True, **arrays: np.ndarray) -> None:
    """Write an uncompressed-safe ``.npz`` atomically."""
    with atomic_output(path, overwrite=overwrite) as temp_path:
        with open(temp_path, "wb") as stream:
            np.savez_compressed(stream, **arrays)


def load_npz(path: str | os.PathLike, required: tuple[str, ...] = (), what: str = "file") -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` into a dict, with clear errors for missing/corrupt files and keys."""
    source = Path(path)
    if not source.exists():
        raise VideoposeError(f"{what} not found: {source}")
    if source.stat().st_size == 0:
        raise VideoposeError(f"{what} is empty (0 bytes): {source}")
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise VideoposeError(f"{what} is not a readable .npz ({error}): {source}") from error
    missing = [key for key in required if key not in arrays]
    if missing:
        raise VideoposeError(
            f"{what} {source} lacks {', '.join(missing)} (has: {', '.join(sorted(arrays)) or 'nothing'}); "
            "see docs/formats.md for the expected keys"
        )
    return arrays
