"""`noisekit ingest-tape` and `noisekit contribute`: blank-tape noise captures from archives' own decks."""

from __future__ import annotations

from collections.abc import Callable

import click

from noisekit.commands.common import data_option, finish, locks_data, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import NOISE_REDUCTION, CaptureDetails, ContributeOptions, IngestTapeOptions


def _metadata_options(func: Callable) -> Callable:
    """The capture metadata both commands take (CaptureDetails' fields), the new-device flag and the classifier."""
    options = [
        click.option(
            "--tape-stock",
            default=CaptureDetails.tape_stock,
            help="The blank tape played, e.g. 'ATR Magnetics 1/4\"' or 'TDK HX-S60'.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["open-reel", "cassette"]),
            default=CaptureDetails.format,
            help="Tape format (default: the registry's format for the deck).",
        ),
        click.option(
            "--noise-reduction",
            type=click.Choice(NOISE_REDUCTION),
            default=CaptureDetails.noise_reduction,
            show_default=True,
            help="Noise reduction decoding engaged on playback.",
        ),
        click.option(
            "--chain",
            default=CaptureDetails.chain,
            help="Capture chain, e.g. 'deck line out -> RME ADI-2, 96 kHz/24 bit'.",
        ),
        click.option(
            "--contributor", default=CaptureDetails.contributor, help="Person or institution contributing the captures."
        ),
        click.option(
            "--license",
            "license_",
            default=CaptureDetails.license,
            metavar="SPDX",
            help="Licence of the captures as an SPDX identifier, e.g. CC-BY-4.0 or CC0-1.0.",
        ),
        click.option(
            "--new-device",
            is_flag=True,
            default=IngestTapeOptions.new_device,
            help="The deck is not in the registry: add it.",
        ),
        click.option(
            "--model",
            type=click.Path(exists=True),
            default=IngestTapeOptions.model,
            help="Classifier checkpoint for the content check; default: the shipped weights.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _details(
    tape_stock: str | None,
    fmt: str | None,
    noise_reduction: str,
    chain: str | None,
    contributor: str | None,
    license_: str | None,
) -> dict:
    """The metadata flags by their CaptureDetails field names (the flags avoid the builtins' names)."""
    return CaptureDetails(
        tape_stock=tape_stock,
        format=fmt,
        noise_reduction=noise_reduction,
        chain=chain,
        contributor=contributor,
        license=license_,
    ).details()


def _classifier(model: str | None):
    from noisekit.classifier import load_classifier  # noqa: PLC0415 (keeps `--help` fast)

    return load_classifier(model)


@click.command("ingest-tape")
@data_option
@click.option(
    "--device", default=IngestTapeOptions.device, help="The deck, e.g. 'Revox A77 (HS)'; spellings are normalised."
)
@click.option(
    "--speed", type=float, default=IngestTapeOptions.speed_ips, metavar="IPS", help="Tape speed in inches per second."
)
@_metadata_options
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Ingest a contribution bundle (made by `noisekit contribute`) instead of FILEs.",
)
@click.option(
    "--progress/--no-progress", default=IngestTapeOptions.progress, show_default=True, help="Show the progress bar."
)
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
    from noisekit.pipelines.stages import run_ingest_tape  # noqa: PLC0415

    if bundle and (files or device or speed is not None):
        raise click.UsageError("--bundle takes no FILEs, --device or --speed (the bundle says them)")
    if not bundle and (not files or not device or speed is None):
        raise click.UsageError("give --device, --speed and at least one FILE (or --bundle)")
    options = IngestTapeOptions(
        bundles=(bundle,) if bundle else (),
        files=files,
        device=device,
        speed_ips=speed,
        new_device=new_device,
        model=model,
        progress=progress,
        **_details(tape_stock, fmt, noise_reduction, chain, contributor, license_),
    )
    (result,) = run_ingest_tape(data, options)
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
@click.option("--date", default=ContributeOptions.date, help="Date of the captures, YYYY-MM-DD (default: today).")
@click.option(
    "--notes", default=ContributeOptions.notes, help="Anything else worth knowing: servicing, calibration, quirks."
)
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

    options = ContributeOptions(
        out,
        device,
        speeds,
        files,
        date=date,
        notes=notes,
        new_device=new_device,
        model=model,
        **_details(tape_stock, fmt, noise_reduction, chain, contributor, license_),
    )
    contribution = build_bundle(
        options.out,
        list(options.files),
        CaptureMeta(options.device, options.speeds[0], **options.details()),
        speeds=list(options.speeds),
        classifier=_classifier(options.model),
        date=options.date,
        notes=options.notes,
        new_device=options.new_device,
    )
    for cap in contribution.captures:
        click.echo(f"{cap['source']}: {cap['speed_ips']:g} ips, {cap['duration_s']:.1f} s, {cap['sample_rate']} Hz")
        for check in cap["checks"]:
            click.echo(f"  {check['name']:<17} {check['detail']}")
    minutes = sum(c["duration_s"] for c in contribution.captures) / 60
    summary(f"wrote {out}: {len(contribution.captures)} capture(s), {minutes:.1f} min of {contribution.device}")
