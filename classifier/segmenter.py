"""Window probabilities → noise-only segments: smoothing, hysteresis, minimum length, edge margins.

The steps, in order (all parameters in :class:`SegmenterParams`):

1. **smoothing**: a centred moving mean over ``smooth_windows`` windows removes single-window flicker
   without moving the edges of longer runs (a minimum filter would eat one window of recall per edge).
2. **hysteresis**: a run starts where the smoothed p reaches ``high`` and continues while it stays at or
   above ``low`` (``low <= high``). Every window of a run is taken as noise-only.
3. **time span**: a run of windows i..j covers [start_i, start_j + window_s).
4. **edge margin**: ``margin_s`` is trimmed from each end that borders programme, so onsets and
   reverberation tails that fall just outside the windows never leak in. The ends of the signal, and
   digital silence (a transfer's lead-in before the needle drop), have nothing to leak, so a run that
   starts or ends there keeps that end (a run-in groove from 0 s, a run-out to the last analysed window).
5. **programme guards**: where a run follows programme (it does not start at the beginning of the signal)
   another ``tail_s`` is trimmed from its start: reverberation tails and fade-outs go on below the noise
   floor, invisible to any detector, long after the last audible note. Where a run precedes programme,
   ``lead_s`` is trimmed from its end for fade-ins that start below the noise.
6. **minimum length**: segments shorter than ``min_run_s`` after trimming are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisekit.classifier.inference import NoiseClassifier, WindowProbs
from noisekit.errors import ConfigError
from noisekit.signal import runs


@dataclass(frozen=True)
class SegmenterParams:
    """Segmenter parameters; the defaults favour purity (no music in noise segments) over recall.

    The thresholds and guards were chosen on the tuning sides (seeds from noisekit.classifier.evaluate.TUNE_SEED_START,
    disjoint from training and evaluation) for the shipped weights: see classifier/weights/MODEL_CARD.md.
    """

    smooth_windows: int = 1  # moving-mean length in windows (1 = no smoothing)
    high: float = 0.9  # p(noise) a run must reach to start
    low: float = 0.7  # p(noise) a run must keep to continue
    min_run_s: float = 2.0  # shortest segment kept, after the margins are trimmed
    margin_s: float = 0.25  # trimmed from each end of a run that borders programme
    tail_s: float = 0.5  # further trimmed from the start of a run that follows programme
    lead_s: float = 0.0  # further trimmed from the end of a run that precedes programme

    def __post_init__(self) -> None:
        if self.smooth_windows < 1:
            raise ConfigError(f"smooth_windows must be >= 1, got {self.smooth_windows}")
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ConfigError(f"need 0 <= low <= high <= 1, got low={self.low} high={self.high}")
        if min(self.min_run_s, self.margin_s, self.tail_s, self.lead_s) < 0:
            raise ConfigError("min_run_s, margin_s, tail_s and lead_s must be >= 0")


@dataclass(frozen=True)
class NoiseSegment:
    """One noise-only stretch of the signal, in seconds, with the mean p(noise) of its windows."""

    start_s: float
    end_s: float
    p_noise: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _moving(x: np.ndarray, k: int, fn) -> np.ndarray:
    """Centred moving ``fn`` (e.g. np.mean) over ``k`` samples with edge replication."""
    if k <= 1 or len(x) == 0:
        return x.copy()
    left = k // 2
    padded = np.pad(x, (left, k - 1 - left), mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, k)
    return fn(view, axis=1)


def smooth_probs(probs: np.ndarray, k: int) -> np.ndarray:
    """The segmenter's smoothing: a centred moving mean over ``k`` windows (edges replicated)."""
    return _moving(np.asarray(probs, dtype=np.float64), k, np.mean)


def hysteresis_runs(p: np.ndarray, high: float, low: float) -> list[tuple[int, int]]:
    """Inclusive index runs [i, j] that reach ``high`` somewhere and stay >= ``low`` throughout."""
    return [(int(a), int(b) - 1) for a, b in runs(p >= low) if np.any(p[a:b] >= high)]


def segments_from_probs(wp: WindowProbs, params: SegmenterParams | None = None) -> list[NoiseSegment]:
    """Noise-only segments (seconds) from window probabilities; see the module docstring for the steps."""
    params = params or SegmenterParams()
    if len(wp) == 0:
        return []
    p = smooth_probs(wp.probs, params.smooth_windows)
    out: list[NoiseSegment] = []
    silent = wp.silent if wp.silent is not None else np.zeros(len(wp), dtype=bool)
    for i, j in hysteresis_runs(p, params.high, params.low):
        after_programme = i > 0 and not silent[i - 1]
        before_programme = j < len(wp) - 1 and not silent[j + 1]
        start = float(wp.starts[i]) + (params.margin_s + params.tail_s if after_programme else 0.0)
        end = min(float(wp.starts[j]) + wp.window_s, wp.duration_s)
        end -= params.margin_s + params.lead_s if before_programme else 0.0
        if end - start >= params.min_run_s:
            out.append(NoiseSegment(round(start, 6), round(end, 6), float(np.mean(wp.probs[i : j + 1]))))
    return out


def find_noise_segments(
    audio: np.ndarray, sr: int, classifier: NoiseClassifier | None = None, params: SegmenterParams | None = None
) -> list[NoiseSegment]:
    """Noise-only segments of a 1-D (or (channels, samples), mixed to mono) signal with the given or shipped model."""
    if classifier is None:
        from noisekit.classifier.checkpoint import load_classifier

        classifier = load_classifier()
    return segments_from_probs(classifier.window_probs(audio, sr), params)
