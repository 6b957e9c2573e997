"""Tests for noisekit.synth.tape: determinism, level and darkness ordering by speed, dropouts, NR."""

import json

import numpy as np
import pytest

from noisekit.signal import rms_dbfs
from noisekit.synth.tape import SPEEDS_IPS, draw_tape_params, render_tape_noise

SR = 22050


def _render(seed: int, speed: float | None, dur: float = 1.0, channels: int = 1, **kw) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = draw_tape_params(rng, speed, **kw)
    return render_tape_noise(p, dur, SR, rng, channels=channels)


def test_same_seed_same_noise_different_seed_differs() -> None:
    a, b, c = _render(1, 7.5), _render(1, 7.5), _render(2, 7.5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == (1, SR)


@pytest.mark.parametrize("seed", range(8))
def test_finite_and_bounded(seed: int) -> None:
    x = _render(seed, None, channels=2)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 1.0


def _centroid(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x[0].astype(np.float64))) ** 2
    f = np.fft.rfftfreq(x.shape[-1], 1 / SR)
    return float(np.sum(f * spec) / np.sum(spec))


def test_slower_is_louder_and_darker() -> None:
    levels, centroids = [], []
    for speed in sorted(SPEEDS_IPS):  # 1.875 first
        xs = [_render(s, speed, nr="none", hum_hz=0.0) for s in range(8)]
        levels.append(np.mean([rms_dbfs(x) for x in xs]))
        centroids.append(np.mean([_centroid(x) for x in xs]))
    assert all(a > b + 3.0 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert all(a < b for a, b in zip(centroids, centroids[1:], strict=False)), centroids


def test_dropouts_dip_the_level() -> None:
    kw = {
        "nr": "none",
        "hum_hz": 0.0,
        "mod_depth_db": 0.0,
        "dropout_depth_db": (20.0, 20.0),
        "dropout_len_ms": (100.0, 100.0),
    }
    x = _render(5, 3.75, dur=4.0, dropout_rate_per_min=120.0, **kw)[0]
    frames = x[: x.size // 441 * 441].reshape(-1, 441)
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1))
    assert np.min(db) < np.median(db) - 10.0


def test_noise_reduction_darkens_hiss() -> None:
    a = _render(3, 1.875, nr="none", hum_hz=0.0)
    b = _render(3, 1.875, nr="dolby_b", hum_hz=0.0)
    assert _centroid(b) < _centroid(a)


def test_channel_correlation_and_params() -> None:
    x = _render(4, 7.5, channels=2, channel_corr=0.0, hum_hz=0.0)
    assert abs(np.corrcoef(x.astype(np.float64))[0, 1]) < 0.1
    rng = np.random.default_rng(0)
    json.dumps(draw_tape_params(rng).to_dict())
    with pytest.raises(ValueError, match="speed"):
        draw_tape_params(rng, 5.0)
    with pytest.raises(ValueError, match="nr"):
        draw_tape_params(rng, 7.5, nr="dbx")


def test_modulation_noise_and_hum() -> None:
    base = {"nr": "none", "hum_hz": 0.0, "dropout_rate_per_min": 0.0, "channel_corr": 0.0}

    def spread(depth: float) -> float:
        x = _render(6, 7.5, dur=6.0, mod_depth_db=depth, mod_rate_hz=4.0, **base)[0].astype(np.float64)
        frames = x[: x.size // 2205 * 2205].reshape(-1, 2205)  # 100-ms levels
        return float(np.std(10 * np.log10(np.mean(frames**2, axis=1))))

    assert spread(3.0) > 2.0 * spread(0.0)
    x = _render(7, 7.5, dur=2.0, **{**base, "hum_hz": 50.0, "hum_db": -40.0, "hum_harmonics": 3})[0]
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / SR)
    assert f[np.argmax(spec)] in (50.0, 100.0, 150.0)
