"""Wiener filter baseline: noise PSD from the quietest frames, smoothed-periodogram a-priori SNR."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from noisekit.denoiser.classical.spectral import analyse, check_signal, quietest_frames_psd, synthesise


def wiener(
    x: np.ndarray, sr: int, noise_fraction: float = 0.1, smoothing: float = 0.7, gain_floor_db: float = -20.0
) -> np.ndarray:
    """Denoise a 1-D signal with the gain xi/(1+xi), xi = smoothed |Y|^2 / noise PSD - 1 (floored)."""
    x = check_signal(x, "wiener")
    spec = analyse(x, sr)
    power = np.abs(spec) ** 2
    noise = quietest_frames_psd(power, noise_fraction)
    smoothed = lfilter([1 - smoothing], [1, -smoothing], power, axis=1)
    xi = np.maximum(smoothed / noise[:, None] - 1.0, 0.0)
    gain = np.maximum(xi / (1.0 + xi), 10 ** (gain_floor_db / 20))
    return synthesise(spec * gain, sr, len(x)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
