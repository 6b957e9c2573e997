"""Labelled scenes: deterministic, correct ground truth for noise-only and programme, every case renders."""

import numpy as np
import pytest

from noisekit.classifier.scenes import CASES, NOISE, PROGRAMME, draw_scene, render_noise, window_targets
from noisekit.seeding import rng_for


def test_deterministic_given_the_seed():
    a = draw_scene(rng_for(1, "t"), 3.0, "fade")
    b = draw_scene(rng_for(1, "t"), 3.0, "fade")
    np.testing.assert_array_equal(a.audio, b.audio)
    np.testing.assert_array_equal(a.frame_state, b.frame_state)


def test_noise_only_scene_is_all_noise():
    sc = draw_scene(rng_for(2, "t"), 3.0, "noise_only")
    assert np.all(sc.frame_state == NOISE)
    assert sc.noise_intervals() == [(0.0, pytest.approx(3.0))]
    y = window_targets(sc, np.arange(9) * 0.25, 1.0)
    assert np.all(y == 1.0)


@pytest.mark.parametrize("case", [c for c in CASES if c != "noise_only"])
def test_programme_cases_render_finite_and_labelled(case):
    sc = draw_scene(rng_for(3, "t", case), 4.0, case)
    assert sc.audio.dtype == np.float32 and len(sc.audio) == 4 * 44100
    assert np.isfinite(sc.audio).all() and np.abs(sc.audio).max() <= 0.99
    assert (sc.frame_state == PROGRAMME).any()
    y = window_targets(sc, np.arange(13) * 0.25, 1.0)
    assert (y == 0.0).any()


def test_render_noise_is_unit_rms():
    x, kind = render_noise(np.random.default_rng(4), 44100, 44100)
    assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    assert kind


def test_unknown_case_is_refused():
    with pytest.raises(ValueError, match="unknown case"):
        draw_scene(np.random.default_rng(0), 1.0, "opera")
