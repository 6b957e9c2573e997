"""`noisekit manifest`: inspect and validate the Parquet tables of a data directory."""

from __future__ import annotations

import click

from noisekit.commands.common import data_option, summary
from noisekit.datadir import DataDir
from noisekit.manifests import TABLES, read_manifest


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


@manifest_group.command("check")
@data_option
def check_command(data: DataDir) -> None:
    """Validate every manifest present in --data and print its row count (exit 2 on the first problem)."""
    found = 0
    for name in TABLES:
        path = data.manifest_path(name)
        if path.exists():
            table = read_manifest(data, name)
            click.echo(f"{name:<12} {table.num_rows:>8} rows  {path}")
            found += 1
    summary(f"{found} manifest(s) valid in {data.root}")
