"""Deterministic synthetic audio: music, speech, rooms, 78-rpm and tape noise, mixing, whole synthetic sides."""

from noisekit.synth import (
    dsp,
    era,
    gramophone,
    groove,
    instruments,
    mix,
    music,
    rooms,
    score,
    side,
    speech,
    styles,
    tape,
    voices,
)

__all__ = [
    "dsp",
    "era",
    "gramophone",
    "groove",
    "instruments",
    "mix",
    "music",
    "rooms",
    "score",
    "side",
    "speech",
    "styles",
    "tape",
    "voices",
]
