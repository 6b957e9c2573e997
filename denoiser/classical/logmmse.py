"""LogMMSE baseline (Li et al.'s comparison) through the ``logmmse`` package, with its quirks contained.

The package calls ``np.seterr('raise')`` at import (turning every later underflow anywhere into an
exception), keeps only whole frames (a shorter output) and misconverts float64 input. This wrapper restores
numpy's error state after the import, runs it under ``np.errstate(all="ignore")`` on float32, and pads
the input so the output has the input's length.
"""

from __future__ import annotations

import numpy as np

from noisekit.denoiser.classical.spectral import check_signal

_saved = np.geterr()
try:
    from logmmse import logmmse as _logmmse
finally:
    np.seterr(**_saved)


def logmmse(x: np.ndarray, sr: int, initial_noise_frames: int = 6, noise_threshold: float = 0.15) -> np.ndarray:
    """Denoise a 1-D signal with the ``logmmse`` package (noise from the first frames, VAD-updated)."""
    x = check_signal(x, "logmmse")
    frame = int(np.floor(0.02 * sr))
    frame += frame % 2
    if len(x) < (initial_noise_frames + 2) * frame:
        raise ValueError(f"logmmse needs at least {(initial_noise_frames + 2) * frame} samples, got {len(x)}")
    padded = np.concatenate([x.astype(np.float32), np.zeros(2 * frame, dtype=np.float32)])
    with np.errstate(all="ignore"):
        out = _logmmse(padded, sr, initial_noise=initial_noise_frames, noise_threshold=noise_threshold)
    out = np.asarray(out, dtype=np.float32).reshape(-1)[: len(x)]
    result = np.zeros(len(x), dtype=np.float32)
    result[: len(out)] = out
    result[~np.isfinite(result)] = 0.0
    return result.astype(x.dtype if x.dtype.kind == "f" else np.float32)
