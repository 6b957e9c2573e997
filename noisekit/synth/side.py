"""A whole synthetic 78-rpm side with exact ground truth: run-in, music (and speech), pauses, run-out.

The music track is built piece by piece into its own buffer: every piece (reverb tail and fades included)
is rendered to exactly its slot and ends at exactly 0.0, so nothing leaks into the noise-only stretches.
The noise-only intervals are then *measured* on the final float32 music track (maximal runs where every
channel is exactly zero), so they are exact by definition; the surface noise covers the whole side.
:meth:`SyntheticSide.audible_noise_intervals` gives the listener's truth, which also counts the ends of
tails and fades that lie far under the noise as noise-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from noisekit.audio import SAMPLE_RATE
from noisekit.errors import ConfigError
from noisekit.seeding import rng_for
from noisekit.signal import rms_dbfs, runs
from noisekit.synth import dsp
from noisekit.synth.audibility import AUDIBLE_BELOW_DB, inaudible_intervals
from noisekit.synth.era import apply_era_params, draw_era_params
from noisekit.synth.gramophone import GramophoneParams, draw_gramophone_params, render_gramophone_noise
from noisekit.synth.groove import (
    GrooveParams,
    draw_groove_params,
    groove_echo,
    groove_events,
    level_curve,
    scale_noise_for_snr,
    transfer_sos,
)
from noisekit.synth.music import draw_music_params, hard_cases, render_music
from noisekit.synth.params import jsonable
from noisekit.synth.speech import draw_speech_params, render_speech
from noisekit.synth.tape import draw_tape_params, render_tape_noise

#: the two noise-only truths of a side: as a listener hears it, and where the music is exactly zero
TRUTHS = ("audible", "exact")
MIN_INTERVAL_S = 0.02  # exact-zero runs shorter than this (a few samples where pieces meet) are not listed
_KNOWN = {
    "run_in_s",
    "run_out_s",
    "n_pieces",
    "pause_s",
    "snr_db",
    "era",
    "noise",
    "music",
    "announcement",
    "piece_s",
    "groove",
}


@dataclass
class SyntheticSide:
    """A rendered side: mixture, its music and noise components, and the exact ground truth."""

    audio: np.ndarray  # (channels, n) float32 = music + noise
    music: np.ndarray  # (channels, n) float32
    noise: np.ndarray  # (channels, n) float32
    sr: int
    noise_intervals: list[tuple[float, float]] = field(default_factory=list)
    hard_cases: list[tuple[float, float, str]] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Length of the side in seconds."""
        return self.audio.shape[-1] / self.sr

    def noise_mask(self) -> np.ndarray:
        """Per-sample bool: True inside a listed noise-only interval."""
        mask = np.zeros(self.audio.shape[-1], dtype=bool)
        for start, end in self.noise_intervals:
            mask[int(round(start * self.sr)) : int(round(end * self.sr))] = True
        return mask

    def frame_labels(self, frame_s: float, hop_s: float) -> np.ndarray:
        """Per analysis frame (starting at k·hop_s, ``frame_s`` long, inside the side): True if noise-only."""
        mask = self.noise_mask()
        frame, hop = max(1, int(round(frame_s * self.sr))), max(1, int(round(hop_s * self.sr)))
        if mask.size < frame:
            return np.zeros(0, dtype=bool)
        bad = np.concatenate([[0], np.cumsum(~mask)])  # count of music samples up to each index
        starts = np.arange(0, mask.size - frame + 1, hop)
        return (bad[starts + frame] - bad[starts]) == 0

    def audible_noise_intervals(self, below_db: float = AUDIBLE_BELOW_DB) -> list[tuple[float, float]]:
        """Noise-only as a listener hears it: no programme within ``below_db`` of the noise in any band.

        A superset of :attr:`noise_intervals` that adds the sub-audible ends of tails and fades
        (see :mod:`noisekit.synth.audibility`).
        """
        return inaudible_intervals(self.music, self.noise, self.sr, below_db, exact=self.noise_intervals)

    def truth(self, kind: str = "audible") -> list[tuple[float, float]]:
        """The noise-only intervals of one of :data:`TRUTHS`: "audible" (the default) or "exact" (music == 0)."""
        if kind not in TRUTHS:
            raise ConfigError(f"unknown truth {kind!r}: choose one of {TRUTHS}")
        return self.audible_noise_intervals() if kind == "audible" else list(self.noise_intervals)


def zero_runs(music: np.ndarray, sr: int, min_s: float = MIN_INTERVAL_S) -> list[tuple[float, float]]:
    """Maximal runs (start_s, end_s) where every channel of ``music`` is exactly 0.0, at least ``min_s`` long."""
    silent = np.all(np.atleast_2d(music) == 0.0, axis=0)
    return [(float(a) / sr, float(b) / sr) for a, b in runs(silent, max(1, int(round(min_s * sr))))]


def _layout(rng: np.random.Generator, duration_s: float | None, ov: dict) -> dict:
    """Draw the time plan: run-in, pieces (with optional spoken announcement), pauses, run-out."""
    n_pieces = int(ov.get("n_pieces", 1 if rng.random() < 0.65 else 2))
    if n_pieces < 1:
        raise ValueError(f"synth_side: n_pieces must be ≥ 1, got {n_pieces}")
    run_in = float(ov.get("run_in_s", rng.uniform(2.0, 8.0)))
    run_out = float(ov.get("run_out_s", rng.uniform(3.0, 20.0)))
    announce = bool(ov.get("announcement", rng.random() < 0.1))
    pauses = []
    for _ in range(n_pieces - 1 + announce):
        pause = ov.get("pause_s", rng.uniform(0.8, 6.0) if rng.random() < 0.6 else -rng.uniform(0.05, 0.6))
        pauses.append(float(pause))  # negative: the next piece overlaps (segue, no noise-only gap)
    lengths = [float(rng.uniform(2.0, 5.0))] if announce else []
    lengths += [float(ov.get("piece_s", rng.uniform(15.0, 90.0))) for _ in range(n_pieces)]
    if duration_s is not None:
        fixed = run_in + run_out + sum(max(p, 0.0) for p in pauses)
        if duration_s < 2.0:
            raise ValueError(f"synth_side: duration_s must be ≥ 2 s, got {duration_s}")
        if fixed > 0.6 * duration_s:  # short side: shrink the noise-only parts, keep at least 0.4 of music
            scale = 0.6 * duration_s / fixed
            run_in, run_out, pauses = run_in * scale, run_out * scale, [p * scale for p in pauses]
            fixed *= scale
        weights = lengths
        for _ in range(3):  # overlaps depend on the lengths and the lengths on the overlaps
            music_total = duration_s - fixed - sum(min(p, 0.0) for p in pauses)
            lengths = [music_total * w / sum(weights) for w in weights]
            pauses = _clamp_segues(pauses, lengths)
        music_total = duration_s - fixed - sum(min(p, 0.0) for p in pauses)
        lengths = [music_total * w / sum(weights) for w in weights]
    else:
        pauses = _clamp_segues(pauses, lengths)
    starts, t = [], run_in
    for i, length in enumerate(lengths):
        starts.append(t)
        t += length + (pauses[i] if i < len(pauses) else 0.0)
    total = duration_s if duration_s is not None else t + run_out
    return {
        "run_in_s": run_in,
        "run_out_s": total - (starts[-1] + lengths[-1]),
        "pauses_s": pauses,
        "announcement": announce,
        "starts_s": starts,
        "lengths_s": lengths,
        "duration_s": total,
    }


def _restore_silence(raw: np.ndarray, out: np.ndarray, sr: int, min_s: float = 0.2, ring_s: float = 0.05) -> None:
    """Where the programme was exactly silent for ``min_s`` or more (speech pauses, a late first word),
    make the coloured piece exactly silent again after a ``ring_s`` ring-out of the era filters, so that
    those stretches count as noise-only. A few samples are left before each onset for the wow's shift."""
    guard = 64
    for s0, s1 in runs(raw == 0.0, int(min_s * sr)):
        a = 0 if s0 == 0 else min(s1, s0 + int(ring_s * sr))
        b = out.size if s1 == raw.size else s1 - guard
        if b <= a:
            continue
        if a > s0:
            out[s0:a] *= np.linspace(1.0, 0.0, a - s0)
        out[a:b] = 0.0


def _clamp_segues(pauses: list[float], lengths: list[float]) -> list[float]:
    """Overlaps (negative pauses) limited to 40 % of the shorter neighbouring piece, so pieces stay in order."""
    return [max(p, -0.4 * min(lengths[i], lengths[i + 1])) for i, p in enumerate(pauses)]


def _place(track: np.ndarray, piece: np.ndarray, start: int) -> None:
    end = min(track.size, start + piece.size)
    track[start:end] += piece[: end - start]


def synth_side(
    seed: int, duration_s: float | None = None, sr: int = SAMPLE_RATE, channels: int = 2, rpm: float = 78.0, **overrides
) -> SyntheticSide:
    """Render synthetic side ``seed`` (deterministic): music + 78-rpm noise with exact noise-only intervals.

    Overrides: run_in_s, run_out_s, n_pieces, pause_s (negative = segue), piece_s, snr_db, era,
    announcement (bool), noise (dict of gramophone fields), music (dict of music fields for every piece),
    groove (dict of :class:`~noisekit.synth.groove.GrooveParams` fields: lead-in/run-out levels, needle
    drop, locked groove, groove echo, transfer low-pass).
    """
    unknown = set(overrides) - _KNOWN
    if unknown:
        raise ConfigError(f"synth_side: unknown override(s) {sorted(unknown)}; known: {sorted(_KNOWN)}")
    if channels < 1 or sr <= 0 or rpm <= 0:
        raise ValueError(f"synth_side: need channels ≥ 1, sr > 0, rpm > 0 (got {channels}, {sr}, {rpm})")
    rng = rng_for(seed, "side", "layout")
    lay = _layout(rng, duration_s, overrides)
    n = int(round(lay["duration_s"] * sr))
    noise_p = draw_gramophone_params(
        rng_for(seed, "side", "noise-params"), overrides.get("era"), **{"rpm": rpm, **overrides.get("noise", {})}
    )
    era_p = draw_era_params(rng_for(seed, "side", "era"), noise_p.era, noise_p.rpm)
    groove_p = draw_groove_params(rng_for(seed, "side", "groove"), **overrides.get("groove", {}))
    tsos = transfer_sos(groove_p, sr)
    track = np.zeros(n)
    cases: list[tuple[float, float, str]] = []
    pieces = []
    for i, (start, length) in enumerate(zip(lay["starts_s"], lay["lengths_s"], strict=True)):
        prng = rng_for(seed, "side", "piece", i)
        a = int(round(start * sr))
        m = int(round(length * sr))
        if lay["announcement"] and i == 0:
            vp = draw_speech_params(prng, "speech", syllable_rate=float(prng.uniform(2.5, 4.0)))
            piece = render_speech(vp, m / sr, sr, prng).astype(np.float64) * 10 ** (prng.uniform(-16, -6) / 20)
            pieces.append({"kind": "announcement", "start_s": a / sr, "duration_s": m / sr, "speech": vp.to_dict()})
            cases.append((a / sr, (a + m) / sr, "speech"))
        else:
            mp = draw_music_params(prng, **overrides.get("music", {}))
            piece = render_music(mp, m / sr, sr, prng).astype(np.float64)
            pieces.append({"kind": "music", "start_s": a / sr, "duration_s": m / sr, "music": mp.to_dict()})
            cases += [(a / sr + s, a / sr + e, k) for s, e, k in hard_cases(mp, m / sr)]
        # the disc keeps turning between pieces: the wow continues in phase across the side; inner grooves
        # (later pieces) trace with more distortion
        inner = groove_p.inner_drive_db * (a + m / 2) / max(n, 1)
        piece_era = replace(
            era_p, wow_phase=era_p.wow_phase + 2 * np.pi * era_p.rpm / 60.0 * (a / sr), drive_db=era_p.drive_db + inner
        )
        raw = piece
        piece = dsp.apply_sos(apply_era_params(piece, sr, piece_era).astype(np.float64), tsos)
        _restore_silence(raw, piece, sr)
        edge = min(int(0.01 * sr), piece.size // 4)
        if edge > 0:  # era filters ring a little: bring both ends back to exactly 0
            piece[:edge] *= np.linspace(0.0, 1.0, edge)
            piece[-edge:] *= np.linspace(1.0, 0.0, edge)
        _place(track, piece, a)
    srng = rng_for(seed, "side", "mix")
    snr_db = float(overrides.get("snr_db", srng.uniform(2.0, 35.0)))
    gains_db = srng.uniform(-0.4, 0.4, channels) if channels > 1 else np.zeros(1)
    music = (track[None, :] * 10 ** (gains_db[:, None] / 20.0)).astype(np.float32)
    noise = _surface(noise_p, groove_p, lay, n, sr, seed, channels, tsos)
    active = np.any(music != 0.0, axis=0)
    echo = groove_echo(groove_p, track, sr, noise_p.rpm)
    if active.any():
        power = float(np.mean(music[:, active].astype(np.float64) ** 2))
        extra = None if echo is None else echo[None, :] * np.float32(10 ** (gains_db[:, None] / 20.0))
        g, extra = scale_noise_for_snr(power, noise, extra, snr_db)
        noise = noise * np.float32(g) + (0 if extra is None else extra.astype(np.float32))
    peak = max(float(np.max(np.abs(music + noise))), 1e-12)
    if peak > 0.99:  # scale both, keeping the SNR and the exact zeros
        music *= np.float32(0.99 / peak)
        noise *= np.float32(0.99 / peak)
    intervals = zero_runs(music, sr)
    if snr_db < 10.0:
        cases += [(s, e, "low_snr") for s, e in _complement(intervals, n / sr)]
    cases += _noise_cases(noise_p, groove_p, lay, n / sr)
    params = {
        "seed": int(seed),
        "sr": int(sr),
        "channels": int(channels),
        "rpm": float(noise_p.rpm),
        "layout": lay,
        "pieces": pieces,
        "noise": noise_p.to_dict(),
        "era": era_p.to_dict(),
        "groove": groove_p.to_dict(),
        "snr_db": snr_db,
        "channel_gains_db": gains_db.tolist(),
    }
    return SyntheticSide(
        audio=music + noise,
        music=music,
        noise=noise,
        sr=sr,
        noise_intervals=intervals,
        hard_cases=sorted(cases),
        params=jsonable(params),
    )


def _surface(
    noise_p: GramophoneParams,
    groove_p: GrooveParams,
    lay: dict,
    n: int,
    sr: int,
    seed: int,
    channels: int,
    tsos: np.ndarray | None,
) -> np.ndarray:
    """Surface noise for the whole side, with its lead-in/run-out levels and groove events, transfer-filtered."""
    nrng = rng_for(seed, "side", "noise")
    noise = render_gramophone_noise(noise_p, n / sr, sr, nrng, channels)
    start, end = lay["starts_s"][0], lay["starts_s"][-1] + lay["lengths_s"][-1]
    noise *= level_curve(groove_p, start, end, n, sr)[None, :]
    rms = float(np.sqrt(np.mean(noise[0] ** 2)))
    noise += groove_events(groove_p, end, n, sr, nrng, noise_p.rpm, rms)[None, :]
    if groove_p.tape_speed_ips is not None:  # dubbed through tape: its hiss on top, before the transfer filter
        tp = draw_tape_params(nrng, groove_p.tape_speed_ips, hum_hz=0.0, channel_corr=0.9)
        hiss = render_tape_noise(tp, n / sr, sr, nrng, channels)
        noise += hiss * np.float32(rms * 10 ** (groove_p.tape_rel_db / 20.0) / 10 ** (rms_dbfs(hiss) / 20.0))
    return dsp.apply_sos(noise, tsos).astype(np.float32)


def _noise_cases(
    noise_p: GramophoneParams, groove_p: GrooveParams, lay: dict, total: float
) -> list[tuple[float, float, str]]:
    """Where the *noise* has programme-like events (a detector's false-positive traps)."""
    rev = 60.0 / noise_p.rpm
    end = lay["starts_s"][-1] + lay["lengths_s"][-1]
    cases = []
    if groove_p.needle_drop_db is not None:
        cases.append((groove_p.needle_drop_s, min(total, groove_p.needle_drop_s + 0.4), "needle_drop"))
    if groove_p.locked_groove_db is not None and end + groove_p.locked_after_s < total:
        cases.append((end + groove_p.locked_after_s, total, "locked_groove"))
    if groove_p.echo_db is not None:  # pre-echo before each piece, post-echo after it
        for start, length in zip(lay["starts_s"], lay["lengths_s"], strict=True):
            cases += [
                (max(0.0, start - rev), start, "groove_echo"),
                (start + length, min(total, start + length + rev), "groove_echo"),
            ]
    if noise_p.hum_hz > 0:
        cases.append((0.0, total, "hum"))
    if noise_p.scratches:
        cases.append((0.0, total, "periodic_scratch"))
    return cases


def _complement(intervals: list[tuple[float, float]], total: float) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for s, e in intervals:
        if s > t:
            out.append((t, s))
        t = e
    if t < total:
        out.append((t, total))
    return out
