"""A second, independent source of programme material for training: procedural notes, chords and babble.

The classifier must not learn the quirks of one generator, so its training stream mixes the shared
``noisekit.synth`` music/speech (when present) with these deliberately different signals: harmonic
notes with random spectra, struck/plucked decaying tones, sustained notes and chords with vibrato,
and a formant "speech" babble. Every renderer returns a 1-D float32 signal of ``n`` samples with RMS
about 1 over its active part, so the scene composer sets levels.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

KINDS = ("melody", "chords", "struck", "sustained", "babble")
_TABLE = 4096


def _tone(rng: np.random.Generator, n: int, sr: int, f0: float, vibrato: float = 0.0) -> np.ndarray:
    """One harmonic tone with a random spectral envelope (wavetable over the phase), peak-normalised."""
    if vibrato > 0:
        t = np.arange(n) / sr
        inst = f0 * (1.0 + vibrato * np.sin(2 * np.pi * rng.uniform(4.0, 7.0) * t + rng.uniform(0, 6.3)))
        cycles: np.ndarray = np.cumsum(inst) / sr
    else:
        cycles = np.arange(n) * (f0 / sr)
    k_max = int(max(1, min(40, min(sr / 2, 14000.0) // (f0 * (1.0 + vibrato)))))
    k = np.arange(1, k_max + 1)
    amp = k ** -rng.uniform(0.6, 2.2) * rng.uniform(0.3, 1.0, k_max) * ((rng.random(k_max) > 0.15) | (k == 1))
    grid = np.arange(_TABLE) / _TABLE
    table = (amp[:, None] * np.sin(2 * np.pi * (k[:, None] * grid[None] + rng.random(k_max)[:, None]))).sum(0)
    out = table[(cycles * _TABLE).astype(np.int64) & (_TABLE - 1)]
    return out / max(np.max(np.abs(table)), 1e-9)


def _envelope(rng: np.random.Generator, n: int, sr: int, struck: bool) -> np.ndarray:
    """Attack-decay-sustain-release (bowed/blown) or attack + exponential decay (struck)."""
    t = np.arange(n) / sr
    attack = rng.uniform(0.002, 0.02) if struck else rng.uniform(0.01, 0.3)
    env = np.minimum(t / attack, 1.0)
    if struck:
        env *= np.exp(-t / rng.uniform(0.3, 3.0))
    else:
        release = min(rng.uniform(0.02, 0.4), n / sr / 2)
        env *= np.clip((n / sr - t) / release, 0.0, 1.0) * (1 - rng.uniform(0, 0.5) * np.minimum(t / 0.3, 1))
    return env


def _random_f0(rng: np.random.Generator, lo: float = 55.0, hi: float = 1400.0) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _notes(rng: np.random.Generator, n: int, sr: int, struck: bool, voices: int) -> np.ndarray:
    out = np.zeros(n)
    for _ in range(voices):
        pos = int(rng.uniform(0, 0.3) * sr)
        base = _random_f0(rng, 70, 900)
        while pos < n:
            dur = int(rng.uniform(0.12, 1.2) * sr)
            m = min(dur + int(0.5 * sr * struck), n - pos)
            f0 = base * 2 ** (int(rng.integers(-7, 8)) / 12)
            tone = _tone(rng, m, sr, f0, vibrato=0.0 if struck else rng.uniform(0, 0.01))
            out[pos : pos + m] += tone * _envelope(rng, m, sr, struck) * rng.uniform(0.4, 1.0)
            pos += dur + (int(rng.uniform(0, 0.4) * sr) if rng.random() < 0.2 else 0)
    return out


def _sustained(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A single long note or chord with slow swell/decay: the case an energy rule mistakes for hum."""
    out = np.zeros(n)
    f0 = _random_f0(rng, 60, 1200)
    for interval in [0] + ([4, 7, 12][: int(rng.integers(0, 3))] if rng.random() < 0.4 else []):
        out += _tone(rng, n, sr, f0 * 2 ** (interval / 12), vibrato=rng.uniform(0, 0.012))
    t = np.arange(n) / sr
    swell = 1.0 + rng.uniform(0, 0.6) * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t + rng.uniform(0, 6.3))
    return out * swell * np.minimum(t / rng.uniform(0.05, 1.0), 1.0)


def _babble(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Speech-like: glottal pulses through moving formants, syllable envelopes, fricative bursts."""
    out = np.zeros(n)
    pos = 0
    f0 = rng.uniform(85, 240)
    while pos < n:
        m = min(int(rng.uniform(0.12, 0.35) * sr), n - pos)
        t = np.arange(m) / sr
        if rng.random() < 0.25:  # fricative
            seg = (
                signal.sosfilt(
                    signal.butter(4, rng.uniform(2000, 6000), "high", fs=sr, output="sos"), rng.standard_normal(m)
                )
                * 0.5
            )
        else:
            inst = f0 * (1 + rng.uniform(-0.15, 0.15) + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
            phase = np.cumsum(inst) / sr
            pulses = np.diff(np.floor(phase), prepend=0.0) + 0.02 * rng.standard_normal(m)
            pulses = signal.lfilter([1.0], [1.0, -0.95], pulses)  # glottal roll-off
            seg = 0.2 * pulses
            for f, bw in ((rng.uniform(300, 900), 90), (rng.uniform(900, 2400), 120), (rng.uniform(2300, 3400), 180)):
                b, a = signal.iirpeak(f, f / bw, fs=sr)
                seg = seg + 0.6 * signal.lfilter(b, a, pulses)
        env = np.abs(np.sin(np.pi * np.arange(m) / max(m - 1, 1))) ** rng.uniform(0.5, 2.0)
        out[pos : pos + m] = seg * env / max(float(np.std(seg)), 1e-9)
        pos += m + (int(rng.uniform(0.05, 0.4) * sr) if rng.random() < 0.3 else 0)
    return out


def render_programme(rng: np.random.Generator, n: int, sr: int, kind: str | None = None) -> np.ndarray:
    """``n`` samples of procedural programme of ``kind`` (one of KINDS, drawn if None), RMS ≈ 1 where active."""
    kind = kind or str(rng.choice(KINDS))
    if kind == "melody":
        x = _notes(rng, n, sr, struck=False, voices=int(rng.integers(1, 3)))
    elif kind == "chords":
        x = _notes(rng, n, sr, struck=False, voices=int(rng.integers(3, 6)))
    elif kind == "struck":
        x = _notes(rng, n, sr, struck=True, voices=int(rng.integers(1, 4)))
    elif kind == "sustained":
        x = _sustained(rng, n, sr)
    elif kind == "babble":
        x = _babble(rng, n, sr)
    else:
        raise ValueError(f"render_programme: unknown kind {kind!r}, expected one of {KINDS}")
    active = np.abs(x) > 1e-4 * (np.max(np.abs(x)) + 1e-12)
    rms = np.sqrt(np.mean(x[active] ** 2)) if active.any() else 1.0
    return (x / max(rms, 1e-12)).astype(np.float32)
