"""Tests for noisekit.synth.gramophone: determinism, profiles, scratch periodicity, stereo, each noise component."""

import numpy as np
import pytest

from noisekit.signal import rms_dbfs
from noisekit.synth.gramophone import (
    PROFILES,
    draw_gramophone_params,
    render_gramophone_noise,
)

SR = 16000


def _render(seed: int, dur: float = 2.0, channels: int = 1, **kw) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = draw_gramophone_params(rng, **kw)
    return render_gramophone_noise(p, dur, SR, rng, channels=channels)


def test_same_seed_same_noise_different_seed_differs() -> None:
    a, b, c = _render(3), _render(3), _render(4)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1, 2 * SR) and a.dtype == np.float32
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", range(12))
def test_finite_bounded_and_audible(seed: int) -> None:
    x = _render(seed, channels=2)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 1.0
    assert -90.0 < rms_dbfs(x) < -5.0


def test_profiles_and_params_are_serialisable() -> None:
    import json

    rng = np.random.default_rng(0)
    for prof in PROFILES:
        p = draw_gramophone_params(rng, profile=prof, era="acoustic")
        assert p.profile == prof and p.era == "acoustic"
        json.dumps(p.to_dict())
    with pytest.raises(ValueError, match="era"):
        draw_gramophone_params(rng, era="digital")
    with pytest.raises(ValueError, match="unknown parameter"):
        draw_gramophone_params(rng, wobble=3)


def test_profiles_differ_in_level() -> None:
    def level(prof: str) -> float:
        return float(np.median([rms_dbfs(_render(s, 1.0, profile=prof, era="electrical")) for s in range(6)]))

    assert level("hiss_heavy") > level("clean_shellac") + 8.0


def test_scratch_repeats_once_per_revolution() -> None:
    rpm = 78.0
    x = _render(
        7,
        dur=4.0,
        rpm=rpm,
        profile="clean_shellac",
        hiss_db=-70.0,
        crackle_db=-80.0,
        click_rate=0.0,
        thump_rate_per_min=0.0,
        hum_hz=0.0,
        rumble_db=-90.0,
        scratches=[(0.1, -12.0, 3.0)],
    )[0]
    env = np.abs(x.astype(np.float64))
    ac = np.fft.irfft(np.abs(np.fft.rfft(env, 2 * env.size)) ** 2)[: env.size]
    lag_min = int(0.2 * SR)
    peak_lag = lag_min + int(np.argmax(ac[lag_min : int(1.2 * SR)]))
    assert peak_lag / SR == pytest.approx(60.0 / rpm, abs=2.0 / SR)


def test_stereo_channels_highly_but_not_perfectly_correlated() -> None:
    x = _render(11, channels=2, click_rate=0.0, vertical_db=-15.0, profile="balanced")
    r = np.corrcoef(x.astype(np.float64))[0, 1]
    assert 0.8 < r < 0.9999


def test_level_modulation_at_the_revolution_rate() -> None:
    x = _render(
        13,
        dur=8.0,
        rpm=78.0,
        rev_mod_depth=0.3,
        rev_mod_depth2=0.0,
        click_rate=0.0,
        scratches=[],
        thump_rate_per_min=0.0,
        hum_hz=0.0,
        rumble_db=-120.0,
        crackle_db=-120.0,
    )[0].astype(np.float64)
    frames = x[: x.size // 160 * 160].reshape(-1, 160)  # 10-ms RMS envelope
    env = np.sqrt(np.mean(frames**2, axis=1))
    spec = np.abs(np.fft.rfft(env - env.mean(), 8 * env.size))
    fr = np.fft.rfftfreq(8 * env.size, 0.01)
    assert fr[np.argmax(spec)] == pytest.approx(78.0 / 60.0, abs=0.05)


_QUIET = {
    "click_rate": 0.0,
    "scratches": [],
    "thump_rate_per_min": 0.0,
    "hum_hz": 0.0,
    "rumble_db": -120.0,
    "crackle_db": -120.0,
    "hiss_db": -120.0,
    "rev_mod_depth": 0.0,
    "rev_mod_depth2": 0.0,
}


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    return np.fft.rfftfreq(x.size, 1 / SR), spec


def test_hum_has_mains_frequency_and_harmonics() -> None:
    x = _render(14, dur=2.0, **{**_QUIET, "hum_hz": 60.0, "hum_db": -40.0, "hum_harmonics": 5})[0]
    f, spec = _spectrum(x)
    assert rms_dbfs(x) == pytest.approx(-40.0, abs=0.5)
    peaks = set(np.round(f[np.argsort(spec)[-3:]]).astype(int))
    assert peaks <= {60, 120, 180, 240, 300}
    near = np.min(np.abs(f[:, None] - 60.0 * np.arange(1, 6)[None, :]), axis=1) <= 1.0
    assert np.sum(spec[near]) > 0.99 * np.sum(spec)  # nothing but the mains harmonics


def test_rumble_sits_below_50_hz_and_thumps_are_low() -> None:
    x = _render(15, dur=4.0, **{**_QUIET, "rumble_db": -40.0, "rumble_hz": 25.0})[0]
    f, spec = _spectrum(x)
    assert np.sum(spec[f < 50]) > 0.95 * np.sum(spec)
    thumps = {"thump_rate_per_min": 120.0, "thump_peak_db": -10.0, "thump_hz": (20.0, 60.0)}
    y = _render(16, dur=6.0, **{**_QUIET, **thumps})[0]
    f, spec = _spectrum(y)
    assert np.max(np.abs(y)) > 0.1 and np.sum(spec[f < 150]) > 0.9 * np.sum(spec)


def test_click_and_crackle_rates() -> None:
    x = _render(
        17,
        dur=10.0,
        **{**_QUIET, "click_rate": 3.0, "click_peak_db": -6.0, "click_spread_db": 1.0, "click_width_ms": (0.1, 0.2)},
    )[0]
    peaks = np.flatnonzero(np.abs(x) > 0.1)
    events = 1 + int(np.sum(np.diff(peaks) > SR // 200)) if peaks.size else 0
    assert 15 <= events <= 45  # Poisson(30)
    crackle = {**_QUIET, "crackle_db": -50.0, "crackle_burstiness": 0.0}
    sparse = _render(18, dur=4.0, **crackle, crackle_rate=20.0)[0].astype(np.float64)
    dense = _render(18, dur=4.0, **crackle, crackle_rate=2000.0)[0].astype(np.float64)
    kurt = [float(np.mean(v**4) / np.mean(v**2) ** 2) for v in (sparse, dense)]
    assert rms_dbfs(dense) == pytest.approx(-50.0, abs=1.0) and kurt[0] > 3 * kurt[1]  # sparse = more impulsive
