"""Tests for noisekit.synth.styles: the style table is consistent with the instruments and the scores."""

from noisekit.synth.score import ACCOMP_PATTERNS as SCORE_PATTERNS
from noisekit.synth.styles import ACCOMP_PATTERNS, STYLE_WEIGHTS, STYLES
from noisekit.synth.voices import INSTRUMENTS

ROLES = {"melody", "counter", "accomp", "bass", "drums", "voice", "speech", "double"}


def test_every_style_names_known_instruments_and_roles() -> None:
    assert len(STYLE_WEIGHTS) == len(STYLES) and (STYLE_WEIGHTS > 0).all()
    for style, parts in STYLES.items():
        assert any(role in ("melody", "voice", "speech") for role, _, prob in parts if prob == 1.0), style
        for role, candidates, prob in parts:
            assert role in ROLES and 0 < prob <= 1.0, (style, role)
            assert all(c in INSTRUMENTS for c in candidates), (style, candidates)


def test_accompaniment_figures_exist_in_the_score() -> None:
    for inst, patterns in ACCOMP_PATTERNS.items():
        assert inst in INSTRUMENTS and set(patterns) <= set(SCORE_PATTERNS)
