"""Where a synthetic side's programme can be heard over its surface noise: the noise-only truth a listener marks.

A side's exact truth (``SyntheticSide.noise_intervals``) calls a stretch noise-only only where the music is
exactly 0.0, so the last seconds of a reverberation tail or a fade, 60 dB under the surface noise, count as
programme although no listener, labeller or detector can tell them from the noise. The *audible* truth
compares the two components band by band instead: a short frame holds programme where, in any of
``BANDS`` bands (50 Hz to 16 kHz, log-spaced), the music's power comes within ``below_db`` of the noise's
local power (its running median over ``NOISE_SPAN_S``, so that a click does not mask the music around it).
Every exact-zero stretch is inside the audible truth, which only adds the sub-audible ends of programme.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from noisekit.signal import runs

#: programme more than this far below the surface noise in every band is inaudible
AUDIBLE_BELOW_DB = 30.0
BANDS = 24
FRAME = 2048  # samples per analysis frame (46 ms at 44.1 kHz)
HOP = 512
NOISE_SPAN_S = 0.5


def _band_power(x: np.ndarray, sr: int) -> np.ndarray:
    """(frames, BANDS) mean band power of ``x`` (channels, n), averaged over channels; Hann frames every HOP.

    The signal is zero-padded at the end so that the frames cover every sample.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    n = x.shape[1]
    frames = 1 + -(-max(0, n - FRAME) // HOP)
    x = np.pad(x, ((0, 0), (0, FRAME + (frames - 1) * HOP - n)))
    freqs = np.fft.rfftfreq(FRAME, 1.0 / sr)
    edges = np.geomspace(50.0, min(16000.0, 0.5 * sr), BANDS + 1)
    band = np.searchsorted(edges, freqs, side="right") - 1
    weights = (band[:, None] == np.arange(BANDS)[None, :]).astype(np.float32)
    weights /= np.maximum(weights.sum(axis=0, keepdims=True), 1.0)
    window = np.hanning(FRAME).astype(np.float32)
    out = np.zeros((frames, BANDS))
    for ch in x:
        view = np.lib.stride_tricks.sliding_window_view(ch, FRAME)[::HOP][:frames]
        out += (np.abs(np.fft.rfft(view * window, axis=1)) ** 2) @ weights
    return out / x.shape[0]


def audible_frames(music: np.ndarray, noise: np.ndarray, sr: int, below_db: float = AUDIBLE_BELOW_DB) -> np.ndarray:
    """Per frame (starting at k·HOP samples, FRAME long): True where the music is audible over the noise."""
    pm, pn = _band_power(music, sr), _band_power(noise, sr)
    span = max(1, int(round(NOISE_SPAN_S * sr / HOP)))
    floor = ndimage.median_filter(pn, size=(span, 1), mode="nearest")
    return np.any(pm > floor * 10.0 ** (-below_db / 10.0), axis=1)


def inaudible_intervals(
    music: np.ndarray,
    noise: np.ndarray,
    sr: int,
    below_db: float = AUDIBLE_BELOW_DB,
    exact: list[tuple[float, float]] | None = None,
    min_s: float = 0.02,
) -> list[tuple[float, float]]:
    """Maximal (start_s, end_s) runs without audible programme, at least ``min_s`` long.

    A stretch of ``exact`` (the exact-zero intervals) is always kept: programme is never audible there.
    """
    n = np.atleast_2d(music).shape[1]
    loud = audible_frames(music, noise, sr, below_db)
    programme = np.zeros(n + 1, dtype=np.int32)  # +1 at an audible frame's start, -1 after its end
    starts = np.flatnonzero(loud) * HOP
    np.add.at(programme, starts, 1)
    np.add.at(programme, np.minimum(starts + FRAME, n), -1)
    quiet = np.cumsum(programme)[:n] == 0
    for a, b in exact or []:
        quiet[int(round(a * sr)) : int(round(b * sr))] = True
    return [(a / sr, b / sr) for a, b in runs(quiet, max(1, int(round(min_s * sr)))).tolist()]
