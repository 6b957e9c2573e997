"""Audio I/O: load anything libsndfile reads as float32, resample with soxr, stream long files, write atomically.

Arrays are float32 shaped (channels, samples). Every problem with a file raises AudioError naming it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from noisekit.errors import AudioError, StorageError
from noisekit.fsutil import atomic_path, storage_cause

SAMPLE_RATE = 44100
"""The rate noisekit works at: noise segments, clean music, models and mixtures are all at 44.1 kHz."""
SEGMENT_S = 5.0
"""Length of one noise segment: a disc cut's loop and a blank-tape segment."""
WRITE_FORMATS = {".wav": ("WAV", "PCM_24"), ".flac": ("FLAC", "PCM_24")}
LOSSY_FORMATS = {"MP3", "MPEG", "OGG"}  # libsndfile's major formats whose frame count is an estimate
LOSSY_SHORTFALL = 0.01  # the fraction of promised frames such a file may fall short by
_TRUNCATION_HINTS = re.compile(r"\(should be \d+\)|> file length|Exiting parser", re.IGNORECASE)


@dataclass(frozen=True)
class AudioInfo:
    """What the file's header says, after checks that it is usable."""

    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _open(path: str | Path) -> sf.SoundFile:
    """Open a file for reading, turning every libsndfile failure into an AudioError."""
    path = Path(path)
    if not path.exists():
        raise AudioError(path, "file not found")
    if path.is_dir():
        raise AudioError(path, "is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        return sf.SoundFile(str(path))
    except sf.LibsndfileError as exc:
        message = str(exc)
        if "unknown format" in message.lower() or "not recognised" in message.lower():
            raise AudioError(path, "unsupported or unrecognised audio format") from exc
        raise AudioError(path, f"unreadable: {message}") from exc
    except (RuntimeError, OSError) as exc:
        raise AudioError(path, f"unreadable: {exc}") from exc


def _check_header(handle: sf.SoundFile, path: str | Path) -> None:
    if handle.channels < 1:
        raise AudioError(path, "zero channels")
    if handle.samplerate <= 0:
        raise AudioError(path, f"invalid sample rate {handle.samplerate}")
    if handle.frames == 0:
        raise AudioError(path, "no audio frames (empty stream)")
    if _TRUNCATION_HINTS.search(handle.extra_info or ""):
        raise AudioError(path, "truncated: the header promises more data than the file holds")


def audio_info(path: str | Path) -> AudioInfo:
    """Header facts of an audio file, after the header checks (readable, channels, frames, not truncated)."""
    with _open(path) as handle:
        _check_header(handle, path)
        return AudioInfo(str(path), handle.samplerate, handle.channels, handle.frames, handle.format, handle.subtype)


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Mean over channels, kept 2-D: (1, samples)."""
    return audio.mean(axis=0, keepdims=True, dtype=np.float32) if audio.shape[0] > 1 else audio


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample (channels, samples) float32 with soxr's high-quality filter; a no-op when rates match."""
    if sr_in == sr_out:
        return audio
    out = soxr.resample(np.ascontiguousarray(audio.T), sr_in, sr_out, quality="HQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)


def _check_finite(block: np.ndarray, path: str | Path, offset: int, sr: int) -> None:
    if not np.isfinite(block).all():
        bad = int(np.argmax(~np.isfinite(block).all(axis=1)))
        raise AudioError(path, f"contains NaN or infinite samples (first at {(offset + bad) / sr:.3f} s)")


def _read_blocks(handle: sf.SoundFile, path: str | Path, block_frames: int) -> Iterator[np.ndarray]:
    """Yield (frames, channels) float32 blocks, checking values and that every promised frame arrives."""
    offset = 0
    while True:
        try:
            block = handle.read(block_frames, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(
                path, f"truncated or corrupt data after {offset / handle.samplerate:.2f} s: {exc}"
            ) from exc
        if len(block) == 0:
            break
        _check_finite(block, path, offset, handle.samplerate)
        offset += len(block)
        yield block
        if len(block) < block_frames:
            break
    shortfall = handle.frames - offset
    if handle.frames > 0 and shortfall > 0:
        # MP3 and Ogg headers estimate the length (bitrate, granule positions, decoder delay): a few frames
        # short is normal there; a lossless file must deliver every frame it promises.
        estimated = handle.format in LOSSY_FORMATS and shortfall <= LOSSY_SHORTFALL * handle.frames
        if not estimated:
            raise AudioError(path, f"truncated: read {offset} of {handle.frames} frames")


def iter_blocks(
    path: str | Path,
    block_s: float = 30.0,
    sr: int | None = None,
    mono: bool = False,
) -> Iterator[np.ndarray]:
    """Stream a file as (channels, samples) float32 blocks at rate `sr`, so memory stays bounded.

    Resampling is continuous across blocks (soxr's streaming resampler): concatenating the blocks gives
    the same signal as `load_audio` up to filter precision.
    """
    with _open(path) as handle:
        _check_header(handle, path)
        sr_in = handle.samplerate
        channels_out = 1 if mono else handle.channels
        stream = None
        if sr is not None and sr != sr_in:
            stream = soxr.ResampleStream(sr_in, sr, channels_out, dtype="float32", quality="HQ")
        for block in _read_blocks(handle, path, max(1, int(block_s * sr_in))):
            if mono and block.shape[1] > 1:
                block = block.mean(axis=1, keepdims=True, dtype=np.float32)
            if stream is not None:
                block = stream.resample_chunk(block)
            if len(block):
                yield np.ascontiguousarray(block.T)
        if stream is not None:
            tail = stream.resample_chunk(np.zeros((0, channels_out), dtype=np.float32), last=True)
            if len(tail):
                yield np.ascontiguousarray(tail.T)


def load_audio(path: str | Path, sr: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Read a whole file as (channels, samples) float32 at `sr` (native rate if None), mono by mean if asked."""
    with _open(path) as handle:
        _check_header(handle, path)
        sr_in = handle.samplerate
        data = np.concatenate(list(_read_blocks(handle, path, max(handle.frames, 1))), axis=0).T
    audio = np.ascontiguousarray(data, dtype=np.float32)
    if mono:
        audio = to_mono(audio)
    if sr is not None and sr != sr_in:
        return resample(audio, sr_in, sr), sr
    return audio, sr_in


def write_audio(path: str | Path, audio: np.ndarray, sr: int, subtype: str | None = None) -> Path:
    """Write (channels, samples) or 1-D audio as WAV or FLAC (by suffix) atomically; returns the path.

    Samples outside [-1, 1] are refused rather than silently clipped by the integer encoder.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_FORMATS:
        raise AudioError(path, f"cannot write '{suffix}': use one of {sorted(WRITE_FORMATS)}")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.ndim != 2 or audio.shape[0] < 1:
        raise AudioError(path, f"expected (channels, samples) audio, got shape {audio.shape}")
    if not np.isfinite(audio).all():
        raise AudioError(path, "refusing to write NaN or infinite samples")
    fmt, default_subtype = WRITE_FORMATS[suffix]
    subtype = subtype or default_subtype
    if subtype != "FLOAT" and audio.size and np.abs(audio).max() > 1.0:
        raise AudioError(path, f"samples exceed full scale (peak {np.abs(audio).max():.3f}); scale first")
    with atomic_path(path) as tmp, write_errors(path):
        sf.write(str(tmp), audio.T, sr, format=fmt, subtype=subtype)
    return path


@contextlib.contextmanager
def write_errors(path: str | Path) -> Iterator[None]:
    """Turn libsndfile's failures while writing `path` into errors naming it and the cause.

    libsndfile reports a full or read-only disk as 'System error.' (WAV) or a FLAC encoder error, naming
    neither file nor cause, so the cause is read from the state of the file system.
    """
    try:
        yield
    except sf.LibsndfileError as exc:
        cause, code = storage_cause(Path(path).parent)
        if code is not None:
            raise StorageError(path, f"cannot write: {cause}", code) from exc
        raise AudioError(path, f"cannot write: libsndfile: {exc.error_string}") from exc
