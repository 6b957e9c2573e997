"""Tonal score generation: chord progressions, melodies, accompaniment patterns, bass lines, drum patterns.

Everything is in beats here; :mod:`noisekit.synth.music` maps beats to seconds with a tempo curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = {
    "major": [0, 2, 4, 5, 7, 9, 11],
    "minor": [0, 2, 3, 5, 7, 8, 11],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "mixolydian": [0, 2, 4, 5, 7, 9, 10],
}
# degree transition table (0-based degrees): common-practice-ish progressions
_NEXT = {0: [3, 4, 5, 1, 4], 1: [4, 4, 6], 2: [5, 3], 3: [4, 0, 1, 4], 4: [0, 0, 5, 3], 5: [1, 3, 4], 6: [0, 2]}
_RHYTHMS: list[list[float]] = [
    [1, 1, 1, 1],
    [2, 1, 1],
    [1.5, 0.5, 1, 1],
    [0.5, 0.5, 1, 2],
    [3, 1],
    [4],
    [1, 0.5, 0.5, 1, 1],
    [0.5] * 8,
    [2, 2],
    [0.75, 0.25, 1, 2],
    [1, 1, 2],
    [0.5, 0.5, 0.5, 0.5, 2],
]
_CADENCE_RHYTHMS: list[list[float]] = [[2, 2], [3, 1], [4], [2, 1, 1]]
ACCOMP_PATTERNS = ("block", "repeated", "alberti", "arpeggio", "stride", "strum", "sustain")


@dataclass
class Event:
    """One note in beats: onset, duration, MIDI pitch, relative velocity, part index, drum kind ('' = pitched)."""

    beat: float
    beats: float
    midi: float
    vel: float
    part: int
    drum: str = ""


def scale_pitch(tonic: int, mode: str, degree: int) -> int:
    """MIDI pitch of scale ``degree`` (any integer, octaves wrap) above MIDI ``tonic``."""
    steps = MODES[mode]
    return tonic + steps[degree % 7] + 12 * (degree // 7)


def progression(rng: np.random.Generator, bars: int, per_bar: int = 1) -> list[int]:
    """Chord degrees, ``per_bar`` chords per bar, phrases of 4 bars ending on V or I."""
    chords, deg = [], 0
    for i in range(bars * per_bar):
        bar = i // per_bar
        if bar % 4 == 3 and i % per_bar == per_bar - 1:
            deg = 4 if (bar // 4) % 2 == 0 else 0  # half cadence, then full cadence
        elif i > 0:
            deg = int(rng.choice(_NEXT[deg]))
        chords.append(deg)
    return chords


def chord_tones(tonic: int, mode: str, degree: int, octave_base: int, seventh: bool = False) -> list[int]:
    """Triad (or seventh chord) on ``degree`` placed at or above ``octave_base``."""
    tones = [scale_pitch(tonic, mode, degree + s) for s in ((0, 2, 4, 6) if seventh else (0, 2, 4))]
    shift = 12 * int(np.ceil((octave_base - tones[0]) / 12.0))
    return [t + shift for t in tones]


def melody(
    rng: np.random.Generator, chords: list[int], bpb: int, tonic: int, mode: str, part: int, lo: int, hi: int
) -> list[Event]:
    """Stepwise melody over the chords, chord tones on strong beats, longer notes and rests at phrase ends."""
    out: list[Event] = []
    bars = len(chords)  # one chord per bar
    centre = (lo + hi) // 2
    deg = int(round((centre - tonic) / 12 * 7))
    for bar in range(bars):
        pool = _RHYTHMS if bar % 4 != 3 else _CADENCE_RHYTHMS
        pattern = pool[int(rng.integers(len(pool)))]
        scale = bpb / 4.0
        beat = float(bar * bpb)
        for j, d in enumerate(pattern):
            d *= scale
            chord = chords[bar]
            if j == 0 or rng.random() < 0.3:  # chord tone
                target = [chord + s for s in (0, 2, 4)]
                deg = min((t + 7 * k for t in target for k in range(-3, 4)), key=lambda x: abs(x - deg))
            else:
                deg += int(rng.choice([-2, -1, -1, 1, 1, 2, 0, 3, -3]))
            pitch = scale_pitch(tonic, mode, deg)
            while pitch > hi:
                deg -= 7
                pitch = scale_pitch(tonic, mode, deg)
            while pitch < lo:
                deg += 7
                pitch = scale_pitch(tonic, mode, deg)
            rest = bar % 4 == 3 and j == len(pattern) - 1 and rng.random() < 0.4
            if not rest:
                accent = 1.0 if j == 0 else 0.85
                out.append(Event(beat, d * rng.uniform(0.75, 1.0), pitch, accent * rng.uniform(0.85, 1.0), part))
            beat += d
    return out


def accompaniment(
    rng: np.random.Generator, chords: list[int], bpb: int, tonic: int, mode: str, part: int, base: int, pattern: str
) -> list[Event]:
    """Chords played as ``pattern`` (one of ACCOMP_PATTERNS), one chord per bar."""
    out: list[Event] = []
    centre = base + 5.0
    for bar, deg in enumerate(chords):
        seventh = deg in (1, 4) and rng.random() < 0.4  # ii7 and V7 colour
        tones = _voicing(chord_tones(tonic, mode, deg, base, seventh), centre)
        centre = 0.7 * centre + 0.3 * float(np.mean(tones))  # smooth voice leading, no drift
        b0 = float(bar * bpb)
        if pattern in ("block", "sustain"):
            hold = bpb if pattern == "sustain" else bpb * 0.9
            out += [Event(b0, hold, t, 0.8, part) for t in tones]
        elif pattern == "repeated":
            out += [Event(b0 + k, 0.8, t, 0.9 if k == 0 else 0.7, part) for k in range(bpb) for t in tones]
        elif pattern == "alberti":
            seq = [tones[0], tones[2], tones[1], tones[2]]
            out += [Event(b0 + 0.5 * k, 0.5, seq[k % 4], 0.7, part) for k in range(2 * bpb)]
        elif pattern == "arpeggio":
            seq = tones + [tones[0] + 12] + tones[1:][::-1]
            out += [Event(b0 + 0.5 * k, 1.0, seq[k % len(seq)], 0.7, part) for k in range(2 * bpb)]
        elif pattern == "stride":
            for k in range(bpb):
                if k % 2 == 0:
                    out.append(Event(b0 + k, 0.5, tones[0] - 12, 0.9, part))
                else:
                    out += [Event(b0 + k, 0.5, t, 0.7, part) for t in tones]
        elif pattern == "strum":
            for k in range(bpb):
                out += [Event(b0 + k + 0.02 * i, 0.45, t, 0.75 if k else 0.9, part) for i, t in enumerate(tones)]
        else:
            raise ValueError(f"accompaniment: unknown pattern {pattern!r}")
    return out


def _voicing(tones: list[int], centre: float) -> list[int]:
    """The inversion of a chord whose mean pitch is closest to ``centre`` (smooth voice leading)."""
    options = [tones[i:] + [t + 12 for t in tones[:i]] for i in range(len(tones))]
    options.append([tones[-1] - 12] + tones[:-1])
    return min(options, key=lambda v: abs(float(np.mean(v)) - centre))


def bass(
    rng: np.random.Generator, chords: list[int], bpb: int, tonic: int, mode: str, part: int, base: int, walking: bool
) -> list[Event]:
    """Root (and fifth) on strong beats, or a walking line."""
    out: list[Event] = []
    for bar, deg in enumerate(chords):
        root = chord_tones(tonic, mode, deg, base)[0]
        b0 = float(bar * bpb)
        if walking:
            nxt = chord_tones(tonic, mode, chords[(bar + 1) % len(chords)], base)[0]
            line = [root, root + int(rng.choice([3, 4])), root + 7, nxt + int(rng.choice([-1, 1, 2]))]
            out += [Event(b0 + k, 0.9, line[k % 4], 0.8, part) for k in range(bpb)]
        else:
            out.append(Event(b0, min(2.0, bpb) * 0.9, root, 0.9, part))
            if bpb >= 4:
                out.append(Event(b0 + 2, 1.8, root + 7 if rng.random() < 0.6 else root, 0.8, part))
    return out


def drums(rng: np.random.Generator, bars: int, bpb: int, part: int, kit: tuple[str, ...]) -> list[Event]:
    """A steady pattern over the ``kit`` (kick/snare/brush/hihat/cymbal/woodblock/tom), fills every 4 bars."""
    out: list[Event] = []
    for bar in range(bars):
        b0 = float(bar * bpb)
        for k in range(bpb):
            if "kick" in kit and (k % 2 == 0 or bpb == 3 and k == 0):
                out.append(Event(b0 + k, 0.5, 0, 0.9 if k == 0 else 0.75, part, "kick"))
            if "snare" in kit and k % 2 == 1:
                out.append(Event(b0 + k, 0.3, 0, 0.8, part, "snare"))
            if "brush" in kit:  # a sweep on every beat, accented off-beats
                out.append(Event(b0 + k, 0.5, 0, 0.6 + 0.2 * (k % 2), part, "brush"))
            if "hihat" in kit:
                out += [Event(b0 + k + h, 0.2, 0, 0.5 + 0.2 * (h == 0), part, "hihat") for h in (0.0, 0.5)]
            if "woodblock" in kit and rng.random() < 0.5:
                out.append(Event(b0 + k + 0.5, 0.1, 0, 0.6, part, "woodblock"))
        if bar % 4 == 3 and "tom" in kit:
            out += [Event(b0 + bpb - 1 + 0.25 * i, 0.2, 0, 0.7, part, "tom") for i in range(4)]
        if bar % 8 == 0 and "cymbal" in kit:
            out.append(Event(b0, 1.5, 0, 0.8, part, "cymbal"))
    return out
