"""Shared signal helpers: runs of a mask, levels in dB with one silence floor, sin² fades and SNR.

Each idiom is defined once, so that a level in one table means what it means in another and a fade in one
step blends like a fade in the next.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

SILENCE_DB = -200.0
"""The level reported for digital silence (and anything below it): far under any real noise floor."""
_POWER_FLOOR = 10.0 ** (SILENCE_DB / 10.0)
_SNR_EPS = 1e-12  # keeps SNR finite when the reference or the error is all zeros


def runs(mask: ArrayLike, min_len: int = 1) -> np.ndarray:
    """``[start, stop)`` index pairs of the True runs of a 1-D mask at least ``min_len`` long, shape (K, 2) int64."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool).ravel(), [False]))
    pairs = np.flatnonzero(padded[1:] != padded[:-1]).astype(np.int64).reshape(-1, 2)
    return pairs[(pairs[:, 1] - pairs[:, 0]) >= min_len]


def power_db(power: ArrayLike) -> np.ndarray:
    """10·log10 of a power (a mean square), elementwise; powers at or below the silence floor read SILENCE_DB."""
    return 10.0 * np.log10(np.maximum(np.asarray(power, dtype=np.float64), _POWER_FLOOR))


def level_db(amplitude: float) -> float:
    """20·log10 of an amplitude (a peak, an RMS, a DC offset) re full scale, floored at SILENCE_DB."""
    return float(power_db(float(amplitude) ** 2))


def rms_dbfs(audio: ArrayLike) -> float:
    """RMS level over all samples and channels in dB re full scale; SILENCE_DB for silence or no samples."""
    x = np.asarray(audio, dtype=np.float64)
    return float(power_db(np.mean(np.square(x)) if x.size else 0.0))


def _sine_ramp(n: int) -> np.ndarray:
    t = (np.arange(max(n, 0), dtype=np.float64) + 0.5) / max(n, 1)
    return np.sin(0.5 * np.pi * t)


def fade_in(n: int) -> np.ndarray:
    """Rising sin² ramp of ``n`` samples taken at half-sample centres, so ``fade_in(n) + fade_in(n)[::-1] == 1``."""
    return _sine_ramp(n) ** 2


def crossfade(n: int, equal_power: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Complementary (fade-in, fade-out) ramps of ``n`` samples, the fade-out the fade-in reversed.

    Amplitudes sum to 1 by default (sin², cos²: for correlated signals, such as two estimates of one
    signal); with ``equal_power`` their squares sum to 1 (sin, cos: uncorrelated noise keeps its level).
    """
    up = _sine_ramp(n) if equal_power else fade_in(n)
    return up, up[::-1].copy()


def snr_db(reference: ArrayLike, estimate: ArrayLike) -> float:
    """SNR of ``estimate`` against ``reference`` in dB: 10·log10(Σref² / Σ(ref − est)²)."""
    ref = np.asarray(reference, dtype=np.float64)
    err = ref - np.asarray(estimate, dtype=np.float64)
    return float(10.0 * np.log10((np.sum(ref * ref) + _SNR_EPS) / (np.sum(err * err) + _SNR_EPS)))
