"""The denoiser from Python: :func:`load_denoiser` gives a :class:`Denoiser` (the shape of demucs' api.Separator)
whose calls are what `noisekit denoise` runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from noisekit.api.inputs import check_array
from noisekit.audio import audio_info
from noisekit.denoiser.checkpoint import find_model, load_model
from noisekit.denoiser.inference import (
    CHUNK_S,
    NO_MODEL_HELP,
    DenoiseResult,
    ModelWave,
    denoise_array,
    denoise_file,
    wave_fn,
)
from noisekit.denoiser.train import pick_device
from noisekit.errors import ConfigError, NoisekitError
from noisekit.outputs import output_stems
from noisekit.pipelines.options import MIN_DENOISE_CHUNK_S as MIN_CHUNK_S
from noisekit.pipelines.options import DenoiseOptions


@dataclass
class DenoiseRun:
    """What :meth:`Denoiser.denoise_files` did: the files written, the failures (one line each) and the time."""

    results: list[DenoiseResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def audio_s(self) -> float:
        return sum(r.duration_s for r in self.results)

    @property
    def work_s(self) -> float:
        return sum(r.elapsed_s for r in self.results)


class Denoiser:
    """A loaded two-stage U-Net with its chunking: :meth:`denoise` for arrays, :meth:`denoise_file` for files."""

    def __init__(
        self,
        model: torch.nn.Module,
        source: Path,
        device: torch.device,
        chunk_s: float,
        batch_size: int,
        precision: str = DenoiseOptions.precision,
    ):
        if chunk_s < MIN_CHUNK_S or batch_size < 1:
            raise ConfigError(f"chunk_s must be >= {MIN_CHUNK_S} and batch_size >= 1, got {chunk_s} and {batch_size}")
        self.model, self.source, self.device = model.to(device), source, device
        self.chunk_s, self.batch_size = chunk_s, batch_size
        self.wave: ModelWave = wave_fn(self.model, device, precision)

    @property
    def name(self) -> str:
        """The weights' file name, e.g. small.safetensors."""
        return self.source.name

    def denoise(self, audio: Any, sample_rate: int) -> np.ndarray:
        """Denoised audio of the input's shape and rate: (samples,) or (channels, samples), numpy or torch."""
        x, sr = check_array(audio, sample_rate)
        y = denoise_array(x, sr, self.wave, chunk_s=self.chunk_s, batch_size=self.batch_size)
        return y[0] if np.ndim(audio) == 1 else y

    def denoise_file(
        self,
        path: str | Path,
        out_dir: str | Path,
        stem: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> DenoiseResult:
        """Stream one file into ``out_dir/<stem>_denoised.wav`` and ``<stem>_residual.wav`` (bounded memory)."""
        return denoise_file(
            path, out_dir, self.wave, chunk_s=self.chunk_s, batch_size=self.batch_size, progress=progress, stem=stem
        )

    def denoise_files(self, inputs: Sequence[str | Path], out_dir: str | Path, progress: bool = True) -> DenoiseRun:
        """Denoise files and folders (every audio file inside) into ``out_dir``; a bad file is a failure line and
        the others go on, while a setting that fits no file (ConfigError) stops the run."""
        stems = output_stems(inputs, out_dir)  # one name per input; an out_dir inside an input folder is refused
        run, sizes = DenoiseRun(), {}
        for f in stems:
            try:
                sizes[f] = audio_info(f)
            except NoisekitError as exc:
                run.failures.append(str(exc))
        fmt = "{l_bar}{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]"
        total = round(sum(i.duration_s for i in sizes.values()), 1)
        with tqdm(total=total, unit="s", desc="denoising", disable=not progress, bar_format=fmt) as bar:
            for f, info in sizes.items():
                base = bar.n

                def tick(frames: int, base: float = base, sr: int = info.sample_rate) -> None:
                    bar.n = round(base + frames / sr, 1)
                    bar.refresh()

                try:
                    run.results.append(self.denoise_file(f, out_dir, stems[f], tick))
                except ConfigError:
                    raise
                except NoisekitError as exc:
                    run.failures.append(str(exc))
                    continue
                bar.n = round(base + info.duration_s, 1)
                bar.refresh()
        return run


def load_denoiser(
    name_or_path: str | Path | None = None,
    device: str = "cpu",
    chunk_s: float = CHUNK_S,
    batch_size: int = DenoiseOptions.batch_size,
    precision: str = DenoiseOptions.precision,
) -> Denoiser:
    """A :class:`Denoiser` from a checkpoint (.pt), exported weights (.safetensors with its .json), a shipped
    model's name ('small'), or None for the shipped model; ``device`` 'cpu', 'cuda' or 'auto'; ``precision``
    'float32' or 'bfloat16' (autocast: faster where the CPU or GPU has bfloat16 units)."""
    dev = pick_device(device)
    path = find_model(name_or_path)
    if path is None:
        raise NoisekitError(NO_MODEL_HELP)
    return Denoiser(load_model(path, map_location=dev).model, path, dev, chunk_s, batch_size, precision)
