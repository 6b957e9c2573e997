"""Example-based gap filling: copy what followed the places whose surroundings sound like the gap's.

Music repeats (bars, loops, sustained chords, a groove's surface noise), so the stretches nearby whose
``width`` samples before and after match the gap's context best, each scaled by its least-squares gain,
are good guesses of what the gap held. The match of the context is also an estimate of the guess's error:
``rel`` = residual energy of the context match over the context's energy. Candidates are found by one FFT
cross-correlation over ``search`` samples either side of the gap; stretches touching unknown samples
(the gap itself, other gaps) are never used.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import oaconvolve


def _sliding_sum(values: np.ndarray, width: int) -> np.ndarray:
    """``out[j] = values[j : j + width].sum()`` for every full window."""
    total = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    return total[width:] - total[:-width]


def _distinct_best(residual: np.ndarray, shortlist: np.ndarray, count: int, apart: int) -> list[int]:
    """Up to ``count`` offsets of ``shortlist`` with the least finite residual, at least ``apart`` from each other
    (distinct stretches, not one stretch shifted by a few samples); ties go to the earlier offset."""
    picks: list[int] = []
    for j in shortlist[np.lexsort((shortlist, residual[shortlist]))]:
        if not np.isfinite(residual[j]) or len(picks) == count:
            break
        if all(abs(int(j) - p) >= apart for p in picks):
            picks.append(int(j))
    return picks


def similar_fill(
    x: np.ndarray, unknown: np.ndarray, start: int, stop: int, width: int, search: int, count: int
) -> tuple[np.ndarray, float] | None:
    """The ``count`` best-matching stretches for gap ``[start, stop)`` of ``x``, averaged with weights 1/rel.

    Returns the fill and the best candidate's ``rel``, or None where the gap lacks ``width`` known samples
    on either side or no candidate exists within ``search`` samples.
    """
    length = stop - start
    if start < width or stop + width > len(x) or unknown[start - width : start].any():
        return None
    if unknown[stop : stop + width].any():
        return None
    lo, hi = max(0, start - search - width), min(len(x), stop + search + width)
    seg = np.asarray(x[lo:hi], dtype=np.float64)
    span = 2 * width + length
    if len(seg) < 2 * span:
        return None
    left, right = seg[start - lo - width : start - lo], seg[stop - lo : stop - lo + width]
    energy = float(left @ left + right @ right)
    if energy <= 0.0:
        return None
    template = np.concatenate((left, np.zeros(length), right))
    num = oaconvolve(seg, template[::-1], mode="valid")
    power = _sliding_sum(seg * seg, width)
    den = power[: len(num)] + power[width + length : width + length + len(num)]
    blocked = _sliding_sum(unknown[lo:hi].astype(np.float64), span) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.where((den > 0) & ~blocked, energy - num**2 / den, np.inf)
    shortlist = min(len(residual), 256 * count)  # a full sort of ~10^6 residuals would dominate the cost
    picks = _distinct_best(residual, np.argpartition(residual, shortlist - 1)[:shortlist], count, length)
    if len(picks) < count and shortlist < len(residual):
        picks = _distinct_best(residual, np.arange(len(residual)), count, length)
    if not picks:
        return None
    rel = np.maximum(residual[picks], 1e-12 * energy) / energy
    fills = np.stack([num[j] / den[j] * seg[j + width : j + width + length] for j in picks])
    weights = 1.0 / rel
    return (weights[:, None] * fills).sum(axis=0) / weights.sum(), float(rel[0])
