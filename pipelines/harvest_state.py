"""What a harvest already holds, and how its rows reach the recordings manifest.

Rows are written per batch as Parquet parts (manifests/parts/recordings/), each atomically, so a killed
run loses at most one batch of bookkeeping (never a verified file: those are re-checked locally). At
the end of a run (or at the start of the next one, after a kill) the parts are folded into
manifests/recordings.parquet in the order written: an item's rows from a later part replace all its
earlier rows. Then the parts are removed.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from noisekit.datadir import DataDir
from noisekit.fsutil import remove_temporaries
from noisekit.manifests import part_names, parts_dir, read_manifest, write_manifest, write_part

TABLE = "recordings"


@dataclass(frozen=True)
class KnownFile:
    """A manifest row reduced to what deciding 'already verified?' needs."""

    file: str
    status: str
    selection: str | None
    md5: str | None
    size_bytes: int | None
    harvested_at: datetime


def clean_stale_temporaries(datadir: DataDir) -> None:
    """Remove the temporary files a killed run may have left beside the recordings table and its parts."""
    remove_temporaries(datadir.manifests, TABLE)
    remove_temporaries(parts_dir(datadir, TABLE))


def fold_parts(datadir: DataDir) -> pa.Table:
    """Fold every written part into the manifest (later parts replace an item's rows), drop the parts."""
    names = sorted(part_names(datadir, TABLE))
    table = read_manifest(datadir, TABLE)
    if not names:
        return table
    folder = parts_dir(datadir, TABLE)
    for name in names:
        part = read_manifest(folder / f"{name}.parquet", TABLE)
        if part.num_rows:
            keep = pc.invert(pc.is_in(table.column("identifier"), part.column("identifier").unique()))
            table = pa.concat_tables([table.filter(keep), part])
    table = write_manifest(datadir, TABLE, table)
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{name}.parquet").unlink()
    return table


def known_files(table: pa.Table) -> dict[str, list[KnownFile]]:
    """The manifest indexed by identifier (compact: only the columns the skip decision reads)."""
    columns = [
        table.column(c).to_pylist()
        for c in ("identifier", "file", "status", "selection", "md5", "size_bytes", "harvested_at")
    ]
    index: dict[str, list[KnownFile]] = {}
    for identifier, *rest in zip(*columns, strict=True):
        index.setdefault(identifier, []).append(KnownFile(*rest))
    return index


def still_verified(path: Path, known: KnownFile | None, md5: str | None = None) -> bool:
    """True when `path` is the file an ok row verified: same md5 (if given), same size, and not modified
    since the row was written (mtime no later than harvested_at). Costs one stat."""
    if known is None or known.status != "ok" or (md5 is not None and known.md5 != md5):
        return False
    try:
        stat = os.stat(path)
    except OSError:
        return False
    # (1 ms of slack: harvested_at is kept in microseconds)
    return stat.st_size == known.size_bytes and stat.st_mtime <= known.harvested_at.timestamp() + 1e-3


def item_complete(root: Path, identifier: str, rows: list[KnownFile], selection: str) -> bool:
    """True when every row of the item is ok, made with this selection, and its file still verified:
    then the item costs no request at all."""
    if not rows or any(r.status != "ok" or r.selection != selection for r in rows):
        return False
    folder = root / "recordings" / identifier
    return all(still_verified(folder / r.file, r) for r in rows)


class PartWriter:
    """Collects rows and writes them as numbered parts of this run (sortable after earlier runs' parts)."""

    def __init__(self, datadir: DataDir, run_id: str) -> None:
        self.datadir = datadir
        self.run_id = run_id
        self.rows: list[dict] = []
        self.seq = 0

    def add(self, rows: list[dict]) -> None:
        self.rows.extend(rows)

    def flush(self) -> None:
        """Write the collected rows as one part (nothing if none)."""
        if self.rows:
            write_part(self.datadir, TABLE, f"{self.run_id}-{self.seq:06d}", self.rows)
            self.seq += 1
            self.rows = []
