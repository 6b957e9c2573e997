from dataclasses import replace

import numpy as np
import pytest

from noisekit.denoiser.classical.declick import (
    BLOCK,
    MUSIC_SAFE,
    DeclickParams,
    declick,
    fit_block_models,
    roughness,
)
from noisekit.denoiser.classical.lpc import coefficient_autocorrelation, lsar_interpolate
from noisekit.denoiser.classical.signals import SR, plant_clicks, sinusoids
from noisekit.signal import runs, snr_db

SECONDS = 3.0


@pytest.fixture(scope="module")
def planted():
    clean = sinusoids(SECONDS, seed=3)
    noisy, clicks = plant_clicks(clean, 60, seed=4)
    return clean, noisy, clicks, declick(noisy, SR)


def test_planted_clicks_are_found_with_few_false_alarms(planted):
    clean, noisy, clicks, result = planted
    truth = np.zeros(len(clean), dtype=bool)
    for start, stop in clicks:
        truth[start:stop] = True
    recall = np.mean([result.mask[s:e].any() for s, e in clicks])
    false_runs = sum(not truth[s:e].any() for s, e in result.clicks)
    false_sample_rate = np.sum(result.mask & ~truth) / np.sum(~truth)
    assert recall >= 0.97
    assert false_runs / SECONDS <= 0.5
    assert false_sample_rate < 0.01


def test_interpolated_samples_are_close_to_the_original(planted):
    clean, noisy, clicks, result = planted
    truth = np.zeros(len(clean), dtype=bool)
    for start, stop in clicks:
        truth[start:stop] = True
    before = snr_db(clean[truth], noisy[truth])
    after = snr_db(clean[truth], result.audio[truth])
    assert after - before >= 15.0
    assert np.max(np.abs(result.audio[truth] - clean[truth])) < 0.08


def test_untouched_samples_are_bit_exact(planted):
    _, noisy, _, result = planted
    np.testing.assert_array_equal(result.audio[~result.mask], noisy[~result.mask])
    assert result.audio.dtype == noisy.dtype
    np.testing.assert_array_equal(runs(result.mask), result.clicks)


def test_clean_signal_passes_through_bit_exact():
    clean = sinusoids(2.0, seed=8)
    result = declick(clean, SR)
    assert result.stats["clicks"] == 0
    np.testing.assert_array_equal(result.audio, clean)


def test_lsar_recovers_a_known_mask():
    x = sinusoids(0.5, seed=9).astype(np.float64)
    mask = np.zeros(len(x), dtype=bool)
    mask[3000:3020] = True
    mask[9000] = True
    c = coefficient_autocorrelation(fit_block_models(x, 2205, 32))
    y = lsar_interpolate(np.where(mask, 0.5, x), mask, c, 2205)
    assert np.max(np.abs(y[mask] - x[mask])) < 0.02
    np.testing.assert_array_equal(y[~mask], x[~mask])


def test_overlong_bursts_are_reported_and_left_alone():
    x = sinusoids(1.0, seed=10)
    burst = np.random.default_rng(0).uniform(-0.5, 0.5, 882).astype(np.float32)
    x[20000:20882] += burst
    result = declick(x, SR, replace(BLOCK, max_click_s=0.005))  # the block detector takes the burst for clicks
    reported = np.zeros(len(x), dtype=bool)
    for start, stop in result.too_long:
        reported[start:stop] = True
    assert reported[20000:20882].mean() >= 0.8  # the AR model adapts inside the burst: a few gaps remain
    np.testing.assert_array_equal(result.audio[reported], x[reported])


def test_a_noise_burst_is_not_a_click_and_is_left_alone():
    x = sinusoids(1.0, seed=10)
    burst = np.random.default_rng(0).uniform(-0.5, 0.5, 882).astype(np.float32)
    x[20000:20882] += burst
    result = declick(x, SR, MUSIC_SAFE)
    # 20 ms of noise raises the local error scale: no sample in it is an outlier against its surroundings
    np.testing.assert_array_equal(result.audio[19000:21900], x[19000:21900])


def test_clicks_on_steady_tones_are_repaired_above_15_db():
    tone = sinusoids(4.0, seed=7)
    clicked, planted = plant_clicks(tone, 16, seed=8, widths=(2, 40), peaks=(0.1, 0.5))
    result = declick(clicked, SR, MUSIC_SAFE)
    assert all(result.mask[s:e].any() for s, e in planted)
    assert snr_db(tone, result.audio) >= snr_db(tone, clicked) + 15.0
    assert set(result.kinds) <= {"lsar", "refill"} and len(result.kinds) == len(result.clicks)
    assert "refill" in result.kinds  # clicks wider than refill_over samples are refilled from both sides


def test_ignore_mask_protects_samples():
    clean = sinusoids(1.0, seed=11)
    noisy, clicks = plant_clicks(clean, 10, seed=12)
    ignore = np.ones(len(noisy), dtype=bool)
    result = declick(noisy, SR, ignore=ignore)
    assert result.stats["clicks"] == 0
    np.testing.assert_array_equal(result.audio, noisy)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="1-D"):
        declick(np.zeros((2, 1000), np.float32), SR)
    with pytest.raises(ValueError, match="NaN"):
        declick(np.full(10000, np.nan, np.float32), SR)
    with pytest.raises(ValueError, match="threshold"):
        declick(np.zeros(10000, np.float32), SR, DeclickParams(threshold=0))


def test_batched_cholesky_matches_lapack():
    from noisekit.denoiser.classical.lpc import spd_solve

    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 80, 80))
    R = A @ A.transpose(0, 2, 1) + np.eye(80)
    b = rng.standard_normal((3, 80))
    np.testing.assert_allclose(spd_solve(R, b), np.linalg.solve(R, b[..., None])[..., 0], atol=1e-9)


def test_dense_crackle_with_long_clusters_is_interpolated():
    clean = sinusoids(1.0, seed=13)
    noisy = clean.copy()
    rng = np.random.default_rng(14)
    for start in range(5000, 40000, 5000):  # bursts of 6 clicks within 120 samples: one coupled system each
        for k in range(6):
            noisy[start + 20 * k] += rng.choice([-0.4, 0.4])
    result = declick(noisy, SR)
    assert snr_db(clean, result.audio) > snr_db(clean, noisy) + 15


def test_periodic_waveform_edges_are_not_clicks():
    from noisekit.denoiser.classical.declick import periodic_runs

    t = np.arange(SR) / SR
    saw = (0.3 * (2 * ((220 * t) % 1.0) - 1)).astype(np.float32)  # a naive sawtooth: one jump per period
    saw += np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 1e-3
    assert declick(saw, SR).stats["clicks_per_s"] < 5
    assert declick(saw, SR, DeclickParams(reject_periodic=False)).stats["clicks_per_s"] > 100
    found = np.array([[100, 103], [300, 303], [500, 503], [700, 703], [900, 903], [1234, 1236]])
    np.testing.assert_array_equal(periodic_runs(found, 44, 882), [True] * 5 + [False])
    assert not periodic_runs(found[[0, 1, 2, 5]], 44, 882).any()  # three in a row can be chance


def test_the_default_is_the_music_safe_detector():
    assert DeclickParams() == MUSIC_SAFE and MUSIC_SAFE.detector == "local"


def test_threshold_follows_the_shape_of_the_error():
    from noisekit.denoiser.classical.clickdetect import EventRule, threshold_map

    rng = np.random.default_rng(0)
    rule = EventRule()
    gaussian = rng.standard_normal(SR)
    sparse = rng.standard_normal(SR) ** 5  # heavy-tailed, like the excitation of percussive music
    np.testing.assert_allclose(threshold_map(gaussian, rule, SR), rule.gauss_threshold, atol=0.3)
    np.testing.assert_allclose(threshold_map(sparse, rule, SR), rule.threshold)
    np.testing.assert_allclose(threshold_map(gaussian, EventRule(threshold=4.0), SR), 4.0)  # never above


def _hissy_notes_with_clicks():
    from noisekit.denoiser.classical.signals import add_noise, coloured_noise, notes

    clean = notes(12.0, seed=31)
    hissy = add_noise(clean, coloured_noise(len(clean), "white", seed=32), 12.0)
    x, planted = plant_clicks(hissy, 40, seed=33)
    sd = np.std(hissy - clean)
    return x, [(s, e) for s, e in planted if np.abs(x[s:e] - hissy[s:e]).max() >= 9 * sd]


def test_clicks_under_hiss_are_found():
    x, strong = _hissy_notes_with_clicks()
    found = declick(x, SR).mask
    assert np.mean([found[s:e].any() for s, e in strong]) >= 0.9  # 15 of 16 clicks peaking at >= 9 hiss sigmas
    fixed = declick(x, SR, replace(MUSIC_SAFE, gauss_threshold=MUSIC_SAFE.threshold)).mask
    assert np.mean([fixed[s:e].any() for s, e in strong]) < 0.5  # one threshold for all misses them (2 of 16)


def _from_silence(seconds: float, kind: str, seed: int) -> np.ndarray:
    """Plucked notes or drum strikes, each starting at full level out of digital silence and decaying back to it."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * SR))
    start, fade = int(0.2 * SR), int(0.01 * SR)
    while start < len(y):
        t = np.arange(min(int(rng.uniform(0.2, 0.5) * SR), len(y) - start)) / SR
        if kind == "pluck":
            f0 = rng.uniform(110, 880)
            s = sum(0.6**h * np.sin(2 * np.pi * f0 * (h + 1) * t + rng.uniform(0, 6)) for h in range(6))
            s *= np.exp(-t * rng.uniform(4, 12))
        else:
            s = rng.standard_normal(len(t)) * np.exp(-t * rng.uniform(20, 60))
        s[-fade:] *= np.linspace(1, 0, fade)
        y[start : start + len(t)] = 0.3 * s
        start += len(t) + int(rng.uniform(0.05, 0.2) * SR)
    return y.astype(np.float32)


@pytest.mark.parametrize("kind", ["pluck", "drum"])
def test_notes_out_of_digital_silence_are_untouched(kind):
    y = _from_silence(8.0, kind, seed=5)
    assert np.mean(declick(y, SR).audio != y) <= 0.0005
    clicked, planted = plant_clicks(y, 8, seed=6, widths=(2, 10), peaks=(0.1, 0.3))
    found = declick(clicked, SR).mask
    assert np.mean([found[s:e].any() for s, e in planted]) >= 0.75  # clicks on the notes or the silence still go


def test_onsets_from_silence_were_taken_for_clicks_without_the_onset_rule():
    y = _from_silence(8.0, "pluck", seed=5)
    assert np.mean(declick(y, SR, replace(MUSIC_SAFE, onset_db=1e9)).audio != y) > 0.0002


@pytest.mark.parametrize("freq", [200.0, 2100.0, 8000.0])
def test_roughness_of_a_tone_is_sin_to_the_fourth(freq):
    tone = np.sin(2 * np.pi * freq * np.arange(4096) / 44100)
    assert roughness(tone) == pytest.approx(np.sin(np.pi * freq / 44100) ** 4, rel=0.02)


def test_clicks_are_rough_and_a_kick_drums_swing_is_not():
    clicks, planted = plant_clicks(np.zeros(44100 * 4), 200, seed=9, widths=(2, 40), peaks=(0.1, 0.5))
    rough = [roughness(clicks[s - 2 : e + 2]) for s, e in planted]
    assert min(rough) > 2 * DeclickParams().min_roughness  # every planted click stays a click
    n = np.arange(70)
    swing = 0.8 * np.sin(2 * np.pi * 150 * n / 44100) * np.exp(-n / 200)  # a 150-Hz stroke, 70 samples of it
    assert roughness(swing) < DeclickParams().min_roughness / 10
