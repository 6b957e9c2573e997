"""`noisekit restore`: gate, declick, denoise and inpaint recordings (thin: parses options, calls the pipeline)."""

from __future__ import annotations

from pathlib import Path

import click

from noisekit.commands.common import LibraryDefault, finish, given


def _restore_defaults():  # noqa: ANN202 (the type lives in the module this keeps out of `--help`'s start)
    """The library's restore options (imported only when needed: the declicker takes seconds to import)."""
    from noisekit.pipelines.restore import RestoreOptions

    return RestoreOptions()


def _steps(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    from noisekit.pipelines.restore import STEPS

    if value is None:
        return None
    steps = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        raise click.BadParameter(f"unknown step(s) {unknown or value!r}; choose from {','.join(STEPS)}")
    return tuple(s for s in STEPS if s in steps)  # always run in chain order


@click.command("restore")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for <stem>_restored.wav, _residual.wav, _clicks.csv and _restore.json.",
)
@click.option(
    "--steps",
    cls=LibraryDefault,
    library_default=lambda: ",".join(_restore_defaults().steps),
    callback=_steps,
    help="Comma-separated steps, run in the order gate, declick, denoise, inpaint.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Denoiser checkpoint (.pt) or exported weights (.safetensors); default: the shipped model.",
)
@click.option(
    "--denoiser",
    "denoiser_kind",
    type=click.Choice(["auto", "model", "lsa"]),
    default="auto",
    show_default=True,
    help="auto: the model if one is given or shipped, else the classical LSA.",
)
@click.option(
    "--stretch",
    "stretch_s",
    type=click.FloatRange(min=1.0),
    cls=LibraryDefault,
    library_default=lambda: _restore_defaults().stretch_s,
    help="Gate decision length in seconds.",
)
@click.option(
    "--click-threshold",
    type=click.FloatRange(min=0.5),
    cls=LibraryDefault,
    library_default=lambda: _restore_defaults().declick.threshold,
    help="Click detection threshold in local robust standard deviations of the AR prediction error, where the "
    "error is heavy-tailed (music); where it is near-Gaussian (hiss) 6 holds.",
)
@click.option(
    "--ar-order",
    type=click.IntRange(min=2, max=200),
    cls=LibraryDefault,
    library_default=lambda: _restore_defaults().declick.order,
    help="AR model order of the click detector and interpolator.",
)
@click.option(
    "--max-click-ms",
    type=click.FloatRange(min=0.05),
    cls=LibraryDefault,
    library_default=lambda: _restore_defaults().declick.max_click_s * 1000,
    help="Longer detections are reported, not interpolated.",
)
@click.option(
    "--max-gap-ms",
    type=click.FloatRange(min=0.1),
    cls=LibraryDefault,
    library_default=lambda: _restore_defaults().inpaint.max_gap_s * 1000,
    help="Longer gaps are reported, not invented.",
)
def restore_command(
    inputs: tuple[Path, ...],
    out_dir: Path,
    steps: tuple[str, ...] | None,
    checkpoint: Path | None,
    denoiser_kind: str,
    stretch_s: float | None,
    click_threshold: float | None,
    ar_order: int | None,
    max_click_ms: float | None,
    max_gap_ms: float | None,
) -> None:
    """Restore recordings (files, or every audio file in a folder): clean/noisy gate, AR click removal,
    denoising and LPC gap inpainting.

    Clean stretches (as the gate judges them) pass through bit-exact. Writes the restored file, the residual
    (what was removed), the click map and a JSON report of what each step did.
    """
    from dataclasses import replace

    from noisekit.api.restore import restore_many
    from noisekit.pipelines.restore import RestoreOptions

    options = RestoreOptions() if steps is None else RestoreOptions(steps=steps)
    if stretch_s is not None:
        options.stretch_s = stretch_s
    max_click_s = max_click_ms / 1000 if max_click_ms is not None else None
    options.declick = replace(
        options.declick, **given(threshold=click_threshold, order=ar_order, max_click_s=max_click_s)
    )
    if max_gap_ms is not None:
        options.inpaint = replace(options.inpaint, max_gap_s=max_gap_ms / 1000)
    denoiser = "lsa" if denoiser_kind == "lsa" else (checkpoint or denoiser_kind)
    results, failed, name = restore_many(inputs, out_dir, options.steps, denoiser=denoiser, options=options)
    if name:
        click.echo(f"denoiser: {name}", err=True)
    seconds = sum(r.report["duration_s"] for r in results)
    spent = sum(sum(r.report["seconds"].values()) for r in results)
    clicks = sum(r.report.get("declick", {}).get("clicks", 0) for r in results)
    filled = sum(r.report.get("inpaint", {}).get("filled", 0) for r in results)
    noisy = sum(r.report["gate"].get("noisy_s", r.report["duration_s"]) for r in results)
    speed = f"{seconds / spent:.1f}x real time" if spent > 0 else "-"
    finish(
        f"restore: {len(results)} file(s), {seconds:.1f} s of audio ({noisy:.1f} s processed, "
        f"{seconds - noisy:.1f} s passed through), {clicks} clicks removed, {filled} gaps filled, "
        f"{len(failed)} failed, {speed} -> {out_dir}",
        list(failed.values()),
    )
