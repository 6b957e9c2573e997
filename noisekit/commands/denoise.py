"""`noisekit denoise`: restore whole recordings with the two-stage U-Net (chunked, streaming inference)."""

from __future__ import annotations

import click

from noisekit.commands.common import finish
from noisekit.outputs import output_stems


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
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option(
    "--chunk-s",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.2),
    help="Chunk length in seconds; chunks overlap by 2048 samples.",
)
@click.option("--batch-size", default=4, show_default=True, type=click.IntRange(min=1), help="Chunks per model call.")
@click.option("--threads", default=None, type=click.IntRange(min=1), help="CPU threads for torch.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the progress bar.")
def denoise_command(
    inputs: tuple[str, ...],
    out_dir: str,
    checkpoint: str | None,
    device: str,
    chunk_s: float,
    batch_size: int,
    threads: int | None,
    progress: bool,
) -> None:
    """Denoise audio files of any length, rate and channel count (folders: every audio file inside).

    Each file is resampled to 44.1 kHz, cut into overlapping chunks, denoised and joined by overlap-add,
    streamed so that an hour-long side runs in bounded memory. Outputs keep the input's length, rate and
    channels; the residual is input minus denoised: what was removed.
    """
    import torch  # noqa: PLC0415 (keeps `--help` fast)
    from tqdm import tqdm  # noqa: PLC0415

    from noisekit.audio import audio_info  # noqa: PLC0415
    from noisekit.denoiser.inference import denoise_file, resolve_model, wave_fn  # noqa: PLC0415
    from noisekit.denoiser.train import pick_device  # noqa: PLC0415
    from noisekit.errors import ConfigError, NoisekitError  # noqa: PLC0415

    if threads:
        torch.set_num_threads(threads)
    dev = pick_device(device)
    loaded = resolve_model(checkpoint, dev)
    fn = wave_fn(loaded.model.to(dev), dev)
    stems = output_stems(inputs, out_dir)  # one name per input; an --out inside an input folder is refused
    files = list(stems)
    sizes, failures = {}, []
    for f in files:
        try:
            sizes[f] = audio_info(f).duration_s
        except NoisekitError as exc:
            sizes[f] = None
            failures.append(str(exc))
    done, audio_s, work_s = 0, 0.0, 0.0
    total = sum(s for s in sizes.values() if s)
    with tqdm(
        total=round(total, 1),
        unit="s",
        desc="denoising",
        disable=not progress,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]",
    ) as bar:
        for f, dur in sizes.items():
            if dur is None:
                continue
            base = bar.n
            info = audio_info(f)

            def tick(frames: int, base: float = base, sr: int = info.sample_rate) -> None:
                bar.n = round(base + frames / sr, 1)
                bar.refresh()

            try:
                result = denoise_file(
                    f, out_dir, fn, chunk_s=chunk_s, batch_size=batch_size, progress=tick, stem=stems[f]
                )
            except ConfigError:
                raise  # a setting that fits no file stops the run
            except NoisekitError as exc:
                failures.append(str(exc))
                continue
            bar.n = round(base + dur, 1)
            bar.refresh()
            done += 1
            audio_s += result.duration_s
            work_s += result.elapsed_s
    speed = audio_s / work_s if work_s else 0.0
    finish(
        f"denoised {done} file(s), {audio_s / 60:.1f} min of audio in {work_s:.1f} s "
        f"({speed:.2f}× real time, {loaded.source.name} on {dev.type})"
        + (f"; {len(failures)} failed" if failures else "")
        + f" -> {out_dir}",
        failures,
    )
