"""Speech-like and singing signals: glottal source with a pitch contour through vowel formants, consonant noise.

A syllable is an optional consonant (plosive burst or fricative hiss) followed by a vowel; speech groups
syllables into phrases with pauses and a falling (declination) pitch contour with accents, as in the
declamatory spoken word of early records; singing holds one vowel per note with vibrato and glides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisekit.synth import dsp
from noisekit.synth.instruments import wavetable_tone
from noisekit.synth.params import apply_overrides, jsonable

# adult-male formants F1..F3 (Hz); F4, F5 fixed; scaled by the vocal-tract factor
VOWELS = np.array(
    [
        [270, 2290, 3010],
        [390, 1990, 2550],
        [530, 1840, 2480],
        [660, 1720, 2410],
        [730, 1090, 2440],
        [570, 840, 2410],
        [440, 1020, 2240],
        [300, 870, 2240],
        [640, 1190, 2390],
        [490, 1350, 1690],
    ],
    dtype=np.float64,
)
_BW = np.array([70.0, 100.0, 130.0, 180.0, 250.0])
FRICATIVES = {"s": (4000.0, 9000.0), "sh": (2000.0, 5500.0), "f": (1200.0, 9000.0), "h": (500.0, 4000.0)}
KINDS = ("speech", "singing")


@dataclass
class SpeechParams:
    """One voice: register, tract length, rate, phrasing, breathiness, vibrato (singing)."""

    kind: str = "speech"
    f0_hz: float = 120.0
    tract: float = 1.0  # formant scale: 1.0 adult male, ~1.15 female, ~1.25 child
    syllable_rate: float = 4.0
    phrase_s: tuple[float, float] = (1.2, 3.5)
    pause_s: tuple[float, float] = (0.25, 0.9)
    pitch_range: float = 0.25  # relative size of accents
    breath_db: float = -26.0
    consonant_db: float = -12.0
    vib_depth: float = 0.0
    singer_formant_db: float = 0.0

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def draw_speech_params(rng: np.random.Generator, kind: str | None = None, **overrides) -> SpeechParams:
    """Draw a voice (male/female/child register) for speech or singing."""
    kind = kind or ("speech" if rng.random() < 0.5 else "singing")
    if kind not in KINDS:
        raise ValueError(f"draw_speech_params: unknown kind {kind!r}, expected one of {KINDS}")
    female = rng.random() < 0.4
    p = SpeechParams(
        kind=kind,
        f0_hz=float(rng.uniform(170, 260) if female else rng.uniform(85, 150)),
        tract=float(rng.uniform(1.08, 1.2) if female else rng.uniform(0.9, 1.05)),
        syllable_rate=float(rng.uniform(2.5, 5.5)),
        pitch_range=float(rng.uniform(0.1, 0.5)),
        breath_db=float(rng.uniform(-36, -18)),
        consonant_db=float(rng.uniform(-20, -8)),
        vib_depth=float(rng.uniform(0.008, 0.03)) if kind == "singing" else 0.0,
        singer_formant_db=float(rng.uniform(0, 12)) if kind == "singing" else 0.0,
    )
    p = apply_overrides(p, overrides, "draw_speech_params")
    if p.kind not in KINDS:
        raise ValueError(f"draw_speech_params: unknown kind {p.kind!r}, expected one of {KINDS}")
    return p


def _formant_sos(vowel: int, tract: float, sr: int, singer_db: float) -> np.ndarray:
    freqs = np.concatenate([VOWELS[vowel], [3300.0, 3750.0]]) * tract
    rows = []
    for f, bw in zip(freqs, _BW, strict=True):
        if f >= 0.45 * sr:
            continue
        r = np.exp(-np.pi * bw / sr)
        a1, a2 = -2 * r * np.cos(2 * np.pi * f / sr), r * r
        rows.append([1.0 + a1 + a2, 0.0, 0.0, 1.0, a1, a2])  # unit gain at DC
    sos = np.array(rows)
    if singer_db > 0:
        sos = np.concatenate([sos, dsp.peaking_sos(2900.0 * tract, singer_db, 2.0, sr)])
    return sos


@dataclass
class _Syllable:
    start: int
    vowel_start: int
    end: int
    vowel: int
    consonant: str  # '', 'p' (plosive) or a FRICATIVES key


def _voice(
    p: SpeechParams, f0: np.ndarray, syls: list[_Syllable], n: int, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Render syllables given a per-sample f0 curve (0 where unvoiced)."""
    f0 = np.maximum(f0, 40.0)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    kmax = int(min(80, 0.45 * sr / float(np.max(f0))))
    k = np.arange(1, kmax + 1, dtype=np.float64)
    source = wavetable_tone(1.0 / k ** rng.uniform(0.7, 1.3), phase).astype(np.float64)
    source += 10 ** (p.breath_db / 20.0) * 3.0 * dsp.noise_slice(rng, n, sr, 100.0, None)  # aspiration
    out = np.zeros(n)
    ramp = int(0.015 * sr)
    for s in syls:
        a, b = s.vowel_start, min(s.end, n)
        if b - a > 2 * ramp:
            seg = dsp.apply_sos(source[a:b], _formant_sos(s.vowel, p.tract, sr, p.singer_formant_db))
            env = np.minimum(1.0, np.minimum(np.arange(b - a), np.arange(b - a)[::-1]) / ramp)
            out[a:b] += seg * env * rng.uniform(0.6, 1.0)
        if s.consonant and s.vowel_start > s.start:
            m = s.vowel_start - s.start
            if s.consonant == "p":
                burst = min(m, int(rng.uniform(0.005, 0.02) * sr))
                noise = dsp.apply_sos(rng.standard_normal(burst), dsp.band_sos(800.0, 7000.0, sr, 2))
                seg = np.zeros(m)
                seg[m - burst :] = noise * np.exp(-np.arange(burst) / (0.004 * sr))
            else:
                lo, hi = FRICATIVES[s.consonant]
                seg = dsp.apply_sos(rng.standard_normal(m), dsp.band_sos(lo, min(hi, 0.45 * sr), sr, 2))
                seg *= np.hanning(m)
            out[s.start : s.vowel_start] += 10 ** (p.consonant_db / 20.0) * 4.0 * seg
    return out


def _syllable(rng: np.random.Generator, start: int, end: int, sr: int, n_vowels: int) -> _Syllable:
    cons = str(rng.choice(["", "p", "s", "sh", "f", "h"], p=[0.3, 0.3, 0.15, 0.08, 0.07, 0.1]))
    clen = 0 if not cons else int(rng.uniform(0.03, 0.12) * sr)
    clen = min(clen, (end - start) // 2)
    return _Syllable(start, start + clen, end, int(rng.integers(0, n_vowels)), cons)


def _finish(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0:
        x = x * (0.9 / peak)
    if x.size:
        x[-1] = 0.0
    return x.astype(np.float32)


def render_speech(params: SpeechParams, duration_s: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Render speech (phrases and pauses) or a sung random melody; 1-D float32, peak 0.9, ends at 0."""
    n = dsp.render_length("render_speech", duration_s, sr)
    if params.kind == "singing":
        notes = []
        t, step = 0.0, 60.0 / rng.uniform(60, 120)
        degree = 0
        while t < duration_s - 0.3:
            d = step * float(rng.choice([0.5, 1, 1, 2, 3]))
            degree = int(np.clip(degree + rng.integers(-2, 3), -5, 9))
            notes.append(
                (
                    t,
                    min(d, duration_s - t),
                    12 * np.log2(params.f0_hz * 1.5 / 440)
                    + 69
                    + [0, 2, 4, 5, 7, 9, 11][degree % 7]
                    + 12 * (degree // 7),
                )
            )
            t += d
        return sing_notes(params, notes, n, sr, rng)
    f0 = np.zeros(n)
    syls: list[_Syllable] = []
    pos = int(rng.uniform(0.0, 0.2) * sr)
    while pos < n - int(0.3 * sr):
        ph_end = min(n, pos + int(rng.uniform(*params.phrase_s) * sr))
        decl = np.linspace(1.15, 0.85, ph_end - pos) * params.f0_hz
        f0[pos:ph_end] = decl * (1 + params.pitch_range * 0.3 * dsp.smooth_random(rng, ph_end - pos, sr, 4.0))
        while pos < ph_end - int(0.08 * sr):
            length = int(sr / params.syllable_rate * rng.uniform(0.6, 1.5))
            syls.append(_syllable(rng, pos, min(pos + length, ph_end), sr, len(VOWELS)))
            pos += length
        pos = ph_end + int(rng.uniform(*params.pause_s) * sr)
    return _finish(_voice(params, f0, syls, n, sr, rng))


def sing_notes(
    params: SpeechParams, notes: list[tuple[float, float, float]], n: int, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Sing ``notes`` [(onset_s, dur_s, midi)] into n samples: a syllable per note, vibrato, glides between notes."""
    f0 = np.full(n, params.f0_hz)
    syls: list[_Syllable] = []
    glide = int(0.05 * sr)
    prev = None
    for onset, dur, midi in notes:
        a, b = int(onset * sr), min(n, int((onset + dur) * sr))
        if b - a < int(0.06 * sr):
            continue
        hz = 440.0 * 2 ** ((midi - 69) / 12.0)
        f0[a:b] = hz
        if prev is not None and a - prev[1] < glide:
            g = min(glide, b - a)
            f0[a : a + g] = np.linspace(prev[0], hz, g)
        prev = (hz, b)
        syls.append(_syllable(rng, a, b, sr, len(VOWELS)))
    t = np.arange(n) / sr
    f0 *= 1 + params.vib_depth * np.sin(2 * np.pi * rng.uniform(4.8, 6.2) * t)
    return _finish(_voice(params, f0, syls, n, sr, rng))
