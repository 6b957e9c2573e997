"""The paper's classical restoration chain (LSA-C): AR click detection and interpolation, then LSA."""

from __future__ import annotations

import numpy as np

from noisekit.denoiser.classical.declick import DeclickParams, declick
from noisekit.denoiser.classical.lsa import lsa


def classical_chain(x: np.ndarray, sr: int, declick_params: DeclickParams | None = None) -> np.ndarray:
    """Remove clicks by LSAR interpolation, then hiss with the Ephraim-Malah LSA estimator."""
    return lsa(declick(x, sr, declick_params).audio, sr)
