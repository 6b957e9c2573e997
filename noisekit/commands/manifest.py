"""`noisekit manifest`: inspect and validate the Parquet tables of a data directory."""

from __future__ import annotations

import click
import pyarrow as pa

from noisekit.commands.common import data_option, summary
from noisekit.datadir import DataDir
from noisekit.errors import ManifestError, NoisekitError
from noisekit.manifests import TABLES, part_names, parts_dir, read_manifest, to_table

UNION_OF_PARTS = {"noise"}  # merged as the plain union of their parts (extract): keys must not repeat across parts


@click.group("manifest")
def manifest_group() -> None:
    """Inspect, validate and build manifests (the Parquet tables of each stage)."""


@manifest_group.command("schema")
@click.argument("table", type=click.Choice(sorted(TABLES)), required=False)
def schema_command(table: str | None) -> None:
    """Print the columns of TABLE (or of every table) with types and nullability."""
    for spec in [TABLES[table]] if table else TABLES.values():
        click.secho(f"{spec.name}  (key: {', '.join(spec.key)})", bold=True)
        click.echo(f"  {spec.doc}")
        for fld in spec.schema:
            allowed = f"  one of {', '.join(spec.enums[fld.name])}" if fld.name in spec.enums else ""
            click.echo(f"  {fld.name:<16} {str(fld.type):<22} {'null ok' if fld.nullable else 'required'}{allowed}")


def check_parts(data: DataDir, name: str) -> int:
    """Validate every part a stage merges into a table (and, for a union, that they merge); returns how many."""
    folder = parts_dir(data, name)
    tables = [read_manifest(folder / f"{part}.parquet", name) for part in sorted(part_names(data, name))]
    if name in UNION_OF_PARTS and tables:
        try:
            to_table(pa.concat_tables(tables), name)
        except ManifestError as exc:
            reason = f"its parts in {folder} do not merge ({exc.reason}); run the stage again to settle them"
            raise ManifestError(name, reason, column=exc.column) from None
    return len(tables)


@manifest_group.command("check")
@data_option
def check_command(data: DataDir) -> None:
    """Validate every manifest present in --data and the parts its stage merges into it, and print each table's
    row count (exit 2 on the first problem: a bad table, a bad part, or parts a stopped run left unmerged)."""
    if not data.manifests.is_dir():
        raise NoisekitError(f"{data.root}: not a data directory (no manifests/ folder); run a stage with --data first")
    found = 0
    for name in TABLES:
        path = data.manifest_path(name)
        parts = check_parts(data, name)
        if not path.exists():
            if parts:
                reason = f"{parts} finished part(s) but no table: a stopped run left them unmerged; run its stage again"
                raise ManifestError(name, reason, path=path)
            continue
        table = read_manifest(data, name)
        click.echo(f"{name:<12} {table.num_rows:>8} rows  {path}")
        found += 1
    summary(f"{found} manifest(s) valid in {data.root}")
