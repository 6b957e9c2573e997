"""The `noisekit` command line: a click group; each command lives in noisekit/commands/."""

from __future__ import annotations

import sys

import click

from noisekit import __version__
from noisekit.commands.classifier import classifier_group
from noisekit.commands.clean import clean_command
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


class _Group(click.Group):
    """Turns a NoisekitError anywhere in a command into one clear line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NoisekitError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


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
