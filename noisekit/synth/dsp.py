"""Small vectorised DSP building blocks shared by the synthesisers (filters, shaped noise, envelopes)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from scipy import fft as sfft
from scipy import signal

from noisekit.signal import fade_in


def peaking_sos(f0: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ peaking-EQ biquad as a (1, 6) SOS array: a resonance (or notch) at ``f0``."""
    f0 = min(max(f0, 1.0), 0.45 * sr)
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * f0 / sr
    alpha = np.sin(w0) / (2.0 * q)
    b = np.array([1.0 + alpha * a, -2.0 * np.cos(w0), 1.0 - alpha * a])
    den = np.array([1.0 + alpha / a, -2.0 * np.cos(w0), 1.0 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def shelf_sos(f0: float, gain_db: float, sr: int, high: bool = True) -> np.ndarray:
    """RBJ high- (or low-) shelf biquad (slope 1) as a (1, 6) SOS array."""
    f0 = min(max(f0, 1.0), 0.45 * sr)
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * f0 / sr
    cw, alpha = np.cos(w0), np.sin(w0) / np.sqrt(2.0)
    sa = 2.0 * np.sqrt(a) * alpha
    s = 1.0 if high else -1.0
    b = np.array(
        [
            a * ((a + 1) + s * (a - 1) * cw + sa),
            -2 * s * a * ((a - 1) + s * (a + 1) * cw),
            a * ((a + 1) + s * (a - 1) * cw - sa),
        ]
    )
    den = np.array(
        [(a + 1) - s * (a - 1) * cw + sa, 2 * s * ((a - 1) - s * (a + 1) * cw), (a + 1) - s * (a - 1) * cw - sa]
    )
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def band_sos(lo_hz: float | None, hi_hz: float | None, sr: int, order: int = 4) -> np.ndarray | None:
    """Butterworth high-pass / low-pass / band-pass SOS for the given edges (None = open); None if both open.

    Edges are rounded to a 1/48-octave grid (1.5 %) and designs are cached: per-note filters cost nothing.
    """
    nyq = 0.5 * sr
    lo = _grid(min(lo_hz, 0.9 * nyq)) if lo_hz and lo_hz > 0 else None  # low rates: keep edges valid
    hi = _grid(hi_hz) if hi_hz and hi_hz < 0.98 * nyq else None
    if lo and hi and lo >= hi:
        lo = _grid(0.5 * hi)
    sos = _butter(lo, hi, int(sr), int(order))
    return None if sos is None else sos.copy()  # scipy wants a writeable array


def _grid(hz: float) -> float:
    return float(2.0 ** (round(48.0 * np.log2(hz)) / 48.0))


@functools.lru_cache(maxsize=4096)
def _butter(lo: float | None, hi: float | None, sr: int, order: int) -> np.ndarray | None:
    if lo and hi and lo < hi:
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=sr, output="sos")
    elif lo:
        sos = signal.butter(order, lo, btype="highpass", fs=sr, output="sos")
    elif hi:
        sos = signal.butter(order, hi, btype="lowpass", fs=sr, output="sos")
    else:
        return None
    return sos


def apply_sos(x: np.ndarray, sos: np.ndarray | None) -> np.ndarray:
    """Filter along the last axis with ``sos`` (no-op for None); float32 input is filtered in float32.

    A noise floor at -600 dB is added first: after a signal stops, an IIR's state would otherwise decay
    into subnormal numbers and hover there (a limit cycle), which makes sosfilt up to 100x slower.
    """
    if sos is None:
        return x
    if x.dtype == np.float32:
        sos = sos.astype(np.float32)
    x = np.asarray(x)
    floor = _tiny_noise()
    reps = -(-x.shape[-1] // floor.size)
    tiny = np.tile(floor, reps)[: x.shape[-1]] if reps > 1 else floor[: x.shape[-1]]
    return signal.sosfilt(sos, x + tiny.astype(x.dtype if x.dtype.kind == "f" else np.float64), axis=-1)


@functools.lru_cache(maxsize=1)
def _tiny_noise() -> np.ndarray:
    return np.random.default_rng(0x71).standard_normal(1 << 16) * 1e-30


def shaped_noise(
    rng: np.random.Generator, n: int, sr: int, magnitude: Callable[[np.ndarray], np.ndarray], rows: int = 1
) -> np.ndarray:
    """Gaussian noise (rows, n) whose amplitude spectrum follows ``magnitude(freqs_hz)``, unit expected RMS.

    Shaping happens in the frequency domain over a fast FFT length (float32 for speed), so any spectral
    shape costs the same; the output is the first ``n`` samples of a circular realisation (stationary, no
    edge effects). The scale is set from the expected power, so component levels add up as designed.
    """
    if n <= 0:
        return np.zeros((rows, 0), dtype=np.float32)
    m = sfft.next_fast_len(n, real=True)
    freqs = np.fft.rfftfreq(m, 1.0 / sr).astype(np.float32)
    # smooth shapes: evaluate on a log-spaced grid and interpolate (cheap for long signals)
    grid = np.concatenate([[0.0], np.geomspace(0.5, sr / 2.0, 1536)])
    mag = np.interp(freqs, grid, np.asarray(magnitude(grid), dtype=np.float64))
    power = 4.0 * float(np.sum(mag * mag)) / (m * m)  # E[x²] of irfft(mag·(a+ib)), a,b ~ N(0,1)
    mag32 = (mag / np.sqrt(max(power, 1e-300))).astype(np.float32)
    spec = np.empty((rows, freqs.size), dtype=np.complex64)
    spec.real = rng.standard_normal((rows, freqs.size), dtype=np.float32)
    spec.imag = rng.standard_normal((rows, freqs.size), dtype=np.float32)
    spec *= mag32
    return sfft.irfft(spec, n=m, axis=-1)[:, :n]


def tilt_magnitude(freqs: np.ndarray, tilt_db_oct: float, ref_hz: float = 1000.0) -> np.ndarray:
    """Amplitude response of a constant spectral tilt in dB per octave around ``ref_hz``."""
    f = np.maximum(freqs, 10.0)
    return (f / ref_hz) ** (tilt_db_oct / 6.0206)


def butter_magnitude(freqs: np.ndarray, lo_hz: float | None, hi_hz: float | None, order: int) -> np.ndarray:
    """Amplitude response of Butterworth high/low-pass edges (analytic, for frequency-domain shaping)."""
    mag = np.ones_like(freqs, dtype=np.float64)
    f = np.maximum(freqs, 1e-3)
    if lo_hz:
        mag *= 1.0 / np.sqrt(1.0 + (lo_hz / f) ** (2 * order))
    if hi_hz:
        mag *= 1.0 / np.sqrt(1.0 + (f / hi_hz) ** (2 * order))
    return mag


def resonance_magnitude(freqs: np.ndarray, f0: float, gain_db: float, q: float) -> np.ndarray:
    """Amplitude response of a bell-shaped resonance (log-frequency Gaussian bump of ``gain_db``)."""
    width = 1.0 / (2.0 * q)  # in octaves, roughly
    octs = np.log2(np.maximum(freqs, 1.0) / f0)
    return 10.0 ** (gain_db * np.exp(-0.5 * (octs / width) ** 2) / 20.0)


def smooth_random(rng: np.random.Generator, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """Slowly varying random curve (unit-variance knots) with features on the time scale 1/``rate_hz``."""
    step = max(1, int(sr / max(rate_hz, 1e-3)))
    knots = rng.standard_normal(n // step + 2)
    return np.interp(np.arange(n, dtype=np.float32), np.arange(knots.size, dtype=np.float32) * step, knots)


def smooth_gain(rng: np.random.Generator, n: int, sr: int, depth_db: float, rate_hz: float) -> np.ndarray:
    """Slow random gain (float32, around 1) fluctuating by about ``depth_db`` on the time scale 1/``rate_hz``."""
    step = max(1, int(sr / max(rate_hz, 1e-3)))
    knots = 10.0 ** (depth_db * rng.standard_normal(n // step + 2) / 20.0)
    return np.interp(np.arange(n, dtype=np.float32), np.arange(knots.size, dtype=np.float32) * step, knots).astype(
        np.float32
    )


def periodic_curve(n: int, sr: int, period_s: float, amps: list[float], phases: list[float]) -> np.ndarray:
    """1 + Σ_k amps[k]·cos(2π(k+1)t/period + phases[k]), computed on a coarse grid and interpolated."""
    step = 32
    tc = np.arange(0, n + step, step, dtype=np.float64)
    w = 2 * np.pi * tc / (sr * period_s)
    curve = np.ones_like(tc)
    for k, (a, ph) in enumerate(zip(amps, phases, strict=True)):
        curve += a * np.cos((k + 1) * w + ph)
    return np.interp(np.arange(n, dtype=np.float32), tc, curve)


def fade_curve(n: int, shape: str = "cos") -> np.ndarray:
    """Rising fade of length ``n`` from 0 to 1: 'cos' (sin², as noisekit.signal.fade_in), 'lin' or 'exp' (dB-linear)."""
    if n <= 0:
        return np.zeros(0)
    t = (np.arange(n) + 0.5) / n
    if shape == "lin":
        return t
    if shape == "exp":
        return 10.0 ** (-60.0 * (1.0 - t) / 20.0) * t
    return fade_in(n)


def poisson_times(rng: np.random.Generator, rate_hz: float, duration_s: float) -> np.ndarray:
    """Sorted event times of a homogeneous Poisson process on [0, duration_s)."""
    if rate_hz <= 0 or duration_s <= 0:
        return np.zeros(0)
    count = rng.poisson(rate_hz * duration_s)
    return np.sort(rng.uniform(0.0, duration_s, count))


def place_events(out: np.ndarray, starts: np.ndarray, templates: list[np.ndarray]) -> None:
    """Add each template into ``out`` (1-D) at its start sample, clipping at the edges."""
    n = out.shape[-1]
    for s, tpl in zip(starts, templates, strict=True):
        s = int(s)
        if s >= n or s + tpl.size <= 0:
            continue
        a, b = max(s, 0), min(s + tpl.size, n)
        out[a:b] += tpl[a - s : b - s]


def hum_tone(rng: np.random.Generator, n: int, sr: int, hz: float, harmonics: int, level_db: float) -> np.ndarray:
    """Mains hum at ``hz`` with random-amplitude harmonics (odd ones favoured), RMS = ``level_db`` dBFS."""
    hum = np.zeros(n, dtype=np.float32)
    if hz <= 0 or n == 0:
        return hum
    # the waveform repeats every sr/gcd(sr, hz) samples (≤ 1 s for integer hz): synthesise one cycle, tile
    period = sr // math.gcd(int(sr), int(round(hz))) if float(hz).is_integer() else n
    t = np.arange(min(period, n), dtype=np.float64) / sr
    tilt = rng.uniform(0.3, 1.5)
    cycle = np.zeros(t.size)
    for k in range(1, max(1, harmonics) + 1):
        if k * hz >= 0.45 * sr:
            break
        a = rng.uniform(0.1, 1.0) / k**tilt * (rng.uniform(1.0, 2.0) if k % 2 else 1.0)
        cycle += a * np.sin(2 * np.pi * k * hz * t + rng.uniform(0, 2 * np.pi))
    hum = np.tile(cycle.astype(np.float32), n // cycle.size + 1)[:n]
    return hum * (10.0 ** (level_db / 20.0) / max(float(np.sqrt(np.mean(hum * hum))), 1e-30))


def render_length(who: str, duration_s: float, sr: int, channels: int = 1) -> int:
    """Validate render arguments (naming the caller ``who`` in errors) and return the sample count."""
    if channels < 1:
        raise ValueError(f"{who}: channels must be ≥ 1, got {channels}")
    if not (duration_s >= 0 and np.isfinite(duration_s)):
        raise ValueError(f"{who}: duration_s must be finite and ≥ 0, got {duration_s}")
    if sr <= 0:
        raise ValueError(f"{who}: sample rate must be positive, got {sr}")
    return int(round(duration_s * sr))


@functools.lru_cache(maxsize=32)
def _noise_table(sr: int, lo: float, hi: float | None) -> np.ndarray:
    rng = np.random.default_rng(0x5EED)  # fixed: the table is a constant, the slice offsets are random
    x = apply_sos(rng.standard_normal(1 << 18), band_sos(lo, hi, sr, order=2)).astype(np.float32)
    x /= float(np.sqrt(np.mean(x * x)))
    x.setflags(write=False)
    return x


def noise_slice(rng: np.random.Generator, n: int, sr: int, lo: float, hi: float | None) -> np.ndarray:
    """``n`` samples of unit-RMS band-passed noise, a random slice of a cached table (cheap per note)."""
    table = _noise_table(int(sr), float(round(lo, -1)), float(round(hi, -1)) if hi else None)
    start = int(rng.integers(0, table.size))
    if start + n <= table.size:
        return table[start : start + n]
    return np.resize(np.roll(table, -start), n)


def chorus(x: np.ndarray, sr: int, rng: np.random.Generator, voices: int) -> np.ndarray:
    """``x`` plus ``voices`` slowly modulated delayed copies (10-25 ms, ±0.3-1.5 ms): a section of players
    rather than one; the level is kept (copies add as uncorrelated players)."""
    if voices < 1 or x.size < 2:
        return x
    t = np.arange(x.size, dtype=np.float64)
    y = x.astype(np.float64, copy=True)
    for _ in range(voices):
        base, depth = rng.uniform(10.0, 25.0), rng.uniform(0.3, 1.5)
        w = 2 * np.pi * rng.uniform(0.1, 0.8) / sr
        delay = (base + depth * np.sin(w * t + rng.uniform(0, 2 * np.pi))) * (sr / 1000.0)
        y += rng.uniform(0.7, 1.0) * np.interp(t - delay, t, x, left=0.0)
    return y / np.sqrt(1.0 + voices)
