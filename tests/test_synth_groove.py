"""Tests for noisekit.synth.groove: lead-in/run-out levels, needle drop, locked groove, echo, SNR solve."""

import numpy as np
import pytest

from noisekit.synth.groove import (
    GrooveParams,
    draw_groove_params,
    groove_echo,
    groove_events,
    level_curve,
    scale_noise_for_snr,
)
from noisekit.synth.side import synth_side

SR = 8000


def test_level_curve_sections() -> None:
    p = GrooveParams(run_in_db=6.0, run_out_db=-3.0, drift_db=2.0, transition_s=0.5)
    g = 20 * np.log10(level_curve(p, 2.0, 8.0, 10 * SR, SR).astype(np.float64))
    assert g[int(0.5 * SR)] == pytest.approx(6.0, abs=0.01)
    assert g[int(5.0 * SR)] == pytest.approx(1.0, abs=0.05)  # half the drift
    assert g[int(9.5 * SR)] == pytest.approx(2.0 - 3.0, abs=0.01)


def test_needle_drop_and_locked_groove_are_where_they_belong() -> None:
    p = GrooveParams(needle_drop_db=30.0, needle_drop_s=0.3, locked_groove_db=20.0, locked_after_s=1.0)
    x = groove_events(p, 4.0, 10 * SR, SR, np.random.default_rng(0), 78.0, 0.01).astype(np.float64)
    assert np.abs(x[: int(0.29 * SR)]).max() == 0.0
    assert np.abs(x[int(0.3 * SR) : int(0.4 * SR)]).max() == pytest.approx(10**1.5 * 0.01, rel=0.01)
    assert np.abs(x[int(0.8 * SR) : int(5.0 * SR)]).max() == 0.0  # quiet until the locked groove
    env = np.abs(x[int(5 * SR) :])
    ac = np.fft.irfft(np.abs(np.fft.rfft(env, 2 * env.size)) ** 2)[: env.size]
    lag = int(np.argmax(ac[int(0.5 * SR) : int(1.0 * SR)])) + int(0.5 * SR)
    assert lag / SR == pytest.approx(60 / 78, abs=2 / SR)


def test_groove_echo_precedes_music_by_one_revolution() -> None:
    track = np.zeros(5 * SR)
    track[2 * SR : 3 * SR] = np.sin(2 * np.pi * 500 * np.arange(SR) / SR)
    echo = groove_echo(GrooveParams(echo_db=-40.0, post_echo_db=-6.0), track, SR, 78.0)
    rev = int(round(60 / 78 * SR))
    pre = np.abs(echo[2 * SR - rev + 200 : 2 * SR - 200]).max()
    assert 0.2 * 10 ** (-40 / 20) < pre < 1.5 * 10 ** (-40 / 20)
    assert np.abs(echo[: 2 * SR - rev - 200]).max() < 1e-3 * pre
    assert groove_echo(GrooveParams(), track, SR, 78.0) is None


def test_scale_noise_for_snr_with_echo() -> None:
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((2, 4000)).astype(np.float32)
    echo = (0.05 * rng.standard_normal((1, 4000))).astype(np.float32)
    g, extra = scale_noise_for_snr(0.25, noise, echo, 20.0)
    total = g * noise + extra
    assert 10 * np.log10(0.25 / np.mean(total.astype(np.float64) ** 2)) == pytest.approx(20.0, abs=0.01)
    g, extra = scale_noise_for_snr(0.25, noise, np.ones((1, 4000), np.float32), 20.0)  # echo too loud: shrunk
    assert np.mean(extra.astype(np.float64) ** 2) == pytest.approx(0.5 * 0.25 / 100, rel=1e-3)


def test_side_with_all_groove_features_keeps_exact_truth() -> None:
    groove = {
        "run_in_db": 6.0,
        "needle_drop_db": 30.0,
        "locked_groove_db": 15.0,
        "echo_db": -35.0,
        "transfer_lp_hz": 5000.0,
    }
    s = synth_side(
        2, sr=SR, run_in_s=3.0, run_out_s=6.0, n_pieces=1, piece_s=5.0, announcement=False, snr_db=15.0, groove=groove
    )
    for a, b in s.noise_intervals:
        assert np.all(s.music[:, int(round(a * SR)) : int(round(b * SR))] == 0.0)
    assert s.params["groove"]["needle_drop_db"] == 30.0
    kinds = {k for _, _, k in s.hard_cases}
    assert {"needle_drop", "locked_groove", "groove_echo"} <= kinds
    active = np.any(s.music != 0.0, axis=0)
    snr = 10 * np.log10(np.mean(s.music[:, active].astype(np.float64) ** 2) / np.mean(s.noise.astype(np.float64) ** 2))
    assert snr == pytest.approx(15.0, abs=0.05)
    with pytest.raises(ValueError, match="unknown parameter"):
        draw_groove_params(np.random.default_rng(0), wobble=1.0)


def test_tape_dub_adds_hiss_to_the_noise_only() -> None:
    base = {"run_in_s": 2.0, "run_out_s": 2.0, "n_pieces": 1, "piece_s": 2.0, "announcement": False, "snr_db": 20.0}
    plain = synth_side(5, sr=SR, **base, groove={"tape_speed_ips": None})
    dubbed = synth_side(5, sr=SR, **base, groove={"tape_speed_ips": 3.75, "tape_rel_db": 0.0})
    np.testing.assert_array_equal(plain.music, dubbed.music)
    assert dubbed.noise_intervals == plain.noise_intervals
    assert dubbed.params["groove"]["tape_speed_ips"] == 3.75
    assert not np.allclose(plain.noise, dubbed.noise)
