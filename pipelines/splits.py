"""Deterministic train/valid/test assignment per source recording, so one disc never straddles splits.

The split of a source is a pure function of its key (the archive identifier, or the input path) and the
fractions: a stable hash mapped to [0, 1) and cut at the cumulative fractions. It needs no state, gives
the same answer in every process and on every rerun, and adding new sources never moves old ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from noisekit.errors import ConfigError
from noisekit.manifests import SPLITS
from noisekit.seeding import unit_interval

DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
_SALT = "noisekit-split-v1"


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """Validate (train, valid, test) fractions: three non-negative numbers summing to 1."""
    values = tuple(float(f) for f in fractions)
    if len(values) != len(SPLITS):
        raise ConfigError(f"split fractions need {len(SPLITS)} values {SPLITS}, got {len(values)}")
    if any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
        raise ConfigError(f"split fractions must be non-negative and sum to 1, got {values}")
    return values  # type: ignore[return-value]


def split_for(source: str, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> str:
    """The split ('train', 'valid' or 'test') of one source, from a stable hash of its key."""
    if not source:
        raise ValueError("a split needs a non-empty source key")
    train, valid, _test = check_fractions(fractions)
    u = unit_interval(_SALT, source)
    if u < train:
        return SPLITS[0]
    return SPLITS[1] if u < train + valid else SPLITS[2]


def assign_splits(sources: Iterable[str], fractions: Sequence[float] = DEFAULT_FRACTIONS) -> dict[str, str]:
    """The split of every distinct source: all segments of a source share it."""
    check_fractions(fractions)
    return {s: split_for(s, fractions) for s in dict.fromkeys(sources)}
