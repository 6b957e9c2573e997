"""Digital silence inside a cut is found exactly, and quiet noise is not mistaken for it."""

from __future__ import annotations

import numpy as np

from noisekit.pipelines.silence import sound_spans

SR = 44100


def test_spans_skip_digital_silence_runs():
    rng = np.random.default_rng(0)
    cut = (1e-3 * rng.standard_normal((2, SR))).astype(np.float32)
    cut[:, :4410] = 0.0  # 100 ms of zeros before the needle drop
    cut[:, 20000:20100] = 0.0  # 2.3 ms: too short to count
    cut[:, 30000:31000] = 0.0  # 23 ms muted stretch
    assert sound_spans(cut, SR) == [(4410, 30000), (31000, SR)]


def test_quiet_noise_and_one_channel_silent_are_sound():
    rng = np.random.default_rng(1)
    cut = (1e-5 * rng.standard_normal((2, SR))).astype(np.float32)  # -100 dBFS hiss
    cut[1] = 0.0
    assert sound_spans(cut, SR) == [(0, SR)]


def test_all_silent_gives_nothing():
    assert sound_spans(np.zeros((1, SR), np.float32), SR) == []
