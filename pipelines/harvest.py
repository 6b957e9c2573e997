"""The harvest stage: Great 78 recordings from the Internet Archive (or a mirror, or an `ia download`
folder) into DIR/recordings/<identifier>/<file>, md5-verified, resumable, with the recordings manifest.

`harvest(datadir, options)` streams identifiers (search or given), works on up to `jobs` items at once,
writes the rows per batch as manifest parts and folds them into manifests/recordings.parquet at the end.
A rerun (also after SIGKILL) folds what the killed run wrote, skips complete items without a request,
re-checks files verified but not yet recorded locally, and resumes partial downloads.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from noisekit.archive.choose import choose_files
from noisekit.archive.download import DownloadError, partial_path
from noisekit.archive.metadata import ArchiveFileInfo, ItemInfo, check_identifier, parse_item_metadata
from noisekit.archive.search import SearchError
from noisekit.archive.session import RetryPolicy
from noisekit.archive.sources import LocalSource, RemoteSource, Source
from noisekit.audio import audio_info
from noisekit.datadir import DataDir
from noisekit.errors import AudioError, ConfigError, NoisekitError
from noisekit.fsutil import md5_file, safe_join
from noisekit.pipelines.harvest_state import (
    KnownFile,
    PartWriter,
    clean_stale_temporaries,
    fold_parts,
    item_complete,
    known_files,
    still_verified,
)
from noisekit.pipelines.options import HarvestOptions


@dataclass
class HarvestResult:
    """Counts of files: ok (fetched and verified now), skipped (already verified), failed; and more."""

    items: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    bytes: int = 0
    elapsed_s: float = 0.0
    search_error: str | None = None
    errors: tuple[str, ...] = ()  # "identifier/file: reason" of each file that failed

    def summary(self) -> str:
        """The one-line summary printed at the end of a run."""
        line = (
            f"harvest: {self.items} items, {self.ok} ok, {self.failed} failed, {self.skipped} skipped, "
            f"{self.bytes / 1e6:.1f} MB, {self.elapsed_s:.1f} s"
        )
        return line + (f"; search failed: {self.search_error}" if self.search_error else "")


@dataclass
class _ItemOutcome:
    rows: list[dict]
    ok: int = 0
    failed: int = 0
    skipped: int = 0


class _Harvester:
    """One run: the source, what is known, and the per-item work (called from worker threads)."""

    def __init__(
        self, datadir: DataDir, options: HarvestOptions, source: Source, known: dict[str, list[KnownFile]], on_bytes
    ) -> None:
        self.datadir = datadir
        self.options = options
        self.source = source
        self.known = known
        self.on_bytes = on_bytes

    def _row(self, identifier: str, info: ItemInfo | None, file: ArchiveFileInfo | None, **extra: Any) -> dict:
        collection = self.options.collection
        if info is not None and collection not in info.collections:
            collection = info.collections[0] if info.collections else None
        row: dict[str, Any] = {
            "identifier": identifier,
            "file": file.name if file else "",
            "path": None,
            "collection": collection,
            "title": info.title if info else None,
            "creator": info.creator if info else None,
            "year": info.year if info else None,
            "label": info.label if info else None,
            "format": file.format if file else None,
            "md5": file.md5 if file else None,
            "size_bytes": file.size if file else None,
            "selection": self.options.selection,
            "license": (info.license_url or "") if info else None,
            "rights": (info.rights or "") if info else None,
            "error": None,
        }
        row.update(extra)
        row["harvested_at"] = datetime.now(UTC)
        return row

    def item(self, identifier: str) -> _ItemOutcome:
        """Harvest one item; every problem becomes a failed row, never an exception (but for I/O on DIR)."""
        rows = self.known.get(identifier, [])
        if item_complete(self.datadir.root, identifier, rows, self.options.selection):
            return _ItemOutcome([], skipped=len(rows))
        try:
            check_identifier(identifier)
            metadata = self.source.metadata(identifier)
            info = parse_item_metadata(identifier, metadata)
        except NoisekitError as exc:
            return _ItemOutcome([self._row(identifier, None, None, status="failed", error=str(exc))], failed=1)
        chosen = choose_files(info, self.options.files, self.options.format)
        if not chosen:
            reason = f"no file of the item matches the choice {self.options.selection!r}"
            return _ItemOutcome([self._row(identifier, info, None, status="failed", error=reason)], failed=1)
        outcome = _ItemOutcome([])
        by_file = {r.file: r for r in rows}
        for file in chosen:
            row, how = self._file(identifier, metadata, info, file, by_file.get(file.name))
            outcome.rows.append(row)
            setattr(outcome, how, getattr(outcome, how) + 1)
        with contextlib.suppress(OSError):  # an item whose files all failed leaves no empty folder
            (self.datadir.recordings / identifier).rmdir()
        return outcome

    def _file(
        self, identifier: str, metadata: Any, info: ItemInfo, file: ArchiveFileInfo, known: KnownFile | None
    ) -> tuple[dict, str]:
        """Make sure one file is present and verified; its row and 'ok' | 'skipped' | 'failed'."""
        rel = f"recordings/{identifier}/{file.name}"
        try:
            dest = safe_join(self.datadir.recordings, identifier, file.name, allow_subdirs=True)
            if not file.md5:
                raise DownloadError("the metadata gives no md5 to verify the file against")
            if still_verified(dest, known, file.md5) or (dest.is_file() and md5_file(dest) == file.md5):
                how = "skipped"
            else:
                self.source.fetch(identifier, metadata, file, dest, self.on_bytes)
                how = "ok"
        except (NoisekitError, OSError) as exc:  # OSError: names that clash on disk (a file where a folder is)
            with contextlib.suppress(OSError, NoisekitError):
                partial_path(safe_join(self.datadir.recordings, identifier, file.name, allow_subdirs=True)).unlink()
            return self._row(identifier, info, file, status="failed", error=str(exc)), "failed"
        try:
            audio = audio_info(dest)
        except AudioError as exc:
            return self._row(identifier, info, file, path=rel, status="failed", error=str(exc)), "failed"
        row = self._row(
            identifier,
            info,
            file,
            path=rel,
            status="ok",
            size_bytes=dest.stat().st_size,
            duration_s=audio.duration_s,
            sample_rate=audio.sample_rate,
            channels=audio.channels,
        )
        return row, how


def _failure(row: dict) -> str:
    """A failed row in one line: identifier/file: reason."""
    return f"{row['identifier']}/{row['file']}".rstrip("/") + f": {row['error']}"


def _identifiers(options: HarvestOptions, source: Source) -> Iterator[str]:
    if options.identifiers:
        unique = list(dict.fromkeys(options.identifiers))
        return iter(unique[: options.limit] if options.limit is not None else unique)
    return itertools.islice(source.identifiers(options.collection, options.query, options.limit), options.limit)


def make_source(options: HarvestOptions) -> Source:
    """The source the options name: an `ia download` folder, or the archive at `endpoint`."""
    if options.source_dir is not None:
        return LocalSource(Path(options.source_dir))
    return RemoteSource(options.endpoint, jobs=options.jobs, rate=options.rate, policy=options.policy or RetryPolicy())


def read_identifiers(path: str | Path) -> list[str]:
    """The identifiers in a file, one a line ('#' starts a comment line)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NoisekitError(f"{path}: cannot read the identifiers file: {exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def harvest(datadir: DataDir, options: HarvestOptions, source: Source | None = None) -> HarvestResult:
    """Run the harvest; returns the counts (the search's failure in `search_error`, rows already kept)."""
    if options.identifiers_file is not None:
        given = (*options.identifiers, *read_identifiers(options.identifiers_file))
        options = replace(options, identifiers=given, identifiers_file=None)
    if options.source_dir is not None and options.query:
        raise ConfigError("--query needs the archive's search; it cannot be used with --source-dir")
    if options.jobs < 1:
        raise ConfigError("jobs must be at least 1")
    if options.limit is not None and options.limit < 0:
        raise ConfigError("limit must not be negative")
    start = time.monotonic()
    datadir.ensure()
    clean_stale_temporaries(datadir)
    known = known_files(fold_parts(datadir))
    source = source or make_source(options)
    identifiers = _identifiers(options, source)  # raises ConfigError early for bad combinations
    result = HarvestResult()
    total = options.limit if not options.identifiers else len(list(dict.fromkeys(options.identifiers)))
    bar = tqdm(total=total, unit="item", desc="harvest", disable=not options.progress, dynamic_ncols=True)

    def on_bytes(n: int) -> None:
        result.bytes += n  # (int += is atomic enough under the GIL for a progress figure)

    worker = _Harvester(datadir, options, source, known, on_bytes)
    writer = PartWriter(datadir, f"{time.time_ns():020d}")
    pending: set[Future] = set()
    last_flush, batch = time.monotonic(), 0

    def collect(done: set[Future]) -> None:
        nonlocal last_flush, batch
        for future in done:
            outcome = future.result()
            writer.add(outcome.rows)
            result.items += 1
            result.ok, result.failed = result.ok + outcome.ok, result.failed + outcome.failed
            result.skipped += outcome.skipped
            result.errors += tuple(_failure(r) for r in outcome.rows if r["error"])
            batch += 1
            bar.update(1)
        bar.set_postfix_str(f"{result.bytes / 1e6:.1f} MB, {result.failed} failed", refresh=False)
        if batch >= options.batch_items or time.monotonic() - last_flush >= options.batch_seconds:
            writer.flush()
            last_flush, batch = time.monotonic(), 0

    try:
        with ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="harvest") as pool:
            try:
                for identifier in identifiers:
                    pending.add(pool.submit(worker.item, identifier))
                    if len(pending) >= 2 * options.jobs:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        collect(done)
            except SearchError as exc:
                result.search_error = str(exc)
            done, pending = wait(pending)
            collect(done)
    finally:
        bar.close()
        writer.flush()
    fold_parts(datadir)
    result.elapsed_s = time.monotonic() - start
    return result
