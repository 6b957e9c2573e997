"""Linear prediction: Burg's method (one signal or a batch of blocks), AR extrapolation, LSAR interpolation.

Convention: the prediction-error filter is ``a = [1, a_1, ..., a_p]`` so that
``e[n] = sum_k a_k x[n-k]`` and the prediction is ``x_hat[n] = -sum_{k>=1} a_k x[n-k]``.
Burg's recursion yields a minimum-phase ``a`` (all reflection coefficients |k| < 1), so the
all-pole extrapolation used for inpainting never blows up.
"""

from __future__ import annotations

import numpy as np

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
    ef, eb = x.copy(), x.copy()
    scratch = np.empty_like(x)
    for i in range(order):
        f, b = ef[:, i + 1 :], eb[:, : length - i - 1]  # the errors shrink by one sample per order, in place
        num = -2.0 * np.einsum("ij,ij->i", f, b)
        den = np.einsum("ij,ij->i", f, f) + np.einsum("ij,ij->i", b, b)
        k = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-300)
        k = np.clip(k, -0.999999, 0.999999)[:, None]
        a[:, : i + 2] = a[:, : i + 2] + k * a[:, i + 1 :: -1]
        old_f = scratch[:, : f.shape[1]]
        np.copyto(old_f, f)
        f += k * b
        b += k * old_f
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
    return extrapolate_batch(np.asarray(context, dtype=np.float64)[None, :], np.asarray(a)[None, :], n)[0]


def extrapolate_batch(context: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """Continue every row of ``context`` (B, N) by ``n`` samples with its own model row of ``a`` (B, p+1)."""
    p = a.shape[1] - 1
    if context.shape[1] < p:
        raise ValueError(f"need at least {p} context samples to extrapolate, got {context.shape[1]}")
    history = np.zeros((a.shape[0], p + n))
    history[:, :p] = context[:, context.shape[1] - p :]
    taps = a[:, :0:-1]  # a_p .. a_1, aligned with x[t-p] .. x[t-1]
    for t in range(n):
        history[:, p + t] = -np.einsum("ij,ij->i", taps, history[:, t : t + p])
    return history[:, p:]


def fill_gaps(lefts: np.ndarray, rights: np.ndarray, length: int, order: int) -> np.ndarray:
    """Burg-LPC forward prediction from each row of ``lefts`` (B, L) and backward from ``rights`` (B, R),
    squared-cosine blended: ``length`` samples per row. Rows of zero width give no prediction from that side."""
    lefts, rights = np.asarray(lefts, dtype=np.float64), np.asarray(rights, dtype=np.float64)
    p_left, p_right = min(order, lefts.shape[1] // 2), min(order, rights.shape[1] // 2)
    fwd = extrapolate_batch(lefts, burg_batch(lefts, p_left), length) if p_left >= 1 else None
    rev = rights[:, ::-1]
    bwd = extrapolate_batch(rev, burg_batch(rev, p_right), length)[:, ::-1] if p_right >= 1 else None
    if fwd is None or bwd is None:
        return fwd if fwd is not None else bwd if bwd is not None else np.zeros((len(lefts), length))
    w_bwd, w_fwd = crossfade(length)
    return w_fwd * fwd + w_bwd * bwd


def fill_gap(left: np.ndarray, right: np.ndarray, length: int, order: int) -> np.ndarray:
    """Burg-LPC forward prediction from ``left`` and backward from ``right``, squared-cosine blended."""
    return fill_gaps(np.asarray(left)[None, :], np.asarray(right)[None, :], length, order)[0]


def _clusters(unknown: np.ndarray, p: int) -> list[np.ndarray]:
    """Split sorted unknown indices into groups whose normal equations do not couple (gaps > p)."""
    if len(unknown) == 0:
        return []
    cuts = np.flatnonzero(np.diff(unknown) > p) + 1
    return np.split(unknown, cuts)


def spd_solve(R: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve symmetric positive-definite systems R (K, M, M) x = b (K, M) by a batched Cholesky in einsum.

    Used for the larger LSAR systems: LAPACK's threaded solve of one 100-300 unknown matrix can take a
    second on a loaded machine (its threads spin for cores other processes hold), this takes milliseconds.
    """
    K, M = b.shape
    L = np.zeros_like(R)
    for j in range(M):
        d = np.sqrt(np.maximum(R[:, j, j] - np.einsum("ki,ki->k", L[:, j, :j], L[:, j, :j]), 1e-300))
        L[:, j, j] = d
        L[:, j + 1 :, j] = (R[:, j + 1 :, j] - np.einsum("kri,ki->kr", L[:, j + 1 :, :j], L[:, j, :j])) / d[:, None]
    y = np.zeros_like(b)
    for j in range(M):
        y[:, j] = (b[:, j] - np.einsum("ki,ki->k", L[:, j, :j], y[:, :j])) / L[:, j, j]
    x = np.zeros_like(b)
    for j in range(M - 1, -1, -1):
        x[:, j] = (y[:, j] - np.einsum("ki,ki->k", L[:, j + 1 :, j], x[:, j + 1 :])) / L[:, j, j]
    return x


def lsar_interpolate(x: np.ndarray, mask: np.ndarray, c: np.ndarray, n_block: int) -> np.ndarray:
    """Replace ``x[mask]`` by the least-squares AR interpolation given the block models ``c`` (B, p+1)."""
    x = np.asarray(x, dtype=np.float64)
    p = c.shape[1] - 1
    unknown = np.flatnonzero(mask)
    y = x.copy()
    if len(unknown) == 0:
        return y
    x0 = x.copy()
    x0[unknown] = 0.0
    x0p = np.pad(x0, (p, p))
    taps = np.concatenate([c[:, :0:-1], c], axis=1)  # lags -p..p, symmetric
    offsets = np.arange(-p, p + 1)
    groups = _clusters(unknown, p)
    sizes = np.array([len(g) for g in groups])
    step = np.where(sizes <= 64, 8, 32)  # fine buckets: padding costs (size^3) in the batched solve
    bucket = np.maximum(8, -(-sizes // step) * step)
    for size in np.unique(bucket):
        members = [groups[i] for i in np.flatnonzero(bucket == size)]
        per_chunk = max(1, 4_000_000 // (size * max(size, 2 * p + 1)))
        for start in range(0, len(members), per_chunk):
            chunk = members[start : start + per_chunk]
            idx = np.empty((len(chunk), size), dtype=np.int64)
            valid = np.zeros((len(chunk), size), dtype=bool)
            for k, g in enumerate(chunk):
                idx[k, : len(g)] = g
                idx[k, len(g) :] = g[0]
                valid[k, : len(g)] = True
            rows = np.minimum(idx[:, 0] // n_block, c.shape[0] - 1)
            lag = np.abs(idx[:, :, None] - idx[:, None, :])
            cc = c[rows]
            R = np.where(lag <= p, np.take_along_axis(cc[:, None, :], np.minimum(lag, p), axis=2), 0.0)
            both = valid[:, :, None] & valid[:, None, :]
            R = np.where(both, R, 0.0)
            R[:, np.arange(size), np.arange(size)] = np.where(valid, R[:, np.arange(size), np.arange(size)], 1.0)
            window = x0p[idx[:, :, None] + p + offsets[None, None, :]]
            rhs = np.where(valid, np.einsum("kmj,kj->km", window, taps[rows]), 0.0)
            R[:, np.arange(size), np.arange(size)] *= 1.0 + 1e-9  # diagonal loading: near-singular models
            with np.errstate(all="ignore"):
                sol = -(np.linalg.solve(R, rhs[..., None])[..., 0] if size <= 48 else spd_solve(R, rhs))
            solved = valid & np.isfinite(sol).all(axis=1, keepdims=True)  # a failed system keeps its samples
            y[idx[solved]] = sol[solved]
    return y
