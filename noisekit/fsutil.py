"""Atomic file writes, safe joining of untrusted names, and file checksums."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

from noisekit.errors import NoisekitError, StorageError, UnsafePathError

_CHUNK = 1 << 20
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO})
"""The causes of a failed write that lie with the file system, not with the data or the code."""
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp(\.[^.]+)?$")  # atomic_path's and staging_dir's names


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it into place, else remove it.

    A crash at any moment leaves either the previous file or the new one, never a partial file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc.filename or path.parent, exc, "cannot create the folder") from exc
    while True:  # like mkstemp, but with mode 0666 so the umask gives the file the usual permissions
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise storage_error(path, exc) from exc
    mode = os.stat(tmp).st_mode & 0o777
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if os.stat(tmp).st_mode & 0o777 != mode:  # a writer that made the file anew (safetensors: 0600)
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and _refused(exc, tmp):
            raise storage_error(path, exc) from exc
        raise


def _refused(exc: OSError, tmp: Path) -> bool:
    """Whether `exc` is the file system refusing the temporary (not an error of the data or of other files)."""
    if isinstance(exc, NoisekitError):
        return False
    if exc.filename is not None:
        return str(exc.filename) == str(tmp)
    return exc.errno in WRITE_ERRNOS


def storage_error(path: str | Path, exc: OSError, doing: str = "cannot write") -> StorageError:
    """The one-line error for an OS failure at `path`: the path, what failed, and the cause in words."""
    cause = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    return StorageError(path, f"{doing}: {cause}", exc.errno)


def storage_cause(folder: str | Path) -> tuple[str, int | None]:
    """Why a write in `folder` may have failed when the writer (libsndfile) does not say: the file system's state."""
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        return os.strerror(exc.errno).lower() if exc.errno else str(exc), exc.errno
    if stats.f_flag & os.ST_RDONLY:
        return "read-only file system", errno.EROFS
    if stats.f_bavail * stats.f_frsize < _CHUNK:
        return f"no space left on device ({stats.f_bavail * stats.f_frsize} bytes free)", errno.ENOSPC
    if not os.access(folder, os.W_OK):
        return "permission denied", errno.EACCES
    return "", None


def remove_temporaries(folder: str | Path, stem: str = "*") -> int:
    """Delete the temporary files that killed writers left in `folder` (of files named `stem`.*); returns
    how many. Only atomic_path's naming (hidden, `.tmp` before the suffix) is matched."""
    folder = Path(folder)
    count = 0
    for stale in folder.glob(f".{stem}.*.tmp*") if folder.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            count += 1
    return count


@contextlib.contextmanager
def staging_dir(parent: str | Path, stem: str) -> Iterator[Path]:
    """A fresh folder in `parent`, named like atomic_path's temporaries so a sweep knows it, removed at exit."""
    parent = Path(parent)
    while True:
        folder = parent / f".{stem}.{secrets.token_hex(4)}.tmp"
        try:
            folder.mkdir(0o777)
            break
        except FileExistsError:
            continue
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_temporaries(root: str | Path) -> int:
    """Delete every temporary file and staging folder under `root` (atomic_path's and staging_dir's names);
    returns how many. Only safe while no writer works there, i.e. under the data-directory lock."""
    count = 0
    for folder, dirs, files in os.walk(root):
        for name in [d for d in dirs if _TEMPORARY.match(d)]:
            dirs.remove(name)
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
            count += 1
        for name in filter(_TEMPORARY.match, files):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, name))
                count += 1
    return count


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one of another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a file handle whose content replaces `path` only when the block ends without error."""
    with atomic_path(path) as tmp, open(tmp, mode) as handle:
        yield handle


def check_safe_name(name: str, allow_subdirs: bool = False) -> str:
    """Return `name` if it is safe as a file name from untrusted input, else raise UnsafePathError.

    Refuses empty names, `.`/`..` components, absolute paths, backslashes, NUL and control characters;
    path separators only when `allow_subdirs` (archive items may hold files in subfolders).
    """
    if not isinstance(name, str) or not name:
        raise UnsafePathError(str(name), "empty or not a string")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UnsafePathError(name, "contains NUL or control characters")
    if "\\" in name:
        raise UnsafePathError(name, "contains a backslash")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafePathError(name, "is an absolute path")
    parts = name.split("/")
    if len(parts) > 1 and not allow_subdirs:
        raise UnsafePathError(name, "contains a path separator")
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafePathError(name, "has an empty, '.' or '..' path component")
    if len(name.encode("utf-8")) > 1024 or any(len(p.encode("utf-8")) > 255 for p in parts):
        raise UnsafePathError(name, "is too long")
    return name


def safe_join(root: str | Path, *names: str, allow_subdirs: bool = False) -> Path:
    """Join untrusted `names` under `root`, refusing anything that would land outside it."""
    root_path = Path(root).resolve()
    for name in names:
        check_safe_name(name, allow_subdirs=allow_subdirs)
    target = root_path.joinpath(*names).resolve()
    if target != root_path and root_path not in target.parents:
        raise UnsafePathError("/".join(names), f"resolves outside {root_path}")
    return target


def refuse_overlap(out: str | Path, protected: Mapping[str, str | Path], role: str = "output") -> Path:
    """Return `out` resolved, or raise NoisekitError if it is, contains or lies inside a protected path.

    `protected` maps a description ("the data directory", "input") to a path. Every command that writes a
    folder checks its output this way before touching anything, so no `--out` can replace or feed on what
    it reads; commands that read folders check their inputs (`role="input"`) against their own outputs.
    """
    target = Path(out).expanduser().resolve()
    for what, path in protected.items():
        guarded = Path(path).expanduser().resolve()
        if target == guarded or guarded in target.parents or target in guarded.parents:
            relation = "is" if target == guarded else "lies inside" if guarded in target.parents else "contains"
            raise NoisekitError(f"{out}: the {role} {relation} {what} {guarded}; choose a folder outside it")
    return target


def _digest(path: str | Path, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def md5_file(path: str | Path) -> str:
    """Hex md5 of a file, read in 1 MiB chunks (the Internet Archive's checksum)."""
    return _digest(path, "md5")


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (contribution bundles, content hashes)."""
    return _digest(path, "sha256")
