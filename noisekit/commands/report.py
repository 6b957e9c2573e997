"""`noisekit report`: the offline HTML page of a data directory's noise dataset."""

from __future__ import annotations

import click

from noisekit.commands.common import data_option, locks_data, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import ReportOptions


@click.command("report")
@data_option
@click.option("--title", default=ReportOptions.title, help="Title of the page (default: the data directory's name).")
@locks_data()
def report_command(data: DataDir, title: str | None) -> None:
    """Write DIR/report/index.html: minutes of noise by kind, decade, label, device and speed, a
    p(noise) histogram, a gallery of every segment with its spectrogram and a player, and the latest
    evaluation. Open it in a browser (it needs no network)."""
    from noisekit.pipelines.report import build_report

    result = build_report(data, title)
    summary(f"report: {result.segments} segments, {result.minutes:.1f} min of noise -> {result.path}")
