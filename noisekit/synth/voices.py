"""Named instruments: their voice, range, drawn timbre, and one call to play a note by name."""

from __future__ import annotations

import numpy as np

from noisekit.synth import instruments as ins

# name: (voice, lowest MIDI, highest MIDI)
INSTRUMENTS: dict[str, tuple[str, int, int]] = {
    "piano": ("piano", 28, 100),
    "violin": ("bowed", 55, 93),
    "viola": ("bowed", 48, 81),
    "cello": ("bowed", 36, 72),
    "guitar": ("pluck", 40, 79),
    "banjo": ("pluck", 48, 81),
    "harp": ("pluck", 36, 91),
    "mandolin": ("pluck", 55, 84),
    "plucked_bass": ("pluck", 28, 52),
    "trumpet": ("wind", 54, 82),
    "trombone": ("wind", 38, 70),
    "horn": ("wind", 41, 74),
    "tuba": ("wind", 28, 53),
    "clarinet": ("wind", 50, 89),
    "flute": ("wind", 60, 96),
    "oboe": ("wind", 58, 89),
    "saxophone": ("wind", 44, 80),
    "organ": ("organ", 36, 84),
    "accordion": ("organ", 53, 89),
    "voice": ("voice", 48, 79),
    "soprano": ("voice", 60, 79),
    "alto": ("voice", 53, 72),
    "tenor": ("voice", 48, 67),
    "bass_voice": ("voice", 40, 60),
    "drums": ("drums", 0, 0),
    "bassoon": ("wind", 34, 72),
    "harmonica": ("wind", 60, 96),
    "xylophone": ("mallet", 65, 100),
    "marimba": ("mallet", 45, 84),
    "celesta": ("mallet", 60, 96),
    "bells": ("mallet", 60, 84),
}
# wind presets: formants [(Hz, dB)], even-harmonic factor, spectral slope, breath dB, vibrato depth
_WINDS = {
    "trumpet": (((1300, 9), (2600, 4)), 1.0, 0.9, -38, 0.002),
    "trombone": (((550, 8), (1200, 5)), 1.0, 1.0, -38, 0.001),
    "horn": (((450, 7), (900, 3)), 1.0, 1.6, -36, 0.001),
    "tuba": (((250, 6), (600, 3)), 1.0, 1.5, -36, 0.0),
    "clarinet": (((1500, 4),), 0.12, 1.2, -32, 0.0),
    "flute": (((800, 2),), 1.0, 2.4, -18, 0.005),
    "oboe": (((1100, 10), (2800, 6)), 1.0, 0.7, -34, 0.003),
    "saxophone": (((600, 6), (1700, 6)), 1.0, 0.9, -30, 0.004),
    "bassoon": (((500, 8), (1150, 4)), 1.0, 1.1, -34, 0.002),
    "harmonica": (((1800, 5),), 0.6, 0.6, -26, 0.006),
}
_BODIES = {"violin": (280.0, 450.0, 2800.0), "viola": (220.0, 380.0, 2200.0), "cello": (110.0, 220.0, 1500.0)}


def draw_timbre(rng: np.random.Generator, name: str, noisy: bool) -> dict:
    """Draw the instrument-specific timbre kwargs for ``name``; ``noisy`` makes attacks louder and noisier."""
    if name not in INSTRUMENTS:
        raise ValueError(f"draw_timbre: unknown instrument {name!r}")
    voice = INSTRUMENTS[name][0]
    u = rng.uniform
    if voice == "piano":
        return {
            "hammer_db": float(u(-12, -4) if noisy else u(-30, -15)),
            "inharm": float(u(0.5, 2.0)),
            "brightness": float(u(0.6, 1.3)),
            "pedal": bool(rng.random() < 0.3),
        }
    if voice == "bowed":
        body = tuple(float(f * u(0.85, 1.15)) for f in _BODIES[name])
        return {
            "attack_s": float(u(0.04, 0.4)),
            "vib_depth": float(u(0.002, 0.009)),
            "body": body,
            "bow_db": float(u(-24, -16) if noisy else u(-38, -24)),
            "section": int(rng.choice([1, 1, 2, 3])),
        }
    if voice == "pluck":
        decay = {"banjo": (0.985, 0.993), "harp": (0.995, 0.999), "mandolin": (0.988, 0.995)}.get(name, (0.993, 0.998))
        return {"decay": float(u(*decay)), "pluck_pos": float(u(0.08, 0.45))}
    if voice == "wind":
        formants, odd, slope, breath, vib = _WINDS[name]
        return {
            "formants": tuple((float(f * u(0.85, 1.15)), float(g + u(-2, 2))) for f, g in formants),
            "odd": float(odd),
            "slope": float(slope + u(-0.2, 0.2)),
            "breath_db": float(breath + (u(6, 12) if noisy else u(-4, 4))),
            "vib_depth": float(vib * u(0.5, 1.5)),
            "attack_s": float(u(0.015, 0.08)),
        }
    if voice == "mallet":
        return {"kind": name}
    if voice == "organ":
        bars = tuple(float(b) for b in rng.uniform(0.0, 1.0, 6) * np.array([0.6, 1.0, 0.6, 0.8, 0.5, 0.5]))
        trem = float(u(0.05, 0.25)) if name == "accordion" or rng.random() < 0.25 else 0.0
        mixture = float(u(0.2, 0.8)) if name == "accordion" else (float(u(0.0, 0.6)) if rng.random() < 0.6 else 0.0)
        return {
            "drawbars": bars,
            "tremolo": trem,
            "chiff_db": float(u(-18, -10) if noisy else u(-34, -20)),
            "mixture": mixture,
        }
    return {}


def play_note(
    name: str,
    midi: float,
    dur_s: float,
    vel: float,
    sr: int,
    rng: np.random.Generator,
    timbre: dict,
    drum: str = "",
    max_s: float = 30.0,
) -> np.ndarray:
    """One note of ``name`` (or the drum hit ``drum`` for 'drums'), 1-D float64, at most ``max_s`` long."""
    voice = INSTRUMENTS[name][0]
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    dur_s = max(dur_s, 0.03)
    if voice == "drums":
        return ins.drum(drum or "snare", vel, sr, rng)[: max(1, int(max_s * sr))]
    if voice == "piano":
        return ins.piano(f0, dur_s, vel, sr, rng, **timbre, max_s=max_s)
    if voice == "bowed":
        return ins.bowed(f0, dur_s, vel, sr, rng, **timbre, max_s=max_s)
    if voice == "pluck":
        return ins.karplus_strong(min(f0, 1200.0), dur_s, vel, sr, rng, **timbre, max_s=max_s)
    if voice == "wind":
        return ins.wind(f0, dur_s, vel, sr, rng, **timbre, max_s=max_s)
    if voice == "mallet":
        return ins.mallet(f0, dur_s, vel, sr, rng, **timbre, max_s=max_s)
    if voice == "organ":
        return ins.organ(f0, dur_s, vel, sr, rng, **timbre, max_s=max_s)
    raise ValueError(f"play_note: instrument {name!r} has no note voice")
