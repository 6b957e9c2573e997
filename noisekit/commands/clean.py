"""`noisekit manifest clean DIR`: build clean.parquet (files, durations, grouped splits) from clean music."""

from __future__ import annotations

from collections import Counter

import click

from noisekit.commands.common import data_option, locks_data, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import CleanOptions


@click.command("clean")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@data_option
@click.option(
    "--valid", type=float, default=CleanOptions.valid, show_default=True, help="Fraction of groups for validation."
)
@click.option(
    "--test", type=float, default=CleanOptions.test, show_default=True, help="Fraction of groups for testing."
)
@click.option("--seed", type=int, default=CleanOptions.seed, show_default=True, help="Seed of the group split.")
@locks_data()
def clean_command(folder: str, data: DataDir, valid: float, test: float, seed: int) -> None:
    """Index the clean music in FOLDER (e.g. MusicNet) into clean.parquet; a sub-folder is one group.

    Files outside --data are hard-linked (or copied) into DATA/clean/<folder name>/.
    """
    from noisekit.pipelines.clean import build_clean_manifest

    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise click.BadParameter("--valid and --test must be fractions that leave some training data")
    table = build_clean_manifest(folder, data.ensure(), valid=valid, test=test, seed=seed)
    counts = Counter(table.column("split").to_pylist())
    hours = sum(table.column("duration_s").to_pylist()) / 3600
    summary(
        f"clean.parquet: {table.num_rows} files, {hours:.2f} h "
        f"(train {counts['train']}, valid {counts['valid']}, test {counts['test']}) in {data.root}"
    )
