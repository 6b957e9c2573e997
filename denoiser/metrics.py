"""Objective scores of a denoised signal against the clean reference, and their confidence intervals.

ΔSNR and ΔSI-SDR measure the improvement over the noisy input in dB. The perceptual score is ViSQOL v3
in audio mode (MOS-LQO, 1–5, from the maintained ``visqol-python`` package, at 48 kHz as ViSQOL's audio
model requires); the multi-resolution STFT distance (spectral convergence plus log-magnitude L1, averaged
over three FFT sizes; lower is better) is always reported as a cheap spectral check beside it.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

import numpy as np
from scipy import stats

from noisekit.audio import resample
from noisekit.denoiser.validation import delta_snr
from noisekit.signal import snr_db

_EPS = 1e-12
VISQOL_RATE = 48000
MRSTFT_FFTS = (512, 1024, 2048)
LOG_FLOOR = 1e-4  # magnitudes below -80 dB of the reference's peak count as -80 dB in the log term

__all__ = [
    "snr_db",
    "delta_snr",
    "si_sdr",
    "delta_si_sdr",
    "mean_ci",
    "mr_stft_distance",
    "stft_magnitude",
    "visqol_available",
    "visqol_mos",
]


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.asarray(reference, dtype=np.float64).ravel()
    est = np.asarray(estimate, dtype=np.float64).ravel()
    if ref.shape != est.shape or ref.size == 0:
        raise ValueError(f"reference and estimate need the same non-zero size, got {ref.shape} and {est.shape}")
    return ref, est


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR in dB: the estimate projected on the reference versus what is left (no mean removal)."""
    ref, est = _pair(reference, estimate)
    alpha = float(np.dot(est, ref)) / (float(np.dot(ref, ref)) + _EPS)
    target = alpha * ref
    err = est - target
    return float(10.0 * np.log10((np.dot(target, target) + _EPS) / (np.dot(err, err) + _EPS)))


def delta_si_sdr(clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray) -> float:
    """ΔSI-SDR: SI-SDR of the denoised output minus SI-SDR of the noisy input, both against ``clean``."""
    return si_sdr(clean, denoised) - si_sdr(clean, noisy)


def mean_ci(values: list[float] | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the Student-t confidence interval of the mean, ``(mean, low, high)``; NaN bounds for n < 2."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def stft_magnitude(x: np.ndarray, n_fft: int) -> np.ndarray:
    """|STFT| (frames, bins) with a Hann window and hop n_fft/4; short signals are zero-padded to one frame."""
    hop = n_fft // 4
    if x.size < n_fft:
        x = np.pad(x, (0, n_fft - x.size))
    frames = 1 + (x.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    return np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft + 2)[1:-1], axis=1))


def mr_stft_distance(reference: np.ndarray, estimate: np.ndarray, ffts: tuple[int, ...] = MRSTFT_FFTS) -> float:
    """Multi-resolution STFT distance: mean over FFT sizes of spectral convergence + mean |log-magnitude| gap.

    Log magnitudes are floored at -80 dB below the reference's peak, so near-silent passages do not dominate.
    """
    ref, est = _pair(reference, estimate)
    total = 0.0
    for n_fft in ffts:
        r, e = stft_magnitude(ref, n_fft), stft_magnitude(est, n_fft)
        convergence = np.sqrt(np.sum(np.square(r - e))) / (np.sqrt(np.sum(np.square(r))) + _EPS)
        floor = max(float(r.max()), _EPS) * LOG_FLOOR  # silent bins of the reference do not dominate
        log_mag = np.mean(np.abs(np.log(np.maximum(r, floor)) - np.log(np.maximum(e, floor))))
        total += float(convergence + log_mag)
    return total / len(ffts)


def visqol_available() -> bool:
    """Whether the ``visqol`` package (visqol-python) imports here."""
    try:
        import visqol  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _visqol_api():
    from visqol import VisqolApi

    logging.getLogger("visqol").setLevel(logging.ERROR)
    api = VisqolApi()
    api.create(mode="audio")
    return api


def visqol_mos(reference: np.ndarray, estimate: np.ndarray, sr: int) -> float:
    """ViSQOL v3 audio-mode MOS-LQO (1 to 5, higher is better) of ``estimate`` against ``reference``."""
    ref, est = _pair(reference, estimate)
    if not visqol_available():
        raise RuntimeError("ViSQOL needs the visqol-python package: pip install visqol-python")
    ref48 = resample(ref.astype(np.float32)[None, :], sr, VISQOL_RATE)[0].astype(np.float64)
    est48 = resample(est.astype(np.float32)[None, :], sr, VISQOL_RATE)[0].astype(np.float64)
    return float(_visqol_api().measure_from_arrays(ref48, est48, VISQOL_RATE).moslqo)


def high_band_levels_db(y: np.ndarray, sr: int, cutoff_hz: float = 8000.0, win_s: float = 0.006) -> np.ndarray:
    """Level (dB) above ``cutoff_hz`` in consecutive windows of ``win_s``: a denoiser fed stationary noise
    should give a flat curve (no seams, no hiss let through now and then); no reference is needed."""
    from scipy.signal import butter, sosfiltfilt

    high = sosfiltfilt(butter(8, cutoff_hz, "highpass", fs=sr, output="sos"), np.asarray(y, dtype=np.float64))
    w = int(win_s * sr)
    k = high.size // w
    return 10 * np.log10(np.mean(high[: k * w].reshape(k, w) ** 2, axis=1) + 1e-30)
