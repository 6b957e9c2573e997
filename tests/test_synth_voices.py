"""Tests for noisekit.synth.voices: every named instrument plays, deterministically; unknown names fail."""

import numpy as np
import pytest

from noisekit.synth.voices import INSTRUMENTS, draw_timbre, play_note

SR = 22050


def test_every_instrument_plays_deterministically() -> None:
    for name in INSTRUMENTS:
        if INSTRUMENTS[name][0] == "voice":  # singers are sung by noisekit.synth.speech
            continue
        lo, hi = INSTRUMENTS[name][1:]
        notes = []
        for _ in range(2):
            rng = np.random.default_rng(9)
            notes.append(
                play_note(
                    name, (lo + hi) / 2 if hi else 60, 0.3, 0.7, SR, rng, draw_timbre(rng, name, noisy=True), "snare"
                )
            )
        np.testing.assert_array_equal(notes[0], notes[1])
        assert np.all(np.isfinite(notes[0])) and np.abs(notes[0]).max() > 0.1, name
    with pytest.raises(ValueError):
        draw_timbre(np.random.default_rng(0), "theremin", False)
