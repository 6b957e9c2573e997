"""`noisekit evaluate`: score the denoiser and the classical baselines on fixed test mixtures."""

from __future__ import annotations

import click

from noisekit.commands.common import data_option, locks_data, summary
from noisekit.datadir import DataDir
from noisekit.pipelines.options import EvaluateOptions


@click.command("evaluate")
@data_option
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The model to evaluate (.pt or .safetensors); default: the shipped model if there is one, "
    "else only the baselines.",
)
@click.option(
    "--snr",
    "snrs",
    type=float,
    multiple=True,
    default=EvaluateOptions.snr,
    show_default=True,
    help="Input SNR in dB of the test mixtures (repeatable).",
)
@click.option(
    "--methods",
    default=None,
    metavar="NAMES",
    help="Comma-separated methods (default: all): unet, input, noisereduce-stationary, "
    "noisereduce-nonstationary, logmmse, wiener, lsa, classical-chain.",
)
@click.option(
    "--examples",
    default=EvaluateOptions.examples,
    show_default=True,
    type=click.IntRange(min=1),
    help="Test examples per noise kind (each at every SNR).",
)
@click.option(
    "--clip-s",
    default=EvaluateOptions.clip_s,
    show_default=True,
    type=click.FloatRange(min=0.5),
    help="Length of each test clip in seconds.",
)
@click.option(
    "--kinds",
    default=",".join(EvaluateOptions.kinds),
    show_default=True,
    help="Noise kinds to test (those with no test segments are left out).",
)
@click.option("--seed", default=EvaluateOptions.seed, show_default=True, type=int, help="Seed of the test mixtures.")
@click.option(
    "--split", default=EvaluateOptions.split, show_default=True, type=click.Choice(["train", "valid", "test"])
)
@click.option(
    "--visqol/--no-visqol",
    default=EvaluateOptions.visqol,
    show_default=True,
    help="Score ViSQOL (about a second of CPU per second of audio and method).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Report folder (default: DIR/runs/eval/<checkpoint name or 'baselines'>).",
)
@click.option("--keep-audio", is_flag=True, help="Also write every method's output as WAV under OUT/audio/.")
@click.option("--threads", default=None, type=click.IntRange(min=1), help="CPU threads for torch.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
@locks_data()
def evaluate_command(
    data: DataDir,
    checkpoint: str | None,
    snrs: tuple[float, ...],
    methods: str | None,
    examples: int,
    clip_s: float,
    kinds: str,
    seed: int,
    split: str,
    visqol: bool,
    out_dir: str | None,
    keep_audio: bool,
    threads: int | None,
    progress: bool,
) -> None:
    """Build test mixtures once (cached under DIR/runs/eval-cache/), run each method, and write a Markdown
    and JSON table of ΔSNR, ΔSI-SDR, ViSQOL and MR-STFT distance (mean and 95 % interval) by noise kind
    and input SNR, with plots. Scores are cached per method (keyed by its code, and by the weights for
    the model), so evaluating a new checkpoint on the same mixtures only runs the model.
    """
    from noisekit.denoiser.checkpoint import find_model  # noqa: PLC0415 (keeps `--help` fast)
    from noisekit.pipelines.stages import run_evaluate  # noqa: PLC0415

    model_path = find_model(checkpoint)
    if model_path is None:
        click.secho("note: no --checkpoint and no shipped model: evaluating the baselines only", fg="yellow", err=True)
    options = EvaluateOptions(
        checkpoint=str(model_path) if model_path else None,
        out=out_dir,
        snr=tuple(snrs),
        examples=examples,
        clip_s=clip_s,
        kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()),
        seed=seed,
        split=split,
        methods=tuple(n.strip() for n in methods.split(",") if n.strip()) if methods else None,
        visqol=visqol,
        keep_audio=keep_audio,
        threads=threads,
        progress=progress,
    )
    result, paths = run_evaluate(data, options)
    best = max((s for s in result.summary if s["snr_db"] == "all"), key=lambda s: s["delta_snr"]["mean"])
    summary(
        f"evaluated {len(result.methods)} method(s) on {len(result.rows) // len(result.methods)} mixtures; "
        f"best mean ΔSNR {best['delta_snr']['mean']:.2f} dB ({best['method']}, {best['kind']}) "
        f"-> {paths['markdown']}"
    )
