"""Tests for noisekit.synth.rooms: RT60 of the synthetic impulse response, direct sound, reverb lengths."""

import numpy as np
import pytest

from noisekit.synth.rooms import apply_reverb, draw_room_params, render_rir

SR = 16000


@pytest.mark.parametrize("rt60", [0.3, 1.0, 2.5])
def test_rir_decay_matches_rt60(rt60: float) -> None:
    p = draw_room_params(np.random.default_rng(0), rt60_s=rt60, low_ratio=1.0, high_ratio=1.0, n_early=0)
    h = render_rir(p, SR, np.random.default_rng(1)).astype(np.float64)
    assert h[0] == 1.0 and h[-1] == 0.0
    tail = h[1:] ** 2
    edc = np.cumsum(tail[::-1])[::-1]  # Schroeder integration
    edc_db = 10 * np.log10(edc / edc[0] + 1e-30)
    t = np.arange(edc.size) / SR
    sel = (edc_db < -5) & (edc_db > -25)
    slope = np.polyfit(t[sel], edc_db[sel], 1)[0]  # dB/s
    assert -60.0 / slope == pytest.approx(rt60, rel=0.2)


def test_apply_reverb_lengths_and_draw_ranges() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        p = draw_room_params(rng)
        assert 0.2 <= p.rt60_s <= 3.0
    h = render_rir(p, SR, rng)
    x = np.zeros((2, 1000), dtype=np.float32)
    x[:, 10] = 1.0
    assert apply_reverb(x, h).shape == (2, 1000)
    assert apply_reverb(x, h, keep_tail=True).shape == (2, 1000 + h.size - 1)
    with pytest.raises(ValueError):
        draw_room_params(rng, rt60_s=50.0)


def test_early_reflections_precede_the_diffuse_tail() -> None:
    p = draw_room_params(np.random.default_rng(3), rt60_s=1.0, predelay_ms=40.0, n_early=8, early_spread_ms=20.0)
    h = render_rir(p, SR, np.random.default_rng(4)).astype(np.float64)
    onset = int(0.040 * SR)
    early = h[1:onset]
    assert np.count_nonzero(np.abs(early) > 1e-4) >= 3  # sparse reflections before the diffuse field
    assert np.mean(np.abs(early) > 1e-4) < 0.05  # ... and only a few: discrete echoes, not yet a diffuse field
    assert np.mean(np.abs(h[onset + SR // 100 : onset + SR // 10]) > 1e-4) > 0.9  # then the dense tail
