"""`noisekit ingest-tape` and `noisekit contribute`: blank-tape noise captures from archives' own decks."""

from __future__ import annotations

from collections.abc import Callable

import click

from noisekit.commands.common import data_option, finish, locks_data, summary
from noisekit.datadir import DataDir

NR_CHOICES = (
    "none",
    "dolby-a",
    "dolby-b",
    "dolby-c",
    "dolby-s",
    "dolby-sr",
    "dbx",
    "dbx-ii",
    "telcom-c4",
    "high-com",
    "anrs",
    "other",
)  # the same list as noisekit.pipelines.tape.NOISE_REDUCTION (tested)


def _metadata_options(func: Callable) -> Callable:
    """The capture metadata both commands take."""
    options = [
        click.option(
            "--tape-stock", default=None, help="The blank tape played, e.g. 'ATR Magnetics 1/4\"' or 'TDK HX-S60'."
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["open-reel", "cassette"]),
            default=None,
            help="Tape format (default: the registry's format for the deck).",
        ),
        click.option(
            "--noise-reduction",
            type=click.Choice(NR_CHOICES),
            default="none",
            show_default=True,
            help="Noise reduction decoding engaged on playback.",
        ),
        click.option("--chain", default=None, help="Capture chain, e.g. 'deck line out -> RME ADI-2, 96 kHz/24 bit'."),
        click.option("--contributor", default=None, help="Person or institution contributing the captures."),
        click.option(
            "--license",
            "license_",
            default=None,
            metavar="SPDX",
            help="Licence of the captures as an SPDX identifier, e.g. CC-BY-4.0 or CC0-1.0.",
        ),
        click.option("--new-device", is_flag=True, help="The deck is not in the registry: add it."),
        click.option(
            "--model",
            type=click.Path(exists=True),
            default=None,
            help="Classifier checkpoint for the content check; default: the shipped weights.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _classifier(model: str | None):
    from noisekit.classifier import load_classifier  # noqa: PLC0415 (keeps `--help` fast)

    return load_classifier(model)


@click.command("ingest-tape")
@data_option
@click.option("--device", default=None, help="The deck, e.g. 'Revox A77 (HS)'; spellings are normalised.")
@click.option("--speed", type=float, default=None, metavar="IPS", help="Tape speed in inches per second.")
@_metadata_options
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Ingest a contribution bundle (made by `noisekit contribute`) instead of FILEs.",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@locks_data()
def ingest_tape_command(
    data: DataDir,
    device: str | None,
    speed: float | None,
    tape_stock: str | None,
    fmt: str | None,
    noise_reduction: str,
    chain: str | None,
    contributor: str | None,
    license_: str | None,
    new_device: bool,
    model: str | None,
    bundle: str | None,
    progress: bool,
    files: tuple[str, ...],
) -> None:
    """Validate blank-tape captures (FILEs of one deck at one speed, or a --bundle) and add them to the
    noise dataset: 5-s segments at 44.1 kHz in DIR/noise/tape/, rows in manifests/tape.parquet, DATASET.md.

    Captures already in the dataset are skipped. A refused FILE is recorded as a failed row and the others
    go on (exit status 1); a bundle is all-or-nothing.
    """
    from noisekit.pipelines.bundle_ingest import ingest_bundle  # noqa: PLC0415
    from noisekit.pipelines.tape import CaptureMeta, ingest_files  # noqa: PLC0415

    if bundle:
        if files or device or speed is not None:
            raise click.UsageError("--bundle takes no FILEs, --device or --speed (the bundle says them)")
        result = ingest_bundle(data, bundle, _classifier(model), new_device=new_device, progress=progress)
    else:
        if not files or not device or speed is None:
            raise click.UsageError("give --device, --speed and at least one FILE (or --bundle)")
        meta = CaptureMeta(device, speed, tape_stock, fmt, noise_reduction, chain, contributor, license_)
        result = ingest_files(
            data, list(files), meta, classifier=_classifier(model), new_device=new_device, progress=progress
        )
    for name in result.skipped:
        click.echo(f"skipped {name}: already in the dataset")
    finish(result.summary(), [f"{name}: {reason}" for name, reason in result.refused], label="refused")


@click.command("contribute")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The bundle to write (.zip).")
@click.option("--device", required=True, help="The deck, e.g. 'Uher 4000 Report L'.")
@click.option(
    "--speed",
    "speeds",
    type=float,
    multiple=True,
    required=True,
    metavar="IPS",
    help="Tape speed in inches per second: once for all FILEs, or once per FILE in order.",
)
@_metadata_options
@click.option("--date", default=None, help="Date of the captures, YYYY-MM-DD (default: today).")
@click.option("--notes", default=None, help="Anything else worth knowing: servicing, calibration, quirks.")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False), required=True)
def contribute_command(
    out: str,
    device: str,
    speeds: tuple[float, ...],
    tape_stock: str | None,
    fmt: str | None,
    noise_reduction: str,
    chain: str | None,
    contributor: str | None,
    license_: str | None,
    new_device: bool,
    model: str | None,
    date: str | None,
    notes: str | None,
    files: tuple[str, ...],
) -> None:
    """Validate blank-tape captures and package them with their metadata as a contribution bundle.

    The bundle holds lossless FLAC copies, contribution.json, SHA256SUMS and a README.txt; nothing is
    written when any capture would be refused at ingestion.
    """
    from noisekit.pipelines.bundle import build_bundle  # noqa: PLC0415
    from noisekit.pipelines.tape import CaptureMeta  # noqa: PLC0415

    meta = CaptureMeta(device, speeds[0], tape_stock, fmt, noise_reduction, chain, contributor, license_)
    contribution = build_bundle(
        out,
        list(files),
        meta,
        speeds=list(speeds),
        classifier=_classifier(model),
        date=date,
        notes=notes,
        new_device=new_device,
    )
    for cap in contribution.captures:
        click.echo(f"{cap['source']}: {cap['speed_ips']:g} ips, {cap['duration_s']:.1f} s, {cap['sample_rate']} Hz")
        for check in cap["checks"]:
            click.echo(f"  {check['name']:<17} {check['detail']}")
    minutes = sum(c["duration_s"] for c in contribution.captures) / 60
    summary(f"wrote {out}: {len(contribution.captures)} capture(s), {minutes:.1f} min of {contribution.device}")
