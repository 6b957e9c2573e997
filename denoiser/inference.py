"""Chunked inference on recordings of any length, rate and channel count, with no seam in the output.

Audio is resampled to the model's rate (44.1 kHz) and every channel is cut into chunks of ``chunk_s``
seconds. A chunk's edges see zero or reflected padding that the whole recording would not, so the
model's output there differs from what it would give on the unbroken signal; that difference fades
within ``context`` samples of the edge (0.5 s: beyond it the shipped ``small`` model's output changes by
less than −100 dB). So, as in demucs' ``apply_model``, chunks overlap by ``2·context + overlap`` samples:
each inner edge's ``context`` samples are discarded and the kept parts of neighbours are joined with
complementary sin²/cos² ramps of ``overlap`` samples (summing to exactly 1). The recording's own ends
are extended by ``context`` samples of their mirror image, whose output is dropped, so that no chunk
edge effect reaches the output there either. Chunk starts are a multiple
of the model's STFT hop times 2^depth apart, so every chunk sees the same STFT frames and U-Net grid as
the whole recording would: the output does not depend on the chunk length. :class:`ChunkedDenoiser`
does this incrementally; :func:`denoise_file` streams a one-hour side through it in bounded memory and
writes the denoised signal and the residual (input minus denoised) with the input's length, rate and
channels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr
import torch

from noisekit.audio import SAMPLE_RATE, audio_info, iter_blocks, resample, write_errors
from noisekit.errors import ConfigError
from noisekit.fsutil import atomic_path, check_safe_name
from noisekit.pipelines.options import PRECISIONS, DenoiseOptions
from noisekit.signal import crossfade

WaveFn = Callable[[torch.Tensor], torch.Tensor]
"""A denoiser on waveforms: ``(batch, samples)`` float32 tensor in, the same shape out."""

CHUNK_S = DenoiseOptions.chunk_s
DTYPES = dict(zip(PRECISIONS, (torch.float32, torch.bfloat16), strict=True))
CONTEXT_S = 0.5  # discarded at each inner chunk edge; measured in docs/denoiser.md ("Seam-free chunks")
OVERLAP = 4096  # crossfade between the kept parts of neighbouring chunks
MIN_CHUNK = 2048  # an input shorter than this is zero-padded so the STFT has a full window


@dataclass(frozen=True)
class Geometry:
    """How a denoiser must be chunked: chunk starts ``align`` samples apart (a multiple), ``context`` discarded."""

    align: int = 1
    context: int = 0


class ModelWave:
    """A model as a no-grad :data:`WaveFn`, with the chunk :class:`Geometry` its STFT and U-Net need.

    On the CPU the module's weights are switched to the channels-last memory format (in place). With
    ``precision="bfloat16"`` the model runs under autocast (convolutions in bfloat16, float32 out).
    """

    def __init__(
        self,
        model: torch.nn.Module | WaveFn,
        device: str | torch.device = "cpu",
        precision: str = DenoiseOptions.precision,
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.call = getattr(model, "denoise_wave", model)
        self.device, self.precision = device, precision
        if isinstance(model, torch.nn.Module):
            model.eval()
            if torch.device(device).type == "cpu":
                # oneDNN's NHWC convolutions: 1.8x faster on this CPU, the same output to -128 dB
                model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        cfg: Any = getattr(model, "cfg", None)  # duck-typed: any model whose config has the STFT grid
        has_grid = all(hasattr(cfg, k) for k in ("hop", "depth", "sample_rate"))
        self.geometry = (
            Geometry(cfg.hop * 2**cfg.depth, int(round(CONTEXT_S * cfg.sample_rate))) if has_grid else Geometry()
        )

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        dtype = DTYPES[self.precision]
        with torch.inference_mode(), torch.autocast(torch.device(self.device).type, dtype, dtype != torch.float32):
            return self.call(wave.to(self.device)).float().cpu()


def wave_fn(
    model: torch.nn.Module | WaveFn, device: str | torch.device = "cpu", precision: str = DenoiseOptions.precision
) -> ModelWave:
    """Wrap a model as a no-grad :data:`WaveFn`: the two-stage U-Net via ``denoise_wave``, else its call."""
    return model if isinstance(model, ModelWave) else ModelWave(model, device, precision)


NO_MODEL_HELP = (
    "no denoiser model: this installation ships none in denoiser/weights/. Train one with\n"
    "  noisekit train --data DIR --out RUN --preset small\n"
    "and pass --checkpoint RUN/last.pt (or an exported NAME.safetensors with its NAME.json)."
)


class ChunkedDenoiser:
    """Incremental overlapping-chunk inference on ``(channels, samples)`` blocks at the model's rate.

    Chunk ``i`` covers input ``[i·hop, i·hop + chunk)``; its weight is 0 on the first and last ``context``
    samples, a sin²/cos² ramp over the next ``overlap`` samples inwards and 1 between, except at the
    start and end of the input (first extended by ``context`` mirrored samples, whose output is dropped),
    which no other chunk covers. :meth:`push` takes input and returns the
    output samples that are final; :meth:`finish` flushes the rest. The concatenated outputs have exactly
    the length of the concatenated inputs. ``geometry`` defaults to the one of a :class:`ModelWave`.
    """

    def __init__(
        self,
        fn: WaveFn,
        channels: int,
        sr: int = SAMPLE_RATE,
        chunk_s: float = CHUNK_S,
        overlap: int = OVERLAP,
        batch_size: int = DenoiseOptions.batch_size,
        geometry: Geometry | None = None,
    ) -> None:
        geo = geometry or (fn.geometry if isinstance(fn, ModelWave) else Geometry())
        wanted = int(round(chunk_s * sr))
        self.hop = (wanted - 2 * geo.context - overlap) // geo.align * geo.align
        if overlap < 1 or geo.context < 0 or self.hop < 1:
            raise ConfigError(
                f"a chunk of {wanted} samples leaves no hop (a multiple of {geo.align}) after discarding "
                f"2 × {geo.context} context samples and crossfading {overlap}: use a longer chunk"
            )
        if channels < 1 or batch_size < 1:
            raise ConfigError("channels and batch_size must be at least 1")
        self.fn, self.channels, self.overlap, self.batch_size = fn, channels, overlap, batch_size
        self.context = geo.context
        self.chunk = self.hop + 2 * geo.context + overlap
        self.fade_in, self.fade_out = (w.astype(np.float32) for w in crossfade(overlap))
        self._buf = np.zeros((channels, 0), dtype=np.float32)  # input from the next chunk's start
        self._pending = np.zeros((channels, overlap), dtype=np.float32)  # weighted output in the next fade-in
        self._first = True
        self._mirrored = False  # whether the input's start has been extended by its mirror image
        self._drop = geo.context  # output samples of that extension still to drop
        self.chunks_done = 0

    def _run(self, chunks: np.ndarray, length: int) -> np.ndarray:
        """Denoise ``(n, channels, length)`` chunks in batches of ``batch_size`` chunks; float32 out."""
        n = chunks.shape[0]
        flat = torch.from_numpy(np.ascontiguousarray(chunks.reshape(n * self.channels, length)))
        step = self.batch_size * self.channels
        out = [self.fn(flat[i : i + step]) for i in range(0, flat.shape[0], step)]
        result = torch.cat(out).numpy().astype(np.float32, copy=False)
        if result.shape != (n * self.channels, length):
            raise ValueError(f"the model returned shape {result.shape} for input {(n * self.channels, length)}")
        self.chunks_done += n
        return result.reshape(n, self.channels, length)

    def _weight(self, length: int, first: bool, final: bool) -> np.ndarray:
        """A chunk's weight: zero over each inner edge's context, ramps over ``overlap``, one between."""
        c, f = self.context, self.overlap
        w = np.ones(length, dtype=np.float32)
        if not first:
            w[:c] = 0.0
            w[c : c + f] = self.fade_in
        if not final:
            w[length - c - f : length - c] = self.fade_out
            w[length - c :] = 0.0
        return w

    def _mirror(self, audio: np.ndarray, before: bool) -> np.ndarray:
        """``audio`` extended by ``context`` samples of its mirror image before (else after) it."""
        return np.pad(audio, ((0, 0), (self.context, 0) if before else (0, self.context)), mode="reflect")

    def _trim(self, out: np.ndarray, final: bool) -> np.ndarray:
        """Drop the output of the mirrored extensions: what remains aligns with the input."""
        out, self._drop = out[:, self._drop :], max(0, self._drop - out.shape[1])
        return out[:, : out.shape[1] - self.context] if final else out

    def _emit(self, outs: np.ndarray, final: bool) -> np.ndarray:
        """Weight and add denoised chunks (hop apart) onto the pending fade; return the final samples.

        Positions are relative to the first chunk's start; the samples before ``context`` (after it, once
        a first chunk has run) were returned by the previous call, which kept what lies in this chunk's
        fade-in as ``_pending``.
        """
        n, _, length = outs.shape
        total = (n - 1) * self.hop + length
        acc = np.zeros((self.channels, max(total, self.context + self.overlap)), dtype=np.float32)
        for i in range(n):
            w = self._weight(length, self._first and i == 0, final and i == n - 1)
            acc[:, i * self.hop : i * self.hop + length] += outs[i] * w
        begin = 0 if self._first else self.context
        acc[:, begin : begin + self.overlap] += self._pending
        self._first = False
        if final:
            return acc[:, begin:total]
        end = n * self.hop + self.context  # the next chunk's weight is zero before this
        self._pending = acc[:, end : end + self.overlap].copy()
        return acc[:, begin:end]

    def push(self, block: np.ndarray) -> np.ndarray:
        """Add ``(channels, samples)`` input; return the output samples that no later chunk will touch."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"expected ({self.channels}, samples) input, got shape {block.shape}")
        self._buf = np.concatenate((self._buf, block), axis=1)
        if not self._mirrored:
            if self._buf.shape[1] <= self.context:
                return np.zeros((self.channels, 0), dtype=np.float32)
            self._buf, self._mirrored = self._mirror(self._buf, before=True), True
        # a chunk runs only once input extends past it, so the recording's last chunk is never faded out
        ready = (self._buf.shape[1] - self.chunk - 1) // self.hop + 1 if self._buf.shape[1] > self.chunk else 0
        if ready < 1:
            return np.zeros((self.channels, 0), dtype=np.float32)
        chunks = np.stack([self._buf[:, i * self.hop : i * self.hop + self.chunk] for i in range(ready)])
        out = self._emit(self._run(chunks, self.chunk), final=False)
        self._buf = self._buf[:, ready * self.hop :].copy()
        return self._trim(out, final=False)

    def finish(self) -> np.ndarray:
        """Run the last chunk (longer than ``2·context + overlap`` unless it is the only one); return the rest."""
        if self._buf.shape[1] == 0:
            return np.zeros((self.channels, 0), dtype=np.float32)
        if not self._mirrored:
            self._buf, self._mirrored = self._mirror(self._buf, before=True), True
        self._buf = self._mirror(self._buf, before=False)
        n = self._buf.shape[1]
        length = max(n, MIN_CHUNK)
        padded = np.zeros((1, self.channels, length), dtype=np.float32)
        padded[0, :, :n] = self._buf
        out = self._emit(self._run(padded, length)[:, :, :n], final=True)
        self._buf = self._buf[:, :0]
        return self._trim(out, final=True)


def denoise_array(
    audio: np.ndarray,
    sr: int,
    model: torch.nn.Module | WaveFn,
    chunk_s: float = CHUNK_S,
    overlap: int = OVERLAP,
    batch_size: int = DenoiseOptions.batch_size,
    model_sr: int = SAMPLE_RATE,
) -> np.ndarray:
    """Denoise ``(channels, samples)`` (or 1-D) audio at rate ``sr``; returns the same shape and rate."""
    audio = np.asarray(audio, dtype=np.float32)
    squeeze = audio.ndim == 1
    if squeeze:
        audio = audio[None, :]
    if audio.ndim != 2 or audio.shape[1] == 0:
        raise ValueError(f"expected non-empty (channels, samples) audio, got shape {audio.shape}")
    fn = model if not isinstance(model, torch.nn.Module) else wave_fn(model)
    x = resample(audio, sr, model_sr)
    runner = ChunkedDenoiser(fn, audio.shape[0], model_sr, chunk_s, overlap, batch_size)
    y = np.concatenate((runner.push(x), runner.finish()), axis=1)
    y = resample(y, model_sr, sr)
    return _fit(y, audio.shape[1])[0] if squeeze else _fit(y, audio.shape[1])


def _fit(audio: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad the time axis to exactly ``n`` samples (resampling can be off by a few)."""
    if audio.shape[1] >= n:
        return audio[:, :n]
    return np.pad(audio, ((0, 0), (0, n - audio.shape[1])))


class _Reader:
    """Pulls exact numbers of frames from a block iterator (the original input, for the residual)."""

    def __init__(self, blocks: Iterator[np.ndarray], channels: int) -> None:
        self.blocks, self.buf = blocks, np.zeros((channels, 0), dtype=np.float32)

    def take(self, n: int) -> np.ndarray:
        while self.buf.shape[1] < n:
            nxt = next(self.blocks, None)
            if nxt is None:
                break
            self.buf = np.concatenate((self.buf, nxt), axis=1)
        out, self.buf = self.buf[:, :n], self.buf[:, n:]
        return out


@dataclass(frozen=True)
class DenoiseResult:
    """What :func:`denoise_file` wrote and how fast: ``speed`` is seconds of audio per second of work."""

    input: Path
    denoised: Path
    residual: Path
    duration_s: float
    elapsed_s: float

    @property
    def speed(self) -> float:
        return self.duration_s / self.elapsed_s if self.elapsed_s > 0 else math.inf


def output_paths(in_path: str | Path, out_dir: str | Path, stem: str | None = None) -> tuple[Path, Path]:
    """``out_dir/<stem>_denoised.wav`` and ``out_dir/<stem>_residual.wav`` for an input file; `stem` (which
    may hold folders, see noisekit.outputs) defaults to the input's own."""
    stem = check_safe_name(stem, allow_subdirs=True) if stem else check_safe_name(Path(in_path).stem or "audio")
    return Path(out_dir) / f"{stem}_denoised.wav", Path(out_dir) / f"{stem}_residual.wav"


def denoise_file(
    in_path: str | Path,
    out_dir: str | Path,
    model: torch.nn.Module | WaveFn,
    chunk_s: float = CHUNK_S,
    overlap: int = OVERLAP,
    batch_size: int = DenoiseOptions.batch_size,
    block_s: float = 30.0,
    model_sr: int = SAMPLE_RATE,
    progress: Callable[[int], None] | None = None,
    stem: str | None = None,
) -> DenoiseResult:
    """Stream one file through the model, writing ``<stem>_denoised.wav`` and ``<stem>_residual.wav``.

    Memory stays bounded by ``block_s`` and the chunk size whatever the file's length. Both outputs are
    32-bit float WAV (no clipping, so input = denoised + residual exactly) with the input's length,
    rate and channels, written to temporary names and renamed when complete. ``progress`` is called with
    the number of input frames handled after each block.
    """
    info = audio_info(in_path)
    den_path, res_path = output_paths(in_path, out_dir, stem)
    fn = model if not isinstance(model, torch.nn.Module) else wave_fn(model)
    runner = ChunkedDenoiser(fn, info.channels, model_sr, chunk_s, overlap, batch_size)
    back = (
        None
        if info.sample_rate == model_sr
        else soxr.ResampleStream(model_sr, info.sample_rate, info.channels, dtype="float32", quality="HQ")
    )
    original = _Reader(iter_blocks(in_path, block_s=block_s), info.channels)
    start, written, done_in = time.perf_counter(), 0, 0

    def write(y: np.ndarray, den: sf.SoundFile, res: sf.SoundFile, last: bool = False) -> None:
        nonlocal written
        if back is not None:
            y = back.resample_chunk(np.ascontiguousarray(y.T), last=last).T
        y = y[:, : info.frames - written]
        if last and written + y.shape[1] < info.frames:  # the resampler came up a few samples short
            y = _fit(y, info.frames - written)
        x = original.take(y.shape[1])
        den.write(np.ascontiguousarray(y.T))
        res.write(np.ascontiguousarray((x - y).T))
        written += y.shape[1]

    den_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(den_path) as den_tmp, atomic_path(res_path) as res_tmp, write_errors(den_path):
        opts = dict(mode="w", samplerate=info.sample_rate, channels=info.channels, format="WAV", subtype="FLOAT")
        with sf.SoundFile(str(den_tmp), **opts) as den, sf.SoundFile(str(res_tmp), **opts) as res:
            for block in iter_blocks(in_path, block_s=block_s, sr=model_sr):
                write(runner.push(block), den, res)
                done_in = min(info.frames, done_in + int(round(block.shape[1] * info.sample_rate / model_sr)))
                if progress is not None:
                    progress(done_in)
            write(runner.finish(), den, res, last=True)
    return DenoiseResult(Path(in_path), den_path, res_path, info.duration_s, time.perf_counter() - start)
