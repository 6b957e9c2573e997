"""Tests for noisekit.synth.mix: levels, gains and exact-SNR mixing."""

import numpy as np
import pytest

from noisekit.signal import rms_dbfs
from noisekit.synth.mix import apply_gain_db, mix_at_snr, normalize_peak


@pytest.mark.parametrize("snr", [-5.0, 2.0, 10.0, 20.0, 35.0])
def test_mix_at_snr_hits_target(snr: float) -> None:
    rng = np.random.default_rng(0)
    clean = (0.3 * rng.standard_normal((2, 20000))).astype(np.float32)
    noise = (0.01 * rng.standard_normal((2, 20000)) + 0.002).astype(np.float32)
    mixture, scaled = mix_at_snr(clean, noise, snr)
    assert mixture.dtype == np.float32 and mixture.shape == clean.shape
    assert rms_dbfs(clean) - rms_dbfs(scaled) == pytest.approx(snr, abs=0.01)
    np.testing.assert_allclose(mixture, clean + scaled, atol=1e-6)


def test_mix_at_snr_silent_clean_and_bad_input() -> None:
    noise = np.full(100, 0.1, dtype=np.float32)
    mixture, scaled = mix_at_snr(np.zeros(100, dtype=np.float32), noise, 10.0)
    np.testing.assert_array_equal(mixture, noise)
    np.testing.assert_array_equal(scaled, noise)
    with pytest.raises(ValueError, match="shape"):
        mix_at_snr(np.zeros(10), np.ones(11), 0.0)
    with pytest.raises(ValueError, match="silent"):
        mix_at_snr(np.ones(10), np.zeros(10), 0.0)


def test_gain_and_peak() -> None:
    x = np.full(8, 0.5, dtype=np.float32)
    y = apply_gain_db(x, -6.0206)
    assert y.dtype == np.float32 and y[0] == pytest.approx(0.25, rel=1e-4)
    assert np.max(np.abs(normalize_peak(np.array([2.0, -4.0])))) == pytest.approx(0.99)
    np.testing.assert_array_equal(normalize_peak(x), x)  # never boosts
