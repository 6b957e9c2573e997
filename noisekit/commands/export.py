"""`noisekit export`: the noise dataset in the official code's layout (moliner) or as a Hugging Face folder (hf)."""

from __future__ import annotations

import typing

import click

from noisekit.commands.common import data_option, locks_data, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import ExportOptions


@click.command("export")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(typing.get_args(typing.get_type_hints(ExportOptions)["format"])),
    required=True,
    help="moliner: folder per recording + info.csv (official code of the paper); "
    "hf: Hugging Face datasets folder with embedded audio and a dataset card; "
    "lhotse: RecordingSet/CutSet manifests per split with the audio.",
)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to create.")
@click.option(
    "--audio",
    type=click.Choice(["raw", "loop"]),
    default=ExportOptions.audio,
    help="Export the raw cuts or the 5-s loops (default: raw for moliner, loop for hf and lhotse).",
)
@click.option("--overwrite", is_flag=True, default=ExportOptions.overwrite, help="Replace OUT if it exists.")
@click.option(
    "--progress/--no-progress", default=ExportOptions.progress, show_default=True, help="Show the progress bar."
)
@locks_data(exclusive=False)
def export_command(data: DataDir, fmt: str, out: str, audio: str | None, overwrite: bool, progress: bool) -> None:
    """Export the ok segments of manifests/noise.parquet to OUT, built aside and renamed into place."""
    from noisekit.pipelines.export import export  # noqa: PLC0415 (keeps `--help` fast)

    options = ExportOptions(fmt, out, audio, overwrite, progress)  # type: ignore[arg-type]  # click checked them
    result = export(data, options.out, options.format, options.audio, options.overwrite, options.progress)
    summary(result.summary())
