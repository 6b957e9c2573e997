"""The energy-threshold rule the classifier replaces, scored the same way as the model.

A frame (50 ms) is "noise" when its RMS level is within ``within_db`` (6 dB) of the file's quietest frames
(the ``quiet_percentile``-th percentile of frame levels); runs of such frames become segments with the same
edge margin and minimum length as the model's segmenter, so the comparison isolates the decision rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisekit.classifier.segmenter import NoiseSegment
from noisekit.signal import power_db, runs

FRAME_S = 0.05


@dataclass(frozen=True)
class EnergyParams:
    """Energy-rule parameters."""

    within_db: float = 6.0
    quiet_percentile: float = 5.0
    min_run_s: float = 2.0
    margin_s: float = 0.25


def frame_levels_db(audio: np.ndarray, sr: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level (dBFS) of consecutive non-overlapping frames; silent frames get -200 dB."""
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    n = max(1, int(round(frame_s * sr)))
    k = len(x) // n
    if k == 0:
        return np.zeros(0)
    power = np.mean(x[: k * n].reshape(k, n) ** 2, axis=1)
    return power_db(power)


def quiet_reference_db(levels: np.ndarray, params: EnergyParams) -> float:
    """The file's quiet level: a low percentile of its frame levels."""
    return float(np.percentile(levels, params.quiet_percentile)) if len(levels) else 0.0


def energy_segments(audio: np.ndarray, sr: int, params: EnergyParams | None = None) -> list[NoiseSegment]:
    """Segments the energy rule calls noise-only (p_noise is 1 for all: the rule has no confidence)."""
    params = params or EnergyParams()
    levels = frame_levels_db(audio, sr)
    if len(levels) == 0:
        return []
    quiet = levels <= quiet_reference_db(levels, params) + params.within_db
    out: list[NoiseSegment] = []
    for a, b in runs(quiet).tolist():
        start, end = a * FRAME_S + params.margin_s, b * FRAME_S - params.margin_s
        if end - start >= params.min_run_s:
            out.append(NoiseSegment(round(start, 6), round(end, 6), 1.0))
    return out


def energy_window_scores(
    audio: np.ndarray, sr: int, starts: np.ndarray, window_s: float, params: EnergyParams | None = None
) -> np.ndarray:
    """Per-window noise score on the classifier's grid: minus the loudest frame's excess over the quiet level.

    A window is noise by the rule exactly when its score is >= -within_db; the score ranks windows for ROC AUC.
    """
    params = params or EnergyParams()
    levels = frame_levels_db(audio, sr)
    if len(levels) == 0:
        return np.zeros(len(starts))
    excess = levels - quiet_reference_db(levels, params)
    first = np.floor(np.asarray(starts) / FRAME_S).astype(int)
    last = np.ceil((np.asarray(starts) + window_s) / FRAME_S).astype(int)
    out = np.empty(len(starts))
    for i, (a, b) in enumerate(zip(first, last, strict=True)):
        seg = excess[max(a, 0) : min(max(b, a + 1), len(excess))]
        out[i] = -float(seg.max()) if len(seg) else -np.inf
    return out
