"""Tests for noisekit.synth.dsp and noisekit.synth.params: filters, shaped noise, curves, chorus, overrides."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
from scipy import signal

from noisekit.synth import dsp
from noisekit.synth.params import apply_overrides, jsonable

SR = 16000


def test_shaped_noise_follows_its_magnitude_and_has_unit_rms() -> None:
    rng = np.random.default_rng(0)
    x = dsp.shaped_noise(rng, 4 * SR, SR, lambda f: dsp.butter_magnitude(f, 500.0, 2000.0, 4), rows=2)
    assert x.shape == (2, 4 * SR) and x.dtype == np.float32
    assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=0.05)
    f, p = signal.welch(x[0], fs=SR, nperseg=1024)
    inband, outband = p[(f > 800) & (f < 1500)].mean(), p[(f > 4000) & (f < 7000)].mean()
    assert 10 * np.log10(inband / outband) > 30.0


def test_peaking_and_shelf_filters() -> None:
    _, h = signal.sosfreqz(dsp.peaking_sos(1000.0, 9.0, 2.0, SR), worN=[1000.0, 100.0], fs=SR)
    assert 20 * np.log10(abs(h[0])) == pytest.approx(9.0, abs=0.1) and abs(20 * np.log10(abs(h[1]))) < 0.5
    _, h = signal.sosfreqz(dsp.shelf_sos(2000.0, -10.0, SR, high=True), worN=[7000.0, 50.0], fs=SR)
    assert 20 * np.log10(abs(h[0])) == pytest.approx(-10.0, abs=1.0) and abs(20 * np.log10(abs(h[1]))) < 0.5


def test_band_sos_edges_and_apply_sos_speed_guard() -> None:
    assert dsp.band_sos(None, None, SR) is None and dsp.band_sos(0.0, SR, SR) is None
    assert dsp.band_sos(9000.0, None, SR) is not None  # clamped below Nyquist, not an error
    x = np.zeros(SR, dtype=np.float32)
    x[0] = 1.0
    y = dsp.apply_sos(x, dsp.band_sos(100.0, 1000.0, SR, 4))
    assert y.dtype == np.float32 and np.all(np.isfinite(y))
    assert np.max(np.abs(y[SR // 2 :])) < 1e-20  # decayed (the -600 dB floor is all that is left)
    np.testing.assert_array_equal(dsp.apply_sos(x, None), x)


def test_curves_fades_and_events() -> None:
    rng = np.random.default_rng(1)
    c = dsp.periodic_curve(SR, SR, 0.5, [0.2], [0.0])
    assert c[0] == pytest.approx(1.2) and c[SR // 4] == pytest.approx(0.8, abs=1e-3)
    g = dsp.smooth_gain(rng, SR, SR, 3.0, 4.0)
    assert g.dtype == np.float32 and 0.2 < g.min() <= g.max() < 5.0
    for shape in ("cos", "lin", "exp"):
        f = dsp.fade_curve(100, shape)
        assert f[0] < 0.05 and f[-1] > 0.95 and np.all(np.diff(f) >= 0)
    out = np.zeros(10)
    dsp.place_events(out, np.array([-2, 8]), [np.ones(4), np.ones(4)])
    np.testing.assert_array_equal(out, [1, 1, 0, 0, 0, 0, 0, 0, 1, 1])
    t = dsp.poisson_times(rng, 50.0, 10.0)
    assert 400 < t.size < 600 and np.all(np.diff(t) >= 0)


def test_hum_noise_slice_and_chorus() -> None:
    rng = np.random.default_rng(2)
    hum = dsp.hum_tone(rng, SR, SR, 50.0, 3, -20.0)
    assert 20 * np.log10(np.sqrt(np.mean(hum.astype(np.float64) ** 2))) == pytest.approx(-20.0, abs=0.1)
    ns = dsp.noise_slice(rng, 3 * (1 << 18) // 2, SR, 100.0, 3000.0)  # longer than the table: wraps
    assert ns.size == 3 * (1 << 18) // 2 and np.sqrt(np.mean(ns.astype(np.float64) ** 2)) == pytest.approx(1, rel=0.1)
    tone = np.sin(2 * np.pi * 440 * np.arange(2 * SR) / SR)
    ch = dsp.chorus(tone, SR, rng, 2)
    assert ch.shape == tone.shape and not np.allclose(ch, tone)
    assert np.sqrt(np.mean(ch[SR:] ** 2)) == pytest.approx(np.sqrt(np.mean(tone**2)), rel=0.6)
    np.testing.assert_array_equal(dsp.chorus(np.zeros(100), SR, rng, 3), np.zeros(100))


def test_render_length_validation() -> None:
    assert dsp.render_length("f", 1.5, SR, 2) == int(1.5 * SR)
    for bad in ((-1.0, SR, 1), (float("nan"), SR, 1), (1.0, 0, 1), (1.0, SR, 0)):
        with pytest.raises(ValueError, match="f:"):
            dsp.render_length("f", *bad)


@dataclass
class _P:
    a: float = 1.0
    b: tuple[float, float] = (1.0, 2.0)
    c: list = field(default_factory=list)


def test_overrides_and_jsonable() -> None:
    p = apply_overrides(_P(), {"a": 3.0}, "who")
    assert p.a == 3.0
    with pytest.raises(ValueError, match="who: unknown parameter 'z'"):
        apply_overrides(_P(), {"z": 1}, "who")
    d = jsonable(_P(c=[np.float32(1.5), np.arange(2), {"k": (1, 2)}]))
    assert d == {"a": 1.0, "b": [1.0, 2.0], "c": [1.5, [0, 1], {"k": [1, 2]}]}
    json.dumps(d)
