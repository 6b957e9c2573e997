"""`noisekit train`: train (or describe) the two-stage U-Net denoiser from the manifests of a data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from noisekit.commands.common import lock_if_inside, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import TrainOptions


def _range(value: tuple[float, float] | None) -> tuple[float, float] | None:
    if not value:
        return None
    lo, hi = value
    if lo > hi:
        raise click.BadParameter(f"range {lo} {hi}: the low end is above the high end")
    return (lo, hi)


@click.command("train")
@click.option(
    "--data",
    "data",
    envvar="NOISEKIT_DATA",
    show_envvar=True,
    type=click.Path(file_okay=False),
    help="The data directory (clean.parquet, noise.parquet/tape.parquet). Not needed with --describe.",
)
@click.option("--out", type=click.Path(file_okay=False), help="Run folder for checkpoints and logs.")
@click.option("--preset", default=TrainOptions.preset, show_default=True, type=click.Choice(["small", "paper"]))
@click.option("--describe", is_flag=True, help="Print parameters and multiply-adds per second of audio, then exit.")
@click.option("--steps", type=int, help="Total optimisation steps (preset default if omitted).")
@click.option("--batch-size", type=int, help="Examples per step and process.")
@click.option("--lr", type=float, help="Initial learning rate (divided by 10 every --lr-step steps).")
@click.option("--lr-step", type=int, help="Steps between learning-rate drops (default 100000).")
@click.option("--crop", "crop_s", type=float, help="Training crop length in seconds.")
@click.option(
    "--noise",
    type=click.Choice(["gramophone", "tape"]),
    default=TrainOptions.noise,
    help="Mix preset: SNR 2-20 dB / gain -6..4 dB (gramophone, the default), or 6-32 dB / -6..0 dB (tape).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["gramophone", "tape"]),
    help="Noise kinds to draw from (repeatable; default: the --noise preset's kind).",
)
@click.option("--device-id", "devices", multiple=True, help="Only tape noise from these capture devices.")
@click.option("--snr", nargs=2, type=float, help="SNR range in dB, e.g. --snr 2 20.")
@click.option("--gain", nargs=2, type=float, help="Gain (β) range in dB, e.g. --gain -6 4.")
@click.option(
    "--rumble-share",
    type=click.FloatRange(0.0, 1.0),
    help="Share of training examples whose noise gets added low-frequency rumble (3 Hz to 15-60 Hz, -6 to "
    "+15 dB over the noise): real run-ins are often rumble-dominated. Default 0.",
)
@click.option("--seed", type=int, default=TrainOptions.seed, help="Seed of the run (default 0).")
@click.option("--ckpt-every", type=int, help="Checkpoint every N steps.")
@click.option("--val-every", type=int, help="Validate every N steps.")
@click.option("--val-examples", type=int, help="Size of the fixed validation set.")
@click.option("--workers", type=int, help="DataLoader worker processes.")
@click.option("--threads", type=int, default=TrainOptions.threads, help="Torch CPU threads (0: torch's default).")
@click.option("--max-minutes", type=float, help="Stop (with a checkpoint) after this much wall time.")
@click.option("--device", default=TrainOptions.device, show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option(
    "--init",
    "init",
    metavar="PATH|shipped",
    help="Start a new run from these weights (fine-tuning); 'shipped' = the model in denoiser/weights/.",
)
@click.option(
    "--export",
    "export",
    nargs=2,
    type=(click.Path(dir_okay=False, exists=True), click.Path()),
    help="Export CHECKPOINT to STEM.safetensors + STEM.json (for denoise/evaluate), then exit.",
)
def train_command(
    data: str | None, out: str | None, preset: str, describe: bool, export: tuple[str, str] | None, **opts
) -> None:
    """Train the denoiser on mixtures made on the fly: X = β(Y + αN), clean music Y and real noise N.

    Multi-GPU: `torchrun --nproc_per_node N -m noisekit train ...` (DistributedDataParallel).
    """
    from noisekit.denoiser.describe import describe as describe_model
    from noisekit.denoiser.model import preset as model_preset

    if describe:
        for line in describe_model(model_preset(preset)).lines(preset):
            click.echo(line)
        return
    if export:
        from noisekit.denoiser.checkpoint import export_weights, load_checkpoint

        st_path, js_path = export_weights(load_checkpoint(export[0]), export[1])
        summary(f"exported {export[0]} to {st_path} and {js_path}")
        return
    if not data or not out:
        raise click.UsageError("--data and --out are required to train (or pass --describe)")
    from noisekit.pipelines.stages import run_train

    resume = opts.pop("resume")
    opts.update(snr_db=_range(opts.pop("snr")), gain_db=_range(opts.pop("gain")))
    values: dict[str, Any] = {k: tuple(v) or None if isinstance(v, tuple) else v for k, v in opts.items()}
    options = TrainOptions(out=out, preset=preset, **values)
    with lock_if_inside(DataDir(data), out, "train"):
        result = run_train(DataDir(data), Path(out), options, resume=resume)
    val = result.val
    val_text = f", val ΔSNR {val['val_dsnr']:.2f} dB" if val else ""
    summary(
        f"trained {preset} to step {result.step} ({result.steps_per_s:.2f} steps/s), "
        f"loss {result.last_loss:.4f}{val_text}; checkpoint {result.checkpoint}"
    )
