"""Tests for noisekit.synth.instruments and voices: pitch, inharmonicity, decays, envelopes, determinism."""

import numpy as np
import pytest

from noisekit.synth import instruments as ins

SR = 22050


def _peak_freq(x: np.ndarray, lo: float, hi: float, sr: int = SR) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), 8 * x.size))
    f = np.fft.rfftfreq(8 * x.size, 1 / sr)
    sel = (f >= lo) & (f <= hi)
    return float(f[sel][np.argmax(spec[sel])])


def test_modal_matches_direct_sum() -> None:
    freqs, taus, amps = np.array([220.0, 331.0, 1500.0]), np.array([0.5, 0.2, 0.05]), np.array([1.0, 0.5, 0.3])
    n = 5000
    x = ins.modal(freqs, taus, amps, n, SR, np.random.default_rng(0))
    ph = np.random.default_rng(0).uniform(0, 2 * np.pi, 3)  # drawn in order of increasing tau
    t = np.arange(n) / SR
    order = np.argsort(taus)
    ref = sum(
        a * np.exp(-t / tau) * np.cos(2 * np.pi * f * t + p)
        for f, tau, a, p in zip(freqs[order], taus[order], amps[order], ph, strict=True)
    )
    np.testing.assert_allclose(x, ref, atol=2e-4)


def test_piano_partials_are_stretched() -> None:
    f0 = 110.0
    x = ins.piano(f0, 1.5, 0.8, SR, np.random.default_rng(1), inharm=2.0, hammer_db=-80.0)
    b = 2.0 * 1e-4 * (f0 / 261.6) ** 1.1
    k = 12
    expected = k * f0 * np.sqrt(1 + b * k * k)
    got = _peak_freq(x[:SR], expected - 8, expected + 8)
    assert abs(got - expected) < 1.5 and expected - k * f0 > 2.0  # really inharmonic


def test_piano_decays_and_ends_at_zero() -> None:
    x = ins.piano(261.6, 0.5, 0.7, SR, np.random.default_rng(2))
    assert abs(x[-1]) < 1e-6
    early, late = np.abs(x[: SR // 10]).max(), np.abs(x[SR // 2 - SR // 10 : SR // 2]).max()
    assert late < early


@pytest.mark.parametrize("f0", [98.0, 196.0, 440.0])
def test_karplus_strong_pitch(f0: float) -> None:
    x = ins.karplus_strong(f0, 1.0, 0.8, SR, np.random.default_rng(3), decay=0.998)
    assert _peak_freq(x[: SR // 2], f0 * 0.9, f0 * 1.1) == pytest.approx(f0, rel=0.004)


def test_bowed_has_slow_attack_and_vibrato_pitch() -> None:
    x = ins.bowed(330.0, 1.0, 0.7, SR, np.random.default_rng(4), attack_s=0.3, vib_depth=0.004, bow_db=-60.0)
    assert np.abs(x[: int(0.03 * SR)]).max() < 0.3 * np.abs(x).max()
    assert _peak_freq(x[SR // 2 : SR], 300, 360) == pytest.approx(330.0, rel=0.01)


def test_wind_and_organ_pitch_and_finite() -> None:
    w = ins.wind(262.0, 0.8, 0.8, SR, np.random.default_rng(5), breath_db=-60.0)
    o = ins.organ(262.0, 0.8, 0.8, SR, np.random.default_rng(6), chiff_db=-80.0)
    assert _peak_freq(w[SR // 4 : SR // 2], 240, 290) == pytest.approx(262.0, rel=0.01)
    assert np.all(np.isfinite(o)) and np.abs(o).max() <= 1.5


def test_drums() -> None:
    rng = np.random.default_rng(7)
    for kind in ("kick", "snare", "brush", "hihat", "cymbal", "woodblock", "tom"):
        x = ins.drum(kind, 0.8, SR, rng)
        assert x[-1] == 0.0 and np.abs(x).max() <= 1.0
    with pytest.raises(ValueError):
        ins.drum("gong", 0.5, SR, rng)


@pytest.mark.parametrize("kind", sorted(ins.MALLETS))
def test_mallets_ring_at_their_partials_and_end_at_zero(kind: str) -> None:
    x = ins.mallet(440.0, 0.3, 0.8, SR, np.random.default_rng(8), kind=kind)
    assert x[-1] == 0.0 and np.abs(x).max() == pytest.approx(1.0)
    lowest = 440.0 * min(ins.MALLETS[kind][0])
    assert _peak_freq(x[: SR // 2], lowest * 0.97, lowest * 1.03) == pytest.approx(lowest, rel=0.01)
