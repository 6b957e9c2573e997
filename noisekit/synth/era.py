"""Recording-era colouring of the programme: acoustic-horn or electrical band-limiting, resonances, a
softly saturating cutting chain, and slight wow."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from noisekit.synth import dsp
from noisekit.synth.params import jsonable

ERAS = ("acoustic", "electrical")


@dataclass
class EraParams:
    """Band edges, horn/diaphragm resonances and wow (speed drift at the revolution rate) of one disc."""

    era: str = "electrical"
    lo_hz: float = 50.0
    hi_hz: float = 8000.0
    order: int = 4
    resonances: list[tuple[float, float, float]] = field(default_factory=list)  # (hz, gain_db, q)
    wow_depth: float = 0.001  # peak fractional speed deviation
    wow_phase: float = 0.0
    rpm: float = 78.0
    drive_db: float = 0.0  # soft saturation of the cutting chain (peaks compress, harmonics appear)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def draw_era_params(rng: np.random.Generator, era: str | None = None, rpm: float = 78.0) -> EraParams:
    """Draw the programme colouring for ``era`` ('acoustic' ~1900–1925, 'electrical' ~1925–1955)."""
    if era is None:
        era = "acoustic" if rng.random() < 0.4 else "electrical"
    if era not in ERAS:
        raise ValueError(f"draw_era_params: unknown era {era!r}, expected one of {ERAS}")
    if era == "acoustic":
        lo, hi = float(rng.uniform(150, 320)), float(rng.uniform(2600, 4500))
        res = [
            (float(np.exp(rng.uniform(np.log(300), np.log(3200)))), float(rng.uniform(3, 12)), float(rng.uniform(2, 8)))
            for _ in range(int(rng.integers(2, 5)))
        ]
        order = int(rng.integers(2, 5))
    else:
        lo, hi = float(rng.uniform(30, 110)), float(rng.uniform(5000, 10000))
        res = (
            [
                (
                    float(np.exp(rng.uniform(np.log(1500), np.log(6000)))),
                    float(rng.uniform(-2, 5)),
                    float(rng.uniform(0.7, 3)),
                )
            ]
            if rng.random() < 0.6
            else []
        )
        order = int(rng.integers(2, 6))
    return EraParams(
        era=era,
        lo_hz=lo,
        hi_hz=hi,
        order=order,
        resonances=res,
        wow_depth=float(rng.uniform(0.0002, 0.003)),
        wow_phase=float(rng.uniform(0, 2 * np.pi)),
        rpm=float(rpm),
        drive_db=float(rng.uniform(0.0, 8.0 if era == "acoustic" else 4.0)),
    )


def apply_wow(audio: np.ndarray, sr: int, depth: float, rate_hz: float, phase: float = 0.0) -> np.ndarray:
    """Time-warp ``audio`` (last axis) as a turntable whose speed drifts by ``depth`` at ``rate_hz``."""
    n = audio.shape[-1]
    if depth == 0 or n < 2:
        return audio
    t = np.arange(n, dtype=np.float64)
    w = 2 * np.pi * rate_hz / sr
    pos = t + depth / w * (np.sin(w * t + phase) - np.sin(phase))  # d(pos)/dt = 1 + depth·cos(...)
    pos = np.clip(pos, 0, n - 1)
    flat = audio.reshape(-1, n)
    out = np.stack([np.interp(pos, t, row) for row in flat]).astype(audio.dtype, copy=False)
    return out.reshape(audio.shape)


def apply_era_params(audio: np.ndarray, sr: int, params: EraParams) -> np.ndarray:
    """Band-limit, colour and wow ``audio`` (1-D or (channels, n)) as ``params`` say; float32 out."""
    x = np.asarray(audio, dtype=np.float32)  # float32 filtering: ample precision for audio, faster
    x = dsp.apply_sos(x, dsp.band_sos(params.lo_hz, params.hi_hz, sr, params.order))
    for hz, gain_db, q in params.resonances:
        x = dsp.apply_sos(x, dsp.peaking_sos(hz, gain_db, q, sr))
    if params.drive_db > 0:  # tanh(k·x)/k: transparent when quiet, compresses loud peaks; keeps exact zeros
        k = np.float32(10.0 ** (params.drive_db / 20.0))
        x = np.tanh(k * x) / k
    x = apply_wow(x, sr, params.wow_depth, params.rpm / 60.0, params.wow_phase)
    return x.astype(np.float32)


def apply_era(audio: np.ndarray, sr: int, era: str | None, rng: np.random.Generator, rpm: float = 78.0) -> np.ndarray:
    """Draw an era colouring for ``era`` (None: drawn too) from ``rng`` and apply it (see :func:`apply_era_params`)."""
    return apply_era_params(audio, sr, draw_era_params(rng, era, rpm))
