"""Read, validate, write and merge manifests: atomic, idempotent, with errors naming table and column."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from noisekit.errors import ManifestError
from noisekit.fsutil import atomic_write
from noisekit.manifests.schemas import TableSpec, schema_for

Rows: TypeAlias = "pa.Table | Sequence[dict]"


def _path(where: object, table: str) -> Path:
    """A DataDir gives its manifests/<table>.parquet; a str/Path is taken as the file itself."""
    manifest_path = getattr(where, "manifest_path", None)
    return manifest_path(table) if manifest_path else Path(where)  # type: ignore[arg-type]


def _compatible(have: pa.DataType, want: pa.DataType) -> bool:
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if any(f(have) for f in numeric) and any(f(want) for f in numeric):
        return True  # the safe cast below still refuses fractional values for integer columns
    if pa.types.is_timestamp(have) and pa.types.is_timestamp(want):
        return True
    if pa.types.is_null(have):
        return True
    string_like = (pa.types.is_string, pa.types.is_large_string)
    if any(f(have) for f in string_like) and any(f(want) for f in string_like):
        return True
    return (pa.types.is_list(have) or pa.types.is_large_list(have)) and pa.types.is_list(want)


def conform(table: pa.Table, spec: TableSpec, source: str | Path | None = None) -> pa.Table:
    """Check a table against the spec and return it in the spec's exact schema (column order and types).

    Missing nullable columns are added as nulls; unknown columns, missing required columns, incompatible
    types, nulls in required columns, values outside an enum and duplicate keys are refused.
    """
    extra = [c for c in table.column_names if c not in spec.schema.names]
    if extra:
        raise ManifestError(spec.name, f"unknown column(s) {extra}", column=extra[0], path=source)
    columns = []
    for fld in spec.schema:
        if fld.name not in table.column_names:
            if not fld.nullable:
                raise ManifestError(spec.name, "required column is missing", column=fld.name, path=source)
            columns.append(pa.nulls(table.num_rows, fld.type))
            continue
        col = table.column(fld.name)
        if col.type != fld.type:
            if not _compatible(col.type, fld.type):
                raise ManifestError(
                    spec.name, f"expected type {fld.type}, found {col.type}", column=fld.name, path=source
                )
            try:
                col = pc.cast(col, fld.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ManifestError(
                    spec.name, f"cannot convert {col.type} to {fld.type}: {exc}", column=fld.name, path=source
                ) from None
        if not fld.nullable and col.null_count:
            raise ManifestError(
                spec.name, f"{col.null_count} null value(s) in a required column", column=fld.name, path=source
            )
        if fld.name in spec.enums:
            allowed = pa.array(spec.enums[fld.name])
            valid = pc.or_(pc.is_in(col, value_set=allowed), pc.is_null(col))
            bad = pc.filter(col, pc.invert(valid)).unique()
            if len(bad):
                raise ManifestError(
                    spec.name,
                    f"value(s) {bad.to_pylist()[:5]} not in {list(allowed.to_pylist())}",
                    column=fld.name,
                    path=source,
                )
        columns.append(col)
    out = pa.Table.from_arrays(columns, schema=spec.schema)
    _check_unique(out, spec, source)
    return out


def _check_unique(table: pa.Table, spec: TableSpec, source: str | Path | None) -> None:
    if table.num_rows == 0:
        return
    counts = table.group_by(list(spec.key)).aggregate([([], "count_all")])
    dup = counts.filter(pc.greater(counts.column("count_all"), 1))
    if dup.num_rows:
        example = {k: dup.column(k)[0].as_py() for k in spec.key}
        raise ManifestError(
            spec.name, f"{dup.num_rows} duplicate key(s), e.g. {example}", column=",".join(spec.key), path=source
        )


def to_table(rows: Rows, table: str) -> pa.Table:
    """Rows (a pyarrow Table or a list of dicts) in the table's exact schema, validated."""
    spec = schema_for(table)
    if isinstance(rows, pa.Table):
        return conform(rows, spec)
    rows = list(rows)
    if not rows:
        return spec.schema.empty_table()
    names = list(dict.fromkeys(k for r in rows for k in r))
    arrays = []
    for name in names:
        values = [r.get(name) for r in rows]
        target = spec.schema.field(name).type if name in spec.schema.names else None
        try:
            arrays.append(pa.array(values, type=target))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise ManifestError(table, f"bad value for type {target}: {exc}", column=name) from None
    return conform(pa.Table.from_arrays(arrays, names=names), spec)


def read_manifest(where: object, table: str, missing_ok: bool = True) -> pa.Table:
    """Read and validate a table; an absent file gives an empty table (or an error if not missing_ok)."""
    spec = schema_for(table)
    path = _path(where, table)
    if not path.exists():
        if missing_ok:
            return spec.schema.empty_table()
        raise ManifestError(table, "manifest not found; run the stage that writes it first", path=path)
    try:
        raw = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ManifestError(table, f"not a readable Parquet file: {exc}", path=path) from None
    return conform(raw, spec, source=path)


def write_manifest(where: object, table: str, rows: Rows) -> pa.Table:
    """Validate and write a whole table atomically, sorted by key so equal content gives equal bytes."""
    data = sort_by_key(to_table(rows, table), schema_for(table))
    path = _path(where, table)
    with atomic_write(path) as handle:
        pq.write_table(data, handle, compression="zstd")
    return data


def sort_by_key(table: pa.Table, spec: TableSpec) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in spec.key]) if table.num_rows else table


def upsert(old: pa.Table, new: pa.Table, spec: TableSpec) -> pa.Table:
    """Rows of `old` and `new` with one row per key, the row from `new` winning."""
    both = pa.concat_tables([old, new])
    if both.num_rows == 0:
        return both
    order = pa.array(range(both.num_rows), pa.int64())
    indexed = both.append_column("__row", order)
    last = indexed.group_by(list(spec.key), use_threads=False).aggregate([("__row", "max")])
    return both.take(last.column("__row_max"))


def merge_manifest(where: object, table: str, rows: Rows) -> pa.Table:
    """Insert or replace rows by key and write atomically: merging the same rows twice changes nothing."""
    spec = schema_for(table)
    merged = upsert(read_manifest(where, table), to_table(rows, table), spec)
    return write_manifest(where, table, merged)


def parts_dir(where: object, table: str) -> Path:
    """Folder of a table's parts: manifests/parts/<table>/ beside the table's file."""
    return _path(where, table).parent / "parts" / table


def write_part(where: object, table: str, part: str, rows: Rows) -> Path:
    """Write one unit of work's rows as its own Parquet part, atomically (its presence marks it done)."""
    data = sort_by_key(to_table(rows, table), schema_for(table))
    path = parts_dir(where, table) / f"{part}.parquet"
    with atomic_write(path) as handle:
        pq.write_table(data, handle, compression="zstd")
    return path


def part_names(where: object, table: str) -> set[str]:
    """Names of the parts already written (finished units of work)."""
    folder = parts_dir(where, table)
    # a hidden name is a temporary file left by a killed writer (atomic_path), never a finished part
    return {p.stem for p in folder.glob("*.parquet") if not p.name.startswith(".")} if folder.exists() else set()


def consolidate_parts(where: object, table: str, parts: Iterable[str] | None = None) -> pa.Table:
    """Merge all (or the named) parts into the table's file, atomically; parts stay as the record of work."""
    spec = schema_for(table)
    folder = parts_dir(where, table)
    names = sorted(parts) if parts is not None else sorted(part_names(where, table))
    tables = [read_manifest(folder / f"{n}.parquet", table) for n in names]
    new = pa.concat_tables(tables) if tables else spec.schema.empty_table()
    return write_manifest(where, table, upsert(read_manifest(where, table), new, spec))
