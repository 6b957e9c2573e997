"""Verified downloads: bytes go to a fixed temporary name beside the target and are renamed into place
only once their md5 matches the item metadata. A body cut off mid-way resumes with a Range request; a
file whose md5 keeps mismatching is given up after a bounded number of full downloads.

The package's `File.download` is not used for the transfer itself: it checks md5 only when resuming,
retries every HTTP error (a private file's 403 too) after a fixed 3-second sleep, and deletes what it
wrote on failure, which would defeat resuming after a kill. URLs still come from the package's `File`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import requests

from noisekit.archive.session import RetryPolicy
from noisekit.errors import NoisekitError
from noisekit.fsutil import md5_file

_CHUNK = 1 << 16  # small enough that a body cut off mid-way keeps most of what arrived
PARTIAL_PREFIX = ".noisekit-partial-"


class DownloadError(NoisekitError):
    """A file that could not be fetched and verified; the reason goes into its manifest row."""


def partial_path(dest: Path) -> Path:
    """The fixed temporary name of `dest` while it downloads: hidden, beside it, same length whatever
    the name, so that a killed run resumes it and a long archive name cannot overflow NAME_MAX."""
    digest = hashlib.sha256(dest.name.encode("utf-8")).hexdigest()[:32]
    return dest.parent / f"{PARTIAL_PREFIX}{digest}"


def _finish(partial: Path, dest: Path, md5: str) -> bool:
    """Rename `partial` to `dest` if its md5 matches; otherwise delete it. Returns whether it matched."""
    if md5_file(partial) != md5:
        partial.unlink()
        return False
    with open(partial, "rb+") as handle:  # the bytes are on disk before the name says they are verified
        os.fsync(handle.fileno())
    os.replace(partial, dest)  # (a rename lost to a power cut only costs a re-download)
    return True


def _fetch_body(
    session: requests.Session,
    url: str,
    partial: Path,
    size: int | None,
    policy: RetryPolicy,
    on_bytes: Callable[[int], None],
) -> None:
    """Append the missing bytes of `url` to `partial` (one GET, resuming with Range when it has some)."""
    offset = partial.stat().st_size if partial.exists() else 0
    if size is not None and offset > size:
        partial.unlink()
        offset = 0
    if size is not None and offset == size and offset > 0:
        return  # complete already (killed between the last byte and the rename)
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with session.get(url, stream=True, params={"cnt": "0"}, headers=headers, timeout=policy.timeout) as response:
        if response.status_code == 416 and offset:
            return  # nothing after `offset`: the partial may be whole already; the md5 check decides
        if response.status_code >= 400:
            reason = f"HTTP {response.status_code} {response.reason or ''}".strip()
            if response.status_code in (401, 403):
                reason += " (private or restricted file)"
            raise DownloadError(reason)
        content_range = response.headers.get("Content-Range", "")
        if offset and not (response.status_code == 206 and content_range.startswith(f"bytes {offset}-")):
            offset = 0  # the server ignored the Range: start again from the first byte
        written = offset
        with open(partial, "ab" if offset else "wb") as out:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                out.write(chunk)
                written += len(chunk)
                on_bytes(len(chunk))
                if size is not None and written > size:
                    break  # more bytes than the metadata says: stop, the md5 check will fail it


def download_verified(
    session: requests.Session,
    url: str,
    dest: Path,
    md5: str,
    size: int | None,
    policy: RetryPolicy,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> None:
    """Fetch `url` to `dest` through its partial name; raise DownloadError when it cannot be verified."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(dest)
    mismatches = 0
    breaks = 0
    while True:
        try:
            _fetch_body(session, url, partial, size, policy, on_bytes)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            breaks += 1
            if breaks >= policy.body_tries:
                raise DownloadError(f"download kept breaking off ({breaks} tries): {exc}") from exc
            time.sleep(policy.backoff(breaks - 1))
            continue
        except DownloadError:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        if _finish(partial, dest, md5):
            return
        mismatches += 1
        if mismatches >= policy.md5_tries:
            raise DownloadError(f"md5 mismatch: the bytes never matched {md5} ({mismatches} full downloads)")


def copy_verified(source: Path, dest: Path, md5: str, on_bytes: Callable[[int], None] = lambda n: None) -> None:
    """Copy a local file to `dest` through its partial name and rename it only if its md5 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(dest)
    try:
        with open(source, "rb") as src, open(partial, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise DownloadError(f"cannot copy {source}: {exc.strerror or exc}") from exc
    on_bytes(partial.stat().st_size)
    if not _finish(partial, dest, md5):
        raise DownloadError(f"md5 mismatch: {source} does not match {md5}")
