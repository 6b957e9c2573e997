"""Per-item random states derived from a global seed, stable across processes and Python versions."""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(*keys: object, bits: int = 64) -> int:
    """An integer hash of `keys` (by their str()) that never changes between runs, unlike hash()."""
    text = "\x1f".join(str(k) for k in keys).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=bits // 8).digest()
    return int.from_bytes(digest, "little")


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A numpy Generator for one item, e.g. rng_for(seed, "side", 17), independent of the order of work."""
    return np.random.Generator(np.random.PCG64(stable_hash(seed, *keys, bits=128)))


def unit_interval(*keys: object) -> float:
    """A deterministic number in [0, 1) from `keys`: used for hash-based split assignment."""
    return stable_hash(*keys) / float(1 << 64)
