"""Example-based gap filling: a gap in a repeating signal is refilled from the repeat, never from unknown samples."""

import numpy as np

from noisekit.denoiser.classical.signals import SR
from noisekit.denoiser.classical.similar import similar_fill
from noisekit.signal import snr_db

WIDTH, SEARCH = 2048, 5 * SR


def looped_noise(loop_s: float = 0.37, seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """Gaussian noise repeated every ``loop_s``: no AR model predicts it, the repeat holds it exactly."""
    loop = np.random.default_rng(seed).standard_normal(int(loop_s * SR)) * 0.1
    return np.tile(loop, int(seconds / loop_s) + 1)[: int(seconds * SR)]


def hole(x: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    holed, unknown = x.copy(), np.zeros(len(x), dtype=bool)
    holed[start:stop], unknown[start:stop] = 0.0, True
    return holed, unknown


def test_a_gap_in_a_repeating_signal_is_refilled_from_the_repeat():
    x = looped_noise()
    start, stop = 3 * SR, 3 * SR + int(0.02 * SR)
    holed, unknown = hole(x, start, stop)
    fill, rel = similar_fill(holed, unknown, start, stop, WIDTH, SEARCH, 5)
    assert snr_db(x[start:stop], fill) > 60.0
    assert rel < 1e-6  # the contexts match exactly, and the estimate says so


def test_a_gap_in_fresh_noise_gets_a_poor_match_and_says_so():
    x = np.random.default_rng(1).standard_normal(6 * SR) * 0.1
    start, stop = 3 * SR, 3 * SR + 441
    holed, unknown = hole(x, start, stop)
    fill, rel = similar_fill(holed, unknown, start, stop, WIDTH, SEARCH, 5)
    assert rel > 0.8  # nothing nearby sounds like this context
    assert snr_db(x[start:stop], fill) < 3.0


def test_stretches_touching_unknown_samples_are_never_used():
    x = looped_noise(loop_s=1.0, seconds=3.0)  # the gap at 1.5 s has repeats at 0.5 s and 2.5 s only
    start, stop = int(1.5 * SR), int(1.5 * SR) + 441
    holed, unknown = hole(x, start, stop)
    for repeat in (start - SR, start + SR):  # both repeats lie in other gaps: no exact match is left
        holed[repeat + 100 : repeat + 200], unknown[repeat + 100 : repeat + 200] = 0.0, True
    fill, rel = similar_fill(holed, unknown, start, stop, WIDTH, SEARCH, 1)
    assert rel > 0.5 and snr_db(x[start:stop], fill) < 3.0


def test_no_context_or_no_candidate_gives_none():
    x = looped_noise(seconds=1.0)
    holed, unknown = hole(x, 100, 200)
    assert similar_fill(holed, unknown, 100, 200, WIDTH, SEARCH, 5) is None  # under WIDTH of left context
    unknown[600:700] = True
    assert similar_fill(holed, unknown, 700, 800, 64, SEARCH, 5) is None  # its left context is unknown
    assert similar_fill(holed[:5000], unknown[:5000], 2400, 2500, WIDTH, SEARCH, 5) is None  # no room to search
