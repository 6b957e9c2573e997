"""Interval algebra, purity/recall seconds, window labels and ROC AUC against hand-computed answers."""

import numpy as np
import pytest

from noisekit.classifier.metrics import (
    SegmentCounts,
    intersect,
    merge_intervals,
    overlap_s,
    roc_auc,
    segment_counts,
    total_s,
    window_labels,
    window_scores,
)


def test_interval_algebra():
    assert merge_intervals([(3, 4), (0, 1), (0.5, 2), (5, 5)]) == [(0.0, 2.0), (3.0, 4.0)]
    assert total_s([(0, 1), (0.5, 2)]) == pytest.approx(2.0)
    assert overlap_s([(0, 2), (3, 5)], [(1, 4)]) == pytest.approx(2.0)
    assert intersect([(0, 2), (3, 5)], [(1, 4)]) == [(1.0, 2.0), (3.0, 4.0)]


def test_purity_and_recall_in_seconds():
    truth = [(0.0, 10.0), (20.0, 21.0)]  # the 1-s run is too short to count for recall
    c = segment_counts([(2.0, 8.0), (9.0, 12.0)], truth)
    assert c.extracted_s == pytest.approx(9.0)
    assert c.extracted_true_s == pytest.approx(7.0)
    assert c.purity == pytest.approx(7 / 9)
    assert c.recall == pytest.approx(7 / 10)
    assert c.leaked_s == pytest.approx(2.0)
    pooled = c + SegmentCounts(1.0, 1.0, 10.0, 0.0)
    assert pooled.purity == pytest.approx(8 / 10) and pooled.recall == pytest.approx(7 / 20)
    assert SegmentCounts().purity == 1.0 and np.isnan(SegmentCounts().recall)


def test_window_labels_need_the_whole_window_inside():
    starts = np.array([0.0, 0.25, 0.5, 1.0])
    y = window_labels(starts, 1.0, [(0.0, 1.5)])
    assert y.tolist() == [True, True, True, False]


def test_roc_auc_known_values():
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    assert roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([0, 0, 1, 1])) == pytest.approx(0.0)
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([0, 1, 0, 1])) == pytest.approx(0.5)
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert np.isnan(roc_auc(np.array([0.1]), np.array([1])))


def test_window_scores():
    w = window_scores(np.array([0.9, 0.8, 0.3, 0.6]), np.array([1, 1, 1, 0], bool), 0.5)
    assert w.precision == pytest.approx(2 / 3) and w.recall == pytest.approx(2 / 3)
    assert w.f1 == pytest.approx(2 / 3) and w.n_noise == 3
