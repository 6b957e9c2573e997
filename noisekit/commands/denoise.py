"""`noisekit denoise`: restore whole recordings with the two-stage U-Net (chunked, streaming inference)."""

from __future__ import annotations

import click

from noisekit.commands.common import finish
from noisekit.pipelines.options import MIN_DENOISE_CHUNK_S, PRECISIONS, DenoiseOptions


@click.command("denoise")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for <name>_denoised.wav and <name>_residual.wav.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A training checkpoint (.pt) or exported weights (.safetensors with its .json); "
    "default: the model shipped in denoiser/weights/.",
)
@click.option("--device", default=DenoiseOptions.device, show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option(
    "--chunk-s",
    default=DenoiseOptions.chunk_s,
    show_default=True,
    type=click.FloatRange(min=MIN_DENOISE_CHUNK_S),
    help="Chunk length in seconds; each inner edge's 0.5 s is discarded and neighbours cross-faded.",
)
@click.option(
    "--batch-size",
    default=DenoiseOptions.batch_size,
    show_default=True,
    type=click.IntRange(min=1),
    help="Chunks per model call.",
)
@click.option(
    "--precision",
    default=DenoiseOptions.precision,
    show_default=True,
    type=click.Choice(PRECISIONS),
    help="Arithmetic of the model: bfloat16 is 1.8x faster on CPUs with AVX512-BF16 (and on GPUs) and changes "
    "the output by about -47 dB; elsewhere it can be slower.",
)
@click.option("--threads", default=None, type=click.IntRange(min=1), help="CPU threads for torch.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
def denoise_command(
    inputs: tuple[str, ...],
    out_dir: str,
    checkpoint: str | None,
    device: str,
    chunk_s: float,
    batch_size: int,
    precision: str,
    threads: int | None,
    progress: bool,
) -> None:
    """Denoise audio files of any length, rate and channel count (folders: every audio file inside).

    Each file is resampled to 44.1 kHz, cut into overlapping chunks, denoised and joined by overlap-add,
    streamed so that an hour-long side runs in bounded memory. Outputs keep the input's length, rate and
    channels; the residual is input minus denoised: what was removed.
    """
    import torch  # noqa: PLC0415 (keeps `--help` fast)

    from noisekit.api.denoise import load_denoiser  # noqa: PLC0415

    if threads:
        torch.set_num_threads(threads)
    denoiser = load_denoiser(checkpoint, device, chunk_s=chunk_s, batch_size=batch_size, precision=precision)
    run = denoiser.denoise_files(inputs, out_dir, progress=progress)
    speed = run.audio_s / run.work_s if run.work_s else 0.0
    finish(
        f"denoised {len(run.results)} file(s), {run.audio_s / 60:.1f} min of audio in {run.work_s:.1f} s "
        f"({speed:.2f}× real time, {denoiser.name} on {denoiser.device.type})"
        + (f"; {len(run.failures)} failed" if run.failures else "")
        + f" -> {out_dir}",
        run.failures,
    )
