"""`noisekit export`: the noise dataset in the official code's layout (moliner) or as a Hugging Face folder (hf)."""

from __future__ import annotations

import click

from noisekit.commands.common import data_option, locks_data, summary
from noisekit.datadir import DataDir


@click.command("export")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["moliner", "hf"]),
    required=True,
    help="moliner: folder per recording + info.csv (official code of the paper); "
    "hf: Hugging Face datasets folder with embedded audio and a dataset card.",
)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to create.")
@click.option(
    "--audio",
    type=click.Choice(["raw", "loop"]),
    default=None,
    help="Export the raw cuts or the 5-s loops (default: raw for moliner, loop for hf).",
)
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
@locks_data(exclusive=False)
def export_command(data: DataDir, fmt: str, out: str, audio: str | None, overwrite: bool, progress: bool) -> None:
    """Export the ok segments of manifests/noise.parquet to OUT, built aside and renamed into place."""
    from noisekit.pipelines.export import export  # noqa: PLC0415 (keeps `--help` fast)

    result = export(data, out, fmt, audio=audio, overwrite=overwrite, progress=progress)
    summary(result.summary())
