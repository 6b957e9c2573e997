"""Typed errors: every error a user can cause names the file (or table, column) and the reason."""

from __future__ import annotations

from pathlib import Path


class NoisekitError(Exception):
    """Base of all errors caused by input or configuration; the CLI prints them in one line."""


class AudioError(NoisekitError):
    """An audio file that cannot be used: unreadable, empty, truncated, NaN/inf, wrong format..."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ManifestError(NoisekitError):
    """A manifest that does not match its table's schema, naming the table, column and problem."""

    def __init__(self, table: str, reason: str, column: str | None = None, path: str | Path | None = None):
        self.table = table
        self.column = column
        self.reason = reason
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        where += f" ({path})" if path else ""
        super().__init__(f"{where}: {reason}")


class UnsafePathError(NoisekitError):
    """A name from untrusted input (network metadata, an archive member) that could escape its folder."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"unsafe name {name!r}: {reason}")


class CheckpointError(NoisekitError):
    """Model weights that cannot be trusted or used: missing, tampered (checksum), corrupt or mismatched."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigError(NoisekitError, ValueError):
    """An option or configuration value that cannot be used, naming it and why.

    Also a ValueError, so library callers that validate arguments with `except ValueError` keep working.
    """


class StorageError(NoisekitError, OSError):
    """The operating system refused to read or write a path: disk full, read-only, permission denied..."""

    def __init__(self, path: str | Path, reason: str, errno: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
        self.errno = errno
