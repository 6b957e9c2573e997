"""Digital silence is not noise: find it in a cut so that it never enters a noise segment.

Transfers often hold exact zeros before the needle drops, after it lifts, or where an editor muted a
stretch. The classifier rightly hears no programme there, but a denoiser trained on "noise" that is
silent learns nothing, and a loop of it is not a noise texture.
"""

from __future__ import annotations

import math

import numpy as np

from noisekit.signal import runs

SILENCE_LEVEL = 2.0**-20  # about -120 dBFS: below the last bit of 16-bit audio, so only digital silence
MIN_SILENCE_S = 0.01


def sound_spans(
    cut: np.ndarray, sr: int, level: float = SILENCE_LEVEL, min_silence_s: float = MIN_SILENCE_S
) -> list[tuple[int, int]]:
    """Sample spans [a, b) of `cut` (channels, n) that are not digital silence (every channel below `level`
    for at least `min_silence_s`); the whole cut when it has none."""
    quiet = np.all(np.abs(np.atleast_2d(cut)) < level, axis=0)
    spans, pos = [], 0
    for a, b in runs(quiet, math.ceil(min_silence_s * sr)).tolist():
        if a > pos:
            spans.append((pos, int(a)))
        pos = int(b)
    if pos < quiet.size:
        spans.append((pos, int(quiet.size)))
    return spans
