"""Options and output helpers shared by the commands."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


class LibraryDefault(click.Option):
    """An option whose default lives in a library dataclass too slow to import when the CLI starts: the value
    None means "the library's default", and only `--help` imports the library to show it."""

    def __init__(self, *args: object, library_default: Callable[[], object], **kwargs: object) -> None:
        super().__init__(*args, default=None, **kwargs)  # type: ignore[arg-type]
        self.library_default = library_default

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.show_default = str(self.library_default())
        return super().get_help_record(ctx)


def given(**values: Any) -> dict[str, Any]:
    """The flags the user set: a LibraryDefault flag left at None keeps the library's value."""
    return {name: value for name, value in values.items() if value is not None}


OK, FAILED, USAGE, BUG = 0, 1, 2, 3
"""Every command's exit status: all done; some items failed (each named); a usage, input or file-system error
that stopped the command; a bug in noisekit (with its traceback). README.md, 'Exit codes', says the same."""


def summary(text: str) -> None:
    """The one-line summary a command prints at the end of its work."""
    click.secho(text, bold=True)


def finish(text: str, failures: Sequence[str] = (), label: str = "failed") -> None:
    """End a command that works item by item: name each failed item on stderr, print the summary, and exit
    with FAILED when any item failed (the others were done)."""
    for failure in failures:
        click.secho(f"{label}: {failure}", fg="yellow", err=True)
    summary(text)
    if failures:
        sys.exit(FAILED)


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


def lock_if_inside(data: DataDir, out: str | Path, command: str) -> contextlib.AbstractContextManager:
    """The data directory's write lock when `out` lies inside it (train --out DIR/runs/x), else nothing; under
    torchrun only rank 0 takes it, for all ranks."""
    inside = Path(out).expanduser().resolve().is_relative_to(data.root)
    first_rank = os.environ.get("RANK", "0") == "0"
    return datadir_lock(data.root, command) if inside and first_rank else contextlib.nullcontext()
