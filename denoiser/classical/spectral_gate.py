"""noisereduce spectral gating baselines: stationary (one noise threshold) and non-stationary (running).

Two settings differ from the library's speech-oriented defaults, both measured on synthetic notes in
white/pink noise at 5 dB (docs/restore.md): the mask is smoothed over 100 Hz instead of 500 Hz (a 500-Hz
smoothing spreads the mask of narrow musical partials over a dozen empty bins and removes the music: the
output SNR fell below the input's), and the stationary gate gets a noise clip made of the quietest 50-ms
windows instead of estimating the noise from the whole (music-dominated) signal.
"""

from __future__ import annotations

import numpy as np

from noisekit.denoiser.classical.spectral import check_signal

FREQ_SMOOTH_HZ = 100.0


def quietest_clip(x: np.ndarray, sr: int, fraction: float = 0.1, window_s: float = 0.05) -> np.ndarray:
    """The quietest ``fraction`` of ``window_s`` windows, concatenated in time order: a noise sample."""
    win = max(1, int(window_s * sr))
    count = len(x) // win
    if count < 2:
        return np.asarray(x, dtype=np.float32)
    frames = np.asarray(x[: count * win], dtype=np.float32).reshape(count, win)
    keep = max(1, int(np.ceil(fraction * count)))
    quiet = np.sort(np.argsort(np.mean(np.square(frames), axis=1))[:keep])
    return frames[quiet].reshape(-1)


MIN_SAMPLES = 4096  # noisereduce's STFT (1024-point) fails on shorter input: it is zero-padded, then trimmed


def _reduce(x: np.ndarray, sr: int, name: str, **options) -> np.ndarray:
    import noisereduce  # imported on use: it pulls in torch (~300 MB), which the rest of the chain does not need

    x = check_signal(x, name)
    y = np.pad(x.astype(np.float32), (0, max(0, MIN_SAMPLES - len(x))))
    out = noisereduce.reduce_noise(y=y, sr=sr, n_jobs=1, use_tqdm=False, freq_mask_smooth_hz=FREQ_SMOOTH_HZ, **options)
    out = np.asarray(out).reshape(-1)[: len(x)]
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float32)


def gate_stationary(x: np.ndarray, sr: int) -> np.ndarray:
    """noisereduce stationary gating with the quietest windows as the noise clip."""
    clip = quietest_clip(check_signal(x, "noisereduce-stationary"), sr)
    clip = np.resize(clip, max(len(clip), MIN_SAMPLES))  # a short clip repeats to a usable length
    return _reduce(x, sr, "noisereduce-stationary", stationary=True, y_noise=clip)


def gate_nonstationary(x: np.ndarray, sr: int) -> np.ndarray:
    """noisereduce non-stationary gating: the threshold follows a running (2 s) noise estimate."""
    return _reduce(x, sr, "noisereduce-nonstationary", stationary=False)
