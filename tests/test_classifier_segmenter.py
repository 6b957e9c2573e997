"""Segmenter: smoothing veto, hysteresis, edge margins and minimum length on hand-made probabilities."""

import numpy as np
import pytest

from noisekit.classifier.inference import WindowProbs
from noisekit.classifier.segmenter import (
    NoiseSegment,
    SegmenterParams,
    find_noise_segments,
    hysteresis_runs,
    segments_from_probs,
    smooth_probs,
)

HOP, WIN = 0.25, 1.0


def _wp(probs: list[float] | np.ndarray) -> WindowProbs:
    p = np.asarray(probs, dtype=np.float32)
    starts = np.arange(len(p)) * HOP
    return WindowProbs(p, WIN, HOP, starts, float(starts[-1] + WIN) if len(p) else 0.0)


def test_margins_are_trimmed_from_both_ends():
    p = [0.0] * 8 + [1.0] * 20 + [0.0] * 8  # windows 8..27 noise: span [2.0, 27*0.25+1 = 7.75)
    segs = segments_from_probs(_wp(p), SegmenterParams(smooth_windows=1, margin_s=0.25, tail_s=0, lead_s=0))
    assert segs == [NoiseSegment(2.25, 7.5, 1.0)]
    wide = segments_from_probs(_wp(p), SegmenterParams(smooth_windows=1, margin_s=1.0, tail_s=0, lead_s=0))
    assert wide[0].start_s == pytest.approx(3.0) and wide[0].end_s == pytest.approx(6.75)


def test_minimum_length_after_trimming():
    # 5 noise windows: span 0.25*4 + 1 = 2.0 s; minus 2 x 0.25 margin = 1.5 s < 2 s -> dropped
    short = [0.0] * 4 + [1.0] * 5 + [0.0] * 4
    assert segments_from_probs(_wp(short), SegmenterParams(smooth_windows=1, tail_s=0, lead_s=0)) == []
    # 7 windows: 2.5 s span - 0.5 = 2.0 s -> kept, exactly the minimum
    ok = [0.0] * 4 + [1.0] * 7 + [0.0] * 4
    segs = segments_from_probs(_wp(ok), SegmenterParams(smooth_windows=1, tail_s=0, lead_s=0))
    assert len(segs) == 1 and segs[0].duration_s == pytest.approx(2.0)
    assert all(s.duration_s >= 2.0 for s in segs)


def test_hysteresis_needs_high_to_start_and_low_to_continue():
    p = np.array([0.6, 0.6, 0.9, 0.6, 0.4, 0.6, 0.6])
    assert hysteresis_runs(p, high=0.8, low=0.5) == [(0, 3)]
    assert hysteresis_runs(np.full(5, 0.7), high=0.8, low=0.5) == []


def test_smoothing_removes_flicker_but_keeps_run_edges():
    # a short sound at [4.0, 4.1) makes every window overlapping it music: starts 3.25 .. 4.0
    p = np.ones(40)
    p[13:17] = 0.0
    s = smooth_probs(p, 3)
    assert s[12] >= 0.5 and s[13] < 0.5 and s[16] < 0.5 and s[17] >= 0.5
    segs = segments_from_probs(_wp(p), SegmenterParams(smooth_windows=3, high=0.6, low=0.5, tail_s=0, lead_s=0))
    assert len(segs) == 2
    assert segs[0].end_s == pytest.approx(4.0 - 0.25) and segs[1].start_s == pytest.approx(4.25 + 0.25)
    assert all(s.end_s <= 4.0 or s.start_s >= 4.1 for s in segs)
    flicker = np.ones(40)
    flicker[20] = 0.6  # one unsure window (below low) inside a long noise run does not split it
    assert len(segments_from_probs(_wp(flicker), SegmenterParams(smooth_windows=3, low=0.85))) == 1
    assert len(segments_from_probs(_wp(flicker), SegmenterParams(smooth_windows=1, low=0.85))) == 2


def test_guards_trim_after_and_before_programme_only():
    p = [1.0] * 20 + [0.0] * 8 + [1.0] * 20  # noise, programme, noise
    segs = segments_from_probs(_wp(p), SegmenterParams(smooth_windows=1, tail_s=0.75, lead_s=0.5))
    # first run: file start untouched, its end (before programme) trimmed by margin + lead
    assert segs[0].start_s == 0.0 and segs[0].end_s == pytest.approx(19 * 0.25 + 1 - 0.75)
    # second run: its start (after programme) trimmed by margin + tail; the file end untouched
    assert segs[1].start_s == pytest.approx(28 * 0.25 + 1.0) and segs[1].end_s == pytest.approx(47 * 0.25 + 1.0)


def test_segment_never_extends_past_the_signal():
    wp = _wp([1.0] * 40)
    wp.duration_s = 10.2
    segs = segments_from_probs(wp, SegmenterParams())
    assert segs[-1].end_s == pytest.approx(10.2)  # the last window reaches past the signal's end


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        SegmenterParams(high=0.4, low=0.6)
    with pytest.raises(ValueError):
        SegmenterParams(smooth_windows=0)


def test_find_noise_segments_uses_given_classifier():
    class Fixed:
        def window_probs(self, audio, sr):
            return _wp([1.0] * 20)

    segs = find_noise_segments(np.zeros(100, np.float32), 44100, classifier=Fixed())
    assert len(segs) == 1 and segs[0].p_noise == pytest.approx(1.0)


def test_digital_silence_is_an_edge_not_programme():
    p = [0.0] * 8 + [1.0] * 20 + [0.0] * 8  # noise windows 8..27 between two stretches of p = 0
    silent = np.r_[np.ones(8, bool), np.zeros(28, bool)]  # the first stretch is digital silence
    wp = _wp(p)
    wp.silent = silent
    segs = segments_from_probs(wp, SegmenterParams(smooth_windows=1, tail_s=1.0, lead_s=0.5))
    # after the silence: no margin or tail; before the programme: margin and lead
    assert segs == [NoiseSegment(2.0, 27 * 0.25 + 1.0 - 0.75, 1.0)]
