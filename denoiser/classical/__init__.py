"""Classical restoration DSP and the baselines the denoiser is evaluated against.

``BASELINES`` maps a method name to a function ``(signal 1-D, sample rate) -> signal 1-D``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from noisekit.denoiser.classical.chain import classical_chain
from noisekit.denoiser.classical.logmmse import logmmse
from noisekit.denoiser.classical.lsa import lsa
from noisekit.denoiser.classical.spectral_gate import gate_nonstationary, gate_stationary
from noisekit.denoiser.classical.wiener import wiener


def unprocessed(x: np.ndarray, sr: int) -> np.ndarray:
    """The noisy input itself (a copy): the reference every method is compared with."""
    return np.array(x, copy=True)


BASELINES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "input": unprocessed,
    "noisereduce-stationary": gate_stationary,
    "noisereduce-nonstationary": gate_nonstationary,
    "logmmse": logmmse,
    "wiener": wiener,
    "lsa": lsa,
    "classical-chain": classical_chain,
}

__all__ = ["BASELINES", "unprocessed"]
