"""Linear prediction: Burg's method (one signal or a batch of blocks) and AR extrapolation.

Convention: the prediction-error filter is ``a = [1, a_1, ..., a_p]`` so that
``e[n] = sum_k a_k x[n-k]`` and the prediction is ``x_hat[n] = -sum_{k>=1} a_k x[n-k]``.
Burg's recursion yields a minimum-phase ``a`` (all reflection coefficients |k| < 1), so the
all-pole extrapolation used for inpainting never blows up.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter, lfiltic

from noisekit.signal import crossfade


def burg_batch(blocks: np.ndarray, order: int) -> np.ndarray:
    """Burg AR coefficients of every row of ``blocks`` (B, N) at once; vectorised over rows."""
    x = np.asarray(blocks, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"burg_batch needs a 2-D array (blocks, samples), got shape {x.shape}")
    n_blocks, length = x.shape
    if order < 1 or order >= length:
        raise ValueError(f"AR order {order} must be in [1, {length - 1}] for blocks of {length} samples")
    a = np.zeros((n_blocks, order + 1))
    a[:, 0] = 1.0
    ef = x.copy()
    eb = x.copy()
    for i in range(order):
        f = ef[:, 1:]
        b = eb[:, :-1]
        num = -2.0 * np.einsum("ij,ij->i", f, b)
        den = np.einsum("ij,ij->i", f, f) + np.einsum("ij,ij->i", b, b)
        k = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-300)
        k = np.clip(k, -0.999999, 0.999999)[:, None]
        a[:, : i + 2] = a[:, : i + 2] + k * a[:, i + 1 :: -1]
        ef, eb = f + k * b, b + k * f
    return a


def burg(x: np.ndarray, order: int) -> np.ndarray:
    """Burg AR coefficients ``[1, a_1..a_p]`` of a 1-D signal (min-phase, so extrapolation is stable)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"burg needs a 1-D signal, got shape {x.shape}")
    return burg_batch(x[None, :], order)[0]


def coefficient_autocorrelation(a: np.ndarray) -> np.ndarray:
    """Lags 0..p of the autocorrelation of each coefficient row: the taps of A(1/z)A(z) (the LSAR normal matrix)."""
    a = np.atleast_2d(a)
    p = a.shape[1] - 1
    c = np.empty_like(a)
    for lag in range(p + 1):
        c[:, lag] = np.einsum("ij,ij->i", a[:, : p + 1 - lag], a[:, lag:])
    return c


def extrapolate(context: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """Continue ``context`` by ``n`` samples with the all-pole model ``1/A(z)`` (zero excitation)."""
    context = np.asarray(context, dtype=np.float64)
    p = len(a) - 1
    if len(context) < p:
        raise ValueError(f"need at least {p} context samples to extrapolate, got {len(context)}")
    past = context[::-1][:p]
    zi = lfiltic([1.0], a, y=past)
    out, _ = lfilter([1.0], a, np.zeros(n), zi=zi)
    return out


def fill_gap(left: np.ndarray, right: np.ndarray, length: int, order: int) -> np.ndarray:
    """Burg-LPC forward prediction from ``left`` and backward from ``right``, squared-cosine blended."""
    p_left = min(order, len(left) // 2)
    p_right = min(order, len(right) // 2)
    w_bwd, w_fwd = crossfade(length)
    fwd = extrapolate(left, burg(left, p_left), length) if p_left >= 1 else np.zeros(length)
    rev = np.asarray(right, dtype=np.float64)[::-1]
    bwd = extrapolate(rev, burg(rev, p_right), length)[::-1] if p_right >= 1 else np.zeros(length)
    if p_left < 1:
        return bwd
    if p_right < 1:
        return fwd
    return w_fwd * fwd + w_bwd * bwd
