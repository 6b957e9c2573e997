"""Metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from noisekit.denoiser.metrics import (
    delta_si_sdr,
    delta_snr,
    high_band_levels_db,
    mean_ci,
    mr_stft_distance,
    si_sdr,
    snr_db,
    visqol_available,
    visqol_mos,
)


def test_snr_hand_values():
    ref = np.array([1.0, -1.0, 1.0, -1.0])
    # error 0.1 everywhere: 10·log10(4 / 0.04) = 20 dB
    assert snr_db(ref, ref + 0.1) == pytest.approx(20.0, abs=1e-6)
    # estimate 0: SNR = 0 dB
    assert snr_db(ref, np.zeros(4)) == pytest.approx(0.0, abs=1e-6)


def test_delta_snr_hand_values():
    clean = np.array([1.0, -1.0, 1.0, -1.0])
    noisy = clean + np.array([1.0, 1.0, -1.0, -1.0])  # 0 dB
    denoised = clean + 0.1  # 20 dB
    assert delta_snr(clean, noisy, denoised) == pytest.approx(20.0, abs=1e-6)


def test_si_sdr_hand_values():
    ref = np.array([1.0, 0.0, -1.0, 0.0])
    noise = np.array([0.0, 1.0, 0.0, 1.0])  # orthogonal to ref
    # estimate = 2·ref + 0.5·noise: target 2·ref (energy 8), error 0.5·noise (energy 0.5) -> 10·log10(16)
    assert si_sdr(ref, 2 * ref + 0.5 * noise) == pytest.approx(10 * math.log10(16), abs=1e-6)
    # scale invariance: the same for any positive or negative gain on the estimate
    assert si_sdr(ref, -7 * (2 * ref + 0.5 * noise)) == pytest.approx(10 * math.log10(16), abs=1e-6)
    # estimate = ref + noise: 10·log10(2 / 2) = 0 dB; a pure gain error does not count at all
    assert si_sdr(ref, ref + noise) == pytest.approx(0.0, abs=1e-6)
    assert si_sdr(ref, 3 * ref) > 100
    assert delta_si_sdr(ref, ref + noise, 2 * ref + 0.5 * noise) == pytest.approx(10 * math.log10(16), abs=1e-6)


def test_si_sdr_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="same non-zero size"):
        si_sdr(np.ones(4), np.ones(5))


def test_mean_ci_hand_values():
    mean, low, high = mean_ci([1.0, 2.0, 3.0])
    # s = 1, n = 3, t(0.975, 2) = 4.302653 -> half width 4.302653 / sqrt(3) = 2.484138
    assert mean == pytest.approx(2.0)
    assert high - mean == pytest.approx(2.484138, abs=1e-5)
    assert mean - low == pytest.approx(2.484138, abs=1e-5)
    m1, l1, h1 = mean_ci([5.0])
    assert m1 == 5.0 and math.isnan(l1) and math.isnan(h1)
    assert all(math.isnan(v) for v in mean_ci([]))


def test_mr_stft_distance_orders_degradations():
    rng = np.random.default_rng(1)
    t = np.arange(44100) / 44100
    ref = np.sin(2 * np.pi * 440 * t) * 0.5
    assert mr_stft_distance(ref, ref) == pytest.approx(0.0, abs=1e-9)
    light = mr_stft_distance(ref, ref + 0.001 * rng.standard_normal(t.size))
    heavy = mr_stft_distance(ref, ref + 0.1 * rng.standard_normal(t.size))
    assert 0 < light < heavy
    assert mr_stft_distance(ref[:100], ref[:100]) == pytest.approx(0.0, abs=1e-9)  # shorter than one frame


def test_mr_stft_distance_ignores_differences_far_below_the_reference():
    t = np.arange(44100) / 44100
    ref = np.sin(2 * np.pi * 440 * t) * 0.5
    ref[22050:] = 0.0  # half silence: without a floor, log(0) against log(1e-9) would dominate
    faint = ref + 1e-9 * np.random.default_rng(0).standard_normal(t.size)
    assert mr_stft_distance(ref, faint) < 1e-3


@pytest.mark.skipif(not visqol_available(), reason="visqol-python is not installed")
def test_visqol_ranks_noise_levels():
    rng = np.random.default_rng(2)
    sr = 44100
    t = np.arange(2 * sr) / sr
    ref = (0.3 * np.sin(2 * np.pi * 330 * t) * (1 + np.sin(2 * np.pi * 1.5 * t))).astype(np.float32)
    clean_score = visqol_mos(ref, ref, sr)
    noisy_score = visqol_mos(ref, ref + 0.1 * rng.standard_normal(t.size).astype(np.float32), sr)
    assert 1.0 <= noisy_score < clean_score <= 5.0


def test_high_band_levels_see_a_burst_of_hiss_and_not_the_tones_under_it():
    sr = 44100
    t = np.arange(2 * sr) / sr
    hiss = 0.01 * np.random.default_rng(0).standard_normal(t.size)
    burst = hiss.copy()
    burst[sr : sr + 265] *= 10.0  # one 6-ms window of hiss 20 dB up
    tones = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 2000 * t)
    steady = high_band_levels_db(hiss + tones, sr)
    rise = high_band_levels_db(burst + tones, sr) - np.median(steady)
    assert len(steady) == 2 * sr // 264
    assert np.percentile(steady - np.median(steady), 99) < 2.0  # stationary in: a flat curve
    assert 17.0 < rise.max() < 21.0 and abs(int(np.argmax(rise)) - sr // 264) <= 1
    assert high_band_levels_db(tones, sr).max() < -60.0  # everything under 8 kHz is left out
