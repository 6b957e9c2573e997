"""Chunked inference on recordings of any length, rate and channel count (the official recipe).

Audio is resampled to the model's rate (44.1 kHz), every channel is cut into chunks of ``chunk_s``
seconds that overlap by ``overlap`` samples, and the denoised chunks are joined by overlap-add with
complementary Hann half-windows (sin² fade-in, cos² fade-out, which sum to exactly 1), so that seams
carry no level change. :class:`ChunkedDenoiser` does this incrementally: :func:`denoise_file` streams a
one-hour side through it in bounded memory and writes the denoised signal and the residual (input minus
denoised) with the input's length, rate and channels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch

from noisekit.audio import SAMPLE_RATE, audio_info, iter_blocks, resample, write_errors
from noisekit.errors import ConfigError, NoisekitError
from noisekit.fsutil import atomic_path, check_safe_name
from noisekit.signal import crossfade

WaveFn = Callable[[torch.Tensor], torch.Tensor]
"""A denoiser on waveforms: ``(batch, samples)`` float32 tensor in, the same shape out."""

CHUNK_S = 5.0
OVERLAP = 2048
MIN_CHUNK = 2048  # a final chunk shorter than this is zero-padded so the STFT has a full window


def wave_fn(model: torch.nn.Module | WaveFn, device: str | torch.device = "cpu") -> WaveFn:
    """Wrap a model as a no-grad :data:`WaveFn`: the two-stage U-Net via ``denoise_wave``, else its call."""
    call = getattr(model, "denoise_wave", model)
    if isinstance(model, torch.nn.Module):
        model.eval()

    def run(wave: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return call(wave.to(device)).float().cpu()

    return run


NO_MODEL_HELP = (
    "no denoiser model: this installation ships none in denoiser/weights/. Train one with\n"
    "  noisekit train --data DIR --out RUN --preset small\n"
    "and pass --checkpoint RUN/last.pt (or an exported NAME.safetensors with its NAME.json)."
)


def resolve_model(checkpoint: str | Path | None, device: str | torch.device = "cpu"):
    """The model of ``checkpoint``, else the shipped ``small`` weights; a clear error saying how to get one."""
    from noisekit.denoiser.checkpoint import load_model, shipped_model_path

    path = checkpoint or shipped_model_path("small")
    if path is None:
        raise NoisekitError(NO_MODEL_HELP)
    return load_model(path, map_location=device)


class ChunkedDenoiser:
    """Incremental overlap-add inference on ``(channels, samples)`` blocks at the model's rate.

    :meth:`push` takes input and returns the output samples that are final; :meth:`finish` flushes the
    rest. The concatenated outputs have exactly the length of the concatenated inputs.
    """

    def __init__(
        self,
        fn: WaveFn,
        channels: int,
        sr: int = SAMPLE_RATE,
        chunk_s: float = CHUNK_S,
        overlap: int = OVERLAP,
        batch_size: int = 4,
    ) -> None:
        self.chunk = int(round(chunk_s * sr))
        if overlap < 1 or self.chunk <= 2 * overlap:
            raise ConfigError(f"chunk of {self.chunk} samples must exceed twice the overlap ({overlap})")
        if channels < 1 or batch_size < 1:
            raise ConfigError("channels and batch_size must be at least 1")
        self.fn, self.channels, self.overlap, self.batch_size = fn, channels, overlap, batch_size
        self.hop = self.chunk - overlap
        self.fade_in, self.fade_out = (w.astype(np.float32) for w in crossfade(overlap))
        self._buf = np.zeros((channels, 0), dtype=np.float32)
        self._pending = np.zeros((channels, overlap), dtype=np.float32)  # faded tail of the last chunk
        self._first = True
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

    def _emit(self, outs: np.ndarray, last: bool) -> np.ndarray:
        """Overlap-add denoised chunks (hop apart) onto the pending tail; return the final samples."""
        n, _, length = outs.shape
        if not self._first:
            outs[0, :, : self.overlap] *= self.fade_in
        if n > 1:
            outs[1:, :, : self.overlap] *= self.fade_in
            outs[:-1, :, self.hop :] *= self.fade_out
        if not last:
            outs[-1, :, self.hop :] *= self.fade_out
        total = (n - 1) * self.hop + length
        acc = np.zeros((self.channels, max(total, self.overlap)), dtype=np.float32)
        for i in range(n):
            acc[:, i * self.hop : i * self.hop + length] += outs[i]
        acc[:, : self.overlap] += self._pending
        self._first = False
        if last:
            return acc[:, :total]
        emitted = n * self.hop
        self._pending = acc[:, emitted : emitted + self.overlap].copy()
        return acc[:, :emitted]

    def push(self, block: np.ndarray) -> np.ndarray:
        """Add ``(channels, samples)`` input; return the output samples that no later chunk will touch."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"expected ({self.channels}, samples) input, got shape {block.shape}")
        self._buf = np.concatenate((self._buf, block), axis=1)
        # a chunk runs only once input extends past it, so the true last chunk never gets a fade-out
        ready = (self._buf.shape[1] - self.chunk - 1) // self.hop + 1 if self._buf.shape[1] > self.chunk else 0
        if ready < 1:
            return np.zeros((self.channels, 0), dtype=np.float32)
        starts = np.arange(ready) * self.hop
        chunks = np.stack([self._buf[:, s : s + self.chunk] for s in starts])
        out = self._emit(self._run(chunks, self.chunk), last=False)
        self._buf = self._buf[:, ready * self.hop :].copy()
        return out

    def finish(self) -> np.ndarray:
        """Run the last (possibly short) chunk without a fade-out and return the remaining output."""
        n = self._buf.shape[1]
        if n == 0:
            return np.zeros((self.channels, 0), dtype=np.float32)
        length = max(n, MIN_CHUNK)
        padded = np.zeros((1, self.channels, length), dtype=np.float32)
        padded[0, :, :n] = self._buf
        out = self._emit(self._run(padded, length)[:, :, :n], last=True)
        self._buf = self._buf[:, :0]
        return out


def denoise_array(
    audio: np.ndarray,
    sr: int,
    model: torch.nn.Module | WaveFn,
    chunk_s: float = CHUNK_S,
    overlap: int = OVERLAP,
    batch_size: int = 4,
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
    batch_size: int = 4,
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
