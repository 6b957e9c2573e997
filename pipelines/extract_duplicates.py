"""The same audio reached twice by extract: a copied file, one file by two paths, one md5 under two identifiers.

Segment ids are hashes of the source's checksum and the cut's span, so two recordings with the same content
give the same ids. When the parts are merged, the recording first in source-path order keeps its cuts and
every other one becomes one failed row naming it ("same audio as ..."), its part rewritten and its cuts
deleted. noise.parquet never holds a segment twice, and parts left by earlier runs can never wedge the data
directory: every merge settles them again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from noisekit.datadir import DataDir
from noisekit.manifests import parts_dir, read_manifest, to_table, write_part
from noisekit.pipelines.extract_cut import TABLE, RecordingTask, error_row


@dataclass(frozen=True)
class Duplicate:
    """A recording refused as the same audio as another: its part, the reason, and the cuts it no longer has."""

    part: str
    reason: str
    segments: int
    noise_s: float


def _source_path(table: pa.Table) -> str:
    """The source path of a part (every row of a part comes from one recording)."""
    return (table.column("source_path")[0].as_py() or "") if table.num_rows else ""


def duplicate_row(row: dict, part: str, original: str) -> dict:
    """The one failed row that replaces the rows of a recording whose audio `original` already gave."""
    task = RecordingTask(row["source"], row["source_path"], "", part, year=row["year"], label=row["label"])
    reason = f"{row['source_path']}: same audio as {original}, whose noise is kept once under its name"
    return {**error_row(task, reason), "split": row["split"]}


def settle_duplicates(datadir: DataDir, names: list[str]) -> tuple[list[pa.Table], list[Duplicate]]:
    """The tables of the named parts with every duplicate recording reduced to its failed row (its part
    rewritten and its cuts deleted); returns the tables and the recordings refused now."""
    folder = parts_dir(datadir, TABLE)
    tables = {name: read_manifest(folder / f"{name}.parquet", TABLE) for name in names}
    owner: dict[str, str] = {}  # segment_id -> source path of the recording that keeps it
    refused = []
    for name in sorted(tables, key=lambda n: (_source_path(tables[n]), n)):
        table = tables[name]
        ids = table.column("segment_id").to_pylist()
        original = next((owner[i] for i in ids if i in owner), None)
        if original is None:
            owner.update(dict.fromkeys(ids, _source_path(table)))
            continue
        row = duplicate_row(table.slice(0, 1).to_pylist()[0], name, original)
        write_part(datadir, TABLE, name, [row])
        shutil.rmtree(datadir.noise_gramophone / name, ignore_errors=True)
        tables[name] = to_table([row], TABLE)
        ok = table.filter(pc.equal(table.column("status"), "ok"))
        refused.append(Duplicate(name, row["error"], ok.num_rows, float(pc.sum(ok.column("duration_s")).as_py() or 0)))
    return [tables[name] for name in names], refused
