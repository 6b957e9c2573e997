"""Ephraim-Malah log-spectral amplitude (LSA) estimator with decision-directed a-priori SNR.

Gain ``G = xi/(1+xi) * exp(E1(v)/2)``, ``v = xi*gamma/(1+xi)`` (Ephraim & Malah 1985); the a-priori SNR
``xi = alpha * G_prev^2 * gamma_prev + (1 - alpha) * max(gamma - 1, 0)`` (decision-directed, 1984); the
noise PSD is the mean power of the quietest frames. The frame recursion is sequential; each step is
vectorised over frequency.
"""

from __future__ import annotations

import numpy as np
from scipy.special import exp1

from noisekit.denoiser.classical.spectral import analyse, check_signal, quietest_frames_psd, synthesise


def lsa_gains(
    power: np.ndarray, noise: np.ndarray, alpha: float = 0.98, xi_min_db: float = -25.0, gain_floor_db: float = -25.0
) -> np.ndarray:
    """LSA gains (bins, frames) for a power spectrogram and a noise PSD per bin."""
    gamma = np.minimum(power / noise[:, None], 1e4)
    xi_min = 10 ** (xi_min_db / 10)
    floor = 10 ** (gain_floor_db / 20)
    gains = np.empty_like(gamma)
    prev = None
    for t in range(gamma.shape[1]):
        ml = np.maximum(gamma[:, t] - 1.0, 0.0)
        xi = ml if prev is None else alpha * prev + (1 - alpha) * ml
        xi = np.maximum(xi, xi_min)
        v = np.maximum(xi * gamma[:, t] / (1.0 + xi), 1e-10)
        g = np.minimum(xi / (1.0 + xi) * np.exp(0.5 * exp1(v)), 1.0)
        gains[:, t] = np.maximum(g, floor)
        prev = gains[:, t] ** 2 * gamma[:, t]
    return gains


def lsa(
    x: np.ndarray, sr: int, noise_fraction: float = 0.1, alpha: float = 0.98, gain_floor_db: float = -25.0
) -> np.ndarray:
    """Denoise a 1-D signal with the Ephraim-Malah LSA estimator (the paper's classical LSA-C denoiser)."""
    x = check_signal(x, "lsa")
    spec = analyse(x, sr)
    power = np.abs(spec) ** 2
    gains = lsa_gains(power, quietest_frames_psd(power, noise_fraction), alpha, gain_floor_db=gain_floor_db)
    return synthesise(spec * gains, sr, len(x)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
