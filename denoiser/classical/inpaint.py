"""Gap inpainting: find digital silence and dropouts, refill short gaps with Burg LPC predictions.

Following the "Echoes Reborn" inpainter: the context left of a gap is extended forward with its Burg AR model,
the context right of it backward with its own model, and the two predictions are blended with a squared-cosine
crossfade ``w_f = cos^2(pi (n + 1/2) / 2L)``, ``w_b = sin^2(pi (n + 1/2) / 2L)`` (they sum to one). Gaps longer than
``max_gap_s``, or touching the start or end of the signal, are reported and left untouched: a long hole
cannot be predicted, only invented.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from noisekit.denoiser.classical.lpc import fill_gap
from noisekit.denoiser.classical.spectral import check_signal
from noisekit.errors import ConfigError
from noisekit.signal import runs


@dataclass(frozen=True)
class InpaintParams:
    """Detection and fill parameters (durations in seconds, levels in dB)."""

    min_gap_s: float = 0.001
    max_gap_s: float = 0.1
    silence_eps: float = 0.0
    detect_dropouts: bool = True
    dropout_db: float = -40.0
    dropout_frame_s: float = 0.002
    order: int = 256
    context_s: float = 0.1
    context_factor: float = 4.0

    def validate(self) -> None:
        """Raise ValueError for parameters that cannot work."""
        if self.min_gap_s <= 0 or self.max_gap_s <= 0:
            raise ConfigError("inpaint min_gap_s and max_gap_s must be > 0")
        if self.order < 1:
            raise ConfigError(f"inpaint order must be >= 1, got {self.order}")
        if self.silence_eps < 0:
            raise ConfigError(f"inpaint silence_eps must be >= 0, got {self.silence_eps}")


@dataclass(frozen=True)
class Gap:
    """One detected gap ``[start, stop)`` in samples; status is filled, too_long, edge or no_context."""

    start: int
    stop: int
    kind: str
    status: str

    def as_dict(self, sr: int) -> dict:
        """JSON-ready description with times in seconds."""
        return {**asdict(self), "start_s": self.start / sr, "duration_s": (self.stop - self.start) / sr}


@dataclass
class InpaintResult:
    """The signal with short gaps filled, and every gap found."""

    audio: np.ndarray
    gaps: list[Gap]
    stats: dict = field(default_factory=dict)


def _constant_runs(x: np.ndarray, eps: float, min_len: int) -> np.ndarray:
    """Runs of at least ``min_len`` samples held at one value (within ``eps``): digital silence or a hold."""
    if len(x) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    still = np.abs(np.diff(x)) <= eps
    r = runs(still)
    r[:, 1] += 1  # a run of k equal differences spans k + 1 samples
    return r[(r[:, 1] - r[:, 0]) >= min_len]


def _dropout_runs(x: np.ndarray, sr: int, params: InpaintParams) -> np.ndarray:
    """Frames whose RMS falls ``dropout_db`` below the median frame RMS of their second of audio."""
    frame = max(8, int(round(params.dropout_frame_s * sr)))
    n_frames = len(x) // frame
    if n_frames < 4:
        return np.zeros((0, 2), dtype=np.int64)
    rms = np.sqrt(np.mean(np.square(x[: n_frames * frame].reshape(n_frames, frame)), axis=1, dtype=np.float64))
    per_ref = max(1, sr // frame)
    n_ref = -(-n_frames // per_ref)
    padded = np.full(n_ref * per_ref, np.nan)
    padded[:n_frames] = rms
    ref = np.repeat(np.nanmedian(padded.reshape(n_ref, per_ref), axis=1), per_ref)[:n_frames]
    low = (rms < ref * 10 ** (params.dropout_db / 20)) & (ref > 0)
    return runs(low) * frame


def detect_gaps(x: np.ndarray, sr: int, params: InpaintParams | None = None) -> list[tuple[int, int, str]]:
    """``(start, stop, kind)`` of digital-silence and dropout gaps of at least ``min_gap_s``, merged, sorted."""
    params = params or InpaintParams()
    params.validate()
    x = np.asarray(x)  # not copied to float64: this runs over whole recordings
    min_len = max(2, int(round(params.min_gap_s * sr)))
    found = [(int(s), int(e), "silence") for s, e in _constant_runs(x, params.silence_eps, min_len)]
    if params.detect_dropouts:
        found += [(int(s), int(e), "dropout") for s, e in _dropout_runs(x, sr, params) if e - s >= min_len]
    return merge_gaps(found)


def merge_gaps(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sort ``(start, stop, kind)`` runs and merge overlapping or touching ones (a mixed run is silence+dropout)."""
    merged: list[tuple[int, int, str]] = []
    for start, stop, kind in sorted(found):
        if merged and start <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], stop), prev[2] if prev[2] == kind else "silence+dropout")
        else:
            merged.append((start, stop, kind))
    return merged


def inpaint(
    x: np.ndarray, sr: int, params: InpaintParams | None = None, gaps: list[tuple[int, int, str]] | None = None
) -> InpaintResult:
    """Detect (or take) gaps in a 1-D signal and fill the short interior ones; others are reported, untouched."""
    params = params or InpaintParams()
    params.validate()
    x = check_signal(x, "inpaint")
    found = detect_gaps(x, sr, params) if gaps is None else sorted(gaps)
    out = x.copy()
    max_len = int(round(params.max_gap_s * sr))
    min_context = 16
    result: list[Gap] = []
    for i, (start, stop, kind) in enumerate(found):
        length = stop - start
        if start == 0 or stop >= len(x):
            result.append(Gap(start, stop, kind, "edge"))
            continue
        if length > max_len:
            result.append(Gap(start, stop, kind, "too_long"))
            continue
        ctx = int(max(params.context_s * sr, params.context_factor * length))
        lo = max(0, start - ctx, found[i - 1][1] if i > 0 else 0)
        hi = min(len(x), stop + ctx, found[i + 1][0] if i + 1 < len(found) else len(x))
        if start - lo < min_context and hi - stop < min_context:
            result.append(Gap(start, stop, kind, "no_context"))
            continue
        left = out[lo:start].astype(np.float64) if start - lo >= min_context else np.zeros(0)
        right = out[stop:hi].astype(np.float64) if hi - stop >= min_context else np.zeros(0)
        out[start:stop] = fill_gap(left, right, length, params.order).astype(x.dtype)
        result.append(Gap(start, stop, kind, "filled"))
    filled = [g for g in result if g.status == "filled"]
    stats = {
        "gaps": len(result),
        "filled": len(filled),
        "too_long": sum(g.status == "too_long" for g in result),
        "samples_filled": int(sum(g.stop - g.start for g in filled)),
    }
    return InpaintResult(out, result, stats)
