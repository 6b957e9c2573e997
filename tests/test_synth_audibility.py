"""The audible noise-only truth: programme counts where it comes within 30 dB of the noise in any band."""

from __future__ import annotations

import numpy as np
import pytest

from noisekit.synth.audibility import AUDIBLE_BELOW_DB, audible_frames, inaudible_intervals
from noisekit.synth.side import synth_side

SR = 44100


def _white(seed: int, seconds: float) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((1, int(seconds * SR))).astype(np.float32) * 0.01


def _music_at(levels_db: dict[tuple[float, float], float], seconds: float) -> np.ndarray:
    """Music shaped like the noise (same spectrum), at ``levels_db`` re the noise in each (start, end) span."""
    music = np.zeros((1, int(seconds * SR)), np.float32)
    source = _white(99, seconds)
    for (a, b), db in levels_db.items():
        i, j = int(a * SR), int(b * SR)
        music[:, i:j] = source[:, i:j] * 10 ** (db / 20)
    return music


def test_programme_30_db_under_the_noise_in_every_band_is_noise_only() -> None:
    spans = {(1.0, 2.0): -20.0, (3.0, 4.0): -50.0, (5.0, 6.0): -25.0}
    music, noise = _music_at(spans, 7.0), _white(1, 7.0)
    exact = [(0.0, 1.0), (2.0, 3.0), (4.0, 5.0), (6.0, 7.0)]
    got = inaudible_intervals(music, noise, SR, exact=exact)
    # the -50 dB stretch joins its neighbours; -20 and -25 dB stay programme, to within one 46-ms frame
    assert len(got) == 3
    (a0, b0), (a1, b1), (a2, b2) = got
    assert a0 == 0.0 and b0 == pytest.approx(1.0, abs=0.05)
    assert a1 == pytest.approx(2.0, abs=0.05) and b1 == pytest.approx(5.0, abs=0.05)
    assert a2 == pytest.approx(6.0, abs=0.05) and b2 == pytest.approx(7.0)


def test_a_tone_under_the_broadband_noise_is_still_heard_in_its_band() -> None:
    noise = _white(2, 3.0)
    t = np.arange(noise.shape[1]) / SR
    tone = np.sin(2 * np.pi * 3000 * t)[None].astype(np.float32)
    tone *= np.sqrt(np.mean(noise**2) / np.mean(tone**2)) * 10 ** (-(AUDIBLE_BELOW_DB + 5) / 20)
    assert audible_frames(tone, noise, SR).all()  # 35 dB under the noise's total power, but not in its band
    assert not audible_frames(tone * 1e-3, noise, SR).any()


def test_exact_silence_always_counts_and_short_signals_work() -> None:
    music, noise = np.zeros((1, 1000), np.float32), _white(3, 1000 / SR)
    assert inaudible_intervals(music, noise, SR) == [(0.0, pytest.approx(1000 / SR))]
    loud = _music_at({(0.0, 1.0): 0.0}, 1.0)
    assert inaudible_intervals(loud, _white(4, 1.0), SR, exact=[(0.2, 0.5)]) == [(0.2, 0.5)]


def test_side_audible_truth_contains_the_exact_truth() -> None:
    side = synth_side(11, duration_s=25.0, channels=1)
    exact, audible = side.truth("exact"), side.truth("audible")
    assert exact == side.noise_intervals
    for a, b in exact:
        assert any(x <= a + 1e-9 and b <= y + 1e-9 for x, y in audible), (a, b)
    assert sum(b - a for a, b in audible) >= sum(b - a for a, b in exact)
    with pytest.raises(ValueError, match="unknown truth"):
        side.truth("loud")
