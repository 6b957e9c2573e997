"""The ensembles of the synthetic music: which parts a style has, with which instruments, how often."""

from __future__ import annotations

import numpy as np

# style: [(role, candidate instruments, probability the part is present)]
STYLES: dict[str, list[tuple[str, tuple[str, ...], float]]] = {
    "piano_solo": [("melody", ("piano",), 1.0), ("accomp", ("piano",), 1.0), ("bass", ("piano",), 0.7)],
    "violin_piano": [
        ("melody", ("violin", "cello", "flute", "clarinet"), 1.0),
        ("accomp", ("piano",), 1.0),
        ("bass", ("piano",), 0.6),
    ],
    "strings": [
        ("melody", ("violin",), 1.0),
        ("counter", ("viola", "violin"), 0.6),
        ("accomp", ("viola",), 1.0),
        ("bass", ("cello",), 1.0),
    ],
    "dance_band": [
        ("melody", ("trumpet", "saxophone", "clarinet", "violin", "xylophone"), 1.0),
        ("counter", ("clarinet", "trombone", "saxophone"), 0.5),
        ("accomp", ("piano", "banjo", "guitar"), 1.0),
        ("bass", ("tuba", "plucked_bass"), 1.0),
        ("drums", ("drums",), 0.8),
    ],
    "brass_band": [
        ("melody", ("trumpet",), 1.0),
        ("accomp", ("horn", "trombone"), 1.0),
        ("bass", ("tuba",), 1.0),
        ("drums", ("drums",), 0.7),
    ],
    "organ": [("melody", ("organ",), 1.0), ("accomp", ("organ",), 1.0), ("bass", ("organ",), 0.8)],
    "plucked": [
        ("melody", ("guitar", "banjo", "harp", "mandolin", "marimba"), 1.0),
        ("accomp", ("guitar", "harp"), 1.0),
        ("bass", ("plucked_bass", "guitar"), 0.6),
    ],
    "winds": [
        ("melody", ("flute", "oboe", "clarinet"), 1.0),
        ("counter", ("clarinet", "oboe"), 0.6),
        ("accomp", ("horn", "clarinet"), 1.0),
        ("bass", ("trombone", "tuba", "bassoon"), 0.8),
    ],
    "orchestra": [
        ("melody", ("violin", "flute", "oboe", "trumpet"), 1.0),
        ("counter", ("flute", "clarinet", "horn", "celesta", "bells"), 0.7),
        ("accomp", ("viola", "horn"), 1.0),
        ("bass", ("cello",), 1.0),
        ("drums", ("drums",), 0.3),
        ("double", ("flute", "oboe", "clarinet", "violin"), 0.4),
    ],
    "accordion": [
        ("melody", ("accordion", "harmonica"), 1.0),
        ("accomp", ("accordion", "guitar"), 1.0),
        ("bass", ("plucked_bass", "accordion"), 0.7),
        ("drums", ("drums",), 0.3),
    ],
    "vocal": [
        ("voice", ("soprano", "alto", "tenor", "bass_voice"), 1.0),
        ("accomp", ("piano", "guitar", "viola", "organ"), 1.0),
        ("bass", ("piano", "cello", "plucked_bass"), 0.6),
    ],
    "choir": [
        ("voice", ("soprano",), 1.0),
        ("counter", ("alto",), 1.0),
        ("counter", ("tenor",), 0.7),
        ("bass", ("bass_voice",), 1.0),
        ("accomp", ("organ", "piano"), 0.3),
    ],
    "spoken": [("speech", ("voice",), 1.0), ("accomp", ("piano", "organ", "viola"), 0.3)],
    "opera": [
        ("voice", ("soprano", "tenor", "bass_voice", "alto"), 1.0),
        ("accomp", ("viola", "horn"), 1.0),
        ("counter", ("flute", "clarinet", "oboe"), 0.6),
        ("bass", ("cello",), 1.0),
    ],
}
STYLE_WEIGHTS = np.array([0.15, 0.1, 0.08, 0.12, 0.06, 0.06, 0.07, 0.06, 0.09, 0.05, 0.07, 0.03, 0.03, 0.05])
# accompaniment figures by instrument (others: block or repeated chords)
ACCOMP_PATTERNS = {
    "piano": ("block", "alberti", "arpeggio", "stride", "repeated"),
    "guitar": ("strum", "arpeggio"),
    "banjo": ("strum", "repeated"),
    "harp": ("arpeggio",),
}
