"""One writer per data directory: an flock on DIR/.noisekit.lock, re-entrant within a process.

The kernel releases an flock when its holder dies, so a killed run never leaves a stale lock; the file
keeps the last writer's pid, host, command and start time only to say who holds it. Taking the exclusive
lock proves no other noisekit writer is at work, so that is when the temporaries and bundle staging
folders killed writers left in the data directory are removed.
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
    exclusive: bool
    depth: int = 1


_held: dict[Path, _Hold] = {}
_guard = threading.Lock()


def _holder(fd: int, root: Path) -> str:
    """Who holds the lock, in words, from the lock file (written by the last exclusive holder)."""
    reader = f"a noisekit command reading {root} (e.g. export) holds it"
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        pid, command, since, host = info["pid"], info["command"], info["since"], info["host"]
    except (ValueError, KeyError, OSError):
        return reader  # no writer ever wrote its name: only readers have held it
    if host == socket.gethostname() and not pid_alive(pid):
        return reader
    where = "" if host == socket.gethostname() else f" on {host}"
    return f"another noisekit run (pid {pid}{where}, `{command}`) holds {root} since {since}"


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
            if exclusive and not hold.exclusive:
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
    if exclusive:
        since = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            remove_stale_temporaries(root)
        except BaseException:
            os.close(fd)
            raise
    return _Hold(fd, exclusive)
