"""Instrument voices: one note in, one 1-D float64 array out (attack to the end of its release).

Fast by construction: inharmonic decaying partials (piano, bells, woodblock) are summed with a blocked
complex-exponential matrix product (:func:`modal`); sustained harmonic tones with vibrato (strings,
winds, organ) are wavetable lookups along a phase track (:func:`wavetable_tone`); Karplus-Strong runs
one vectorised step per period. Every voice takes ``vel`` in [0, 1] (playing strength: brightness,
attack noise) and returns a note whose peak is about 1 before the caller's amplitude is applied.
"""

from __future__ import annotations

import numpy as np

from noisekit.synth import dsp

_BLOCK = 512


def modal(
    freqs: np.ndarray, taus: np.ndarray, amps: np.ndarray, n: int, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Sum of exponentially decaying sinusoids (random phases) of length ``n``, via blocked matrix products.

    x[b·L + j] = Re Σ_c (a_c·e^{s_c·L·b})·e^{s_c·j}: one real matrix product per group of components, each
    group computed only over its own audible lifetime (down 70 dB), so short high partials cost little.
    """
    keep = (freqs > 0) & (freqs < 0.48 * sr) & (amps != 0)
    freqs, taus, amps = freqs[keep], taus[keep], amps[keep]
    out = np.zeros(max(n, 0))
    if n <= 0 or freqs.size == 0:
        return out
    order = np.argsort(taus)
    freqs, taus, amps = freqs[order], np.maximum(taus[order], 1e-4), amps[order]
    phases = rng.uniform(0, 2 * np.pi, freqs.size)
    groups = np.array_split(np.arange(freqs.size), min(3, freqs.size))
    for g in groups:
        length = min(n, int(8.1 * taus[g[-1]] * sr) + 1)
        s = -1.0 / (taus[g] * sr) + 2j * np.pi * freqs[g] / sr
        a = amps[g] * np.exp(1j * phases[g])
        blocks = -(-length // _BLOCK)
        # e^{s·j} for j < L as (e^{s·64k})·(e^{s·i}), and e^{s·L·b} by a running product: few exp() calls
        fine = np.exp(np.outer(s, np.arange(64)))
        coarse = np.exp(np.outer(s, np.arange(0, _BLOCK, 64)))
        base = (coarse[:, :, None] * fine[:, None, :]).reshape(s.size, _BLOCK)  # (C, L)
        step = np.exp(s * _BLOCK)
        fac = np.empty((blocks, s.size), dtype=np.complex128)
        fac[0] = a
        if blocks > 1:
            fac[1:] = step
            np.cumprod(fac, axis=0, out=fac)  # row b = a·step^b
        lhs = np.empty((blocks, 2 * s.size), dtype=np.float32)
        lhs[:, : s.size], lhs[:, s.size :] = fac.real, -fac.imag
        rhs = np.empty((2 * s.size, _BLOCK), dtype=np.float32)
        rhs[: s.size], rhs[s.size :] = base.real, base.imag
        out[:length] += small_matmul(lhs, rhs).reshape(-1)[:length]
    return out


def small_matmul(lhs: np.ndarray, rhs: np.ndarray, rows: int = 8) -> np.ndarray:
    """``lhs @ rhs`` in slabs of a few rows: keeps OpenBLAS on its single-thread path, which stays fast when
    the machine is busy (its thread pool collapses under contention, up to 30× slower here)."""
    out = np.empty((lhs.shape[0], rhs.shape[1]), dtype=np.result_type(lhs, rhs))
    for i in range(0, lhs.shape[0], rows):
        np.matmul(lhs[i : i + rows], rhs, out=out[i : i + rows])
    return out


def _table(harm_amps: np.ndarray, size: int) -> np.ndarray:
    """One period (+ a wrap-around sample) of the harmonic series ``harm_amps`` (k = 1..K), float32."""
    spec = np.zeros(size // 2 + 1, dtype=np.complex128)
    k = min(harm_amps.size, size // 2 - 1)
    spec[1 : k + 1] = harm_amps[:k] * (size / 2) * -1j
    table = np.fft.irfft(spec, n=size)
    return np.append(table, table[0]).astype(np.float32)


def _index(phase: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    pos = phase * (size / (2 * np.pi))
    i0 = pos.astype(np.int64)
    frac = (pos - i0).astype(np.float32)
    i0 &= size - 1  # size is a power of two; phases are non-negative
    return i0, frac


def wavetable_tone(harm_amps: np.ndarray, phase: np.ndarray, size: int = 2048) -> np.ndarray:
    """Periodic tone (float32) with harmonic amplitudes ``harm_amps`` (k=1..K) read along ``phase`` (radians)."""
    table = _table(harm_amps, size)
    i0, frac = _index(phase, size)
    lo = table[i0]
    return lo + frac * (table[i0 + 1] - lo)


def wavetable_blend(
    amps_a: np.ndarray, amps_b: np.ndarray, phase: np.ndarray, weight: np.ndarray, size: int = 2048
) -> np.ndarray:
    """Tone morphing from spectrum ``amps_a`` (weight 0) to ``amps_b`` (weight 1) sample by sample."""
    a = _table(amps_a, size)
    diff = _table(amps_b, size) - a
    i0, frac = _index(phase, size)
    lo_a, lo_d = a[i0], diff[i0]
    tone_a = lo_a + frac * (a[i0 + 1] - lo_a)
    return tone_a + weight * (lo_d + frac * (diff[i0 + 1] - lo_d))


def phase_track(
    f0: float,
    n: int,
    sr: int,
    rng: np.random.Generator,
    vib_depth: float = 0.0,
    vib_rate: float = 5.5,
    vib_delay_s: float = 0.0,
    scoop: float = 0.0,
    drift: float = 0.0,
) -> np.ndarray:
    """Phase (radians) of a tone at ``f0`` with delayed vibrato, an initial pitch scoop and slow drift.

    The frequency curve is smooth, so it is evaluated every 32 samples and the phase interpolated.
    """
    step = 32
    m = n // step + 2
    t = np.arange(m) * (step / sr)
    dev = np.zeros(m)
    if vib_depth > 0:
        ramp = np.clip((t - vib_delay_s) / 0.3, 0.0, 1.0)
        dev += vib_depth * ramp * np.sin(2 * np.pi * vib_rate * t + rng.uniform(0, 2 * np.pi))
    if scoop:
        dev -= scoop * np.exp(-t / 0.04)
    if drift:
        dev += drift * dsp.smooth_random(rng, m, sr // step, 2.0)
    cycles = np.concatenate([[0.0], np.cumsum(f0 * (1.0 + dev[:-1]) * (step / sr))])
    return np.interp(np.arange(n, dtype=np.float64), np.arange(m) * float(step), cycles) * (2 * np.pi)


def ar_envelope(n: int, sr: int, attack_s: float, hold_n: int, release_s: float, curve: float = 1.0) -> np.ndarray:
    """Attack (power ``curve``) / sustain until ``hold_n`` / exponential release that ends exactly at 0."""
    env = np.ones(n, dtype=np.float32)
    na = min(n, max(1, int(attack_s * sr)))
    env[:na] = (np.arange(na, dtype=np.float32) / na) ** curve
    if hold_n < n:
        m = n - hold_n
        ramp = np.arange(m, dtype=np.float32)
        env[hold_n:] *= np.exp(ramp * np.float32(-1.0 / max(release_s * sr, 1.0))) * (1.0 - ramp / max(m - 1, 1))
    return env


def _tail_len(dur_s: float, release_s: float, sr: int, max_s: float) -> tuple[int, int]:
    """Samples of the held part and of the whole note (held + 4 release time constants), capped at ``max_s``."""
    cap = max(2, int(max_s * sr))
    hold = min(cap, max(1, int(dur_s * sr)))
    return hold, min(cap, hold + int(release_s * 4 * sr))


def _noise_burst(
    rng: np.random.Generator, n: int, sr: int, lo: float | None, hi: float | None, tau_s: float
) -> np.ndarray:
    x = dsp.apply_sos(rng.standard_normal(n), dsp.band_sos(lo, hi, sr, order=2))
    return x * np.exp(-np.arange(n) / max(tau_s * sr, 1.0))


def piano(
    f0: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    hammer_db: float = -18.0,
    inharm: float = 1.0,
    brightness: float = 1.0,
    pedal: bool = False,
    max_s: float = 30.0,
) -> np.ndarray:
    """Piano-like note: stretched partials f_k = k·f0·√(1+B·k²), two-stage decays, beating unisons, hammer noise."""
    b_coef = inharm * 1e-4 * (f0 / 261.6) ** 1.1  # B grows up the keyboard
    kmax = int(min(28, (0.45 * sr) / f0, 8000.0 * brightness * (0.5 + vel) / f0 + 2))
    k = np.arange(1, max(kmax, 1) + 1, dtype=np.float64)
    fk = k * f0 * np.sqrt(1.0 + b_coef * k * k)
    strike = rng.uniform(0.1, 0.16)  # hammer position along the string
    amps = np.abs(np.sin(np.pi * k * strike)) / k ** (1.6 - 0.7 * vel) + 0.02
    tau1 = float(np.clip(2.5 * (261.6 / f0) ** 0.7, 0.2, 10.0))
    taus = tau1 / (1.0 + 0.15 * (fk / 1000.0) ** 1.6 + 0.03 * k)
    release = min(0.4 * tau1, 1.5) if pedal else float(rng.uniform(0.08, 0.25))  # pedal: strings ring on
    hold, n = _tail_len(dur_s, release, sr, max_s)
    det = rng.uniform(0.2, 1.2) * (f0 / 261.6) ** 0.5  # unison detuning in Hz: slow beats
    # two strings per partial: slightly detuned (beats), prompt and slow decay (two-stage envelope)
    x = modal(
        np.concatenate([fk - det / 2, fk + det / 2]),
        np.concatenate([taus * 0.3, taus]),
        np.concatenate([amps * 0.6, amps * 0.4]),
        n,
        sr,
        rng,
    )
    x *= ar_envelope(n, sr, 0.002, hold, release)
    x /= max(float(np.max(np.abs(x))), 1e-12)
    hn = min(n, int(0.04 * sr))
    x[:hn] += 10 ** (hammer_db / 20.0) * (0.5 + vel) * _noise_burst(rng, hn, sr, 200.0, 6000.0 + 6000 * vel, 0.008)
    return x


def karplus_strong(
    f0: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    decay: float = 0.996,
    pluck_pos: float = 0.2,
    max_s: float = 30.0,
) -> np.ndarray:
    """Plucked string (guitar/banjo/harp-like) by Karplus-Strong, one vectorised step per period."""
    period = sr / f0 - 0.5
    d = max(2, int(period))
    w = period - d  # fractional part, folded into the loop filter
    taps = np.array([(1 - w) * 0.5, 0.5, w * 0.5]) * decay
    n = min(int((dur_s + 0.15) * sr), int(max_s * sr)) + 3 * d
    y = np.zeros(n + 2 * d)
    exc = rng.uniform(-1, 1, d)
    exc = dsp.apply_sos(exc, dsp.band_sos(None, 1500 + 9000 * vel, sr, order=1))  # soft pluck = darker
    p = max(1, int(pluck_pos * d))
    exc = exc - np.roll(exc, p)  # pluck-position comb
    y[2 : d + 2] = exc
    for s in range(d + 2, n, d):  # each block depends only on samples at least one period back
        e = min(s + d, n)
        y[s:e] += taps[0] * y[s - d : e - d] + taps[1] * y[s - d - 1 : e - d - 1] + taps[2] * y[s - d - 2 : e - d - 2]
    y = y[2:n]
    y *= ar_envelope(y.size, sr, 0.001, min(int(dur_s * sr), y.size), 0.05)
    return y / max(float(np.max(np.abs(y))), 1e-12)


def bowed(
    f0: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    attack_s: float = 0.15,
    vib_depth: float = 0.005,
    body: tuple[float, ...] = (280.0, 450.0, 2800.0),
    bow_db: float = -28.0,
    section: int = 1,
    max_s: float = 30.0,
) -> np.ndarray:
    """Bowed-string-like tone: sawtooth-ish harmonics through body resonances, slow attack, vibrato, bow noise.

    ``section`` > 1 plays the note by several desks at once: slightly detuned players with their own
    vibrato (the chorus of an orchestral string section).
    """
    release = rng.uniform(0.08, 0.25)
    hold, n = _tail_len(dur_s, release, sr, max_s)
    kmax = int(min(60, 0.45 * sr / f0, 12000 / f0 + 1))
    k = np.arange(1, kmax + 1, dtype=np.float64)
    amps = 1.0 / k ** (1.2 - 0.4 * vel)
    for i, fb in enumerate(body):
        amps = amps * dsp.resonance_magnitude(k * f0, fb, 6.0 - i, 2.5)
    env = ar_envelope(n, sr, attack_s, hold, release, curve=1.6)
    env *= dsp.smooth_gain(rng, n, sr, 1.0, 3.0)  # bow pressure fluctuation
    x = np.zeros(n, dtype=np.float32)
    for player in range(max(1, section)):
        detune = 1.0 + (rng.normal(0.0, 0.004) if player else 0.0)  # about ±7 cents between desks
        ph = phase_track(
            f0 * detune,
            n,
            sr,
            rng,
            vib_depth,
            rng.uniform(4.8, 6.5),
            min(0.25, dur_s * 0.3),
            scoop=rng.uniform(0, 0.004),
            drift=0.0008,
        )
        x += wavetable_tone(amps, ph + rng.uniform(0, 2 * np.pi))
    x = x * env
    x /= max(float(np.max(np.abs(x))), 1e-12)
    noise = dsp.noise_slice(rng, n, sr, 1000.0, 7000.0)
    na = min(n, int(3 * attack_s * sr))
    env[:na] *= 1.0 + 2.0 * np.exp(-np.arange(na) / (attack_s * sr))  # scratchy start of the stroke
    return x + 10 ** (bow_db / 20.0) * noise * env


def wind(
    f0: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    formants: tuple[tuple[float, float], ...] = ((1200.0, 8.0),),
    odd: float = 1.0,
    slope: float = 1.2,
    breath_db: float = -30.0,
    vib_depth: float = 0.0,
    attack_s: float = 0.04,
    max_s: float = 30.0,
) -> np.ndarray:
    """Wind/brass-like tone: formant-shaped harmonics (brighter when loud), pitch scoop, breath noise."""
    release = rng.uniform(0.05, 0.15)
    hold, n = _tail_len(dur_s, release, sr, max_s)
    kmax = int(min(50, 0.45 * sr / f0, 11000 / f0 + 1))
    k = np.arange(1, kmax + 1, dtype=np.float64)
    shape = np.where(k % 2 == 0, odd, 1.0)
    for fq, g in formants:
        shape = shape * dsp.resonance_magnitude(k * f0, fq, g, 1.2)
    soft, loud = shape / k ** (slope + 1.0), shape / k ** max(slope - 0.6 * vel, 0.2)
    ph = phase_track(f0, n, sr, rng, vib_depth, rng.uniform(4.5, 6.0), 0.2, scoop=rng.uniform(0.0, 0.01))
    env = ar_envelope(n, sr, attack_s, hold, release, curve=1.3)
    mixw = (env * (0.3 + 0.7 * vel)).astype(np.float32)  # louder = brighter, within the note too
    x = wavetable_blend(soft / max(np.abs(soft).sum(), 1e-9), loud / max(np.abs(loud).sum(), 1e-9), ph, mixw)
    x = x * env
    x /= max(float(np.max(np.abs(x))), 1e-12)
    breath = dsp.noise_slice(rng, n, sr, 700.0, min(9000.0, 0.45 * sr))
    return x + 10 ** (breath_db / 20.0) * breath * env


def organ(
    f0: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    drawbars: tuple[float, ...] = (0.5, 1.0, 0.3, 0.6, 0.2, 0.3),
    tremolo: float = 0.0,
    chiff_db: float = -26.0,
    mixture: float = 0.0,
    max_s: float = 30.0,
) -> np.ndarray:
    """Organ-like sustained tone: fixed stops (harmonics 1,2,3,4,6,8 of the sub-octave), a bright mixture
    (harmonics 10-32, ``mixture`` = its level; reeds and full organ), chiff, tremulant."""
    release = rng.uniform(0.06, 0.2)
    hold, n = _tail_len(dur_s, release, sr, max_s)
    base = f0 / 2.0
    amps = np.zeros(32)
    for h, a in zip((1, 2, 3, 4, 6, 8), drawbars, strict=False):
        amps[h - 1] += a
    if mixture > 0:
        upper = np.arange(10, 33)
        amps[upper - 1] += mixture * (10.0 / upper) ** 1.2
    amps[np.arange(1, 33) * base >= 0.45 * sr] = 0.0
    ph = phase_track(base, n, sr, rng, drift=0.0003)
    env = ar_envelope(n, sr, rng.uniform(0.02, 0.09), hold, release)
    if tremolo:
        env *= 1.0 + tremolo * np.sin(2 * np.pi * rng.uniform(5.5, 7.0) * np.arange(n) / sr)
    x = wavetable_tone(amps, ph) * env
    x /= max(float(np.max(np.abs(x))), 1e-12)
    cn = min(n, int(0.06 * sr))
    x[:cn] += 10 ** (chiff_db / 20.0) * _noise_burst(rng, cn, sr, f0, min(4 * f0 + 2000, 0.45 * sr), 0.02)
    return x


# partial ratios and relative decay times of struck bars and bells
MALLETS = {
    "xylophone": ((1.0, 3.93, 9.54), (1.0, 0.35, 0.12), 0.25),
    "marimba": ((1.0, 4.0, 10.0), (1.0, 0.3, 0.1), 0.6),
    "celesta": ((1.0, 2.0, 3.0, 4.1), (1.0, 0.5, 0.3, 0.2), 0.9),
    "bells": ((0.5, 1.0, 1.19, 1.5, 2.0, 2.51, 3.0), (1.0, 0.8, 0.7, 0.5, 0.4, 0.3, 0.25), 2.5),
}


def mallet(
    f0: float, dur_s: float, vel: float, sr: int, rng: np.random.Generator, kind: str = "xylophone", max_s: float = 30.0
) -> np.ndarray:
    """Struck bar or bell: a few inharmonic modes with their own decays and a hard strike transient."""
    ratios, decays, tau = MALLETS[kind]
    tau *= float(np.clip((523.0 / f0) ** 0.5, 0.3, 2.5))
    n = max(2, min(int((dur_s + 4.0 * tau) * sr), int(max_s * sr)))
    r = np.asarray(ratios) * rng.uniform(0.995, 1.005, len(ratios))
    amps = np.asarray(decays) ** (1.5 - vel)  # harder strikes excite the upper modes more
    x = modal(f0 * r, tau * np.asarray(decays), amps, n, sr, rng)
    sn = min(n, int(0.005 * sr))
    x[:sn] += 0.3 * vel * _noise_burst(rng, sn, sr, 2000.0, None, 0.001)
    x *= np.linspace(1.0, 0.0, n) ** 0.25  # end exactly at zero
    return x / max(float(np.max(np.abs(x))), 1e-12)


def drum(kind: str, vel: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Percussion hit: 'kick', 'snare', 'brush', 'hihat', 'cymbal', 'woodblock' or 'tom'."""
    if kind == "kick":
        n = int(0.5 * sr)
        t = np.arange(n) / sr
        sweep = 45 + 110 * np.exp(-t / 0.03)
        x = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * np.exp(-t / rng.uniform(0.08, 0.25))
        x[: int(0.005 * sr)] += 0.3 * vel * _noise_burst(rng, int(0.005 * sr), sr, 1000, 8000, 0.001)
    elif kind == "snare":
        n = int(0.35 * sr)
        body = modal(
            np.array([180.0, 330.0]) * rng.uniform(0.9, 1.1), np.array([0.05, 0.03]), np.array([1.0, 0.5]), n, sr, rng
        )
        x = 0.6 * body + _noise_burst(rng, n, sr, 1500, 9000, rng.uniform(0.04, 0.12))
    elif kind in ("hihat", "cymbal"):
        long = kind == "cymbal"
        n = int((1.8 if long else 0.25) * sr)
        ratios = np.array([1.0, 1.342, 1.2312, 1.6532, 1.9523, 2.1523])  # metallic, inharmonic
        metal = modal(ratios * rng.uniform(300, 550) * 8, np.full(6, 0.6 if long else 0.05), np.ones(6), n, sr, rng)
        x = 0.4 * metal + _noise_burst(rng, n, sr, 5000 if not long else 3000, None, 0.6 if long else 0.04)
    elif kind == "brush":  # wire brush swept on the snare head: a soft swish, not a hit
        n = int(rng.uniform(0.15, 0.35) * sr)
        t = np.arange(n) / sr
        x = dsp.noise_slice(rng, n, sr, 1200.0, min(7000.0, 0.45 * sr)).astype(np.float64)
        x *= (1.0 - np.exp(-t / 0.03)) * np.exp(-t / rng.uniform(0.06, 0.15))
    elif kind == "woodblock":
        n = int(0.12 * sr)
        f = rng.uniform(700, 2000)
        x = modal(np.array([f, f * 2.7]), np.array([0.02, 0.008]), np.array([1.0, 0.4]), n, sr, rng)
    elif kind == "tom":
        n = int(0.6 * sr)
        f = rng.uniform(90, 220)
        x = modal(np.array([f, f * 1.5]), np.array([0.15, 0.08]), np.array([1.0, 0.3]), n, sr, rng)
        x += 0.2 * _noise_burst(rng, n, sr, 300, 4000, 0.01)
    else:
        raise ValueError(f"drum: unknown kind {kind!r}")
    x *= np.linspace(1.0, 0.0, x.size) ** 0.5  # end exactly at zero
    return x / max(float(np.max(np.abs(x))), 1e-12) * (0.4 + 0.6 * vel)
