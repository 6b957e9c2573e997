"""Tests for noisekit.synth.score: progressions, scales, melodies, accompaniment patterns, bass and drums."""

import numpy as np
import pytest

from noisekit.synth import score


def test_score_progression_cadences_and_scale() -> None:
    chords = score.progression(np.random.default_rng(0), 8)
    assert chords[3] == 4 and chords[7] == 0 and chords[0] == 0
    assert score.scale_pitch(60, "major", 7) == 72 and score.scale_pitch(60, "minor", 2) == 63
    ev = score.melody(np.random.default_rng(1), chords, 4, 60, "major", 0, 60, 84)
    assert ev and all(60 <= e.midi <= 84 for e in ev)
    with pytest.raises(ValueError):
        score.accompaniment(np.random.default_rng(0), chords, 4, 60, "major", 0, 48, "boogie")


@pytest.mark.parametrize("pattern", score.ACCOMP_PATTERNS)
def test_accompaniment_patterns_play_chord_tones(pattern: str) -> None:
    chords = [0, 3, 4, 0]
    ev = score.accompaniment(np.random.default_rng(2), chords, 4, 60, "major", 1, 48, pattern)
    assert ev and all(e.part == 1 and 0 <= e.beat < 16 for e in ev)
    for e in ev:
        bar_chord = chords[int(e.beat // 4)]
        pcs = {score.scale_pitch(60, "major", bar_chord + k) % 12 for k in (0, 2, 4, 6)}
        assert e.midi % 12 in pcs


def test_voicing_stays_near_its_centre_and_bass_and_drums() -> None:
    chords = score.progression(np.random.default_rng(3), 16)
    ev = score.accompaniment(np.random.default_rng(3), chords, 4, 60, "minor", 0, 48, "block")
    assert min(e.midi for e in ev) >= 40 and max(e.midi for e in ev) <= 72
    walk = score.bass(np.random.default_rng(4), chords, 4, 60, "minor", 2, 33, walking=True)
    assert len(walk) == 4 * 16 and all(28 <= e.midi <= 60 for e in walk)
    kit = score.drums(np.random.default_rng(5), 8, 4, 3, ("kick", "snare", "hihat", "cymbal", "tom"))
    kinds = {e.drum for e in kit}
    assert kinds == {"kick", "snare", "hihat", "cymbal", "tom"}
