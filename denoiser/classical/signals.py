"""Synthetic signals with known answers (sinusoids, notes, coloured noise, planted clicks) for tests and benchmarks."""

from __future__ import annotations

import numpy as np

from noisekit.audio import SAMPLE_RATE

SR = SAMPLE_RATE


def sinusoids(seconds: float, sr: int = SR, hiss: float = 0.003, seed: int = 0) -> np.ndarray:
    """Three steady partials (220, 660, 1510 Hz) plus a low white-noise floor, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = (
        0.3 * np.sin(2 * np.pi * 220 * t)
        + 0.2 * np.sin(2 * np.pi * 660 * t + 1.0)
        + 0.1 * np.sin(2 * np.pi * 1510 * t)
        + hiss * rng.standard_normal(len(t))
    )
    return x.astype(np.float32)


def notes(seconds: float, sr: int = SR, seed: int = 0, lead_s: float = 0.3) -> np.ndarray:
    """Decaying harmonic notes at random pitches with short rests, after a silent lead-in, float32."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = np.zeros(n)
    start = int(lead_s * sr)
    while start < n:
        dur = int(rng.uniform(0.15, 0.5) * sr)
        f0 = rng.uniform(110, 880)
        t = np.arange(min(dur, n - start)) / sr
        env = np.exp(-t * rng.uniform(3, 10)) * (1 - np.exp(-t * 300))
        tone = sum(0.6**h * np.sin(2 * np.pi * f0 * (h + 1) * t + rng.uniform(0, 6)) for h in range(5))
        y[start : start + len(t)] += 0.3 * env * tone
        start += dur + int(rng.uniform(0, 0.15) * sr)
    return y.astype(np.float32)


def coloured_noise(n: int, kind: str, seed: int = 1) -> np.ndarray:
    """Unit-variance white or pink (1/f power) Gaussian noise."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(spec / np.sqrt(f), n)
    return pink / pink.std()


def add_noise(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``clean + g * noise`` at exactly ``snr_db`` over the whole signal, float32."""
    g = np.sqrt(np.sum(clean.astype(np.float64) ** 2) / np.sum(noise**2)) / 10 ** (snr_db / 20)
    return (clean + g * noise).astype(np.float32)


def plant_clicks(
    x: np.ndarray,
    count: int,
    seed: int = 5,
    widths: tuple[int, int] = (1, 11),
    peaks: tuple[float, float] = (0.05, 0.5),
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Add ``count`` decaying clicks (``widths`` samples, ``peaks`` peak, either sign); returns signal and ranges."""
    rng = np.random.default_rng(seed)
    y = x.copy()
    spacing = len(x) // count
    planted = []
    for i in range(count):
        start = i * spacing + int(rng.integers(200, spacing - 200))
        width = int(rng.integers(widths[0], widths[1] + 1))
        amp = rng.uniform(*peaks) * rng.choice([-1.0, 1.0])
        shape = amp * np.exp(-np.arange(width) / max(width / 3, 1)) * rng.uniform(0.5, 1.0, width)
        y[start : start + width] += shape.astype(y.dtype)
        planted.append((start, start + width))
    return y, planted
