"""Test helpers for extract: sides with known noise-only intervals, and a stand-in energy segment finder.

The stand-in lets the stage's plumbing (parts, executors, error rows, reruns) be tested fast and
independently of the trained classifier; the stage takes its segment finder as a parameter anyway.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 44100


@dataclass(frozen=True)
class Seg:
    """A found noise-only run (same attributes as noisekit.classifier.segmenter.NoiseSegment)."""

    start_s: float
    end_s: float
    p_noise: float


@dataclass(frozen=True)
class EnergyFinder:
    """Runs of 50-ms frames quieter than `threshold_db`, at least `min_run_s` long after `margin_s` trims."""

    threshold_db: float = -30.0
    min_run_s: float = 2.0
    margin_s: float = 0.1
    delay_s: float = 0.0  # sleep per recording, so that a test can kill a run half-way

    def __call__(self, blocks: Iterable[np.ndarray], sr: int) -> list[Seg]:
        x = np.concatenate([np.asarray(b, dtype=np.float32) for b in blocks])
        if self.delay_s:
            time.sleep(self.delay_s)
        hop = int(0.05 * sr)
        frames = x[: len(x) // hop * hop].reshape(-1, hop)
        quiet = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20) < self.threshold_db
        out, i = [], 0
        while i < len(quiet):
            if not quiet[i]:
                i += 1
                continue
            j = i
            while j < len(quiet) and quiet[j]:
                j += 1
            start, end = i * hop / sr + self.margin_s, j * hop / sr - self.margin_s
            if end - start >= self.min_run_s:
                out.append(Seg(start, end, 0.9))
            i = j
        return out


def fake_side(
    seed: int,
    layout: tuple[tuple[str, float], ...] = (("noise", 3.0), ("music", 2.0), ("noise", 2.6), ("music", 1.5)),
    channels: int = 2,
    sr: int = SR,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """(audio (channels, n), noise-only intervals): surface noise with a click per 78-rpm revolution
    throughout, and loud tones in the 'music' stretches."""
    rng = np.random.default_rng(seed)
    n = int(sum(d for _, d in layout) * sr)
    audio = (0.005 * rng.standard_normal((channels, n))).astype(np.float32)
    rev = 60 / 78 * sr
    for c in np.arange(int(rng.integers(0, int(rev))), n, rev):
        audio[:, int(c)] += 0.2
    t, intervals = 0.0, []
    for kind, dur in layout:
        a, b = int(t * sr), int((t + dur) * sr)
        if kind == "music":
            tt = np.arange(b - a) / sr
            audio[:, a:b] += (0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * tt)).astype(np.float32)
        else:
            intervals.append((t, t + dur))
        t += dur
    return np.clip(audio, -1, 1), intervals


def write_fake_side(path: Path, seed: int, sr: int = SR, **kwargs) -> list[tuple[float, float]]:
    """Write a fake side as FLAC (or WAV by suffix) at `sr`; returns its noise-only intervals."""
    audio, intervals = fake_side(seed, sr=sr, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio.T, sr, subtype="PCM_24")
    return intervals


def random_classifier(out: Path) -> Path:
    """Save a classifier with seeded random weights in `out`: the real model code path, no shipped weights."""
    import torch  # noqa: PLC0415 (only tests that load a model pay for torch)

    from noisekit.classifier import save_checkpoint  # noqa: PLC0415
    from noisekit.classifier.model import ModelConfig, NoiseCNN  # noqa: PLC0415

    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(ModelConfig()), out)
    return out
