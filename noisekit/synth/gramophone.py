"""78-rpm surface noise: hiss, crackle, clicks, thumps, rumble, hum, per-revolution scratches.

Parameters are drawn by :func:`draw_gramophone_params` (profile- and era-dependent, wide ranges) and
rendered by :func:`render_gramophone_noise`. Stereo captures of a mono disc are modelled as a shared
lateral component plus a weak independent "vertical" component with opposite sign in the two channels,
so the channels are highly but not perfectly correlated. The programme's era colouring lives in
:mod:`noisekit.synth.era` and is re-exported here (``apply_era``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from noisekit.synth import dsp
from noisekit.synth.era import ERAS, EraParams, apply_era, apply_era_params, draw_era_params  # noqa: F401
from noisekit.synth.params import apply_overrides, jsonable

PROFILES = ("balanced", "hiss_heavy", "crackle_heavy", "worn", "clean_shellac")


@dataclass
class GramophoneParams:
    """Everything that defines one rendered surface-noise texture (levels in dBFS)."""

    era: str = "electrical"
    profile: str = "balanced"
    rpm: float = 78.0
    # hiss: RMS level, tilt around 1 kHz, playback band, stylus/cartridge resonance
    hiss_db: float = -45.0
    hiss_tilt_db_oct: float = -2.0
    hiss_lo_hz: float = 60.0
    hiss_hi_hz: float = 10000.0
    hiss_hi_order: int = 3
    hiss_res_hz: float = 4000.0
    hiss_res_db: float = 3.0
    hiss_res_q: float = 1.5
    # crackle: Poisson micro-impulses with heavy-tailed amplitudes and bursty density
    crackle_rate: float = 300.0
    crackle_db: float = -50.0
    crackle_alpha: float = 2.0
    crackle_burstiness: float = 0.5
    crackle_bright_hz: float = 1500.0
    # clicks: rarer, louder, varied shape and width
    click_rate: float = 1.0
    click_peak_db: float = -20.0
    click_spread_db: float = 6.0
    click_width_ms: tuple[float, float] = (0.1, 1.5)
    # thumps: damped low-frequency bursts
    thump_rate_per_min: float = 1.0
    thump_peak_db: float = -20.0
    thump_hz: tuple[float, float] = (20.0, 70.0)
    # rumble and hum
    rumble_db: float = -55.0
    rumble_hz: float = 30.0
    hum_hz: float = 0.0
    hum_db: float = -70.0
    hum_harmonics: int = 5
    # per-revolution scratch(es): (phase_s, peak_db, width_ms) each
    scratches: list[tuple[float, ...]] = field(default_factory=list)  # see _scratches
    # level modulation at the revolution rate (eccentricity, warp): depth of 1st and 2nd harmonic
    rev_mod_depth: float = 0.1
    rev_mod_depth2: float = 0.03
    # stereo: level of the independent vertical component relative to the lateral one
    vertical_db: float = -20.0
    channel_imbalance_db: float = 0.5

    @property
    def rev_period_s(self) -> float:
        """Duration of one disc revolution in seconds."""
        return 60.0 / self.rpm

    def to_dict(self) -> dict:
        """JSON-serialisable form (tuples become lists)."""
        return jsonable(self)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _lu(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Log-uniform draw in [lo, hi]."""
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def draw_gramophone_params(rng: np.random.Generator, era: str | None = None, **overrides) -> GramophoneParams:
    """Draw a diverse surface-noise texture; ``era`` in ERAS or None (drawn), overrides set fields."""
    if era is None:
        era = "acoustic" if rng.random() < 0.4 else "electrical"
    if era not in ERAS:
        raise ValueError(f"draw_gramophone_params: unknown era {era!r}, expected one of {ERAS}")
    profile = overrides.pop("profile", None) or str(rng.choice(PROFILES, p=[0.32, 0.2, 0.2, 0.14, 0.14]))
    if profile not in PROFILES:
        raise ValueError(f"draw_gramophone_params: unknown profile {profile!r}, expected one of {PROFILES}")
    older = 4.0 if era == "acoustic" else 0.0  # coarser early shellac: a little noisier on average
    base = {"balanced": -46.0, "hiss_heavy": -34.0, "crackle_heavy": -50.0, "worn": -38.0, "clean_shellac": -58.0}[
        profile
    ] + older
    p = GramophoneParams(era=era, profile=profile)
    p.rpm = float(rng.choice([78.0, 78.26, 80.0, 76.0, 75.0, 82.0], p=[0.6, 0.15, 0.08, 0.07, 0.05, 0.05]))
    p.hiss_db = base + _u(rng, -8, 8)
    p.hiss_tilt_db_oct = _u(rng, -6.0, 1.5)
    p.hiss_lo_hz = _lu(rng, 20, 200)
    p.hiss_hi_hz = _lu(rng, 3500, 16000) if profile != "worn" else _lu(rng, 2500, 8000)
    p.hiss_hi_order = int(rng.integers(1, 6))
    p.hiss_res_hz = _lu(rng, 1500, 9000)
    p.hiss_res_db = _u(rng, -3, 10)
    p.hiss_res_q = _u(rng, 0.7, 4.0)
    crackle_boost = {"crackle_heavy": 14.0, "worn": 8.0, "clean_shellac": -10.0}.get(profile, 0.0)
    p.crackle_rate = _lu(rng, 30, 600) * (5.0 if profile == "crackle_heavy" else 1.0)
    p.crackle_db = base - 6.0 + crackle_boost + _u(rng, -8, 6)
    p.crackle_alpha = _u(rng, 1.3, 3.5)
    p.crackle_burstiness = _u(rng, 0.0, 1.0)
    p.crackle_bright_hz = _lu(rng, 300, 5000)
    click_scale = {"crackle_heavy": 4.0, "worn": 6.0, "clean_shellac": 0.15}.get(profile, 1.0)
    p.click_rate = _lu(rng, 0.05, 3.0) * click_scale
    p.click_peak_db = base + 22.0 + _u(rng, -10, 12) + (4.0 if profile == "worn" else 0.0)
    p.click_spread_db = _u(rng, 3, 10)
    w0 = _lu(rng, 0.03, 0.5)
    p.click_width_ms = (w0, w0 * _lu(rng, 2, 15))
    p.thump_rate_per_min = _lu(rng, 0.05, 4.0) * (3.0 if profile == "worn" else 1.0)
    if profile == "clean_shellac" or rng.random() < 0.25:
        p.thump_rate_per_min = 0.0
    p.thump_peak_db = base + 20.0 + _u(rng, -10, 8)
    f1 = _u(rng, 12, 40)
    p.thump_hz = (f1, f1 + _u(rng, 5, 60))
    p.rumble_db = base - _u(rng, 0, 25)
    p.rumble_hz = _u(rng, 10, 45)
    if rng.random() < 0.3:
        p.hum_hz = float(rng.choice([50.0, 60.0]))
        p.hum_db = base - _u(rng, 5, 30)
        p.hum_harmonics = int(rng.integers(1, 9))
    n_scr = int(rng.choice([0, 1, 2, 3], p=[0.35, 0.4, 0.18, 0.07])) + (1 if profile == "worn" else 0)
    p.scratches = [_draw_scratch(rng, p.rev_period_s, base) for _ in range(n_scr)]
    p.rev_mod_depth = _u(rng, 0.0, 0.35 if profile == "worn" else 0.18)
    p.rev_mod_depth2 = _u(rng, 0.0, 0.5) * p.rev_mod_depth
    p.vertical_db = _u(rng, -28, -6)  # L/R correlation of the noise from about 0.6 to 0.999
    p.channel_imbalance_db = _u(rng, 0.0, 1.5)
    return _override(p, overrides)


def _draw_scratch(rng: np.random.Generator, period_s: float, base_db: float) -> tuple[float, ...]:
    scratch: tuple[float, ...] = (_u(rng, 0, period_s), base_db + _u(rng, 10, 34), _lu(rng, 0.5, 120.0))
    if rng.random() < 0.4:  # crosses only part of the side's grooves
        a = _u(rng, 0.0, 0.8)
        scratch += (a, min(1.0, a + _u(rng, 0.1, 0.6)))
    return scratch


def _override(p: GramophoneParams, overrides: dict) -> GramophoneParams:
    apply_overrides(p, overrides, "draw_gramophone_params")
    if p.era not in ERAS:
        raise ValueError(f"draw_gramophone_params: unknown era {p.era!r}, expected one of {ERAS}")
    if not p.rpm > 0:
        raise ValueError(f"draw_gramophone_params: rpm must be positive, got {p.rpm}")
    return p


def _hiss_magnitude(p: GramophoneParams) -> Callable[[np.ndarray], np.ndarray]:
    def mag(f: np.ndarray) -> np.ndarray:
        return (
            dsp.tilt_magnitude(f, p.hiss_tilt_db_oct)
            * dsp.butter_magnitude(f, p.hiss_lo_hz, p.hiss_hi_hz, p.hiss_hi_order)
            * dsp.resonance_magnitude(f, p.hiss_res_hz, p.hiss_res_db, p.hiss_res_q)
        )

    return mag


def _rev_envelope(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    ph = rng.uniform(0, 2 * np.pi, 2)
    env = dsp.periodic_curve(n, sr, p.rev_period_s, [p.rev_mod_depth, p.rev_mod_depth2], list(ph))
    return np.maximum(env, 0.05).astype(np.float32)


def _crackle(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator, env: np.ndarray, rows: int) -> np.ndarray:
    """Crackle (rows, n) of unit expected RMS: bursty Poisson micro-impulses through a bright resonance."""
    dur = n / sr
    # bursty density: thin a faster Poisson process with a slowly varying random rate curve
    w = np.exp(p.crackle_burstiness * 1.2 * dsp.smooth_random(rng, n, sr, 3.0)) * env
    wmax, wmean = float(np.max(w)), float(np.mean(w))
    x = np.zeros((rows, n), dtype=np.float32)
    total = 0.0
    for r in range(rows):
        t = dsp.poisson_times(rng, p.crackle_rate * wmax / wmean, dur)
        idx = np.minimum((t * sr).astype(np.int64), n - 1)
        idx = idx[rng.random(idx.size) < w[idx] / wmax]
        amp = np.minimum(rng.pareto(p.crackle_alpha, idx.size) + 1.0, 40.0) * rng.choice([-1.0, 1.0], idx.size)
        x[r] = np.bincount(idx, weights=amp, minlength=n)
        total += float(np.sum(amp * amp))
    if total == 0.0:
        return x
    # micro-impulse shape: a damped resonance in the treble, high-passed (bright, no DC); applied as a short
    # FIR by FFT convolution (an IIR over the sparse train would crawl through subnormal numbers)
    sos = np.concatenate(
        [dsp.peaking_sos(p.crackle_bright_hz * 2.5, 9.0, 2.0, sr), dsp.band_sos(p.crackle_bright_hz, None, sr, order=2)]
    )
    klen = max(8, int(0.004 * sr))
    impulse = np.zeros(klen)
    impulse[0] = 1.0
    kernel = (dsp.apply_sos(impulse, sos) * np.hanning(2 * klen)[klen:]).astype(np.float32)
    y = signal.oaconvolve(x, kernel[None, :], axes=-1)[:, :n].astype(np.float32)
    return y / np.float32(np.sqrt(np.mean(y * y)) + 1e-30)


def _click_template(rng: np.random.Generator, sr: int, width_s: float) -> np.ndarray:
    """One click: spike, bipolar, noise burst or ringing, with unit peak."""
    w = max(1, int(round(width_s * sr)))
    kind = int(rng.integers(0, 4))
    t = np.arange(int(w * 4) + 2, dtype=np.float64)
    if kind == 0:  # one-sided spike with exponential decay
        tpl = np.exp(-t / w)
        tpl[0] *= 0.6
    elif kind == 1:  # bipolar (derivative of a Gaussian)
        c = 2.0 * w
        tpl = -(t - c) / w * np.exp(-0.5 * ((t - c) / w) ** 2)
    elif kind == 2:  # short burst of noise
        tpl = rng.standard_normal(t.size) * np.hanning(t.size)
    else:  # ringing (damped oscillation in the stylus/cartridge)
        f = rng.uniform(1500, 8000)
        tpl = np.sin(2 * np.pi * f * t / sr + rng.uniform(0, 6.28)) * np.exp(-t / (1.5 * w))
    tpl /= max(float(np.max(np.abs(tpl))), 1e-30)
    return tpl * rng.choice([-1.0, 1.0])


def _clicks(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator, ch: int) -> np.ndarray:
    out = np.zeros((ch, n), dtype=np.float32)
    times = dsp.poisson_times(rng, p.click_rate, n / sr)
    lo, hi = p.click_width_ms
    for t0 in times:
        width = float(np.exp(rng.uniform(np.log(lo), np.log(max(hi, lo * 1.01))))) / 1000.0
        peak = 10.0 ** ((p.click_peak_db + rng.normal(0, p.click_spread_db)) / 20.0)
        tpl = _click_template(rng, sr, width) * min(peak, 0.9)
        gains = 1.0 + rng.uniform(-0.35, 0.35, ch) if ch > 1 else np.ones(1)
        if ch > 1 and rng.random() < 0.3:  # damage on one groove wall: mostly in one channel
            gains[int(rng.integers(ch))] *= rng.uniform(0.1, 0.6)
        for c in range(ch):
            dsp.place_events(out[c], np.array([t0 * sr]), [tpl * gains[c]])
    return out


def _thumps(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    times = dsp.poisson_times(rng, p.thump_rate_per_min / 60.0, n / sr)
    for t0 in times:
        f = rng.uniform(*p.thump_hz)
        tau = rng.uniform(0.03, 0.3)
        t = np.arange(int(tau * 5 * sr)) / sr
        glide = f * (1.0 + rng.uniform(0, 1.0) * np.exp(-t / (tau * 0.5)))  # pitch falls as it settles
        phase = 2 * np.pi * np.cumsum(glide) / sr
        attack = 1.0 - np.exp(-t / rng.uniform(0.0005, 0.006))
        tpl = np.sin(phase) * np.exp(-t / tau) * attack
        tpl /= max(float(np.max(np.abs(tpl))), 1e-30)
        peak = 10.0 ** ((p.thump_peak_db + rng.normal(0, 4)) / 20.0)
        dsp.place_events(out, np.array([t0 * sr]), [tpl * min(peak, 0.9)])
    return out


def _scratches(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Each scratch: a fixed burst (same groove damage) repeating exactly once per revolution.

    A scratch is (phase_s, peak_db, width_ms[, start_frac, end_frac]): short ones are bright ticks, long
    ones (> 20 ms) a duller swish; the optional fractions limit it to the grooves it crosses.
    """
    out = np.zeros(n, dtype=np.float32)
    period = p.rev_period_s * sr
    for scratch in p.scratches:
        phase_s, peak_db, width_ms = scratch[:3]
        lo_frac, hi_frac = (scratch[3], scratch[4]) if len(scratch) >= 5 else (0.0, 1.0)
        w = max(2, int(width_ms * 1e-3 * sr))
        tpl = rng.standard_normal(w) * np.hanning(w) ** rng.uniform(0.5, 2.0)
        swish = width_ms > 20.0
        edge = rng.uniform(150, 600) if swish else rng.uniform(200, 2500)
        tpl = dsp.apply_sos(tpl, dsp.band_sos(edge, rng.uniform(2000, 5000) if swish else None, sr, order=2))
        tpl /= max(float(np.max(np.abs(tpl))), 1e-30)
        starts = np.round(phase_s * sr + period * np.arange(int(n / period) + 2)).astype(np.int64)
        starts = starts[(starts >= lo_frac * n) & (starts < hi_frac * n)]
        amps = 10.0 ** (peak_db / 20.0) * (1.0 + rng.uniform(-0.15, 0.15, starts.size))
        dsp.place_events(out, starts, [tpl * min(a, 0.9) for a in amps])
    return out


def needle_drop(sr: int, rng: np.random.Generator, peak_db: float) -> np.ndarray:
    """The stylus landing in the lead-in groove: a sharp click over a heavy low thump (1-D float32)."""
    n = int(sr * rng.uniform(0.15, 0.4))
    t = np.arange(n) / sr
    f = rng.uniform(15, 45) * (1 + np.exp(-t / 0.02))
    thump = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.03, 0.12))
    click = rng.standard_normal(n) * np.exp(-t / rng.uniform(0.0005, 0.003))
    x = thump + rng.uniform(0.3, 1.0) * click
    x *= np.linspace(1.0, 0.0, n)
    return (x / max(float(np.max(np.abs(x))), 1e-12) * 10 ** (peak_db / 20.0)).astype(np.float32)


def locked_groove(n: int, sr: int, rng: np.random.Generator, rpm: float, peak_db: float) -> np.ndarray:
    """Run-out (locked) groove: the stylus jumping the eccentric groove, one thud-click per revolution."""
    out = np.zeros(n, dtype=np.float32)
    period = 60.0 / rpm * sr
    tpl = needle_drop(sr, rng, 0.0)[: int(0.12 * sr)] * np.float32(rng.uniform(0.5, 1.0))
    starts = np.round(rng.uniform(0, period) + period * np.arange(int(n / period) + 1)).astype(np.int64)
    amps = 10.0 ** ((peak_db + rng.normal(0, 1.5, starts.size)) / 20.0)
    dsp.place_events(out, starts, [tpl * np.float32(a) for a in amps])
    return out


def _stationary(p: GramophoneParams, n: int, sr: int, rng: np.random.Generator, rows: int) -> np.ndarray:
    """Hiss plus rumble in one shaped-noise pass (rows, n), at their RMS levels (row 1+: same shape)."""
    hiss_mag, g_hiss, g_rum = _hiss_magnitude(p), 10.0 ** (p.hiss_db / 20.0), 10.0 ** (p.rumble_db / 20.0)

    def mag(f: np.ndarray) -> np.ndarray:
        h = hiss_mag(f)
        r = dsp.butter_magnitude(f, 3.0, p.rumble_hz, 3)
        h2 = h * h / max(float(np.sum(h * h)), 1e-300)
        r2 = r * r / max(float(np.sum(r * r)), 1e-300)
        return np.sqrt(g_hiss**2 * h2 + g_rum**2 * r2)

    return dsp.shaped_noise(rng, n, sr, mag, rows=rows) * np.float32(np.sqrt(g_hiss**2 + g_rum**2))


def render_gramophone_noise(
    params: GramophoneParams, duration_s: float, sr: int, rng: np.random.Generator, channels: int = 1
) -> np.ndarray:
    """Render ``duration_s`` of surface noise as float32 (channels, n), peak ≤ 1, deterministic given rng."""
    p, n = params, dsp.render_length("render_gramophone_noise", duration_s, sr, channels)
    if n == 0:
        return np.zeros((channels, 0), dtype=np.float32)
    rows = 2 if channels > 1 else 1  # row 0: lateral (shared), row 1: vertical (antiphase between channels)
    env = _rev_envelope(p, n, sr, rng)
    levels = np.array([1.0, 10.0 ** (p.vertical_db / 20.0)], dtype=np.float32)[:rows, None]
    stat = _stationary(p, n, sr, rng, rows) * levels
    crackle = _crackle(p, n, sr, rng, env, rows) * (levels * np.float32(10.0 ** (p.crackle_db / 20.0)))
    both = (stat + crackle) * env  # hiss, rumble and crackle all follow the revolution-rate level
    lateral = both[0] + _thumps(p, n, sr, rng) + _scratches(p, n, sr, rng)
    lateral += dsp.hum_tone(rng, n, sr, p.hum_hz, p.hum_harmonics, p.hum_db)
    out = np.repeat(lateral[None, :], channels, axis=0) + _clicks(p, n, sr, rng, channels)
    if channels > 1:
        signs = np.where(np.arange(channels) % 2 == 0, 1.0, -1.0).astype(np.float32)
        out += signs[:, None] * both[1][None, :]
        out *= (10.0 ** (rng.uniform(-0.5, 0.5, channels) * p.channel_imbalance_db / 20.0)).astype(np.float32)[:, None]
    peak = float(np.max(np.abs(out)))
    if peak > 0.99:
        out *= np.float32(0.99 / peak)
    return out.astype(np.float32, copy=False)
