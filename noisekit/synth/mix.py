"""Level helpers: gains, and mixing a clean signal with noise at an exact SNR (RMS levels: noisekit.signal)."""

from __future__ import annotations

import numpy as np

_EPS = 1e-20


def db_to_gain(db: float) -> float:
    """Amplitude factor for a level change of ``db`` decibels."""
    return float(10.0 ** (db / 20.0))


def apply_gain_db(x: np.ndarray, gain_db: float) -> np.ndarray:
    """Return ``x`` scaled by ``gain_db`` decibels, keeping its dtype."""
    x = np.asarray(x)
    return (x * db_to_gain(gain_db)).astype(x.dtype, copy=False)


def normalize_peak(x: np.ndarray, peak: float = 0.99) -> np.ndarray:
    """Scale ``x`` so that its absolute peak is ``peak`` only if it exceeds it (never boosts)."""
    x = np.asarray(x)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m > peak:
        x = x * (peak / m)
    return x


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Mix ``clean + g*noise`` so that the SNR over the whole signal is ``snr_db``; returns (mixture, g*noise).

    SNR is 10·log10(sum(clean²)/sum((g·noise)²)) over all samples and channels. A silent ``clean``
    has no defined SNR: the noise is then returned unscaled (mixture = noise), which keeps
    noise-only training examples usable. Shapes must match; the dtype follows ``clean``.
    """
    clean = np.asarray(clean)
    noise = np.asarray(noise)
    if clean.shape != noise.shape:
        raise ValueError(f"mix_at_snr: shape mismatch clean {clean.shape} vs noise {noise.shape}")
    if not np.isfinite(snr_db):
        raise ValueError(f"mix_at_snr: snr_db must be finite, got {snr_db}")
    dtype = clean.dtype if np.issubdtype(clean.dtype, np.floating) else np.float32
    c = clean.astype(np.float64)
    n = noise.astype(np.float64)
    pc = float(np.sum(c * c))
    pn = float(np.sum(n * n))
    if pn <= _EPS:
        raise ValueError("mix_at_snr: noise is silent, cannot reach an SNR")
    if pc <= _EPS:
        scaled = n
    else:
        g = np.sqrt(pc / (pn * 10.0 ** (snr_db / 10.0)))
        scaled = n * g
    return (c + scaled).astype(dtype), scaled.astype(dtype)
