"""Energy rule: finds the quiet stretches, with margins and minimum length, and ranks windows by level."""

import numpy as np
import pytest

from noisekit.classifier.baseline import EnergyParams, energy_segments, energy_window_scores

SR = 8000


def _quiet_loud(seconds: list[tuple[float, float]]) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.standard_normal(int(d * SR)) * amp for d, amp in seconds]).astype(np.float32)


def test_quiet_runs_become_segments_with_margins():
    x = _quiet_loud([(3.0, 0.001), (2.0, 0.1), (1.5, 0.001), (2.0, 0.1), (4.0, 0.001)])
    segs = energy_segments(x, SR)
    # 3-s quiet -> [0.25, 2.75]; 1.5-s quiet is too short; last quiet [8.5, 12.5] -> [8.75, 12.25]
    assert [(round(s.start_s, 2), round(s.end_s, 2)) for s in segs] == [(0.25, 2.75), (8.75, 12.25)]


def test_soft_music_passes_as_noise_for_the_rule():
    # the failure the classifier exists for: a passage 3 dB above the noise floor is "noise" to the rule
    x = _quiet_loud([(3.0, 0.001), (3.0, 0.0014), (3.0, 0.1)])
    segs = energy_segments(x, SR, EnergyParams(margin_s=0.0))
    assert segs and segs[0].end_s == pytest.approx(6.0, abs=0.06)


def test_window_scores_rank_by_level():
    x = _quiet_loud([(2.0, 0.001), (2.0, 0.1)])
    scores = energy_window_scores(x, SR, np.array([0.0, 0.5, 2.5]), 1.0)
    assert scores[0] > -6.0 and scores[1] > -6.0 and scores[2] < -30.0
