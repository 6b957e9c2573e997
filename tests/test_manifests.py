"""Manifests: schemas enforced with clear messages, atomic writes, idempotent merges, readable everywhere."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import noisekit.manifests.io as mio
from noisekit.datadir import DataDir
from noisekit.errors import ManifestError
from noisekit.manifests import (
    TABLES,
    consolidate_parts,
    merge_manifest,
    part_names,
    read_manifest,
    schema_for,
    write_manifest,
    write_part,
)

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _rec(identifier: str, file: str = "a.flac", **kw) -> dict:
    return {
        "identifier": identifier,
        "file": file,
        "path": f"recordings/{identifier}/{file}",
        "status": "ok",
        "harvested_at": NOW,
        **kw,
    }


@pytest.fixture()
def data(tmp_path) -> DataDir:
    return DataDir(tmp_path).ensure()


def test_every_table_has_a_key_inside_its_schema():
    for spec in TABLES.values():
        assert set(spec.key) <= set(spec.schema.names), spec.name
        assert set(spec.enums) <= set(spec.schema.names), spec.name


def test_wrong_column_type_is_refused_naming_table_and_column(data):
    with pytest.raises(ManifestError) as err:
        merge_manifest(data, "recordings", [_rec("x", year="nineteen-twenty")])
    assert err.value.table == "recordings" and err.value.column == "year"
    bad = pa.table(
        {"identifier": ["x"], "file": ["f"], "status": ["ok"], "harvested_at": [NOW], "sample_rate": ["44100"]}
    )
    with pytest.raises(ManifestError, match="column 'sample_rate'.*expected type int32, found string"):
        write_manifest(data, "recordings", bad)


def test_missing_required_column_null_and_enum_are_refused(data):
    with pytest.raises(ManifestError, match="column 'status'.*required column is missing"):
        write_manifest(data, "recordings", pa.table({"identifier": ["x"], "file": ["f"], "harvested_at": [NOW]}))
    with pytest.raises(ManifestError, match="null value"):
        write_manifest(data, "recordings", [_rec("x", status=None)])
    with pytest.raises(ManifestError, match=r"\['maybe'\] not in"):
        write_manifest(data, "recordings", [_rec("x", status="maybe")])
    with pytest.raises(ManifestError, match="unknown column"):
        write_manifest(data, "recordings", [_rec("x", colour="red")])
    with pytest.raises(ManifestError, match="duplicate key"):
        write_manifest(data, "recordings", [_rec("x"), _rec("x")])
    with pytest.raises(ManifestError, match="unknown table"):
        schema_for("nope")


def test_validation_on_read_names_the_file(data):
    path = data.manifest_path("labels")
    pq.write_table(pa.table({"path": ["a.wav"], "start_s": ["zero"], "end_s": [1.0], "label": ["noise"]}), path)
    with pytest.raises(ManifestError) as err:
        read_manifest(data, "labels")
    assert err.value.column == "start_s" and str(path) in str(err.value)
    path.write_bytes(b"not parquet")
    with pytest.raises(ManifestError, match="not a readable Parquet"):
        read_manifest(data, "labels")


def test_merge_is_idempotent_and_upserts_by_key(data):
    rows = [_rec("b"), _rec("a", year=1925), _rec("a", file="b.flac")]
    merge_manifest(data, "recordings", rows)
    first = data.manifest_path("recordings").read_bytes()
    merge_manifest(data, "recordings", rows)
    merge_manifest(data, "recordings", list(reversed(rows)))
    assert data.manifest_path("recordings").read_bytes() == first
    table = merge_manifest(data, "recordings", [_rec("a", year=1931)])
    assert table.num_rows == 3
    by_key = {(r["identifier"], r["file"]): r for r in table.to_pylist()}
    assert by_key[("a", "a.flac")]["year"] == 1931
    assert [r["identifier"] for r in table.to_pylist()] == ["a", "a", "b"]


def test_crash_mid_write_leaves_previous_manifest_intact(data, monkeypatch):
    merge_manifest(data, "recordings", [_rec("a")])
    before = data.manifest_path("recordings").read_bytes()

    def broken(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise OSError("killed")

    monkeypatch.setattr(mio.pq, "write_table", broken)
    with pytest.raises(OSError):
        merge_manifest(data, "recordings", [_rec("b")])
    assert data.manifest_path("recordings").read_bytes() == before
    assert [p.name for p in data.manifests.iterdir() if p.name.startswith(".")] == []


def test_files_open_unchanged_in_pandas_polars_and_duckdb(data):
    rows = [
        _rec("a", year=1925, duration_s=181.5, channels=2, creator="Ö Band"),
        _rec("b", status="failed", error="md5 mismatch"),
    ]
    table = merge_manifest(data, "recordings", rows)
    path = str(data.manifest_path("recordings"))
    frame = pd.read_parquet(path)
    assert list(frame.columns) == table.column_names and frame.loc[0, "creator"] == "Ö Band"
    assert pl.read_parquet(path)["duration_s"].to_list() == [181.5, None]
    assert duckdb.sql(f"select error from '{path}' where status = 'failed'").fetchall() == [("md5 mismatch",)]
    frame.to_parquet(path)  # a user edits the table in pandas (nullable ints become floats)
    again = read_manifest(data, "recordings")
    assert again.schema == table.schema and again.column("year").to_pylist() == [1925, None]


def test_parts_record_finished_work_and_consolidate(data):
    write_part(data, "recordings", "item-a", [_rec("a")])
    write_part(data, "recordings", "item-b", [_rec("b"), _rec("b", file="c.flac")])
    assert part_names(data, "recordings") == {"item-a", "item-b"}
    table = consolidate_parts(data, "recordings")
    assert table.num_rows == 3
    assert consolidate_parts(data, "recordings").equals(table)


def test_empty_and_absent_tables(data):
    assert read_manifest(data, "noise").num_rows == 0
    assert read_manifest(data, "noise").schema == schema_for("noise").schema
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(data, "noise", missing_ok=False)


def test_a_killed_writers_temporary_file_is_not_a_part(data):
    write_part(data, "recordings", "item-a", [_rec("a")])
    folder = data.manifests / "parts" / "recordings"
    (folder / ".item-b.x1y2.tmp.parquet").write_bytes((folder / "item-a.parquet").read_bytes())
    assert part_names(data, "recordings") == {"item-a"}
    assert consolidate_parts(data, "recordings").num_rows == 1
