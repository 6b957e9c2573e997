"""Click removal: AR-model detection and least-squares AR interpolation (Vaseghi; Godsill & Rayner; Janssen).

For every block of ``block_s`` seconds an AR(p) model ``A(z)`` is fitted with Burg's method. The detection
statistic is the two-sided prediction error ``r = A(1/z)A(z) x``: an impulse of height d at n0 gives
``r[n0] = d * sum(a_k^2)``, better localised and about ``sqrt(sum a_k^2)`` times more detectable than the
one-sided error. Samples where ``|r|`` exceeds ``threshold`` robust standard deviations (median absolute
deviation of ``r`` in the block) are flagged, the flags are dilated, and the flagged samples are replaced by
the values that minimise the prediction-error energy ``||A x||^2`` given the other samples (LSAR):
``R_UU x_U = -(C x_0)_U`` with ``C`` the Toeplitz matrix of the coefficient autocorrelation. Flagged runs
separated by more than p samples are independent systems; they are solved in batches of equal padded size.
Detections that recur at a pitch period (five in a row, equally spaced) are a periodic waveform's sharp
feature, not surface damage, and are dropped (``reject_periodic``).
Which error bursts are clicks and which are the music (an attack persists, a click does not) is decided
against a local robust scale in ``noisekit.denoiser.classical.clickdetect``; a confirmed core is grown to
the run where both errors exceed ``extent_threshold`` (a click's tail).
Detection and interpolation are repeated ``n_iter`` times, re-fitting the model on the restored signal.
A contiguous run longer than ``2 p`` (merged crackle, a short scratch) is beyond what an order-p LSAR
bridges well (the estimate sags toward zero mid-gap); such runs are refilled like inpainting gaps, with
higher-order Burg predictions from both sides (``long_order``) blended by a squared-cosine crossfade.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import binary_dilation

from noisekit.denoiser.classical.clickdetect import EventRule, Events, judge, local_scale, threshold_map
from noisekit.denoiser.classical.lpc import burg_batch, coefficient_autocorrelation, fill_gaps, lsar_interpolate
from noisekit.denoiser.classical.spectral import check_signal
from noisekit.errors import ConfigError
from noisekit.signal import runs


@dataclass(frozen=True)
class DeclickParams:
    """Tunable parameters of the detector and interpolator (all durations in seconds)."""

    order: int = 32
    block_s: float = 0.05
    threshold: float = 10.0
    gauss_threshold: float = 6.0  # "local" only: the threshold where the error is near-Gaussian (hiss)
    detector: str = "local"  # "local": local scale and the click-or-music test (clickdetect); "block": block MAD
    extent_threshold: float = 3.0
    refill_over: int = 8
    rise_db: float = 6.0
    strong: float = 4.0
    onset_db: float = 20.0
    dilate_s: float = 0.0001
    max_click_s: float = 0.005
    n_iter: int = 2
    long_order: int = 256
    merge_s: float = 0.0
    reject_periodic: bool = True
    min_roughness: float = 5e-4  # a repair whose departure is smoother than this is the music's swing: undone
    pitch_hz: tuple[float, float] = (50.0, 1000.0)

    def validate(self) -> None:
        """Raise ValueError for parameters that cannot work."""
        if self.order < 1 or self.long_order < 1:
            raise ConfigError(f"declick order and long_order must be >= 1, got {self.order}, {self.long_order}")
        if self.threshold <= 0 or self.gauss_threshold <= 0:
            raise ConfigError(f"declick thresholds must be > 0, got {self.threshold}, {self.gauss_threshold}")
        if self.detector not in ("local", "block"):
            raise ConfigError(f"declick detector must be 'local' or 'block', got {self.detector!r}")
        if self.n_iter < 1:
            raise ConfigError(f"declick n_iter must be >= 1, got {self.n_iter}")
        if self.block_s <= 0 or self.max_click_s <= 0 or self.dilate_s < 0:
            raise ConfigError("declick block_s and max_click_s must be > 0 and dilate_s >= 0")


@dataclass
class DeclickResult:
    """Restored signal, the mask of replaced samples and the runs found (``[start, stop)`` sample ranges)."""

    audio: np.ndarray
    mask: np.ndarray
    clicks: np.ndarray
    too_long: np.ndarray
    stats: dict = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # per click: "lsar" (short, AR interpolation) or "refill"


def close_gaps(mask: np.ndarray, longest: int) -> np.ndarray:
    """Fill interior False runs of at most ``longest`` samples: detections that close are one event."""
    out = mask.copy()
    for start, stop in runs(~mask):
        if start > 0 and stop < len(mask) and stop - start <= longest:
            out[start:stop] = True
    return out


def block_len(sr: int, params: DeclickParams) -> int:
    """Samples per AR model block: ``block_s`` at ``sr``, never under four times the order (the streaming
    restore aligns its cells to it, so a click is judged on the same blocks whichever cell sees it)."""
    return max(int(round(params.block_s * sr)), 4 * params.order)


def fit_block_models(x: np.ndarray, n_block: int, order: int) -> np.ndarray:
    """Burg AR coefficients (B, p+1) of consecutive blocks of ``x`` (the last one zero-padded)."""
    n_blocks = -(-len(x) // n_block)
    padded = np.zeros(n_blocks * n_block)
    padded[: len(x)] = x
    return burg_batch(padded.reshape(n_blocks, n_block), order)


def block_fir(x: np.ndarray, taps: np.ndarray, lag0: int, n_block: int) -> np.ndarray:
    """``y[n] = sum_j taps[b, j] x[n + j - lag0]`` with block b's own taps (B, L), for every sample of ``x``."""
    n_blocks, n_taps = taps.shape
    pad = n_taps - 1
    xp = np.zeros(n_blocks * n_block + 2 * pad)
    xp[pad : pad + len(x)] = x
    frames = sliding_window_view(xp, n_block + 2 * pad)[::n_block][:n_blocks]
    y = np.zeros((n_blocks, n_block))
    for j in range(n_taps):
        shift = pad + j - lag0
        y += taps[:, j : j + 1] * frames[:, shift : shift + n_block]
    return y.reshape(-1)[: len(x)]


def _robust_z(e: np.ndarray, n_block: int, floor: float) -> np.ndarray:
    """``|e|`` divided by its block's robust standard deviation (1.4826 x median absolute value)."""
    n_blocks = -(-len(e) // n_block)
    flat = np.zeros(n_blocks * n_block)
    flat[: len(e)] = np.abs(e)
    eb = flat.reshape(n_blocks, n_block)
    sigma = np.maximum(1.4826 * np.median(eb, axis=1), floor)
    return (eb / sigma[:, None]).reshape(-1)[: len(e)]


def detect(x: np.ndarray, a: np.ndarray, n_block: int, threshold: float, tolerance: int = 2) -> np.ndarray:
    """Samples near which both the forward and the backward prediction errors exceed ``threshold`` robust sigmas.

    A click at n0..n1 drives the forward error from n0 on and the backward error up to n1 (each alone would
    smear detections p samples to one side), so the intersection of the two masks, each widened by
    ``tolerance`` samples (the errors peak a sample or two off the click edge), localises it.
    """
    p = a.shape[1] - 1
    floor = 1e-7 * max(float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0, 1e-12)
    z_fwd = _robust_z(block_fir(x, a[:, ::-1], p, n_block), n_block, floor)
    z_bwd = _robust_z(block_fir(x, a, 0, n_block), n_block, floor)
    widen = np.ones(2 * tolerance + 1, dtype=bool)
    fwd = binary_dilation(z_fwd > threshold, structure=widen)
    bwd = binary_dilation(z_bwd > threshold, structure=widen)
    return fwd & bwd


def periodic_runs(found: np.ndarray, min_lag: int, max_lag: int, chain: int = 5) -> np.ndarray:
    """Which runs belong to a chain of ``chain`` equally spaced runs (the spacing a pitch period in samples).

    A sharp feature of a periodic waveform (the edge of a bowed or reed tone) defeats the AR model once per
    period, at the same phase, for as long as the note lasts; surface clicks do not repeat at a pitch period.
    A chain of five (not three) keeps dense crackle, where equal spacings occur by chance, from being dropped.
    """
    centers = (found[:, 0] + found[:, 1]) // 2
    periodic = np.zeros(len(centers), dtype=bool)
    if len(centers) < chain:
        return periodic

    def present(targets: np.ndarray, tol: int) -> np.ndarray:
        pos = np.clip(np.searchsorted(centers, targets - tol), 0, len(centers) - 1)
        return np.abs(centers[pos] - targets) <= tol

    for k in range(1, len(centers)):
        d = centers[k:] - centers[:-k]
        if d.min() > max_lag:
            break
        i = np.flatnonzero((d > min_lag) & (d <= max_lag))
        if not len(i):
            continue
        c, step = centers[i], d[i]
        length = np.full(len(i), 2)
        for sign, first in ((1, 2), (-1, 1)):
            alive = np.ones(len(i), dtype=bool)
            for m in range(first, first + chain - 2):
                alive &= present(c + sign * m * step, 1 + m // 3)
                length += alive
        hit = length >= chain
        periodic[i[hit]] = True
        periodic[i[hit] + k] = True
    return periodic


REFILL_CONTEXT_S = 0.05


def _fills(y: np.ndarray, spans: list[tuple[int, int]], order: int, sr: int) -> list[np.ndarray | None]:
    """Two-sided Burg predictions of ``y[start:stop]`` for every span from its context (None without 16
    samples on either side); spans with equal widths and context lengths are predicted in one batch."""
    jobs: dict[tuple[int, int, int], list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for i, (start, stop) in enumerate(spans):
        ctx = max(4 * (stop - start), int(REFILL_CONTEXT_S * sr), 2 * order)
        left, right = y[max(0, start - ctx) : start], y[stop : stop + ctx]
        if len(left) < 16 and len(right) < 16:
            continue
        left, right = (left if len(left) >= 16 else left[:0]), (right if len(right) >= 16 else right[:0])
        jobs.setdefault((len(left), len(right), stop - start), []).append((i, left, right))
    out: list[np.ndarray | None] = [None] * len(spans)
    for (_, _, width), group in jobs.items():
        filled = fill_gaps(np.stack([g[1] for g in group]), np.stack([g[2] for g in group]), width, order)
        for (i, _, _), row in zip(group, filled, strict=True):
            out[i] = row
    return out


def _refill_long_runs(
    x: np.ndarray, y: np.ndarray, found: np.ndarray, longer_than: int, order: int, sr: int
) -> tuple[np.ndarray, np.ndarray]:
    """Refill runs longer than ``longer_than`` from both sides; keep a fill only where it beats the click.

    Replacing a run trades the click's error for the fill's. The fill's error is estimated by filling a
    stretch of the same width just before and just after the run, where the signal is known; where the data
    differ from the fill by less than twice that (the click is smaller than the fill's own error), the run is
    left as it was. All fills are predicted from ``y`` as given (batched: one Burg fit per width and context
    length, not one per run). Returns the signal and which runs were kept.
    """
    long_runs = [(i, int(a), int(b)) for i, (a, b) in enumerate(found) if b - a > longer_than]
    spans, probes = [], []
    for _, start, stop in long_runs:
        width = stop - start
        spans.append((start, stop))
        near = [s for s in (start - 2 * width - 16, stop + width + 16) if s >= 16 and s + width + 16 <= len(y)]
        probes.append(near)
        spans += [(s, s + width) for s in near]
    predicted = _fills(y, spans, order, sr)
    out = y.copy()
    kept = np.ones(len(found), dtype=bool)
    k = 0
    for (i, start, stop), near in zip(long_runs, probes, strict=True):
        guess, tried = predicted[k], predicted[k + 1 : k + 1 + len(near)]
        k += 1 + len(near)
        if guess is None:
            continue
        errors = [np.sum((p - y[s : s + stop - start]) ** 2) for s, p in zip(near, tried, strict=True) if p is not None]
        if errors and np.sum((x[start:stop] - guess) ** 2) <= 2 * np.mean(errors):
            out[start:stop] = x[start:stop]
            kept[i] = False
        else:
            out[start:stop] = guess
    return out, kept


def _candidates(
    x: np.ndarray, a: np.ndarray, sr: int, params: DeclickParams, ignore: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, Events]:
    """Extent mask (hysteresis at ``extent_threshold``), candidate runs and the click-or-music verdict on each."""
    p, n_block = a.shape[1] - 1, block_len(sr, params)
    rule = EventRule(
        threshold=params.threshold,
        gauss_threshold=params.gauss_threshold,
        rise_db=params.rise_db,
        strong=params.strong,
        onset_db=params.onset_db,
    )
    e_fwd = block_fir(x, a[:, ::-1], p, n_block)
    e_bwd = block_fir(x, a, 0, n_block)
    hop = max(1, int(round(rule.frame_s * sr)))
    width = max(1, int(round(rule.scale_s * sr / hop))) | 1
    scale = np.repeat(local_scale(e_fwd, hop, width, rule.floor), hop)[: len(x)]
    widen = np.ones(5, dtype=bool)

    def both_exceed(level: float | np.ndarray) -> np.ndarray:
        over = binary_dilation(np.abs(e_fwd) > level * scale, structure=widen)
        return over & binary_dilation(np.abs(e_bwd) > level * scale, structure=widen)

    if params.detector == "block":
        hits = detect(x, a, n_block, params.threshold)
        extent = hits.copy()
        limits = None
    else:
        limits = threshold_map(e_fwd, rule, sr)
        hits = both_exceed(limits)
        extent = both_exceed(params.extent_threshold) | hits
    dilate = int(round(params.dilate_s * sr))
    if dilate:
        extent = binary_dilation(extent, structure=np.ones(2 * dilate + 1, dtype=bool))
    extent = close_gaps(extent, int(round(params.merge_s * sr)))
    if ignore is not None:
        hits &= ~np.asarray(ignore, dtype=bool)
        extent &= ~np.asarray(ignore, dtype=bool)
    found = runs(hits)
    if params.detector == "block":
        return extent, found, Events(found, np.ones(len(found), bool), np.zeros(len(found)), np.zeros(len(found)))
    return extent, found, judge(x, e_fwd, e_bwd, found, p, sr, rule, limits)


def roughness(departure: np.ndarray) -> float:
    """``|Δ²d|² / 16|d|²`` of a repair's departure ``d`` (data minus fill): ``sin⁴(πf/sr)`` for a tone at f.

    A click reaches the top of the band (planted and real ones: 10⁻³ and up); a departure whose energy lies
    below about sr/21 (2.1 kHz at 44.1 kHz: under 5·10⁻⁴) is a swing of the music, a kick drum's stroke that
    the threshold took for a click, which a fill would only replace by a worse guess.
    """
    d = np.asarray(departure, dtype=np.float64)
    energy = float(d @ d)
    if energy <= 0.0 or len(d) < 3:
        return 1.0
    curve = np.diff(d, 2)
    return float(curve @ curve) / (16.0 * energy)


def grow(seeds: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """The runs of ``extent`` that contain a seed sample: a click's full width from its confirmed core."""
    spans = runs(extent)
    if not len(spans):
        return np.zeros(len(extent), dtype=bool)
    counts = np.array([seeds[s:e].any() for s, e in spans])
    out = np.zeros(len(extent), dtype=bool)
    for start, stop in spans[counts]:
        out[start:stop] = True
    return out


MUSIC_SAFE = DeclickParams()
"""The default: the detector that leaves clean music alone (issue #18), its threshold following the error's shape."""

BLOCK = DeclickParams(detector="block", threshold=5.0, long_order=128, refill_over=64)
"""The earlier block-MAD detector: finds faint clicks, but also "repairs" attacks in clean music."""


def declick(
    x: np.ndarray, sr: int, params: DeclickParams | None = None, ignore: np.ndarray | None = None
) -> DeclickResult:
    """Detect clicks in a 1-D signal and replace them by LSAR interpolation; ``ignore`` masks samples never touched."""
    params = params or DeclickParams()
    params.validate()
    x = check_signal(x, "declick")
    xd = x.astype(np.float64)
    n_block = block_len(sr, params)
    empty = np.zeros((0, 2), dtype=np.int64)
    if len(x) < 2 * n_block:
        return DeclickResult(
            x.copy(),
            np.zeros(len(x), bool),
            empty,
            empty,
            {"clicks": 0, "samples_replaced": 0, "note": "signal shorter than two blocks"},
        )
    max_len = max(1, int(round(params.max_click_s * sr)))
    restored = xd
    mask = np.zeros(len(x), dtype=bool)
    too_long = empty
    for _ in range(params.n_iter):
        a = fit_block_models(restored, n_block, params.order)
        c = coefficient_autocorrelation(a)
        extent, found, events = _candidates(xd, a, sr, params, ignore)
        seeds = np.zeros(len(x), dtype=bool)
        for start, stop in found[events.is_click]:
            seeds[start:stop] = True
        mask = grow(seeds, extent)
        grown = runs(mask)
        long_runs = (grown[:, 1] - grown[:, 0]) > max_len
        too_long = grown[long_runs]
        grown = grown[~long_runs]
        if params.reject_periodic and len(grown):
            lags = sorted(int(sr / f) for f in params.pitch_hz)
            long_runs[~long_runs] = periodic_runs(grown, lags[0], lags[1])
        for start, stop in runs(mask)[long_runs]:
            mask[start:stop] = False
        restored = lsar_interpolate(xd, mask, c, n_block)
    clicks = runs(mask)
    restored, kept = _refill_long_runs(xd, restored, clicks, params.refill_over, params.long_order, sr)
    for start, stop in clicks[~kept]:
        mask[start:stop] = False
    clicks = clicks[kept]
    smooth = np.array([roughness(xd[s:e] - restored[s:e]) < params.min_roughness for s, e in clicks], dtype=bool)
    for start, stop in clicks[smooth]:
        mask[start:stop] = False
    clicks = clicks[~smooth]
    kinds = ["refill" if stop - start > params.refill_over else "lsar" for start, stop in clicks]
    out = x.copy()
    out[mask] = restored[mask].astype(x.dtype)
    stats = {
        "clicks": int(len(clicks)),
        "samples_replaced": int(mask.sum()),
        "too_long": int(len(too_long)),
        "clicks_per_s": float(len(clicks) / (len(x) / sr)),
    }
    return DeclickResult(out, mask, clicks, too_long, stats, kinds)
