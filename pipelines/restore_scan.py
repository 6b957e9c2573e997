"""The restore chain's first pass over a stream: the gate's stretches and every channel's gaps, in bounded memory.

Both are decided on the input before anything changes it, block by block, and equal what
``gate_stretches`` and ``detect_gaps`` find on the whole recording: a stretch's features need only its own
samples, and gap detection is cut at multiples of the dropout detector's reference span (runs that cross a
cut are joined).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from noisekit.denoiser.classical.gate import MIN_SECONDS, Stretch, decide, gate_features, stretch_bounds
from noisekit.denoiser.classical.inpaint import InpaintParams, constant_runs, dropout_runs, merge_gaps
from noisekit.signal import fade_in

Gap = tuple[int, int, str]


@dataclass
class Plan:
    """What the first pass found: length, noisy spans (``[start, stop)``, the gate's or the whole file) and gaps."""

    n: int
    active: list[tuple[int, int]]
    stretches: list[Stretch] = field(default_factory=list)
    gaps: list[list[Gap]] = field(default_factory=list)

    def active_mask(self, lo: int, hi: int) -> np.ndarray:
        """The samples ``[lo, hi)`` that lie in a noisy span."""
        mask = np.zeros(hi - lo, dtype=bool)
        for start, stop in self.active:
            if start < hi and stop > lo:
                mask[max(start, lo) - lo : min(stop, hi) - lo] = True
        return mask

    def weights(self, lo: int, hi: int, fade: int) -> np.ndarray:
        """Fade weights of ``[lo, hi)``: 1 inside noisy spans, 0 outside, sin² ramps inside each span's edges."""
        return span_weights(self.active, self.n, lo, hi, fade)


def span_weights(spans: Iterable[tuple[int, int]], n: int, lo: int, hi: int, fade: int) -> np.ndarray:
    """Weights of samples ``[lo, hi)`` of an ``n``-sample signal: 1 in spans, ramps of ``fade`` inside their edges."""
    w = np.zeros(hi - lo, dtype=np.float32)
    for start, stop in spans:
        if start >= hi or stop <= lo:
            continue
        span = np.ones(stop - start, dtype=np.float32)
        ramp = min(fade, (stop - start) // 2)
        if ramp >= 1:
            up = fade_in(ramp)
            if start > 0:
                span[:ramp] = up
            if stop < n:
                span[-ramp:] = up[::-1]
        a, b = max(start, lo), min(stop, hi)
        w[a - lo : b - lo] = span[a - start : b - start]
    return w


class GateScan:
    """The gate over a stream: each stretch's features once its samples have all arrived, the vote at the end."""

    def __init__(self, n: int, sr: int, model, stretch_s: float) -> None:
        self.n, self.sr, self.model = n, sr, model
        self.bounds = stretch_bounds(n, sr, stretch_s)
        if len(self.bounds) > 1 and self.bounds[-1][1] - self.bounds[-1][0] < MIN_SECONDS * sr:
            self.bounds[-2:] = [(self.bounds[-2][0], n)]  # too short to judge alone (a short --stretch's remainder)
        self.features: list[np.ndarray] = []
        self.pending = np.zeros(0, dtype=np.float32)
        self.short = n < MIN_SECONDS * sr

    def push(self, block: np.ndarray) -> None:
        """Take the next (channels, k) block."""
        if self.short:
            return
        self.pending = np.concatenate([self.pending, block.mean(axis=0)])
        while len(self.features) < len(self.bounds):
            start, stop = self.bounds[len(self.features)]
            if len(self.pending) < stop - start:
                break
            self.features.append(gate_features(self.pending[: stop - start], self.sr))
            self.pending = self.pending[stop - start :]

    def stretches(self) -> list[Stretch]:
        """The decided stretches (a recording under MIN_SECONDS is one clean stretch, as in gate_stretches)."""
        if self.short:
            return [Stretch(0, self.n, float("nan"), False)]
        return decide(self.bounds, self.model.probability(np.stack(self.features)), self.model.threshold)


class GapScan:
    """Digital silence and dropouts of one channel over a stream, as ``detect_gaps`` finds them on the whole."""

    def __init__(self, sr: int, params: InpaintParams) -> None:
        self.sr, self.params = sr, params
        self.min_len = max(2, int(round(params.min_gap_s * sr)))
        frame = max(8, int(round(params.dropout_frame_s * sr)))
        self.unit = frame * max(1, sr // frame)  # one dropout reference span: cuts at its multiples change nothing
        self.pending = np.zeros(0, dtype=np.float32)
        self.offset = 0
        self.last: float | None = None
        self.silences: list[list[int]] = []  # [start, stop) of equal-sample runs; the last may still grow
        self.dropouts: list[list[int]] = []

    def push(self, x: np.ndarray, last: bool = False) -> None:
        """Take the next samples of the channel; ``last`` flushes what is held."""
        self.pending = np.concatenate([self.pending, x])
        take = len(self.pending) if last else len(self.pending) // self.unit * self.unit
        if take:
            self._scan(self.pending[:take])
            self.pending = self.pending[take:]

    def _scan(self, chunk: np.ndarray) -> None:
        o = self.offset
        lead = np.r_[self.last, chunk] if self.last is not None else chunk
        base = o - 1 if self.last is not None else o
        for s, e in constant_runs(lead, self.params.silence_eps, 2):
            self._join(self.silences, int(s) + base, int(e) + base, base, overlap=True)
        if self.params.detect_dropouts:
            for s, e in dropout_runs(chunk, self.sr, self.params):
                self._join(self.dropouts, int(s) + o, int(e) + o, o, overlap=False)
        self.offset += len(chunk)
        self.last = float(chunk[-1])
        self.silences = self._prune(self.silences)
        self.dropouts = self._prune(self.dropouts)

    def _join(self, found: list[list[int]], start: int, stop: int, base: int, overlap: bool) -> None:
        """Add a run found in the chunk starting at sample ``base``; one that continues the previous run joins it
        (equal-sample runs share the sample before the cut, dropout frames touch it)."""
        last = found[-1][1] if found else -1
        if start == base and (last > base if overlap else last == base):
            found[-1][1] = stop
        else:
            found.append([start, stop])

    def _prune(self, found: list[list[int]]) -> list[list[int]]:
        """Drop finished runs too short to be gaps (a quiet 16-bit recording holds many)."""
        return [r for r in found if r[1] - r[0] >= self.min_len or r[1] >= self.offset]

    def gaps(self) -> list[Gap]:
        """The merged gaps, once the whole channel has been pushed."""
        found = [(s, e, "silence") for s, e in self.silences if e - s >= self.min_len]
        found += [(s, e, "dropout") for s, e in self.dropouts if e - s >= self.min_len]
        return merge_gaps(found)
