"""Surface-noise models for cross-source evaluation: the project's own, an independent one, and a real one.

``project`` is :mod:`noisekit.synth.gramophone` (the model the classifier was trained with). ``independent``
is written apart from it, with another spectral shape (flat to a knee, then a steep roll-off, a needle
resonance high up), crackle whose amplitudes follow a heavy-tailed log-normal law and ring through random
resonances, clicks that repeat at fixed places of the revolution with jitter, rumble with once-per-turn
thumps, and wow (a time warp that :func:`wow_warp` applies to programme and noise alike). ``real`` loops the
steady run-in of a real disc transfer (the first seconds of ``../shared/real/Air_Bach.ogg``) with
equal-power crossfades. Every model returns float32 (channels, n) at a requested RMS level in dBFS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from noisekit.audio import SAMPLE_RATE, load_audio, resample
from noisekit.errors import NoisekitError
from noisekit.signal import crossfade
from noisekit.synth import dsp
from noisekit.synth.gramophone import draw_gramophone_params, render_gramophone_noise

NOISE_MODELS = ("project", "independent", "real")
REAL_NOISE_FILE = Path(__file__).resolve().parents[2] / "shared" / "real" / "Air_Bach.ogg"
REAL_NOISE_S = 4.5  # the steady run-in of Air_Bach.ogg: surface noise only, before the first note
REAL_XFADE_S = 0.3


def _at_level(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """``x`` scaled to an overall RMS of ``level_dbfs``."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return (x * (10.0 ** (level_dbfs / 20.0) / max(rms, 1e-12))).astype(np.float32)


def project_noise(rng: np.random.Generator, n: int, sr: int, channels: int, level_dbfs: float) -> np.ndarray:
    """The project's gramophone model (:mod:`noisekit.synth.gramophone`), parameters drawn from ``rng``."""
    params = draw_gramophone_params(rng)
    return _at_level(render_gramophone_noise(params, n / sr, sr, rng, channels), level_dbfs)


@dataclass(frozen=True)
class IndependentParams:
    """One draw of the independent model; levels of crackle, clicks and rumble in dB re the hiss."""

    rpm: float
    knee_hz: float  # hiss flat up to here, then rolls off at rolloff_db_oct
    rolloff_db_oct: float
    needle_hz: float
    needle_db: float
    crackle_rate_hz: float
    crackle_sigma: float  # log-normal spread of crackle amplitudes (natural log)
    crackle_db: float
    click_places: int  # damaged places on the groove, each ticking once per revolution
    click_db: float
    rumble_db: float
    wow_depth: float  # peak relative speed deviation (0.003 = 0.3 %)


def draw_independent(rng: np.random.Generator) -> IndependentParams:
    """Draw the independent model's parameters over wide ranges."""
    return IndependentParams(
        rpm=float(rng.uniform(74.0, 82.0)),
        knee_hz=float(np.exp(rng.uniform(np.log(1200), np.log(6000)))),
        rolloff_db_oct=float(rng.uniform(-18.0, -6.0)),
        needle_hz=float(rng.uniform(5000.0, 11000.0)),
        needle_db=float(rng.uniform(0.0, 12.0)),
        crackle_rate_hz=float(np.exp(rng.uniform(np.log(3), np.log(300)))),
        crackle_sigma=float(rng.uniform(0.5, 1.5)),
        crackle_db=float(rng.uniform(-6.0, 12.0)),
        click_places=int(rng.integers(0, 5)),
        click_db=float(rng.uniform(6.0, 26.0)),
        rumble_db=float(rng.uniform(-12.0, 6.0)),
        wow_depth=float(rng.uniform(0.0005, 0.006)),
    )


def _hiss(p: IndependentParams, rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    def magnitude(f: np.ndarray) -> np.ndarray:
        over = np.maximum(f / p.knee_hz, 1.0)
        needle = dsp.resonance_magnitude(f, p.needle_hz, p.needle_db, 2.0)
        return over ** (p.rolloff_db_oct / 6.0206) * needle * dsp.butter_magnitude(f, 40.0, None, 2)

    return dsp.shaped_noise(rng, n, sr, magnitude)[0]


def _crackle(p: IndependentParams, rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Log-normal impulses, each ringing through one of a few random two-pole resonances."""
    out = np.zeros(n)
    times = (dsp.poisson_times(rng, p.crackle_rate_hz, n / sr) * sr).astype(int)
    groups = np.array_split(times, 3)
    for group in groups:
        train = np.zeros(n)
        train[group] = rng.lognormal(0.0, p.crackle_sigma, group.size) * rng.choice([-1.0, 1.0], group.size)
        f0 = float(rng.uniform(1500.0, min(9000.0, 0.4 * sr)))
        b, a = signal.iirpeak(f0, float(rng.uniform(2.0, 8.0)), fs=sr)
        out += signal.lfilter(b, a, train)
    return out


def _clicks(p: IndependentParams, rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Clicks at fixed places of the revolution, every turn, with jittered timing and amplitude."""
    out = np.zeros(n)
    period = 60.0 / p.rpm * sr
    width = max(4, int(0.002 * sr))
    shape = np.exp(-np.arange(width) / (0.25 * width)) * np.sign(np.sin(np.arange(width) * 1.7 + 0.3))
    for _ in range(p.click_places):
        phase, amp = rng.uniform(0.0, period), rng.uniform(0.3, 1.0)
        starts = phase + np.arange(int(n / period) + 1) * period + rng.normal(0.0, 0.0005 * sr, int(n / period) + 1)
        for s in starts.astype(int):
            if 0 <= s < n - width:
                out[s : s + width] += amp * rng.uniform(0.5, 1.0) * shape
    return out


def _rumble(p: IndependentParams, rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Low rumble under 40 Hz plus a once-per-revolution thump."""
    low = dsp.shaped_noise(rng, n, sr, lambda f: dsp.butter_magnitude(f, 8.0, 40.0, 3))[0]
    t = np.arange(n) / sr
    turn = np.cos(2 * np.pi * p.rpm / 60.0 * t + rng.uniform(0, 2 * np.pi)) ** 16
    return low + turn * float(rng.uniform(0.5, 2.0))


def independent_noise(
    rng: np.random.Generator, n: int, sr: int, channels: int, level_dbfs: float, params: IndependentParams | None = None
) -> np.ndarray:
    """The independent model (not wow: see :func:`wow_warp`); channels share it with a weak independent part."""
    p = params or draw_independent(rng)
    hiss = _hiss(p, rng, n, sr)
    unit = float(np.sqrt(np.mean(hiss**2)))

    def scaled(x: np.ndarray, db: float) -> np.ndarray:
        return x * (unit * 10.0 ** (db / 20.0) / max(float(np.sqrt(np.mean(x**2))), 1e-12))

    mono = hiss + scaled(_crackle(p, rng, n, sr), p.crackle_db) + scaled(_rumble(p, rng, n, sr), p.rumble_db)
    clicks = _clicks(p, rng, n, sr)
    if np.any(clicks):
        mono += clicks * unit * 10.0 ** (p.click_db / 20.0)
    out = np.repeat(mono[None, :], channels, axis=0)
    if channels > 1:
        out += 0.15 * dsp.shaped_noise(rng, n, sr, lambda f: np.ones_like(f), rows=channels) * unit
    return _at_level(out, level_dbfs)


def wow_warp(x: np.ndarray, sr: int, rpm: float, depth: float, phase: float) -> np.ndarray:
    """``x`` (channels, n) played with a once-per-revolution speed deviation of ``depth`` (linear in x)."""
    n = x.shape[-1]
    t = np.arange(n) / sr
    w = 2 * np.pi * rpm / 60.0
    read = t + depth / w * (np.sin(w * t + phase) - np.sin(phase))
    read = np.clip(read * sr, 0, n - 1)
    return np.stack([np.interp(read, np.arange(n), ch) for ch in np.atleast_2d(x)]).astype(np.float32)


def real_noise_clip(path: Path = REAL_NOISE_FILE, seconds: float = REAL_NOISE_S, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The first ``seconds`` of a real transfer, mono float64 at ``sr``: the loop's material."""
    if not path.is_file():
        raise NoisekitError(f"{path}: the real noise file is missing (it lives in ../shared/real/)")
    audio, file_sr = load_audio(path, mono=True)
    clip = resample(audio[:, : int(round(seconds * file_sr))], file_sr, sr)[0].astype(np.float64)
    return clip - clip.mean()


def real_noise(
    rng: np.random.Generator, n: int, channels: int, level_dbfs: float, clip: np.ndarray, sr: int
) -> np.ndarray:
    """``clip`` looped to ``n`` samples from a random start, joined by equal-power crossfades (a mono disc:
    every channel the same)."""
    fade = int(REAL_XFADE_S * sr)
    step = clip.size - fade
    if step <= fade:
        raise NoisekitError(f"real noise clip of {clip.size / sr:.2f} s is too short to loop")
    up, down = crossfade(fade, equal_power=True)
    out = np.zeros(n + clip.size)
    first = int(rng.integers(0, step))
    out[: clip.size - first] = clip[first:]
    pos = clip.size - first - fade
    while pos < n:
        seg = clip.copy()
        seg[:fade] *= up
        out[pos : pos + fade] *= down  # the previous segment's last samples
        out[pos : pos + clip.size] += seg
        pos += step
    return _at_level(np.repeat(out[None, :n], channels, axis=0), level_dbfs)
