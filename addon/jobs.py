"""Long work outside Blender's UI thread, polled by a modal operator's timer (no bpy).

:class:`BackgroundRun` runs ``python -m videopose run VIDEO -o OUT --progress-json`` in the project's
own Python environment and reads its stderr, one JSON object per line
(``{"stage", "done", "total", "message"}``). :class:`ThreadRun` does the same job in-process (when
PyTorch is importable inside Blender) on a worker thread. Both have the same small interface:
``start()``, ``poll() -> list[ProgressEvent]``, ``finished``, ``succeeded``, ``error``, ``cancel()``.

Cleanup never depends on Blender calling back: a started process and a job's temporary folder are
also stopped/removed by ``weakref.finalize`` when their owner is dropped or at interpreter exit
(``atexit`` runs while modules still exist, unlike an operator's ``cancel`` during Blender's shutdown),
and every cleanup step swallows errors so it is safe to call twice or late.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, max(0.0, self.done / self.total)) if self.total else 0.0


def parse_progress_line(line: str) -> ProgressEvent | None:
    """One stderr line -> a ProgressEvent, or None when it is not a progress object (a log line)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
        return ProgressEvent(str(data.get("stage", "")), int(data["done"]), int(data["total"]), str(data.get("message", "")))
    except (ValueError, KeyError, TypeError):
        return None


def run_command(python: str, video: str | os.PathLike, output: str | os.PathLike, rig: str | None = None,
                smooth: float | None = None, foot_lock: bool = True, device: str = "auto",
                fbx_preset: str | None = None, overwrite: bool = True, height: float | None = None,
                fov: float | None = None) -> list[str]:
    """The ``videopose run`` command line the add-on starts for one video (``height`` metres, ``fov`` the
    diagonal field of view in degrees: None keeps the run's defaults)."""
    command = [python, "-m", "videopose", "run", str(video), "-o", str(output), "--progress-json",
               "--device", device]
    if rig:
        command += ["--rig", rig]
    if height is not None:
        command += ["--height", f"{height:g}"]
    if fov is not None:
        command += ["--fov", f"{fov:g}"]
    if smooth is not None:
        command += ["--smooth", f"{smooth:g}"]
    if not foot_lock:
        command.append("--no-foot-lock")
    if fbx_preset:
        command += ["--fbx-preset", fbx_preset]
    if overwrite:
        command.append("--overwrite")
    return command


class BackgroundRun:
    """A subprocess whose stderr carries JSON progress lines; its own temp folder is removed on cleanup."""

    def __init__(self, command: list[str], cwd: str | os.PathLike | None = None, env: dict[str, str] | None = None):
        self.command = command
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self._log: list[str] = []
        self._reader: threading.Thread | None = None
        self.cancelled = False

    def start(self) -> "BackgroundRun":
        try:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
            )
        except OSError as error:
            raise RuntimeError(f"could not start {self.command[0]}: {error}; set the videopose Python in the "
                               "add-on preferences") from error
        # The reader holds no reference to self, so dropping this object (or quitting) stops the process.
        self._reader = threading.Thread(target=_pump_lines, args=(self.process.stderr, self._lines), daemon=True)
        self._reader.start()
        weakref.finalize(self, _stop_process, self.process)
        return self

    def poll(self) -> list[ProgressEvent]:
        events = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return events
            event = parse_progress_line(line)
            if event is not None:
                events.append(event)
            elif line.strip():
                self._log = (self._log + [line.rstrip()])[-20:]

    @property
    def finished(self) -> bool:
        if self.process is None or self.process.poll() is None:
            return False
        if self._reader is not None:
            self._reader.join(timeout=1.0)  # drain the last lines
        return True

    @property
    def succeeded(self) -> bool:
        return self.finished and not self.cancelled and self.process.returncode == 0

    @property
    def error(self) -> str:
        """The last error line the process printed (``videopose run: error: ...``), or its exit status."""
        self.poll()
        for line in reversed(self._log):
            if "error" in line.lower():
                return line.split("error:", 1)[-1].strip() or line
        code = self.process.returncode if self.process is not None else None
        return self._log[-1] if self._log else f"the videopose process exited with status {code}"

    def cancel(self, timeout: float = 5.0) -> None:
        """Terminate the process (then kill it if it does not stop within ``timeout``)."""
        self.cancelled = True
        if self.process is not None:
            _stop_process(self.process, timeout)


def _pump_lines(stream, lines: "queue.Queue[str]") -> None:
    for line in stream:
        lines.put(line)


def _stop_process(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """Terminate ``process``, kill it after ``timeout`` s; never raises (also used at interpreter exit)."""
    try:
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    except Exception:  # interpreter shutdown (modules torn down) or the process is already gone
        pass


class ThreadRun:
    """``work(progress, set_stage)`` on a worker thread; ``progress`` raises ``Cancelled`` after :meth:`cancel`."""

    def __init__(self, work: Callable[[Callable[..., None], Callable[[str], None]], object]):
        self._work = work
        self._events: queue.Queue[ProgressEvent] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._error: BaseException | None = None
        self.stage = ""
        self.cancelled = False

    def start(self) -> "ThreadRun":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _progress(self, done: int, total: int, message: str = "") -> None:
        from videopose.core.progress import Cancelled

        if self._cancel.is_set():
            raise Cancelled()
        self._events.put(ProgressEvent(self.stage, int(done), int(total), message))

    def _run(self) -> None:
        try:
            self._work(self._progress, lambda name: setattr(self, "stage", name))
        except BaseException as error:  # reported to the UI thread through .error
            self._error = error

    def poll(self) -> list[ProgressEvent]:
        events = []
        while not self._events.empty():
            events.append(self._events.get_nowait())
        return events

    @property
    def finished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    @property
    def succeeded(self) -> bool:
        return self.finished and self._error is None and not self.cancelled

    @property
    def error(self) -> str:
        return str(self._error) if self._error is not None else ""

    def cancel(self, timeout: float = 30.0) -> None:
        self.cancelled = True
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)


class TempFolder:
    """A private temporary folder for one job's outputs, removed by :meth:`remove` (idempotent)."""

    def __init__(self, prefix: str = "videopose_"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        # Holds its own reference to rmtree: runs on remove(), when dropped, or at exit, at most once.
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)

    def remove(self) -> None:
        try:
            self._finalizer()
        except Exception:  # interpreter shutdown: the atexit finalizer has already run or will
            pass


def default_python() -> str:
    """The Python to run ``videopose`` with when the preferences leave it empty: this one. That is right
    in the bpy module and in a Blender started from the project's environment; a plain Blender's own
    interpreter lacks the project's packages, so there the preference must be set (docs/blender.md)."""
    return sys.executable
