"""Tests for noisekit.synth.speech: determinism, pauses in speech, pitch of sung notes."""

import numpy as np
import pytest

from noisekit.synth.speech import draw_speech_params, render_speech, sing_notes

SR = 22050


def test_speech_deterministic_bounded_with_pauses() -> None:
    outs = []
    for _ in range(2):
        rng = np.random.default_rng(1)
        p = draw_speech_params(rng, "speech")
        outs.append(render_speech(p, 6.0, SR, rng))
    np.testing.assert_array_equal(outs[0], outs[1])
    x = outs[0]
    assert x.dtype == np.float32 and np.max(np.abs(x)) <= 0.9 + 1e-6 and x[-1] == 0.0
    frames = np.sqrt(np.mean(x[: x.size // 441 * 441].reshape(-1, 441).astype(np.float64) ** 2, axis=1))
    assert np.mean(frames < 1e-4) > 0.05  # silent pauses between phrases
    assert np.mean(frames > 0.02) > 0.3


def test_sung_notes_have_the_right_pitch() -> None:
    rng = np.random.default_rng(2)
    p = draw_speech_params(rng, "singing", vib_depth=0.0, f0_hz=200.0)
    x = sing_notes(p, [(0.1, 1.5, 57.0)], int(2 * SR), SR, rng)  # A3 = 220 Hz
    seg = x[int(0.4 * SR) : int(1.4 * SR)].astype(np.float64)
    ac = np.array([np.dot(seg[:8000], seg[lag : lag + 8000]) for lag in range(60, 200)])
    lag = int(np.argmax(ac)) + 60  # periodicity between 110 and 370 Hz
    assert SR / lag == pytest.approx(220.0, rel=0.03)


def test_singing_render_and_bad_kind() -> None:
    rng = np.random.default_rng(3)
    x = render_speech(draw_speech_params(rng, "singing"), 3.0, SR, rng)
    assert np.all(np.isfinite(x)) and np.abs(x).max() > 0.5
    with pytest.raises(ValueError, match="kind"):
        draw_speech_params(rng, "rap")


def test_vowel_filters_peak_at_their_formants() -> None:
    from scipy import signal

    from noisekit.synth.speech import VOWELS, _formant_sos

    for vowel in (0, 4, 7):  # /i/, /a/, /u/
        sos = _formant_sos(vowel, 1.0, SR, 0.0)
        f, h = signal.sosfreqz(sos, worN=8192, fs=SR)
        mag = 20 * np.log10(np.abs(h) + 1e-12)
        peaks = f[signal.find_peaks(mag)[0]]
        for formant in VOWELS[vowel][:2]:
            assert np.min(np.abs(peaks - formant)) < 0.08 * formant
