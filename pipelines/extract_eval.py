"""Score an extract run against ground truth: purity and recall of noise.parquet on synthetic sides.

Held-out sides come from `noisekit.synth.side.synth_side` with seeds the classifier never trained on (its
training draws scenes from another seed namespace; evaluation seeds start at `HELDOUT_SEED_START`). Purity
is the fraction of extracted seconds that are truly noise-only; recall the fraction of the true
noise-only seconds, in runs of 2 s or more, that were extracted (noisekit.classifier.metrics definitions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import soundfile as sf

from noisekit.classifier.metrics import SegmentCounts, segment_counts

#: first seed of the held-out extract evaluation sides (never used by classifier training)
HELDOUT_SEED_START = 910_000


def heldout_seeds(n: int, start: int | None = None) -> list[int]:
    """`n` held-out side seeds, from the classifier's evaluation seed range when it declares one."""
    if start is None:
        try:
            from noisekit.classifier.evaluate import EVAL_SEED_START  # the classifier's own held-out range

            start = int(EVAL_SEED_START) + 50_000  # clear of the sides its own evaluation uses
        except (ImportError, AttributeError):
            start = HELDOUT_SEED_START
    return list(range(start, start + n))


def write_heldout_sides(
    folder: Path,
    seeds: Iterable[int],
    duration_s: float | None = None,
) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Render each seed's side as stereo 24-bit FLAC in `folder`.

    Returns {truth kind: {file path: noise-only intervals}} for both kinds of ``SyntheticSide.truth``
    ("audible": as a listener hears it, the headline; "exact": no programme sample at all).
    """
    from noisekit.synth.side import TRUTHS, synth_side

    folder.mkdir(parents=True, exist_ok=True)
    truths: dict[str, dict[str, list[tuple[float, float]]]] = {kind: {} for kind in TRUTHS}
    for seed in seeds:
        side = synth_side(seed, duration_s=duration_s, channels=2)
        path = folder / f"side_{seed}.flac"
        sf.write(str(path), np.clip(side.audio, -1, 1).T, side.sr, subtype="PCM_24")
        for kind in TRUTHS:
            truths[kind][path.as_posix()] = side.truth(kind)
    return truths


def score_manifest(
    table: pa.Table, truths: Mapping[str, Sequence[tuple[float, float]]], min_true_s: float = 2.0
) -> tuple[SegmentCounts, dict[str, SegmentCounts]]:
    """Pooled and per-source purity/recall counts of the ok rows of a noise table against the truths.

    Every source in `truths` is scored (a source with no rows counts its noise as missed); rows of sources
    without a truth are refused, since they could not be scored.
    """
    extracted: dict[str, list[tuple[float, float]]] = {s: [] for s in truths}
    for row in table.to_pylist():
        if row["status"] != "ok":
            continue
        if row["source"] not in extracted:
            raise ValueError(f"noise row {row['segment_id']} comes from {row['source']!r}, which has no truth")
        extracted[row["source"]].append((row["start_s"], row["end_s"]))
    per = {s: segment_counts(extracted[s], truths[s], min_true_s) for s in truths}
    pooled = sum(per.values(), SegmentCounts())
    return pooled, per
