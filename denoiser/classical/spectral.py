"""STFT analysis/synthesis and the quietest-frames noise PSD shared by the Wiener and LSA baselines."""

from __future__ import annotations

import numpy as np
from scipy.signal import istft, stft


def frame_sizes(sr: int, frame_s: float = 0.046) -> tuple[int, int]:
    """FFT size (power of two near ``frame_s``) and hop (a quarter of it) for a sample rate."""
    n_fft = int(2 ** np.round(np.log2(max(frame_s * sr, 64))))
    return n_fft, n_fft // 4


def analyse(x: np.ndarray, sr: int) -> np.ndarray:
    """Complex STFT (bins, frames) with a Hann window whose overlap-add reconstructs exactly.

    A signal shorter than one frame is zero-padded to a frame (``synthesise`` trims it back).
    """
    n_fft, hop = frame_sizes(sr)
    x = np.asarray(x, dtype=np.float64)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    _, _, spec = stft(x, nperseg=n_fft, noverlap=n_fft - hop, window="hann", boundary="even", padded=True)
    return spec


def synthesise(spec: np.ndarray, sr: int, length: int) -> np.ndarray:
    """Inverse of :func:`analyse`, trimmed or zero-padded to ``length`` samples."""
    n_fft, hop = frame_sizes(sr)
    _, y = istft(spec, nperseg=n_fft, noverlap=n_fft - hop, window="hann", boundary=True)
    out = np.zeros(length)
    out[: min(length, len(y))] = y[:length]
    return out


def quietest_frames_psd(power: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """Noise PSD per bin: the mean power of the ``fraction`` of frames with the least total energy."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction of quietest frames must be in (0, 1], got {fraction}")
    energy = power.sum(axis=0)
    count = max(1, int(np.ceil(fraction * power.shape[1])))
    quiet = np.argsort(energy)[:count]
    return np.maximum(power[:, quiet].mean(axis=1), 1e-20)


def check_signal(x: np.ndarray, name: str) -> np.ndarray:
    """A finite 1-D float array, or a ValueError naming the method and the problem."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"{name} works on one channel (1-D array), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} input contains NaN or infinite samples")
    return x
