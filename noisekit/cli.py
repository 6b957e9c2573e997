"""The `noisekit` command line: a click group; each command lives in noisekit/commands/."""

from __future__ import annotations

import sys
import traceback

import click

from noisekit import __version__
from noisekit.commands.classifier import classifier_group
from noisekit.commands.clean import clean_command
from noisekit.commands.common import BUG, USAGE
from noisekit.commands.denoise import denoise_command
from noisekit.commands.evaluate import evaluate_command
from noisekit.commands.export import export_command
from noisekit.commands.extract import extract_command
from noisekit.commands.harvest import harvest_command
from noisekit.commands.manifest import manifest_group
from noisekit.commands.report import report_command
from noisekit.commands.restore import restore_command
from noisekit.commands.run import run_command
from noisekit.commands.tape import contribute_command, ingest_tape_command
from noisekit.commands.train import train_command
from noisekit.errors import NoisekitError
from noisekit.fsutil import WRITE_ERRNOS


def _one_line(exc: Exception) -> str | None:
    """The message of an error the user can act on (bad input, the file system refusing a path); None for a bug."""
    if isinstance(exc, NoisekitError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror.lower() if exc.strerror else exc}"
    return None


class _Group(click.Group):
    """The exit-code contract (README, 'Exit codes'): an error of input, configuration or the file system is one
    line on stderr and status 2; any other exception is a bug in noisekit: its traceback and status 3."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click prints these itself (a usage error exits 2)
        except Exception as exc:
            message = _one_line(exc)
            if message is not None:
                click.secho(f"error: {message}", fg="red", err=True)
                sys.exit(USAGE)
            traceback.print_exc()
            click.secho(
                "noisekit: internal error (a bug in noisekit, not a problem with your input); "
                "please report it with the traceback above",
                fg="red",
                err=True,
            )
            sys.exit(BUG)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="noisekit")
def main() -> None:
    """Build real-noise datasets for restoring historical recordings, and train the denoiser that uses them.

    Every command that reads or writes data takes --data DIR (or the NOISEKIT_DATA environment variable).
    """


main.add_command(manifest_group)
manifest_group.add_command(clean_command)
main.add_command(report_command)
main.add_command(run_command)
main.add_command(extract_command)
main.add_command(harvest_command)
main.add_command(export_command)
main.add_command(classifier_group)
main.add_command(ingest_tape_command)
main.add_command(contribute_command)
main.add_command(denoise_command)
main.add_command(evaluate_command)
main.add_command(restore_command)
main.add_command(train_command)
