"""Tests for noisekit.synth.side: determinism, exact and maximal noise-only intervals, layout, SNR, params."""

import json

import numpy as np
import pytest

from noisekit.signal import rms_dbfs
from noisekit.synth.side import synth_side, zero_runs

SR = 16000


def test_same_seed_same_side_different_seed_differs() -> None:
    a = synth_side(3, duration_s=6.0, sr=SR)
    b = synth_side(3, duration_s=6.0, sr=SR)
    c = synth_side(4, duration_s=6.0, sr=SR)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.noise_intervals == b.noise_intervals and a.params == b.params
    assert not np.array_equal(a.audio, c.audio)
    assert a.audio.shape == (2, 6 * SR) and a.audio.dtype == np.float32


@pytest.mark.parametrize("seed", range(6))
def test_noise_intervals_are_exact_and_maximal(seed: int) -> None:
    s = synth_side(seed, duration_s=12.0, sr=SR, channels=2)
    assert np.all(np.isfinite(s.audio)) and np.max(np.abs(s.audio)) <= 1.0
    np.testing.assert_array_equal(s.audio, s.music + s.noise)
    assert s.noise_intervals, "a side always has run-in and run-out noise"
    assert s.noise_intervals[0][0] == 0.0 and s.noise_intervals[-1][1] == pytest.approx(12.0)
    n = s.audio.shape[-1]
    for start, end in s.noise_intervals:
        a, b = int(round(start * SR)), int(round(end * SR))
        assert b - a > 0
        assert np.all(s.music[:, a:b] == 0.0)  # music exactly zero inside
        np.testing.assert_array_equal(s.audio[:, a:b], s.noise[:, a:b])
        # maximal: the music is non-zero right at both edges (unless the side ends there)
        if a > 0:
            assert np.any(s.music[:, a - 1] != 0.0)
        if b < n:
            assert np.any(s.music[:, b] != 0.0)
    # music really is audible just outside some interval edge
    a = int(round(s.noise_intervals[0][1] * SR))
    assert np.max(np.abs(s.music[:, a : a + SR // 2])) > 0.0


def test_layout_overrides_pause_and_run_in_out() -> None:
    s = synth_side(7, sr=SR, run_in_s=3.0, run_out_s=4.0, n_pieces=2, pause_s=2.0, piece_s=5.0, announcement=False)
    assert s.duration_s == pytest.approx(3.0 + 5.0 + 2.0 + 5.0 + 4.0, abs=1e-3)
    iv = s.noise_intervals
    assert len(iv) == 3
    assert iv[0][1] == pytest.approx(3.0, abs=0.05)
    assert iv[1][0] == pytest.approx(8.0, abs=0.05) and iv[1][1] == pytest.approx(10.0, abs=0.05)
    assert iv[2][0] == pytest.approx(15.0, abs=0.05)


def test_segue_has_no_gap() -> None:
    s = synth_side(8, sr=SR, run_in_s=2.0, run_out_s=3.0, n_pieces=2, pause_s=-0.3, piece_s=4.0, announcement=False)
    assert len(s.noise_intervals) == 2


def test_snr_override_is_met_over_the_music() -> None:
    s = synth_side(9, duration_s=8.0, sr=SR, snr_db=12.0)
    active = np.any(s.music != 0.0, axis=0)
    assert rms_dbfs(s.music[:, active]) - rms_dbfs(s.noise) == pytest.approx(12.0, abs=0.05)


def test_mono_params_json_and_rpm() -> None:
    s = synth_side(10, duration_s=5.0, sr=SR, channels=1, rpm=80.0, era="acoustic")
    assert s.audio.shape == (1, 5 * SR)
    json.dumps(s.params)
    assert s.params["rpm"] == 80.0 and s.params["noise"]["era"] == "acoustic"
    with pytest.raises(ValueError, match="unknown override"):
        synth_side(1, duration_s=5.0, sr=SR, colour="sepia")


def test_zero_runs_helper() -> None:
    m = np.ones((2, 100), dtype=np.float32)
    m[:, 10:30] = 0.0
    m[0, 50:60] = 0.0  # only one channel silent: not noise-only
    m[:, 95:] = 0.0
    assert zero_runs(m, 100, min_s=0.01) == [(0.1, 0.3), (0.95, 1.0)]


def test_overlaps_are_clamped_and_low_rates_work() -> None:
    s = synth_side(3, sr=8000, n_pieces=2, pause_s=-50.0, piece_s=4.0, announcement=False)
    starts, lengths = s.params["layout"]["starts_s"], s.params["layout"]["lengths_s"]
    assert starts[1] > starts[0] and starts[1] >= starts[0] + 0.6 * lengths[0] - 1e-9
    short = synth_side(4, duration_s=2.0, sr=8000, n_pieces=3, pause_s=-5.0, announcement=True)
    assert short.audio.shape == (2, 16000)
    assert short.noise_intervals[0][0] == 0.0 and short.noise_intervals[-1][1] == pytest.approx(2.0)


def test_noise_mask_and_frame_labels() -> None:
    s = synth_side(12, sr=SR, run_in_s=2.0, run_out_s=2.0, n_pieces=1, piece_s=3.0, announcement=False)
    mask = s.noise_mask()
    assert mask.sum() == sum(int(round(b * SR)) - int(round(a * SR)) for a, b in s.noise_intervals)
    assert np.all(s.music[:, mask] == 0.0) and np.mean(np.any(s.music[:, ~mask] != 0.0, axis=0)) > 0.99
    labels = s.frame_labels(0.5, 0.25)
    assert labels.size == int((s.audio.shape[-1] - SR // 2) // (SR // 4)) + 1
    assert labels[0] and labels[-1] and not labels[len(labels) // 2]
    assert labels.sum() == 2 * (int((2.0 - 0.5) / 0.25) + 1)  # frames wholly inside run-in and run-out


def test_pauses_of_an_announcement_are_noise_only() -> None:
    s = synth_side(15, sr=SR, run_in_s=2.0, run_out_s=2.0, n_pieces=1, piece_s=4.0, announcement=True, pause_s=1.0)
    ann = s.params["pieces"][0]
    assert ann["kind"] == "announcement"
    inside = [(a, b) for a, b in s.noise_intervals if ann["start_s"] <= a and b <= ann["start_s"] + ann["duration_s"]]
    assert inside, "the speaker pauses between phrases: those pauses are noise-only"
    first_gap = s.noise_intervals[0]
    assert first_gap[1] >= ann["start_s"]  # the run-in reaches at least to the slot (later if speech starts late)
    for a, b in inside + [first_gap]:
        assert np.all(s.music[:, int(round(a * SR)) : int(round(b * SR))] == 0.0)
