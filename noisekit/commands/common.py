"""Options and output helpers shared by the commands."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from noisekit.datadir import DataDir
from noisekit.lock import datadir_lock


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


def locks_data(exclusive: bool = True) -> Callable[[Callable], Callable]:
    """Run the command holding its --data directory's lock: exclusive for writers (one at a time), shared for
    readers. Put it right above the function, under the click decorators."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, data: DataDir, **kwargs):
            name = " ".join(click.get_current_context().command_path.split()[1:])  # "manifest clean"
            with datadir_lock(data.root, name, exclusive=exclusive):
                return func(*args, data=data, **kwargs)

        return wrapper

    return decorate
