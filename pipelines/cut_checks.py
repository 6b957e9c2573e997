"""Is a cut surface noise? Refuse fades, near-silence, dither and gating measured against the file's own floor.

Edited transfers end in a fade into digital or near-digital silence that the classifier rightly hears as
"no programme", but that lies 30-50 dB under the disc's surface noise: scaled up to a training SNR it is
dither and fade, not noise. Every level here is the RMS of 50-ms frames of the mono mix, in dBFS. The
file's noise floor is a low percentile of its non-silent frame levels, gathered while the file streams
through the classifier (a fixed-size histogram, so memory stays bounded). Thresholds are measured by
benchmarks/cut_checks.py and documented in docs/extract.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from noisekit.pipelines.silence import SILENCE_LEVEL
from noisekit.signal import power_db

FRAME_S = 0.05
SILENT_DB = 20.0 * math.log10(SILENCE_LEVEL)  # frames under this are digital silence, left out of the floor
_LOW_DB, _HIGH_DB, _STEP_DB = -160.0, 20.0, 0.25  # histogram range and resolution of frame levels


@dataclass(frozen=True)
class CutRules:
    """Thresholds of the cut checks (defaults chosen from benchmarks/cut_checks.py, see docs/extract.md)."""

    floor_percentile: float = 5.0  # the file's noise floor: this percentile of its non-silent frame levels
    max_under_floor_db: float = 12.0  # a cut whose median frame level is further under the floor is refused
    max_quiet_fraction: float = 0.10  # ... and one with more of its frames that far under the floor (gating)
    max_drift_db: float = 5.0  # a cut whose level changes more than this from its first to its last third


class FloorMeter:
    """Streams blocks through unchanged while counting their 50-ms frame levels; then gives the noise floor."""

    def __init__(self, sr: int) -> None:
        self.hop = max(1, int(round(FRAME_S * sr)))
        self.counts = np.zeros(int((_HIGH_DB - _LOW_DB) / _STEP_DB) + 1, dtype=np.int64)
        self._carry = np.zeros(0, dtype=np.float32)

    def feed(self, block: np.ndarray) -> np.ndarray:
        """Count the whole frames of a 1-D block (a partial frame waits for the next block); returns the block."""
        x = np.concatenate([self._carry, np.asarray(block, dtype=np.float32).ravel()])
        whole = len(x) // self.hop * self.hop
        levels = frame_levels_db(x[:whole], self.hop)
        self._carry = x[whole:]
        bins = np.clip(((levels - _LOW_DB) / _STEP_DB).astype(np.int64), 0, len(self.counts) - 1)
        self.counts += np.bincount(bins[levels >= SILENT_DB], minlength=len(self.counts))
        return block

    def floor_db(self, percentile: float) -> float | None:
        """The `percentile` of the non-silent frame levels in dBFS (bin resolution); None if all was silent."""
        total = int(self.counts.sum())
        if total == 0:
            return None
        index = int(np.searchsorted(np.cumsum(self.counts), math.ceil(total * percentile / 100.0)))
        return _LOW_DB + index * _STEP_DB


def frame_levels_db(mono: np.ndarray, hop: int) -> np.ndarray:
    """RMS level in dBFS of each whole frame of `hop` samples (SILENCE_DB for an all-zero frame)."""
    n = len(mono) // hop
    frames = np.asarray(mono[: n * hop], dtype=np.float32).reshape(n, hop)
    return power_db(np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / hop)  # 4x faster than float64 copies


@dataclass(frozen=True)
class CutLevels:
    """What the checks measure in a cut: its median frame level, its drift, its share of quiet frames, its peak."""

    median_db: float
    drift_db: float  # median of the last third minus median of the first third (negative: fading out)
    quiet_fraction: float  # frames more than max_under_floor_db under the file's floor
    peak: float  # largest |sample| of any channel; over 1.0 only in a decoded lossy file


def measure_cut(cut: np.ndarray, sr: int, floor_db: float | None, rules: CutRules) -> CutLevels:
    """Measure a cut (channels, n) on its mono mix, the same way the file's floor was measured."""
    mono = np.atleast_2d(cut).mean(axis=0)
    hop = max(1, int(round(FRAME_S * sr)))
    levels = frame_levels_db(mono, hop)
    if len(levels) < 3:
        levels = frame_levels_db(mono, max(1, len(mono) // 3))
    third = max(1, len(levels) // 3)
    drift = float(np.median(levels[-third:]) - np.median(levels[:third]))
    quiet = float(np.mean(levels < floor_db - rules.max_under_floor_db)) if floor_db is not None else 0.0
    peak = float(np.abs(cut).max()) if np.size(cut) else 0.0
    return CutLevels(float(np.median(levels)), drift, quiet, peak)


def refusal(levels: CutLevels, floor_db: float | None, duration_s: float, rules: CutRules) -> str | None:
    """Why a cut with these levels is not surface noise, or None when it is."""
    if levels.peak > 1.0:
        return (
            f"beyond full scale: peak {levels.peak:.4f} (a lossy decoder's overshoot of a peak at full scale); "
            "the raw cut cannot be kept exactly in FLAC and a clipped click is no surface noise to learn"
        )
    if floor_db is not None and levels.median_db < floor_db - rules.max_under_floor_db:
        return (
            f"near silence: the cut's level {levels.median_db:.1f} dBFS lies "
            f"{floor_db - levels.median_db:.1f} dB under the file's noise floor ({floor_db:.1f} dBFS); "
            "dither, a fade's end or gating, not surface noise"
        )
    if abs(levels.drift_db) > rules.max_drift_db:
        way = "falls" if levels.drift_db < 0 else "rises"
        return (
            f"fade: the level {way} {abs(levels.drift_db):.1f} dB over {duration_s:.1f} s "
            f"(more than {rules.max_drift_db:g} dB); surface noise is steady"
        )
    if levels.quiet_fraction > rules.max_quiet_fraction:
        return (
            f"gated: {levels.quiet_fraction:.0%} of the cut lies more than {rules.max_under_floor_db:g} dB under "
            f"the file's noise floor ({floor_db:.1f} dBFS)"
        )
    return None
