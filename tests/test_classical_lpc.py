import numpy as np
import pytest
from scipy.signal import lfilter

from noisekit.denoiser.classical.lpc import burg, burg_batch, coefficient_autocorrelation, extrapolate, fill_gap
from noisekit.denoiser.classical.signals import sinusoids


def test_burg_recovers_known_ar2_model():
    rng = np.random.default_rng(0)
    a_true = np.array([1.0, -1.6, 0.9])
    x = lfilter([1.0], a_true, rng.standard_normal(40000))
    np.testing.assert_allclose(burg(x, 2), a_true, atol=0.01)


def test_batch_equals_rows_and_is_minimum_phase():
    rng = np.random.default_rng(1)
    blocks = rng.standard_normal((3, 500)).cumsum(axis=1)
    a = burg_batch(blocks, 12)
    for row, coeffs in zip(blocks, a, strict=True):
        np.testing.assert_allclose(burg(row, 12), coeffs)
        assert np.max(np.abs(np.roots(coeffs))) < 1.0


def test_silent_block_gives_trivial_model():
    a = burg_batch(np.zeros((1, 100)), 4)
    np.testing.assert_array_equal(a[0], [1, 0, 0, 0, 0])


def test_coefficient_autocorrelation_matches_numpy():
    a = np.array([1.0, -0.5, 0.25, 0.1])
    full = np.correlate(a, a, mode="full")[len(a) - 1 :]
    np.testing.assert_allclose(coefficient_autocorrelation(a)[0], full)


def test_extrapolation_continues_sinusoids():
    x = sinusoids(0.2, hiss=0.0).astype(np.float64)
    pred = extrapolate(x[:4000], burg(x[:4000], 16), 400)
    assert np.max(np.abs(pred - x[4000:4400])) < 0.03  # 5 % of the 0.6 peak


def test_bad_orders_are_refused():
    with pytest.raises(ValueError, match="order"):
        burg(np.ones(10), 10)
    with pytest.raises(ValueError, match="context"):
        extrapolate(np.ones(3), np.array([1.0, 0.1, 0.1, 0.1, 0.1]), 5)


def test_crossfade_weights_sum_to_one():
    left = np.ones(400)
    right = np.ones(400)
    np.testing.assert_allclose(fill_gap(left, right, 50, order=4), 1.0, atol=1e-6)
