"""Is every second of a cut like the rest of it? Split cuts where they leave their own noise print.

The classifier hears one second at a time (with ±32 s of context), and a sustained, noise-like sound in the
programme (a cymbal wash, wind, a high string pad) can pass for hiss, so that one cut runs from a pause
through a piece into the run-out. Surface noise is steady along a groove: each cut is measured in 1-s
blocks, per band, as the median power of its 46-ms frames (clicks and crackle do not move a median), and its
**noise print** is a low percentile per band over its blocks. A block that lies more than ``max_excess_db``
over the print in any audible band is programme: the cut is split around it and the block is refused with
the band and the excess as the reason. The print is the cut's own, not the recording's: a disc's run-in and
run-out grooves may sound 10-20 dB apart in the top octave (worn lead-out grooves), and each is steady.
Thresholds: docs/extract.md ("Noise print").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BAND_EDGES_HZ = tuple(float(f) for f in np.geomspace(100.0, 16000.0, 17))
FRAME, HOP = 2048, 1024
FLOOR_DB = -120.0  # band power floor (empty bands of band-limited transfers)


@dataclass(frozen=True)
class PrintRules:
    """Thresholds of the noise-print check."""

    max_excess_db: float = 10.0  # a block this far over the cut's print in any band is not its noise
    percentile: float = 20.0  # the print: this percentile per band over the cut's blocks
    min_blocks: int = 4  # a cut of fewer blocks (about 4 s) has no print: it is not judged
    audible_range_db: float = 50.0  # bands of the print this far under its loudest band are not judged
    block_s: float = 1.0


def block_levels(mono: np.ndarray, sr: int, block_s: float = 1.0) -> np.ndarray:
    """(blocks, bands) median frame power in dB of each whole block of ``mono`` (a last partial block joins the
    one before it); (0, bands) for a signal shorter than one block."""
    block = int(round(block_s * sr))
    n_blocks = len(mono) // block
    bands = len(BAND_EDGES_HZ) - 1
    if n_blocks == 0:
        return np.zeros((0, bands))
    freqs = np.fft.rfftfreq(FRAME, 1.0 / sr)
    index = np.searchsorted(np.asarray(BAND_EDGES_HZ), freqs, side="right") - 1
    window = np.hanning(FRAME).astype(np.float32)
    out = np.full((n_blocks, bands), FLOOR_DB)
    for i in range(n_blocks):
        stop = len(mono) if i == n_blocks - 1 else (i + 1) * block
        x = np.asarray(mono[i * block : stop], dtype=np.float32)
        if len(x) < FRAME:
            continue
        frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP] * window
        power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        for k in range(bands):
            member = index == k
            if member.any():
                level = np.median(power[:, member].mean(axis=1))
                out[i, k] = max(10.0 * np.log10(level + 1e-30), FLOOR_DB)
    return out


def noise_print(levels: np.ndarray, rules: PrintRules) -> np.ndarray | None:
    """A cut's print (bands,) from its block levels; None when it has too few blocks to judge."""
    if len(levels) < rules.min_blocks:
        return None
    return np.percentile(levels, rules.percentile, axis=0)


def band_name(k: int) -> str:
    """Band ``k`` as text, e.g. '7.9-10.5 kHz'."""
    lo, hi = BAND_EDGES_HZ[k], BAND_EDGES_HZ[k + 1]
    return f"{lo / 1000:.1f}-{hi / 1000:.1f} kHz" if lo >= 1000 else f"{lo:.0f}-{hi:.0f} Hz"


def split_by_print(
    levels: np.ndarray, print_db: np.ndarray | None, n_samples: int, sr: int, rules: PrintRules
) -> list[tuple[int, int, str | None]]:
    """A cut of ``n_samples`` with block ``levels`` as pieces (start, end, reason): runs of blocks like the print
    (reason None) and runs of blocks over it (reason: the worst band and its excess)."""
    if print_db is None or len(levels) == 0:
        return [(0, n_samples, None)]
    judged = print_db >= print_db.max() - rules.audible_range_db
    excess = np.where(judged, levels - print_db, -np.inf)
    bad = excess.max(axis=1) > rules.max_excess_db
    block = int(round(rules.block_s * sr))
    pieces: list[tuple[int, int, str | None]] = []
    i = 0
    while i < len(bad):
        j = i
        while j + 1 < len(bad) and bad[j + 1] == bad[i]:
            j += 1
        start, end = i * block, n_samples if j == len(bad) - 1 else (j + 1) * block
        reason = None
        if bad[i]:
            worst = np.unravel_index(np.argmax(excess[i : j + 1]), excess[i : j + 1].shape)
            reason = (
                f"unlike the rest of its cut: {excess[i + worst[0], worst[1]]:.1f} dB over its noise print "
                f"at {band_name(int(worst[1]))} (more than {rules.max_excess_db:g} dB); programme, not surface noise"
            )
        pieces.append((start, end, reason))
        i = j + 1
    return pieces
