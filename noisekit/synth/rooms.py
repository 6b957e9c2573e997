"""Synthetic room impulse responses (early reflections + frequency-dependent exponential tail) and reverb."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from noisekit.synth import dsp
from noisekit.synth.params import apply_overrides, jsonable


@dataclass
class RoomParams:
    """One room: RT60 (mid band), low/high-band RT60 ratios, pre-delay, early reflections, wet level."""

    rt60_s: float = 0.8
    low_ratio: float = 1.2  # RT60 below ~300 Hz relative to mid
    high_ratio: float = 0.6  # RT60 above ~3 kHz relative to mid (air and wall absorption)
    predelay_ms: float = 10.0
    n_early: int = 8
    early_spread_ms: float = 40.0
    wet_db: float = -8.0  # reverberant level relative to the direct sound (energy ratio)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def draw_room_params(rng: np.random.Generator, **overrides) -> RoomParams:
    """Draw a room from small dry studios (RT60 0.2 s) to halls and churches (3 s)."""
    rt = float(np.exp(rng.uniform(np.log(0.2), np.log(3.0))))
    p = RoomParams(
        rt60_s=rt,
        low_ratio=float(rng.uniform(0.9, 1.6)),
        high_ratio=float(rng.uniform(0.35, 0.9)),
        predelay_ms=float(rng.uniform(2.0, 12.0 + 25.0 * rt)),
        n_early=int(rng.integers(3, 16)),
        early_spread_ms=float(rng.uniform(10.0, 30.0 + 40.0 * rt)),
        wet_db=float(rng.uniform(-20.0, -4.0 + 2.0 * rt)),
    )
    p = apply_overrides(p, overrides, "draw_room_params")
    if not 0.05 <= p.rt60_s <= 10.0:
        raise ValueError(f"draw_room_params: rt60_s must be in [0.05, 10] s, got {p.rt60_s}")
    return p


def render_rir(params: RoomParams, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Impulse response (1-D float32, direct sound = 1 at sample 0) ending exactly at zero."""
    p = params
    n = int(sr * (p.predelay_ms / 1000.0 + max(p.rt60_s * max(p.low_ratio, 1.0), 0.05) * 1.1))
    t = np.arange(n) / sr
    noise = rng.standard_normal((3, n))
    bands = [dsp.band_sos(None, 300.0, sr, 2), dsp.band_sos(300.0, 3000.0, sr, 2), dsp.band_sos(3000.0, None, sr, 2)]
    tail = np.zeros(n)
    for row, sos, ratio in zip(noise, bands, (p.low_ratio, 1.0, p.high_ratio), strict=True):
        rt = p.rt60_s * ratio
        tail += dsp.apply_sos(row, sos) * np.exp(-6.9078 * t / rt)  # -60 dB at t = rt
    onset = p.predelay_ms / 1000.0
    tail *= np.clip((t - onset) / 0.01, 0.0, 1.0)  # diffuse field builds up after the pre-delay
    early = np.zeros(n)
    times = onset * rng.uniform(0.3, 1.0, p.n_early) + rng.uniform(0, p.early_spread_ms / 1000.0, p.n_early)
    idx = np.clip((times * sr).astype(np.int64), 1, n - 1)
    np.add.at(
        early,
        idx,
        rng.uniform(0.2, 0.7, p.n_early) * rng.choice([-1.0, 1.0], p.n_early) * np.exp(-6.9078 * times / p.rt60_s),
    )
    reverb = early + tail
    energy = float(np.sum(reverb * reverb))
    reverb *= np.sqrt(10.0 ** (p.wet_db / 10.0) / max(energy, 1e-30))
    reverb[-max(1, n // 20) :] *= np.linspace(1.0, 0.0, max(1, n // 20))  # end exactly at zero
    reverb[0] = 1.0
    return reverb.astype(np.float32)


def apply_reverb(audio: np.ndarray, rir: np.ndarray, keep_tail: bool = False) -> np.ndarray:
    """Convolve ``audio`` (last axis) with ``rir``; same length unless ``keep_tail`` (then + len(rir) - 1)."""
    x = np.asarray(audio, dtype=np.float32)
    if x.shape[-1] == 0:
        return x
    shape = (1,) * (x.ndim - 1) + (rir.size,)
    y = signal.oaconvolve(x, rir.reshape(shape).astype(np.float32), axes=-1)
    return y if keep_tail else y[..., : x.shape[-1]]
