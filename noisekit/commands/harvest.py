"""`noisekit harvest`: Great 78 recordings from the Internet Archive into DIR/recordings/, verified."""

from __future__ import annotations

from pathlib import Path

import click

from noisekit.archive.choose import FILE_CHOICES
from noisekit.commands.common import FAILED, data_option, finish, locks_data
from noisekit.datadir import DataDir
from noisekit.pipelines.options import HarvestOptions


@click.command("harvest")
@data_option
@click.option(
    "--collection",
    default=HarvestOptions.collection,
    show_default=True,
    help="Archive collection to search (the Great 78 Project is georgeblood).",
)
@click.option("--query", default=HarvestOptions.query, help="Extra Lucene clause, e.g. 'year:[1920 TO 1929]'.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=HarvestOptions.limit, help="Harvest at most N items (not files)."
)
@click.option("--identifier", "identifiers", multiple=True, help="Harvest this item (repeatable); no search.")
@click.option(
    "--identifiers-file",
    type=click.Path(dir_okay=False),
    default=HarvestOptions.identifiers_file,
    help="File of identifiers, one a line ('#' comments); no search.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=64),
    default=HarvestOptions.jobs,
    show_default=True,
    help="Items worked on at once (bounded concurrency).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=HarvestOptions.rate,
    show_default=True,
    help="Global limit on requests per second (0: none; keep it polite).",
)
@click.option(
    "--endpoint",
    envvar="NOISEKIT_IA_ENDPOINT",
    show_envvar=True,
    default=HarvestOptions.endpoint,
    help="Replace https://archive.org for every API and download call (mirrors, tests).",
)
@click.option(
    "--source-dir",
    type=click.Path(file_okay=False, exists=True),
    default=HarvestOptions.source_dir,
    help="Harvest items already on disk in the layout 'ia download' leaves (no network).",
)
@click.option(
    "--files",
    "files",
    type=click.Choice(FILE_CHOICES),
    default=HarvestOptions.files,
    show_default=True,
    help="main: the main-track lossless original(s); all-transfers: also the stylus transfers.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["lossless", "mp3"]),
    default=HarvestOptions.format,
    show_default=True,
    help="lossless originals, or their MP3 derivatives instead.",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
@locks_data()
def harvest_command(
    data: DataDir,
    collection: str,
    query: str | None,
    limit: int | None,
    identifiers: tuple[str, ...],
    identifiers_file: str | None,
    jobs: int,
    rate: float,
    endpoint: str | None,
    source_dir: str | None,
    files: str,
    fmt: str,
    progress: bool,
) -> None:
    """Download Great 78 recordings, md5-verified, into DIR/recordings/<identifier>/<file>.

    Resumable: a rerun skips verified files without a request and resumes partial downloads. Writes
    manifests/recordings.parquet (failures are rows). Exit 0 when every file is verified, 1 when some failed
    or the search broke off, 2 for usage errors.
    """
    from noisekit.archive.session import DEFAULT_ENDPOINT  # noqa: PLC0415 (keeps `--help` fast)
    from noisekit.pipelines.harvest import harvest  # noqa: PLC0415

    options = HarvestOptions(
        collection=collection or None,
        query=query,
        limit=limit,
        identifiers=identifiers,
        identifiers_file=identifiers_file,
        jobs=jobs,
        endpoint=endpoint or DEFAULT_ENDPOINT,
        source_dir=Path(source_dir) if source_dir else None,
        files=files,
        format=fmt,
        rate=rate or None,
        progress=progress,
    )
    result = harvest(data, options)
    if result.search_error:
        click.secho(f"error: {result.search_error}", fg="red", err=True)
    finish(result.summary(), result.errors)
    if result.search_error:
        raise SystemExit(FAILED)
