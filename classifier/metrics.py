"""Window- and segment-level scores of a noise detector against ground-truth noise-only intervals.

Segment purity is the fraction of extracted seconds that are truly noise-only; segment recall is the
fraction of true noise-only seconds, in runs of ``min_true_s`` (2 s) or more, that were extracted. Both
are accumulated in seconds (:class:`SegmentCounts` adds up over files), so a corpus score weights every
second equally instead of averaging per-file ratios.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Interval = tuple[float, float]


def merge_intervals(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """Sorted, non-overlapping union of (start, end) intervals; empty ones are dropped."""
    items = sorted((float(a), float(b)) for a, b in intervals if float(b) > float(a))
    out: list[Interval] = []
    for a, b in items:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def total_s(intervals: Iterable[Sequence[float]]) -> float:
    """Total length of the union of intervals."""
    return float(sum(b - a for a, b in merge_intervals(intervals)))


def overlap_s(a: Iterable[Sequence[float]], b: Iterable[Sequence[float]]) -> float:
    """Length of the intersection of two interval sets."""
    return total_s(intersect(a, b))


@dataclass
class SegmentCounts:
    """Seconds behind purity and recall; add instances to pool files."""

    extracted_s: float = 0.0
    extracted_true_s: float = 0.0  # extracted seconds that are truly noise-only
    true_long_s: float = 0.0  # true noise-only seconds in runs >= min_true_s
    recalled_s: float = 0.0  # of those, extracted

    def __add__(self, other: SegmentCounts) -> SegmentCounts:
        return SegmentCounts(
            self.extracted_s + other.extracted_s,
            self.extracted_true_s + other.extracted_true_s,
            self.true_long_s + other.true_long_s,
            self.recalled_s + other.recalled_s,
        )

    @property
    def purity(self) -> float:
        """Fraction of extracted seconds that are noise-only (1.0 when nothing was extracted)."""
        return self.extracted_true_s / self.extracted_s if self.extracted_s > 0 else 1.0

    @property
    def recall(self) -> float:
        """Fraction of long-run noise-only seconds extracted (NaN when there were none)."""
        return self.recalled_s / self.true_long_s if self.true_long_s > 0 else float("nan")

    @property
    def leaked_s(self) -> float:
        """Extracted seconds that contain programme (music, speech, tails)."""
        return self.extracted_s - self.extracted_true_s


def segment_counts(
    extracted: Iterable[Sequence[float]], true_noise: Iterable[Sequence[float]], min_true_s: float = 2.0
) -> SegmentCounts:
    """Purity/recall seconds of extracted segments against the true noise-only intervals of one file."""
    ext = merge_intervals(extracted)
    truth = merge_intervals(true_noise)
    long_runs = [(a, b) for a, b in truth if b - a >= min_true_s]
    return SegmentCounts(total_s(ext), overlap_s(ext, truth), total_s(long_runs), overlap_s(ext, long_runs))


def window_labels(starts: np.ndarray, window_s: float, true_noise: Iterable[Sequence[float]]) -> np.ndarray:
    """True where a window lies entirely inside a true noise-only interval."""
    truth = merge_intervals(true_noise)
    starts = np.asarray(starts, dtype=np.float64)
    out = np.zeros(len(starts), dtype=bool)
    eps = 1e-9
    for a, b in truth:
        out |= (starts >= a - eps) & (starts + window_s <= b + eps)
    return out


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tie correction); NaN if one class is absent."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


@dataclass(frozen=True)
class WindowScores:
    """Window-level precision, recall, F1 (noise is the positive class) and ROC AUC."""

    precision: float
    recall: float
    f1: float
    auc: float
    n_windows: int
    n_noise: int


def window_scores(scores: np.ndarray, labels: np.ndarray, threshold: float) -> WindowScores:
    """Scores of the decision ``score >= threshold`` against window labels."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    pred = scores >= threshold
    tp = int((pred & labels).sum())
    fp = int((pred & ~labels).sum())
    fn = int((~pred & labels).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if (precision + recall) > 0 else 0.0
    return WindowScores(precision, recall, f1, roc_auc(scores, labels), len(labels), int(labels.sum()))


def intersect(a: Iterable[Sequence[float]], b: Iterable[Sequence[float]]) -> list[Interval]:
    """Intersection of two interval sets as a sorted list of intervals."""
    x, y = merge_intervals(a), merge_intervals(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(x) and j < len(y):
        lo, hi = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if hi > lo:
            out.append((lo, hi))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out
