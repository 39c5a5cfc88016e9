"""The one place that writes outputs, and safe ``.npz`` loading.

Outputs are written to a hidden temporary file beside the target (``.NAME.XXXXXXXX.partial.SUFFIX``),
checked, and renamed onto the target only when complete; a target that is an input, an existing
folder, or (without ``overwrite``) an existing file is refused before any work is done; while a
process writes a target it holds an exclusive lock (``.NAME.lock``), so two runs on one output cannot
both succeed; partial files left by a killed run are removed by the next write of that target.
See docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import pickle
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import numpy as np

from videopose.core.errors import VideoposeError

PathLike = str | os.PathLike


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (hard links and symlinks included), existing or not."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()


def refuse_existing(path: PathLike | None, overwrite: bool) -> None:
    """Raise before any work is done when ``path`` is a folder, or exists and ``overwrite`` is off
    (None: nothing to check)."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise VideoposeError(f"{target} is a folder: give a file name for the output (e.g. {target / 'clip'}...)")
    if not overwrite and (target.exists() or target.is_symlink()):
        raise VideoposeError(f"{target} already exists: pass --overwrite (or choose another name) to replace it")


def check_outputs(outputs: Mapping[str, PathLike | None], inputs: Mapping[str, PathLike | None] = {},
                  overwrite: bool = False) -> None:
    """Refuse, before any work is done, outputs that would destroy something.

    ``outputs`` / ``inputs``: a label (``"--preview"``, ``"the video"``) -> path, None entries skipped.
    An output may never be one of the inputs or another output (not even with ``overwrite``), never
    an existing folder, and never an existing file unless ``overwrite``; its folder must be writable.
    """
    chosen = [(label, Path(path)) for label, path in outputs.items() if path is not None]
    given = [(label, Path(path)) for label, path in inputs.items() if path is not None]
    for index, (label, path) in enumerate(chosen):
        for input_label, input_path in given:
            if input_path.exists() and _same_file(path, input_path):
                raise VideoposeError(f"{label} {path} is {input_label}: it would be destroyed; choose another name")
        for other_label, other in chosen[:index]:
            if _same_file(path, other):
                raise VideoposeError(f"{label} and {other_label} are the same file ({path}): choose different names")
        refuse_existing(path, overwrite)
        _refuse_unwritable_folder(path)


def _refuse_unwritable_folder(path: Path) -> None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise VideoposeError(f"cannot write {path}: {folder} is a file, not a folder")
    try:  # a real attempt: permission bits say nothing for root or on a read-only file system
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise VideoposeError(f"cannot write {path}: the folder {folder} is not writable ({error.strerror}); "
                             "choose another output folder") from None


# ------------------------------------------------------------------------------------------------ lock

def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def output_lock(path: PathLike) -> Iterator[None]:
    """Hold an exclusive lock on writing ``path`` (a ``.NAME.lock`` file beside it) for the block.

    Another process holding it is an error at once (not a wait). Re-entrant within one process:
    a job that locks its output for its whole run can still write it through :func:`atomic_output`.
    The operating system drops the lock when a process dies, so a killed run never blocks the next.
    """
    target = Path(path)
    lock = _lock_path(target)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise VideoposeError(f"cannot write {target}: {_reason(error)}") from None
    owned = False
    try:
        owned = _try_lock(handle)
        if owned and not _still_named(handle, lock):  # the holder before us unlinked it as we opened it
            os.close(handle)
            handle, owned = -1, False
            with output_lock(target):
                yield
            return
        if not owned:
            holder = _read_pid(handle)
            if holder != os.getpid():
                raise VideoposeError(
                    f"another videopose process{f' (pid {holder})' if holder else ''} is writing {target} now: "
                    "wait for it to finish or choose another output name"
                )
        else:
            os.ftruncate(handle, 0)
            os.write(handle, str(os.getpid()).encode())
        yield
    finally:
        if owned:
            with contextlib.suppress(OSError):
                lock.unlink()
        if handle >= 0:
            os.close(handle)  # releases the lock


def _try_lock(handle: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        if error.errno in (errno.ENOLCK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EINVAL):
            return True  # a file system without locks (some network shares): write unlocked
        raise


def _still_named(handle: int, lock: Path) -> bool:
    try:
        return os.fstat(handle).st_ino == os.stat(lock).st_ino
    except OSError:
        return False


def _read_pid(handle: int) -> int | None:
    try:
        text = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):
        return None
    return int(text) if text.isdigit() else None


# ---------------------------------------------------------------------------------------------- write

def partial_files(target: Path) -> list[Path]:
    """Temporary files :func:`atomic_output` makes for ``target`` (``.NAME.XXXXXXXX.partial.SUFFIX``)."""
    suffix = re.escape(target.suffix)
    patterns = [re.compile(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.partial{suffix}"),
                re.compile(rf"\.{re.escape(target.stem)}\.[A-Za-z0-9_]{{8}}\.partial{suffix}")]  # the naming before
    if not target.parent.is_dir():
        return []
    return sorted(path for path in target.parent.iterdir() if any(p.fullmatch(path.name) for p in patterns))


# Errors of writing (not of reading an input inside the block): full disk or quota, file too large,
# no permission, read-only file system, device error.
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO}


def _reason(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk is full or the file too large ({error.strerror}); free some space or choose another folder"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{error.strerror} ({error.filename or 'the folder'}); choose a writable output folder"
    return f"{error.strerror or error}{f' ({error.filename})' if error.filename else ''}"


@contextlib.contextmanager
def atomic_output(path: PathLike, overwrite: bool = True,
                  verify: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only if the block succeeds.

    A failure or a cancel (KeyboardInterrupt) leaves no partial file and the old file untouched.
    ``path`` is locked for the block (:func:`output_lock`); stale partial files of ``path`` are
    removed first. ``verify(temp_path)`` re-reads what was written and raises if it is broken.
    With ``overwrite=False`` an existing ``path`` is an error, before the work and again (atomically)
    at the final move, so a file that appeared meanwhile is never replaced. OS errors (full disk,
    no permission) become :class:`VideoposeError`.
    """
    target = Path(path)
    refuse_existing(target, overwrite)
    with output_lock(target):
        for stale in partial_files(target):
            with contextlib.suppress(OSError):
                stale.unlink()
        try:
            handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".partial{target.suffix}",
                                                 dir=target.parent)
            os.close(handle)
        except OSError as error:
            raise VideoposeError(f"cannot write {target}: {_reason(error)}") from None
        temp_path = Path(temp_name)
        try:
            try:
                yield temp_path
                if not temp_path.exists() or temp_path.stat().st_size == 0:
                    raise VideoposeError(f"nothing was written for {target}")
                if verify is not None:
                    verify(temp_path)
                _make_readable(temp_path)
                _commit(temp_path, target, overwrite)
            except OSError as error:
                if error.errno not in _WRITE_ERRORS:
                    raise
                raise VideoposeError(f"could not write {target}: {_reason(error)}") from None
        finally:
            if temp_path.exists():
                temp_path.unlink()


def _commit(temp_path: Path, target: Path, overwrite: bool) -> None:
    """Move the finished file onto ``target``; without ``overwrite`` never replace a file (atomic link)."""
    if overwrite:
        os.replace(temp_path, target)
        return
    try:
        os.link(temp_path, target)
    except FileExistsError:
        raise VideoposeError(f"{target} appeared while this was running (another run?): it was left as it is; "
                             "pass --overwrite to replace it") from None
    except OSError as error:  # a file system without hard links
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        refuse_existing(target, overwrite)
        os.replace(temp_path, target)
        return
    temp_path.unlink()


def _make_readable(path: Path) -> None:
    """The usual permissions (0666 less the umask): ``mkstemp`` creates its files owner-only."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def save_npz(path: PathLike, overwrite: bool = True, **arrays: np.ndarray) -> None:
    """Write a compressed ``.npz`` atomically, re-read (every member's checksum and name) before it is kept."""
    expected = {f"{name}.npy" for name in arrays}

    def verify(written: Path) -> None:
        try:
            with zipfile.ZipFile(written) as archive:
                broken = archive.testzip()
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as error:
            raise VideoposeError(f"the file written for {path} does not read back ({error}); nothing was kept") from None
        if broken is not None or names != expected:
            raise VideoposeError(f"the file written for {path} does not read back intact; nothing was kept")

    with atomic_output(path, overwrite=overwrite, verify=verify) as temp_path:
        # As np.savez_compressed, but a failed write (full disk) closes the archive here, and no pickle
        # is ever written.
        with zipfile.ZipFile(temp_path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, value in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


# ----------------------------------------------------------------------------------------------- read

def load_npz(path: PathLike, required: tuple[str, ...] = (), what: str = "file") -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` into a dict, with clear errors for missing/corrupt files and keys.

    Pickles are never loaded (an object array is an error)."""
    source = Path(path)
    if source.is_dir():
        raise VideoposeError(f"{what} {source} is a folder, not a .npz file")
    if not source.exists():
        raise VideoposeError(f"{what} not found: {source}")
    if source.stat().st_size == 0:
        raise VideoposeError(f"{what} is empty (0 bytes): {source}")
    if not zipfile.is_zipfile(source):
        raise VideoposeError(f"{what} {source} is not a readable .npz archive (a .npy or another file renamed?); "
                             "see docs/formats.md")
    _refuse_oversized(source, what)
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise VideoposeError(f"{what} {source} holds Python objects (pickles), which videopose never loads "
                                 "from data files; see docs/formats.md") from None
        raise VideoposeError(f"{what} is not a readable .npz ({error}): {source}") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, NotImplementedError, RuntimeError) as error:
        raise VideoposeError(f"{what} is not a readable .npz ({type(error).__name__}: {error}): {source}") from None
    missing = [key for key in required if key not in arrays]
    if missing:
        raise VideoposeError(
            f"{what} {source} lacks {', '.join(missing)} (has: {', '.join(sorted(arrays)) or 'nothing'}); "
            "see docs/formats.md for the expected keys"
        )
    return arrays


def npz_keys(path: PathLike, what: str = "file") -> list[str]:
    """The names of the arrays in an ``.npz`` (read from its index, nothing loaded), with one-line errors
    for a missing, empty or non-.npz file."""
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"{what} not found: {source}")
    try:
        with zipfile.ZipFile(source) as archive:
            return [name[: -len(".npy")] for name in archive.namelist() if name.endswith(".npy")]
    except (zipfile.BadZipFile, OSError) as error:
        raise VideoposeError(f"{what} {source} is not a readable .npz archive ({error}); see docs/formats.md") from None


# The most an .npz may unpack to: ten hours of 60 fps keypoints with all 33 landmarks are 0.6 GB.
MAX_NPZ_BYTES = 4 << 30


def _refuse_oversized(source: Path, what: str) -> None:
    """Read the arrays' headers (shape, dtype) first: a small file that unpacks to more than
    MAX_NPZ_BYTES (a damaged or hostile archive) is refused before any memory is taken."""
    total = 0
    try:
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as stream:
                    version = np.lib.format.read_magic(stream)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(stream)
                total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as error:
        raise VideoposeError(f"{what} is not a readable .npz ({type(error).__name__}: {error}): {source}") from None
    if total > MAX_NPZ_BYTES:
        raise VideoposeError(f"{what} {source} unpacks to {total / 2**30:,.1f} GB, more than videopose reads "
                             f"({MAX_NPZ_BYTES / 2**30:.0f} GB): a damaged file, or a clip to split")


# Everything a pickled dict of numpy arrays needs, and nothing that can run code: the classes are
# rebuilt only from numpy's array / dtype / scalar reconstructors and plain containers.
_PLAIN_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"), ("collections", "OrderedDict"),
}


class _PlainDataUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, dicts, lists, tuples, strings and numbers; refuses every other class."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _PLAIN_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"it holds a {module}.{name}, which is not plain data")
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError:  # numpy 1.x names numpy 2's ``numpy._core`` ``numpy.core``, and back
            other = module.replace("numpy._core", "numpy.core") if "._core" in module else module.replace(
                "numpy.core", "numpy._core")
            return getattr(importlib.import_module(other), name)


def load_plain_pickled_npz(path: PathLike, what: str = "file") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` whose object arrays hold pickled plain data (VideoPose3D's files:
    dicts of subject -> action -> arrays), read with a restricted unpickler that rebuilds only numpy
    arrays, dicts, lists, tuples, strings and numbers: a pickle that names any other class (the way
    a hostile file runs code) is refused. Object arrays come back as 0-d object arrays (``.item()``)."""
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"{what} not found: {source}")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                arrays[member[: -len(".npy")]] = _read_npy_member(archive, member)
    except VideoposeError:
        raise
    except pickle.UnpicklingError as error:
        raise VideoposeError(f"{what} {source} was refused: {error}; only numpy arrays, dicts, lists, strings "
                             "and numbers are read from pickles") from None
    except Exception as error:  # damaged zip or pickle: many types
        raise VideoposeError(f"{what} {source} is not a readable .npz ({type(error).__name__}: {error})") from None
    return arrays


def _read_npy_member(archive: zipfile.ZipFile, member: str) -> np.ndarray:
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = header(stream)
        if dtype.hasobject:
            value = _PlainDataUnpickler(stream).load()
            if not isinstance(value, np.ndarray):
                raise pickle.UnpicklingError(f"{member} holds a {type(value).__name__}, not an array")
            return value
    with archive.open(member) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)
