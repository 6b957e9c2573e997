"""Side-level structure of the surface noise: lead-in/run-out grooves, needle drop, locked groove, groove echo.

On a real disc the lead-in and run-out spirals are cut at a wider pitch and often sound louder (or
quieter) than the music grooves, the level drifts from the outer to the inner grooves, the transfer may
start with the stylus landing, the run-out ends in a locked groove that thuds once per revolution, and
loud music leaves a faint pre-/post-echo one revolution away in the neighbouring grooves; a reissue may
have passed through a tape dub, which adds tape hiss. All of this belongs to the noise component (the
music track stays exactly zero between pieces).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisekit.synth import dsp
from noisekit.synth.gramophone import locked_groove, needle_drop
from noisekit.synth.params import apply_overrides, jsonable


@dataclass
class GrooveParams:
    """Drawn side-level noise structure (levels in dB; event peaks relative to the noise RMS)."""

    run_in_db: float = 0.0
    run_out_db: float = 0.0
    drift_db: float = 0.0  # level change from the first to the last music groove
    transition_s: float = 0.5
    needle_drop_db: float | None = None
    needle_drop_s: float = 0.2
    locked_groove_db: float | None = None
    locked_after_s: float = 2.0  # the locked groove starts this long after the run-out begins
    echo_db: float | None = None  # groove echo level relative to the music
    post_echo_db: float = -6.0  # post-echo relative to the pre-echo
    transfer_lp_hz: float | None = None  # low-pass of the transfer chain (applies to music and noise)
    transfer_lp_order: int = 2
    tape_speed_ips: float | None = None  # a dub through tape adds its hiss ...
    tape_rel_db: float = -10.0  # ... at this level relative to the surface noise
    inner_drive_db: float = 0.0  # inner-groove (tracing) distortion: extra drive reached at the last groove

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def draw_groove_params(rng: np.random.Generator, **overrides) -> GrooveParams:
    """Draw the side-level noise structure: most sides get some of it, none gets all of it for sure."""
    u = rng.uniform
    p = GrooveParams(
        run_in_db=float(u(-3.0, 6.0)) if rng.random() < 0.6 else 0.0,
        run_out_db=float(u(-3.0, 6.0)) if rng.random() < 0.6 else 0.0,
        drift_db=float(u(-1.0, 3.0)),
        transition_s=float(u(0.1, 1.2)),
    )
    if rng.random() < 0.3:
        p.needle_drop_db, p.needle_drop_s = float(u(18.0, 36.0)), float(u(0.05, 0.8))
    if rng.random() < 0.35:
        p.locked_groove_db, p.locked_after_s = float(u(8.0, 26.0)), float(u(0.5, 4.0))
    if rng.random() < 0.3:
        p.echo_db, p.post_echo_db = float(u(-56.0, -32.0)), float(u(-12.0, 0.0))
    if rng.random() < 0.3:
        p.transfer_lp_hz, p.transfer_lp_order = float(np.exp(u(np.log(3500), np.log(12000)))), int(rng.integers(1, 5))
    if rng.random() < 0.1:  # reissued from a tape dub
        p.tape_speed_ips, p.tape_rel_db = float(rng.choice([3.75, 7.5, 15.0])), float(u(-20.0, 0.0))
    p.inner_drive_db = float(u(0.0, 6.0)) if rng.random() < 0.5 else 0.0
    return apply_overrides(p, overrides, "draw_groove_params")


def transfer_sos(p: GrooveParams, sr: int) -> np.ndarray | None:
    """The transfer chain's low-pass as SOS (None when flat)."""
    return dsp.band_sos(None, p.transfer_lp_hz, sr, p.transfer_lp_order) if p.transfer_lp_hz else None


def level_curve(p: GrooveParams, music_start_s: float, music_end_s: float, n: int, sr: int) -> np.ndarray:
    """Gain (float32, per sample) of the surface noise across the side: lead-in, drift, run-out."""
    t = np.arange(0, n + 64, 64, dtype=np.float64) / sr
    span = max(music_end_s - music_start_s, 1e-3)
    db = p.drift_db * np.clip((t - music_start_s) / span, 0.0, 1.0)
    w = max(p.transition_s, 1e-3)
    db += p.run_in_db * (1.0 - np.clip((t - music_start_s + w) / w, 0.0, 1.0))
    db += p.run_out_db * np.clip((t - music_end_s) / w, 0.0, 1.0)
    return np.interp(np.arange(n, dtype=np.float32) / sr, t, 10.0 ** (db / 20.0)).astype(np.float32)


def groove_events(
    p: GrooveParams, music_end_s: float, n: int, sr: int, rng: np.random.Generator, rpm: float, noise_rms: float
) -> np.ndarray:
    """Needle drop and locked-groove thuds (1-D float32) at peaks relative to ``noise_rms``."""
    out = np.zeros(n, dtype=np.float32)
    ref_db = 20.0 * np.log10(max(noise_rms, 1e-12))
    if p.needle_drop_db is not None:
        dsp.place_events(out, np.array([p.needle_drop_s * sr]), [needle_drop(sr, rng, ref_db + p.needle_drop_db)])
    if p.locked_groove_db is not None:
        a = int((music_end_s + p.locked_after_s) * sr)
        if a < n:
            out[a:] += locked_groove(n - a, sr, rng, rpm, ref_db + p.locked_groove_db)
    return out


def groove_echo(p: GrooveParams, track: np.ndarray, sr: int, rpm: float) -> np.ndarray | None:
    """Faint copies of the music one revolution early (pre-echo) and late (post-echo), dull; None if off."""
    if p.echo_db is None:
        return None
    shift = int(round(60.0 / rpm * sr))
    echo = np.zeros(track.shape, dtype=np.float32)
    if shift < track.size:
        echo[:-shift] += track[shift:]
        echo[shift:] += 10.0 ** (p.post_echo_db / 20.0) * track[:-shift]
    echo = dsp.apply_sos(echo, dsp.band_sos(150.0, 3000.0, sr, 2))
    return (echo * 10.0 ** (p.echo_db / 20.0)).astype(np.float32)


def scale_noise_for_snr(
    music_power: float, noise: np.ndarray, extra: np.ndarray | None, snr_db: float
) -> tuple[float, np.ndarray | None]:
    """Gain g for ``noise`` so that g·noise + extra has power music_power / 10^(snr/10); extra shrunk if too loud."""
    target = music_power / 10.0 ** (snr_db / 10.0)
    pn = float(np.mean(noise.astype(np.float64) ** 2))
    if extra is None:
        return float(np.sqrt(target / pn)), None
    pe = float(np.mean(extra.astype(np.float64) ** 2))
    if pe > 0.5 * target:  # the echo alone would exceed the noise budget: make it quieter
        extra = extra * np.float32(np.sqrt(0.5 * target / pe))
        pe = 0.5 * target
    c = float(np.mean(noise.astype(np.float64) * np.broadcast_to(extra, noise.shape)))
    # pn·g² + 2c·g + pe = target  →  the positive root
    g = (-c + np.sqrt(c * c + pn * (target - pe))) / pn
    return float(g), extra
