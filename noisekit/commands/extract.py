"""`noisekit extract`: cut the noise-only runs of recordings, loop them to 5 s, write manifests/noise.parquet."""

from __future__ import annotations

import click

from noisekit.commands.common import data_option, finish, locks_data
from noisekit.datadir import DataDir
from noisekit.pipelines.options import ExtractOptions


class _Fractions(click.ParamType):
    """train,valid,test fractions written '0.8,0.1,0.1' (or with '/'), as a tuple of numbers."""

    name = "FRACTIONS"

    def convert(self, value, param, ctx) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        try:
            return tuple(float(x) for x in str(value).replace("/", ",").split(","))
        except ValueError:
            self.fail(f"{value!r}: give three numbers such as 0.8,0.1,0.1", param, ctx)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"{text!r}: use NAME=VALUE, e.g. margin_s=0.5", param_hint="--segmenter")
    return name.strip(), value.strip()


@click.command("extract")
@data_option
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(exists=True),
    help="Audio file or folder to process instead of the ok rows of recordings.parquet (repeatable).",
)
@click.option(
    "--model",
    type=click.Path(exists=True),
    default=ExtractOptions.model,
    help="Classifier checkpoint (folder or file); default: the shipped weights.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=256),
    default=ExtractOptions.jobs,
    help="Local worker processes (default: the number of CPUs; 1 runs in this process).",
)
@click.option(
    "--scheduler",
    default=ExtractOptions.scheduler,
    metavar="ADDRESS",
    help="Run the tasks on a running Dask cluster, e.g. tcp://host:8786, instead of local processes.",
)
@click.option(
    "--rpm",
    type=str,
    default=ExtractOptions.rpm,
    show_default=True,
    help="Disc speed for looping by whole revolutions: 78, 45 or 33 1/3.",
)
@click.option(
    "--segmenter",
    "segmenter",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a segmenter parameter (high, low, smooth_windows, min_run_s, margin_s, tail_s, lead_s); repeatable.",
)
@click.option(
    "--splits",
    "splits",
    type=_Fractions(),
    default=ExtractOptions.splits,
    show_default=True,
    help="train,valid,test fractions, assigned per source recording.",
)
@click.option("--force", is_flag=True, help="Redo recordings already done (their old segments are replaced).")
@click.option("--retry-failed", is_flag=True, help="Redo recordings whose earlier attempt failed.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
@locks_data()
def extract_command(
    data: DataDir,
    inputs: tuple[str, ...],
    model: str | None,
    jobs: int | None,
    scheduler: str | None,
    rpm: str,
    segmenter: tuple[str, ...],
    splits: tuple[float, ...],
    force: bool,
    retry_failed: bool,
    progress: bool,
) -> None:
    """Find the noise-only runs of each recording with the classifier, write each raw cut and its 5-s loop
    to DIR/noise/gramophone/, and the rows to manifests/noise.parquet.

    Each recording is one task; finished recordings are skipped on a rerun and a corrupt one becomes an
    error row. With --scheduler the same tasks run on a Dask cluster whose workers share this environment
    and can read DIR.
    """
    from noisekit.pipelines.extract import extract  # noqa: PLC0415 (keeps `--help` fast)

    options = ExtractOptions(
        inputs=inputs,
        model=model,
        jobs=jobs,
        scheduler=scheduler,
        rpm=rpm,
        segmenter=dict(_pair(text) for text in segmenter),
        splits=splits,
        force=force,
        retry_failed=retry_failed,
        progress=progress,
    )
    result = extract(data, options)
    for note in result.notes:
        click.secho(note, fg="cyan", err=True)
    finish(result.summary(), result.errors)
