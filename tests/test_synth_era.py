"""Tests for noisekit.synth.era: band limits by era, horn resonances, the saturating cutting chain, wow."""

import numpy as np
import pytest

from noisekit.synth.era import EraParams, apply_era, apply_era_params, apply_wow, draw_era_params


def _band_gain(y: np.ndarray, x: np.ndarray, lo: float, hi: float, sr: int) -> float:
    f = np.fft.rfftfreq(x.size, 1 / sr)
    sel = (f >= lo) & (f < hi)
    return 10 * np.log10(np.sum(np.abs(np.fft.rfft(y)[sel]) ** 2) / np.sum(np.abs(np.fft.rfft(x)[sel]) ** 2))


@pytest.mark.parametrize("era,lo_edge,hi_edge", [("acoustic", 120, 5000), ("electrical", 30, 10000)])
def test_era_band_limiting(era: str, lo_edge: float, hi_edge: float) -> None:
    sr = 44100
    x = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1
    y = apply_era(x, sr, era, np.random.default_rng(1))
    assert y.shape == x.shape and y.dtype == np.float32
    assert _band_gain(y, x, hi_edge * 1.6, 20000, sr) < -15.0
    assert _band_gain(y, x, 5, lo_edge / 2.0, sr) < -10.0
    assert _band_gain(y, x, 900, 1100, sr) > -6.0


def test_era_params_ranges() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        a = draw_era_params(rng, "acoustic")
        e = draw_era_params(rng, "electrical")
        assert 150 <= a.lo_hz <= 320 and a.hi_hz <= 4500 and len(a.resonances) >= 2
        assert e.lo_hz <= 110 and e.hi_hz >= 5000
        assert 0 < a.wow_depth < 0.005


def test_wow_modulates_pitch_at_the_revolution_rate() -> None:
    sr, f0, depth, rate = 16000, 1000.0, 0.003, 78.0 / 60.0
    t = np.arange(4 * sr) / sr
    y = apply_wow(np.sin(2 * np.pi * f0 * t), sr, depth, rate)
    up = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    frac = -y[up] / (y[up + 1] - y[up])  # sub-sample zero crossings
    crossings = (up + frac) / sr
    inst = 1.0 / np.diff(crossings)
    assert np.max(inst) == pytest.approx(f0 * (1 + depth), abs=0.8)
    assert np.min(inst) == pytest.approx(f0 * (1 - depth), abs=0.8)
    spec = np.abs(np.fft.rfft(inst - inst.mean(), 8 * inst.size))
    fr = np.fft.rfftfreq(8 * inst.size, np.mean(np.diff(crossings)))
    assert fr[np.argmax(spec)] == pytest.approx(rate, abs=0.1)


def test_era_resonance_colours_the_band() -> None:
    sr = 44100
    x = np.random.default_rng(5).standard_normal(2 * sr).astype(np.float32)
    p = EraParams(era="acoustic", lo_hz=200.0, hi_hz=4000.0, order=2, resonances=[(1000.0, 12.0, 4.0)], wow_depth=0.0)
    y = apply_era_params(x, sr, p)
    assert _band_gain(y, x, 950, 1050, sr) - _band_gain(y, x, 550, 650, sr) > 6.0
    assert _band_gain(y, x, 950, 1050, sr) - _band_gain(y, x, 1800, 2000, sr) > 6.0


def test_era_drive_compresses_loud_peaks_only() -> None:
    sr = 16000
    t = np.arange(sr) / sr
    loud = (0.9 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    p = EraParams(lo_hz=50.0, hi_hz=7000.0, order=2, resonances=[], wow_depth=0.0, drive_db=12.0)
    flat = EraParams(lo_hz=50.0, hi_hz=7000.0, order=2, resonances=[], wow_depth=0.0, drive_db=0.0)
    assert np.max(np.abs(apply_era_params(loud, sr, p))) < 0.5 * np.max(np.abs(apply_era_params(loud, sr, flat)))
    quiet = loud * np.float32(0.001)
    np.testing.assert_allclose(apply_era_params(quiet, sr, p), apply_era_params(quiet, sr, flat), atol=2e-6)
