"""One writer per data directory: an flock on DIR/.noisekit.lock, re-entrant within a process.

The kernel releases an flock when its holder dies, so a killed run never leaves a stale lock; the file
keeps the last writer's pid, host, command, start time and state (running, done) to say who holds it. A
writer that finds the last one never got to "done" (it was killed) removes the temporaries and staging
folders it left anywhere in the data directory: holding the exclusive lock proves no other writer is at
work. A clean start costs no walk of the directory (benchmarks/lock_sweep.py measures the walk).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from noisekit.errors import NoisekitError
from noisekit.fsutil import pid_alive, remove_stale_temporaries

LOCK_NAME = ".noisekit.lock"


class DataDirBusy(NoisekitError):
    """Another noisekit run holds the data directory's lock."""


@dataclass
class _Hold:
    fd: int
    info: dict | None  # what a writer wrote in the lock file; None for a reader
    depth: int = 1


_held: dict[Path, _Hold] = {}
_guard = threading.Lock()


def _read(fd: int) -> dict:
    """The last writer's record in the lock file, {} when there is none (a new file, or one being written)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, OSError):
        return {}
    return info if isinstance(info, dict) else {}


def _write(fd: int, info: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)


def _holder(fd: int, root: Path) -> str:
    """Who holds the lock, in words: the writer the lock file names, unless it is done or gone (a reader)."""
    info = _read(fd)
    here = info.get("host") == socket.gethostname()
    if info.get("state") != "running" or (here and not pid_alive(info.get("pid", 0))):
        return f"a noisekit command reading {root} (e.g. export) holds it"
    who = f"pid {info.get('pid')}{'' if here else ' on ' + str(info.get('host'))}, `{info.get('command')}`"
    return f"another noisekit run ({who}) holds {root} since {info.get('since')}"


def _open(path: Path, exclusive: bool) -> int | None:
    """The lock file's descriptor; None for a reader of a data directory it cannot write (nothing to guard)."""
    if exclusive:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            return os.open(path, flags, 0o666)
    return None


@contextlib.contextmanager
def datadir_lock(root: str | Path, command: str, exclusive: bool = True) -> Iterator[None]:
    """Hold DIR's lock for the block: exclusive for writers, shared for readers; DataDirBusy at once if taken.

    Nested calls in one process (a pipeline's stages) share the outer hold instead of deadlocking.
    """
    root = Path(root).expanduser().resolve()
    with _guard:
        hold = _held.get(root)
        if hold is not None:
            if exclusive and hold.info is None:
                raise RuntimeError(f"{root}: cannot take the write lock inside a read lock")
            hold.depth += 1
        else:
            hold = _acquire(root, command, exclusive)
            if hold is not None:
                _held[root] = hold
    try:
        yield
    finally:
        if hold is not None:
            with _guard:
                hold.depth -= 1
                if hold.depth == 0:
                    del _held[root]
                    if hold.info is not None:
                        with contextlib.suppress(OSError):  # (if it cannot say so, the next writer sweeps)
                            _write(hold.fd, {**hold.info, "state": "done"})
                    os.close(hold.fd)  # closing the last descriptor releases the flock


def _acquire(root: Path, command: str, exclusive: bool) -> _Hold | None:
    fd = _open(root / LOCK_NAME, exclusive)
    if fd is None:
        return None
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        message = _holder(fd, root)
        os.close(fd)
        raise DataDirBusy(f"{message}; wait for it to finish (or stop it) and run this again") from None
    if not exclusive:
        return _Hold(fd, None)
    since = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": since, "state": "running"}
    try:
        killed = _read(fd).get("state") != "done"  # (also a first start: sweep what older versions left)
        _write(fd, info)
        if killed:
            remove_stale_temporaries(root)
    except BaseException:
        os.close(fd)
        raise
    return _Hold(fd, info)
