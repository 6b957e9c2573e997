"""Which AR prediction-error bursts are clicks and which are the music (attacks, plucks, consonants).

A click is short, impulsive and leaves the signal as it found it; an attack is also a burst of prediction
error, but the music after it is louder than before (it persists), and the error stays raised while the
new sound settles. So, after Vaseghi and Godsill & Rayner, the forward and backward errors of a block AR
model are measured against a *local* robust scale (1.4826 x the median |error| of ``frame_s`` frames,
median-filtered over ``scale_s``): a candidate is where both exceed ``threshold`` (the intersection
localises it, :func:`noisekit.denoiser.classical.declick.detect`). Each candidate is then judged by its
surroundings, ``context_s`` before and after it, clear of the p samples the error smears over:

- its peak error is divided by the larger of the local, before and after scales: an error that the
  music after the event keeps up (a new note, a noise onset) is no outlier against it;
- the signal's level (median |x|, robust to other clicks) after it against before it: a rise of more than
  ``rise_db`` is an attack and is left alone unless the peak is ``strong`` times over the threshold
  (a click landing on an onset still stands out that much; a real attack's error does not), and never when
  the level rises by more than ``onset_db`` (a note out of silence: a click lands on silence without raising
  the median level after it).

The threshold itself follows the shape of the error's distribution (:func:`threshold_map`): where the error is
near-Gaussian (hiss, a disc's surface noise, dense textures) a click at ``gauss_threshold`` sigmas is already a
once-in-millions event, where it is heavy-tailed (the excitation of sparse, percussive music) ``threshold`` holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter


@dataclass(frozen=True)
class EventRule:
    """The scales and limits of the click-or-music decision (durations in seconds, levels in dB)."""

    threshold: float = 10.0
    gauss_threshold: float = 6.0
    shape_s: float = 0.2
    gauss_shape: tuple[float, float] = (2.6, 3.0)  # q90/q50 of |e|: 2.44 for Gaussian noise, > 3 when heavy-tailed
    frame_s: float = 0.0025
    scale_s: float = 0.0225
    context_s: float = 0.01
    rise_db: float = 6.0
    strong: float = 4.0
    onset_db: float = 20.0
    floor: float = 3e-5  # ~ -90 dBFS: the scale of a quantised, dithered silence is never taken below it


@dataclass
class Events:
    """Candidate runs ``[start, stop)`` (K, 2), whether each is a click, its strength and the level change."""

    found: np.ndarray
    is_click: np.ndarray
    strength: np.ndarray
    rise_db: np.ndarray


def frame_medians(v: np.ndarray, hop: int) -> np.ndarray:
    """Median |v| of consecutive ``hop``-sample frames (the last partial frame included)."""
    n_frames = -(-len(v) // hop)
    padded = np.full(n_frames * hop, np.nan)
    padded[: len(v)] = np.abs(v)
    return np.nanmedian(padded.reshape(n_frames, hop), axis=1)


def local_scale(e: np.ndarray, hop: int, width: int, floor: float) -> np.ndarray:
    """Per-frame robust standard deviation of ``e``, median-filtered over ``width`` frames."""
    return np.maximum(median_filter(1.4826 * frame_medians(e, hop), size=width, mode="nearest"), floor)


def threshold_map(e: np.ndarray, rule: EventRule, sr: int) -> np.ndarray:
    """Per-sample detection threshold: ``gauss_threshold`` where |e| is near-Gaussian, ``threshold`` where heavy-tailed.

    The shape is q90/q50 of |e| over windows of ``shape_s`` (2.44 for Gaussian noise; sparse clicks move the
    90th percentile little), mapped linearly from ``gauss_shape[0]`` (low threshold) to ``gauss_shape[1]``.
    """
    win = max(16, int(round(rule.shape_s * sr)))
    n_win = -(-len(e) // win)
    padded = np.full(n_win * win, np.nan)
    padded[: len(e)] = np.abs(e)
    q50, q90 = np.nanpercentile(padded.reshape(n_win, win), [50, 90], axis=1)
    shape = q90 / np.maximum(q50, 1e-30)
    lo, hi = rule.gauss_shape
    t = np.clip((shape - lo) / (hi - lo), 0.0, 1.0)
    low = min(rule.gauss_threshold, rule.threshold)  # a threshold set below 6 holds everywhere
    per_window = low + t * (rule.threshold - low)
    centres = (np.arange(n_win) + 0.5) * win
    return np.interp(np.arange(len(e)), centres, per_window)


def judge(
    x: np.ndarray,
    e_fwd: np.ndarray,
    e_bwd: np.ndarray,
    found: np.ndarray,
    order: int,
    sr: int,
    rule: EventRule,
    thresholds: np.ndarray | None = None,
) -> Events:
    """Decide for each candidate run of ``found`` whether it is a click (see the module docstring).

    ``thresholds`` is the per-sample threshold (:func:`threshold_map`); without it ``rule.threshold`` holds.
    """
    hop = max(1, int(round(rule.frame_s * sr)))
    width = max(1, int(round(rule.scale_s * sr / hop))) | 1
    span = max(1, int(round(rule.context_s * sr / hop)))
    scale = local_scale(e_fwd, hop, width, rule.floor)
    level = median_filter(frame_medians(x, hop), size=span | 1, mode="nearest")
    lit = median_filter(scale, size=span | 1, mode="nearest")
    last = len(scale) - 1
    first_f = found[:, 0] // hop
    stop_f = (found[:, 1] - 1) // hop
    gap = -(-order // hop)
    before = np.clip(first_f - gap - span // 2 - 1, 0, last)
    after = np.clip(stop_f + gap + span // 2 + 1, 0, last)
    peak = np.array([min(np.abs(e_fwd[s:t]).max(), np.abs(e_bwd[s:t]).max()) for s, t in found])
    around = np.maximum.reduce([scale[first_f], scale[np.minimum(stop_f, last)], lit[before], lit[after]])
    strength = peak / around if len(found) else np.zeros(0)
    tiny = 1e-12
    rise = 20 * np.log10((level[after] + tiny) / (level[before] + tiny)) if len(found) else np.zeros(0)
    limit = rule.threshold if thresholds is None else thresholds[found[:, 0]] if len(found) else np.zeros(0)
    onset = (rise > rule.rise_db) & ((strength <= rule.strong * limit) | (rise > rule.onset_db))
    is_click = (strength > limit) & ~onset
    return Events(found, is_click, strength, rise)
