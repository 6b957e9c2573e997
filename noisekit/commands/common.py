"""Options and output helpers shared by the commands."""

from __future__ import annotations

import click

from noisekit.datadir import DataDir


def _to_datadir(_ctx: click.Context, _param: click.Parameter, value: str | None) -> DataDir | None:
    return DataDir(value) if value is not None else None


data_option = click.option(
    "--data",
    "data",
    required=True,
    envvar="NOISEKIT_DATA",
    show_envvar=True,
    type=click.Path(file_okay=False),
    callback=_to_datadir,
    help="The data directory (recordings/, noise/, manifests/, runs/).",
)


def summary(text: str) -> None:
    """The one-line summary a command prints at the end of its work."""
    click.secho(text, bold=True)
