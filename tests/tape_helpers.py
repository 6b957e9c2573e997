"""Shared helpers for the tape tests: a transparent stand-in classifier, synthetic music, capture writers.

The stand-in judges a 1-s window noise-only unless its spectrum above 600 Hz (clear of mains harmonics) has
a narrow line far above the local median (a musical tone), which is right for the synthetic signals used here.
The shipped classifier is used too (see `shipped_classifier`) when its weights are present.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import median_filter

from noisekit.audio import write_audio
from noisekit.classifier.inference import WindowProbs
from noisekit.seeding import rng_for
from noisekit.synth.tape import draw_tape_params, render_tape_noise

SR = 44100


class ToneDetectorClassifier:
    """p(noise only) = 0 for windows with a spectral line ≥ 30 dB above the local median, else 1."""

    window_s = 1.0
    hop_s = 0.25

    def __init__(self) -> None:
        self.calls = 0

    def window_probs(self, audio_1d: np.ndarray, sr: int) -> WindowProbs:
        self.calls += 1
        x = np.asarray(audio_1d, dtype=np.float64)
        win, hop = int(sr * self.window_s), int(sr * self.hop_s)
        n = max(0, (len(x) - win) // hop + 1)
        band = (np.fft.rfftfreq(win, 1 / sr) > 600) & (np.fft.rfftfreq(win, 1 / sr) < 16000)
        taper = np.hanning(win)
        probs = np.ones(n, dtype=np.float32)
        for i in range(n):
            power = np.abs(np.fft.rfft(x[i * hop : i * hop + win] * taper))[band] ** 2
            local = median_filter(power, 81, mode="nearest")
            if 10 * np.log10((power / (local + 1e-30)).max() + 1e-30) >= 30.0:
                probs[i] = 0.0
        return WindowProbs(probs, self.window_s, self.hop_s, np.arange(n) * self.hop_s, len(x) / sr)


def shipped_classifier():
    """The shipped classifier, or None while its weights are not in classifier/weights/ yet."""
    from noisekit.classifier.checkpoint import checkpoint_paths, load_classifier

    weights, config = checkpoint_paths(None)
    return load_classifier() if weights.is_file() and config.is_file() else None


def blank_noise(
    seed: int, duration_s: float = 11.0, speed_ips: float = 7.5, channels: int = 2, sr: int = SR, **overrides
) -> np.ndarray:
    """Synthetic blank-tape noise without tape dropouts or hum unless asked, (channels, n) float32."""
    rng = rng_for(seed, "test-tape", speed_ips)
    overrides = {"dropout_rate_per_min": 0.0, "hum_hz": 0.0, **overrides}
    return render_tape_noise(draw_tape_params(rng, speed_ips, **overrides), duration_s, sr, rng, channels)


def music(duration_s: float, sr: int = SR, level_db: float = -20.0, seed: int = 0) -> np.ndarray:
    """A simple sum of decaying harmonic tones (a note every 0.5 s), 1-D float32 at `level_db` peak."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sr)
    out = np.zeros(n)
    t = np.arange(int(0.8 * sr)) / sr
    for start in range(0, n, sr // 2):
        f0 = 220.0 * 2 ** (rng.integers(0, 24) / 12)
        note = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6) if k * f0 < 15000) * np.exp(-3 * t)
        end = min(n, start + len(t))
        out[start:end] += note[: end - start]
    return (out / np.abs(out).max() * 10 ** (level_db / 20)).astype(np.float32)


def write_capture(path: Path, audio: np.ndarray, sr: int = SR, subtype: str = "PCM_24") -> Path:
    """Write a capture file and return its path."""
    return write_audio(path, audio, sr, subtype=subtype)
