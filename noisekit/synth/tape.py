"""Analog tape noise by speed: hiss (slower = louder and darker), modulation noise, hum, dropouts, NR.

Tape speed sets the hiss level and bandwidth: halving the speed roughly halves the recorded wavelength,
raising the noise floor by several dB and moving the usable treble (and with it the hiss) down. Decks
differ (head resonance, playback-EQ tilt), which the draw varies independently of the speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from noisekit.synth import dsp
from noisekit.synth.params import apply_overrides, jsonable

SPEEDS_IPS = (1.875, 3.75, 7.5, 15.0)
# per speed: (hiss RMS dBFS range, treble corner range Hz, tilt dB/oct range)
_SPEED_TABLE = {
    15.0: ((-74.0, -64.0), (14000.0, 20000.0), (-1.0, 2.0)),
    7.5: ((-68.0, -58.0), (10000.0, 16000.0), (-2.0, 1.5)),
    3.75: ((-62.0, -51.0), (6000.0, 10000.0), (-3.5, 0.5)),
    1.875: ((-56.0, -44.0), (3500.0, 8000.0), (-5.0, 0.0)),
}
NR_KINDS = ("none", "dolby_b", "dolby_c")


@dataclass
class TapeParams:
    """Everything that defines one rendered blank-tape noise texture (levels in dBFS)."""

    speed_ips: float = 7.5
    hiss_db: float = -62.0
    hiss_hi_hz: float = 12000.0
    hiss_tilt_db_oct: float = 0.0
    hiss_lo_hz: float = 30.0
    head_res_hz: float = 60.0  # low-frequency head bump
    head_res_db: float = 2.0
    mid_res_hz: float = 5000.0  # playback-EQ / head-gap colouring
    mid_res_db: float = 2.0
    mod_depth_db: float = 1.0  # modulation noise: slow random level fluctuation
    mod_rate_hz: float = 8.0
    hum_hz: float = 0.0
    hum_db: float = -80.0
    hum_harmonics: int = 4
    dropout_rate_per_min: float = 1.0
    dropout_depth_db: tuple[float, float] = (3.0, 15.0)
    dropout_len_ms: tuple[float, float] = (10.0, 150.0)
    nr: str = "none"
    nr_corner_hz: float = 2000.0
    channel_corr: float = 0.3  # correlation of the hiss between channels (0 for independent tracks)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def draw_tape_params(rng: np.random.Generator, speed_ips: float | None = None, **overrides) -> TapeParams:
    """Draw a tape-noise texture for ``speed_ips`` (one of SPEEDS_IPS, drawn when None)."""
    if speed_ips is None:
        speed_ips = float(rng.choice(SPEEDS_IPS))
    speed_ips = float(speed_ips)
    if speed_ips not in _SPEED_TABLE:
        raise ValueError(f"draw_tape_params: unsupported speed {speed_ips} ips, expected one of {SPEEDS_IPS}")
    (db_lo, db_hi), (hf_lo, hf_hi), (tl_lo, tl_hi) = _SPEED_TABLE[speed_ips]
    p = TapeParams(speed_ips=speed_ips)
    p.hiss_db = float(rng.uniform(db_lo, db_hi))
    p.hiss_hi_hz = float(np.exp(rng.uniform(np.log(hf_lo), np.log(hf_hi))))
    p.hiss_tilt_db_oct = float(rng.uniform(tl_lo, tl_hi))
    p.hiss_lo_hz = float(rng.uniform(15, 80))
    p.head_res_hz = float(rng.uniform(35, 120)) * (speed_ips / 7.5) ** 0.5
    p.head_res_db = float(rng.uniform(0, 6))
    p.mid_res_hz = float(np.exp(rng.uniform(np.log(1500), np.log(0.8 * p.hiss_hi_hz))))
    p.mid_res_db = float(rng.uniform(-2, 5))
    p.mod_depth_db = float(rng.uniform(0.1, 2.5))
    p.mod_rate_hz = float(np.exp(rng.uniform(np.log(0.5), np.log(30))))
    if rng.random() < 0.4:
        p.hum_hz = float(rng.choice([50.0, 60.0]))
        p.hum_db = p.hiss_db - float(rng.uniform(0, 20))
        p.hum_harmonics = int(rng.integers(1, 8))
    p.dropout_rate_per_min = float(np.exp(rng.uniform(np.log(0.05), np.log(8.0))))
    if rng.random() < 0.3:
        p.dropout_rate_per_min = 0.0
    p.dropout_depth_db = (float(rng.uniform(1, 4)), float(rng.uniform(6, 25)))
    p.dropout_len_ms = (float(rng.uniform(5, 20)), float(rng.uniform(40, 400)))
    cassette = speed_ips == 1.875
    if rng.random() < (0.5 if cassette else 0.1):
        p.nr = "dolby_b" if (not cassette or rng.random() < 0.75) else "dolby_c"
    p.nr_corner_hz = float(rng.uniform(1000, 4000))
    p.channel_corr = float(rng.choice([0.0, rng.uniform(0.0, 0.5), rng.uniform(0.8, 0.98)]))
    apply_overrides(p, overrides, "draw_tape_params")
    if p.nr not in NR_KINDS:
        raise ValueError(f"draw_tape_params: unknown nr {p.nr!r}, expected one of {NR_KINDS}")
    return p


def _hiss_magnitude(p: TapeParams) -> Callable[[np.ndarray], np.ndarray]:
    def mag(f: np.ndarray) -> np.ndarray:
        m = (
            dsp.tilt_magnitude(f, p.hiss_tilt_db_oct)
            * dsp.butter_magnitude(f, p.hiss_lo_hz, p.hiss_hi_hz, 2)
            * dsp.resonance_magnitude(f, p.head_res_hz, p.head_res_db, 1.2)
            * dsp.resonance_magnitude(f, p.mid_res_hz, p.mid_res_db, 1.0)
        )
        if p.nr != "none":  # decoder HF de-emphasis applied to the tape's own hiss
            cut = 10.0 if p.nr == "dolby_b" else 18.0
            shelf = 1.0 / np.sqrt(1.0 + (p.nr_corner_hz / np.maximum(f, 1.0)) ** 2)
            m = m * 10.0 ** (-cut * shelf / 20.0)
        return m

    return mag


def _dropout_gain(p: TapeParams, gain: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Multiply ``gain`` in place by short level dips (oxide loss, poor tape-head contact)."""
    n = gain.size
    for t0 in dsp.poisson_times(rng, p.dropout_rate_per_min / 60.0, n / sr):
        length = max(int(np.exp(rng.uniform(*np.log(p.dropout_len_ms))) * 1e-3 * sr), 3)
        depth = rng.uniform(*p.dropout_depth_db)
        shape = np.hanning(length) ** rng.uniform(0.3, 1.5)  # soft or abrupt edges
        a = int(t0 * sr)
        b = min(n, a + length)
        gain[a:b] *= (10.0 ** (-depth * shape[: b - a] / 20.0)).astype(gain.dtype)
    return gain


def render_tape_noise(
    params: TapeParams, duration_s: float, sr: int, rng: np.random.Generator, channels: int = 1
) -> np.ndarray:
    """Render ``duration_s`` of blank-tape noise as float32 (channels, n), deterministic given rng."""
    p, n = params, dsp.render_length("render_tape_noise", duration_s, sr, channels)
    if n == 0:
        return np.zeros((channels, 0), dtype=np.float32)
    mag = _hiss_magnitude(p)
    c = float(np.clip(p.channel_corr, 0.0, 1.0)) if channels > 1 else 0.0
    hiss = dsp.shaped_noise(rng, n, sr, mag, rows=channels) if c < 1.0 else np.zeros((channels, n), np.float32)
    if c > 0.0:  # a shared component correlates the tracks
        hiss = np.sqrt(1.0 - c) * hiss + np.sqrt(c) * dsp.shaped_noise(rng, n, sr, mag)
    gain = dsp.smooth_gain(rng, n, sr, p.mod_depth_db, p.mod_rate_hz) * np.float32(10.0 ** (p.hiss_db / 20.0))
    hiss *= _dropout_gain(p, gain, sr, rng)[None, :]
    hiss += dsp.hum_tone(rng, n, sr, p.hum_hz, p.hum_harmonics, p.hum_db)[None, :]
    peak = float(np.max(np.abs(hiss)))
    if peak > 0.99:
        hiss *= 0.99 / peak
    return hiss.astype(np.float32)
