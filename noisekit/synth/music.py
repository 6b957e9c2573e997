"""Synthetic music pieces: ensembles playing tonal scores with dynamics and the hard cases for noise detection.

:func:`draw_music_params` records every structural choice (style, instruments and their timbres, tempo,
key, room, and the hard-case flags: very soft passages, crescendi, fades, sustained single notes, long
reverberant tails, noisy onsets); :func:`render_music` plays it for a given duration. The time layout of
the hard cases depends only on the parameters and the duration, so :func:`hard_cases` reports them
without rendering. A piece starts from (near) silence and ends exactly at zero at ``duration_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import soxr

from noisekit.synth import dsp, score
from noisekit.synth.params import apply_overrides, jsonable
from noisekit.synth.rooms import RoomParams, apply_reverb, draw_room_params, render_rir
from noisekit.synth.speech import SpeechParams, draw_speech_params, render_speech, sing_notes
from noisekit.synth.styles import ACCOMP_PATTERNS, STYLE_WEIGHTS, STYLES
from noisekit.synth.voices import INSTRUMENTS, draw_timbre, play_note


@dataclass
class PartSpec:
    """One part: role, instrument, level (dB rel. the mix), register, accompaniment pattern, timbre."""

    role: str
    instrument: str
    level_db: float
    lo: int
    hi: int
    pattern: str = ""
    timbre: dict = field(default_factory=dict)


@dataclass
class MusicParams:
    """Everything structural about one piece (notes themselves are drawn at render time from the rng)."""

    style: str = "piano_solo"
    parts: list[PartSpec] = field(default_factory=list)
    tempo_bpm: float = 100.0
    beats_per_bar: int = 4
    tonic: int = 60
    mode: str = "major"
    tempo_drift: float = 0.02
    ritardando: float = 0.2
    level_db: float = -18.0  # nominal RMS of the full texture, dBFS
    swell_db: float = 3.0  # phrase-level dynamic swells
    room: RoomParams = field(default_factory=RoomParams)
    pp_passage: list[float] | None = None  # [start_frac, length_s, level_dbfs]
    crescendo: list[float] | None = None  # [start_frac, length_s, depth_db]; depth < 0: diminuendo
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    sustained: list[float] | None = None  # [start_frac, length_s]
    sustain_instrument: str = "violin"
    long_tail_s: float = 0.0
    final_hold_beats: float = 2.0
    noisy_onsets: bool = False
    voice: SpeechParams | None = None  # the speaker of a 'spoken' piece (sung parts keep theirs in timbre)
    walking_bass: bool = False
    swing: float = 0.0  # off-beat eighths delayed by swing/2 of a beat
    timing_jitter_s: float = 0.008  # human timing spread of onsets

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return jsonable(self)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def draw_music_params(rng: np.random.Generator, **overrides) -> MusicParams:
    """Draw a piece: style, parts, tempo, key, room and hard-case flags; ``overrides`` set fields (style first)."""
    style = overrides.pop("style", None) or str(rng.choice(list(STYLES), p=STYLE_WEIGHTS / STYLE_WEIGHTS.sum()))
    if style not in STYLES:
        raise ValueError(f"draw_music_params: unknown style {style!r}, expected one of {sorted(STYLES)}")
    p = MusicParams(style=style)
    # fields that steer later draws are taken from the overrides first (the rng is consumed the same way)
    noisy, tail = overrides.pop("noisy_onsets", None), overrides.pop("long_tail_s", None)
    drawn = bool(rng.random() < 0.2)
    p.noisy_onsets = drawn if noisy is None else bool(noisy)
    for role, cands, prob in STYLES[style]:
        if rng.random() >= prob:
            continue
        inst = str(rng.choice(cands))
        lo, hi = INSTRUMENTS[inst][1:]
        if role in ("accomp", "bass") and inst not in ("tuba", "plucked_bass", "cello"):
            base = 48 if role == "accomp" else 33
            lo, hi = max(lo, base), max(lo, base) + 12
        pattern = ""
        if role == "accomp":
            sustaining = INSTRUMENTS[inst][0] in ("bowed", "wind", "organ")
            pattern = "sustain" if sustaining else str(rng.choice(ACCOMP_PATTERNS.get(inst, ("block", "repeated"))))
        level = {
            "melody": 0.0,
            "voice": 0.0,
            "speech": 0.0,
            "counter": -5.0,
            "accomp": -7.0,
            "bass": -6.0,
            "drums": -10.0,
            "double": -6.0,
        }[role] + _u(rng, -3, 3)
        if INSTRUMENTS[inst][0] == "voice":  # a singer: register from the part's range
            hz = 440.0 * 2 ** (((lo + hi) / 2 - 69) / 12.0)
            timbre = draw_speech_params(
                rng, "singing", f0_hz=hz, tract=float(np.clip(220.0 / hz, 0.9, 1.2) * rng.uniform(0.95, 1.05))
            ).to_dict()
        else:
            timbre = draw_timbre(rng, inst, noisy=p.noisy_onsets)
        p.parts.append(PartSpec(role, inst, level, int(lo), int(hi), pattern, timbre))
    if style == "spoken":
        p.voice = draw_speech_params(rng, "speech")
        for part in p.parts:
            part.level_db -= 14.0  # soft underscore beneath the voice
    p.tempo_bpm = float(np.exp(rng.uniform(np.log(52), np.log(190))))
    p.beats_per_bar = int(rng.choice([2, 3, 4], p=[0.2, 0.3, 0.5]))
    p.tonic = int(rng.integers(55, 67))
    p.mode = str(rng.choice(list(score.MODES), p=[0.55, 0.3, 0.08, 0.07]))
    p.tempo_drift = _u(rng, 0.0, 0.05)
    p.ritardando = _u(rng, 0.0, 0.6)
    p.level_db = _u(rng, -26, -12)
    p.swell_db = _u(rng, 0.5, 6.0)
    p.walking_bass = bool(rng.random() < 0.25)
    p.long_tail_s = _u(rng, 2.0, 6.0) if rng.random() < 0.3 else 0.0
    if tail is not None:
        p.long_tail_s = float(tail)
    p.room = draw_room_params(
        rng, **({"rt60_s": _u(rng, 1.5, 3.0), "wet_db": _u(rng, -8, -2)} if p.long_tail_s else {})
    )
    if rng.random() < 0.35:
        p.pp_passage = [_u(rng, 0.1, 0.9), _u(rng, 2.0, 10.0), _u(rng, -60, -40)]
    if rng.random() < 0.35:
        p.crescendo = [_u(rng, 0.0, 0.9), _u(rng, 2.0, 12.0), _u(rng, 8, 24) * float(rng.choice([-1, 1]))]
    p.fade_in_s = _u(rng, 0.5, 6.0) if rng.random() < 0.2 else 0.0
    p.fade_out_s = _u(rng, 1.0, 10.0) if rng.random() < 0.3 else 0.0
    if rng.random() < 0.3:
        p.sustained = [float(rng.choice([_u(rng, 0.1, 0.8), 1.0])), _u(rng, 2.5, 10.0)]
        p.sustain_instrument = str(rng.choice(["violin", "cello", "organ", "clarinet", "flute", "horn", "piano"]))
    p.final_hold_beats = _u(rng, 1.0, 4.0)
    p.swing = _u(rng, 0.1, 0.35) if rng.random() < (0.6 if style == "dance_band" else 0.15) else 0.0
    p.timing_jitter_s = float(np.exp(rng.uniform(np.log(0.002), np.log(0.025))))
    return apply_overrides(p, overrides, "draw_music_params")


@dataclass
class _Layout:
    body_end: float
    beat_s: float
    cases: list[tuple[float, float, str]]


def _layout(p: MusicParams, duration_s: float) -> _Layout:
    d = duration_s
    beat_s = 60.0 / p.tempo_bpm
    ending = min(0.45 * d, p.final_hold_beats * beat_s + p.long_tail_s + 0.3)
    body_end = d - ending
    cases: list[tuple[float, float, str]] = []

    def span(frac: float, length: float) -> tuple[float, float]:
        length = min(length, 0.4 * d)
        start = frac * max(body_end - length, 0.0)
        return start, min(start + length, d)

    if p.long_tail_s > 0:
        cases.append((min(d, body_end + p.final_hold_beats * beat_s), d, "long_tail"))
    if p.pp_passage:
        cases.append((*span(p.pp_passage[0], p.pp_passage[1]), "pp_passage"))
    if p.crescendo:
        cases.append((*span(p.crescendo[0], p.crescendo[1]), "crescendo" if p.crescendo[2] > 0 else "diminuendo"))
    if p.sustained:
        cases.append((*span(p.sustained[0], p.sustained[1]), "sustained_note"))
    if p.fade_in_s > 0:
        cases.append((0.0, min(p.fade_in_s, 0.4 * d), "fade_in"))
    if p.fade_out_s > 0:
        cases.append((d - min(p.fade_out_s, 0.4 * d), d, "fade_out"))
    if p.noisy_onsets:
        cases.append((0.0, d, "noisy_onsets"))
    if p.style in ("vocal", "choir", "opera", "spoken"):
        cases.append((0.0, d, "speech" if p.style == "spoken" else "singing"))
    return _Layout(body_end, beat_s, sorted(cases))


def hard_cases(params: MusicParams, duration_s: float) -> list[tuple[float, float, str]]:
    """Where the piece's hard cases lie, as (start_s, end_s, kind), relative to the piece start."""
    return _layout(params, duration_s).cases


def _events(p: MusicParams, lay: _Layout, rng: np.random.Generator) -> list[score.Event]:
    bpb = p.beats_per_bar
    bars = int(lay.body_end / (bpb * lay.beat_s * 0.85)) + 2
    chords = score.progression(rng, bars)
    ev: list[score.Event] = []
    for i, part in enumerate(p.parts):
        if part.role in ("melody", "counter", "voice"):
            lo, hi = (part.lo, part.hi) if part.role != "counter" else (part.lo, (part.lo + part.hi) // 2)
            ev += score.melody(rng, chords, bpb, p.tonic, p.mode, i, lo, hi)
        elif part.role == "accomp":
            ev += score.accompaniment(rng, chords, bpb, p.tonic, p.mode, i, part.lo, part.pattern)
        elif part.role == "bass":
            ev += score.bass(rng, chords, bpb, p.tonic, p.mode, i, part.lo, p.walking_bass)
        elif part.role == "drums":
            kit = tuple(
                k for k in ("kick", "snare", "brush", "hihat", "cymbal", "woodblock", "tom") if rng.random() < 0.5
            )
            ev += score.drums(rng, bars, bpb, i, kit or ("snare",))
    melody = next((j for j, q in enumerate(p.parts) if q.role in ("melody", "voice")), None)
    for i, part in enumerate(p.parts):  # a doubling plays the melody an octave away, inside its own range
        if part.role == "double" and melody is not None:
            shift = 12 if (part.lo + part.hi) / 2 > (p.parts[melody].lo + p.parts[melody].hi) / 2 else -12
            ev += [
                score.Event(e.beat, e.beats, e.midi + (shift if part.lo <= e.midi + shift <= part.hi else 0), e.vel, i)
                for e in ev
                if e.part == melody
            ]
    return ev


def _tempo_map(p: MusicParams, lay: _Layout, n_beats: int, rng: np.random.Generator) -> np.ndarray:
    """Onset time (s) of each beat 0..n_beats: drifting tempo and a final ritardando."""
    drift = 1.0 + p.tempo_drift * dsp.smooth_random(rng, n_beats, 1, 1.0 / 8.0)
    durs = lay.beat_s * drift
    times = np.concatenate([[0.0], np.cumsum(durs)])
    span = min(4 * p.beats_per_bar * lay.beat_s, 0.5 * lay.body_end)  # the last four bars slow down
    over = np.clip((times[:-1] - (lay.body_end - span)) / max(span, 1e-3), 0, 1)
    durs = durs * (1.0 + p.ritardando * over)
    return np.concatenate([[0.0], np.cumsum(durs)])


def _gain_curve(p: MusicParams, lay: _Layout, d: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Dynamics in dB relative to the nominal level on a 10-ms grid: swells, crescendo, pp passage."""
    tg = np.arange(0.0, d + 0.02, 0.01)
    g = p.swell_db * dsp.smooth_random(rng, tg.size, 100, 1.0 / (2 * p.beats_per_bar * lay.beat_s))
    for s, e, kind in lay.cases:
        inside = (tg >= s) & (tg < e)
        if kind in ("crescendo", "diminuendo") and p.crescendo:
            depth = abs(p.crescendo[2])
            ramp = np.clip((tg - s) / max(e - s, 1e-3), 0, 1)
            g += -depth * (1 - ramp) * (tg >= s - 0.5 * (e - s)) if kind == "crescendo" else -depth * ramp * (tg >= s)
        elif kind == "pp_passage" and p.pp_passage:
            edge = np.clip(np.minimum(tg - s, e - tg) / 0.4, 0, 1) * inside
            g += edge * (p.pp_passage[2] - p.level_db)
    return tg, g


def render_music(params: MusicParams, duration_s: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Play ``params`` for ``duration_s``: 1-D float32, peak ≤ 0.99, first sample ~0, last sample exactly 0."""
    p, n_out = params, dsp.render_length("render_music", duration_s, sr)
    if n_out < 8:
        return np.zeros(n_out, dtype=np.float32)
    sr_out, sr = sr, (sr // 2 if sr >= 32000 and sr % 2 == 0 else sr)  # synthesise at half rate (≤ 11 kHz)
    n = int(round(duration_s * sr))
    lay = _layout(p, duration_s)
    tg, g = _gain_curve(p, lay, duration_s, rng)
    x = np.zeros(n)
    if p.style == "spoken" and p.voice is not None:
        x += render_speech(p.voice, duration_s, sr, rng)
    events = _events(p, lay, rng)
    n_beats = int(max((e.beat + e.beats for e in events), default=1.0)) + 2
    tmap = _tempo_map(p, lay, n_beats, rng)
    sus = next(((s, e) for s, e, k in lay.cases if k == "sustained_note"), None)
    pp = next(((s, e) for s, e, k in lay.cases if k == "pp_passage"), None)
    sung: dict[int, list[tuple[float, float, float]]] = {}
    sections: dict[int, np.ndarray] = {}  # parts played by several desks: one take, then a chorus
    cache: dict[tuple, list[np.ndarray]] = {}
    for ev in events:
        beat = ev.beat + (0.5 * p.swing if abs(ev.beat % 1.0 - 0.5) < 1e-6 else 0.0)
        t0 = float(np.interp(beat, np.arange(tmap.size), tmap)) + abs(rng.normal(0.0, p.timing_jitter_s))
        if t0 >= lay.body_end:
            continue
        part = p.parts[ev.part]
        if sus and sus[0] - 0.2 <= t0 < sus[1]:
            continue
        if pp and pp[0] <= t0 < pp[1] and part.role in ("drums", "bass", "counter", "double"):
            continue
        dur = float(np.interp(ev.beat + ev.beats, np.arange(tmap.size), tmap)) - t0
        dyn = float(np.interp(t0, tg, g))
        vel = float(np.clip(ev.vel * (0.8 + dyn / 40.0), 0.05, 1.0))
        if INSTRUMENTS[part.instrument][0] == "voice":
            sung.setdefault(ev.part, []).append((t0, dur, ev.midi))
            continue
        note = _note(cache, part, ev, dur, vel, sr, rng, duration_s - t0)
        target = sections.setdefault(ev.part, np.zeros(n)) if part.timbre.get("section", 1) > 1 else x
        dsp.place_events(target, np.array([t0 * sr]), [note * (10 ** (part.level_db / 20.0) * vel**1.3)])
    for i, buf in sections.items():
        x += dsp.chorus(buf, sr, rng, int(p.parts[i].timbre["section"]) - 1)
    for i, notes in sung.items():
        part = p.parts[i]
        tone = score.chord_tones(p.tonic, p.mode, 0, part.lo)[1 if part.role == "counter" else 0]
        notes.append((lay.body_end, p.final_hold_beats * lay.beat_s, tone))  # everyone ends on the tonic chord
        voice = SpeechParams(**part.timbre)
        x += sing_notes(voice, notes, n, sr, rng) * (10 ** (part.level_db / 20.0) * 0.5)
    _final_notes(p, lay, x, sr, rng, sus)
    x = _room(p, lay, x, tg, g, sr, rng)
    if sr != sr_out:
        x = soxr.resample(x, sr, sr_out, quality="HQ")
    return _finish(lay, _fit(x, n_out), sr_out)


def _note(
    cache: dict[tuple, list[np.ndarray]],
    part: PartSpec,
    ev: score.Event,
    dur: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    max_s: float,
) -> np.ndarray:
    """Play one event, re-using one of up to two earlier renderings of the same note (pitch, length, strength).

    Accompaniments repeat the same chord tones bar after bar; two takes per note keep some variety while
    making dense pieces several times cheaper.
    """
    timbre = {**part.timbre, "section": 1} if "section" in part.timbre else part.timbre  # desks: see chorus
    if max_s < dur + 3.0:  # near the end the note may be cut: render it afresh
        return play_note(part.instrument, ev.midi, dur, vel, sr, rng, timbre, ev.drum, max_s)
    # played length on a 1/24-octave grid (3 %) and strength in steps of 0.05: repeats share renderings
    dur = float(2.0 ** (round(24.0 * np.log2(max(dur, 0.03))) / 24.0))
    vel = round(vel * 20.0) / 20.0
    key = (ev.part, ev.midi, ev.drum, dur, vel)
    takes = cache.setdefault(key, [])
    if len(takes) < 2 and (not takes or rng.random() < 0.5):
        takes.append(play_note(part.instrument, ev.midi, dur, vel, sr, rng, timbre, ev.drum, max_s))
        return takes[-1]
    return takes[int(rng.integers(len(takes)))]


def _final_notes(
    p: MusicParams, lay: _Layout, x: np.ndarray, sr: int, rng: np.random.Generator, sus: tuple[float, float] | None
) -> None:
    """The sustained single note and the final chord (tonic triad across the pitched parts)."""
    if sus:
        inst = p.sustain_instrument
        lo, hi = INSTRUMENTS[inst][1:]
        midi = score.scale_pitch(p.tonic, p.mode, 0) + 12 * int(np.clip(round(((lo + hi) / 2 - p.tonic) / 12), -2, 2))
        note = play_note(
            inst, midi, sus[1] - sus[0], 0.6, sr, rng, draw_timbre(rng, inst, False), "", x.size / sr - sus[0]
        )
        dsp.place_events(x, np.array([sus[0] * sr]), [note])
    hold = p.final_hold_beats * lay.beat_s
    for i, part in enumerate(p.parts):
        if part.role in ("drums", "speech") or INSTRUMENTS[part.instrument][0] == "voice":
            continue
        tones = score.chord_tones(p.tonic, p.mode, 0, part.lo)
        for t in tones[: 1 if part.role in ("melody", "bass", "counter", "double") else 3]:
            note = play_note(part.instrument, t, hold, 0.7, sr, rng, part.timbre, "", x.size / sr - lay.body_end)
            dsp.place_events(x, np.array([lay.body_end * sr]), [note * 10 ** (part.level_db / 20.0) * (0.7**1.3)])
        del i


def _room(
    p: MusicParams, lay: _Layout, x: np.ndarray, tg: np.ndarray, g: np.ndarray, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Nominal level, dynamics curve, then the room."""
    body = x[: max(1, int(lay.body_end * sr))]
    rms = float(np.sqrt(np.mean(body * body)))
    if rms > 0:
        x *= 10 ** (p.level_db / 20.0) / rms
    x *= 10 ** (np.interp(np.arange(x.size, dtype=np.float32) / sr, tg, g) / 20.0)
    return apply_reverb(x, render_rir(p.room, sr, rng))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` cut or zero-padded to exactly ``n`` samples, as float64."""
    out = np.zeros(n)
    out[: min(n, x.size)] = x[:n]
    return out


def _finish(lay: _Layout, x: np.ndarray, sr: int) -> np.ndarray:
    """Engineer fades, a click-free start and an exact-zero end, peak ≤ 0.99."""
    n = x.size
    d = n / sr
    for s, e, kind in lay.cases:
        a, b = int(s * sr), min(n, int(e * sr))
        if kind == "fade_in":
            x[a:b] *= dsp.fade_curve(b - a, "exp")
        elif kind == "fade_out":
            x[a:b] *= dsp.fade_curve(b - a, "exp")[::-1]
    edge = min(int(0.003 * sr), n // 4)
    x[:edge] *= np.linspace(0.0, 1.0, edge)
    end = min(int(max(0.25, 0.05 * d) * sr), n // 4)
    x[n - end :] *= np.linspace(1.0, 0.0, end) ** 2
    x[-1] = 0.0
    peak = float(np.max(np.abs(x)))
    if peak > 0.99:
        x *= 0.99 / peak
    return x.astype(np.float32)
