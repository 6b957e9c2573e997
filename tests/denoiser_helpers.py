"""Shared fixtures of the denoiser tests: a tiny model config and a tiny data directory with known audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from noisekit.audio import write_audio
from noisekit.datadir import DataDir
from noisekit.denoiser.model import ModelConfig
from noisekit.manifests import merge_manifest

SR = 44100
# One thread: on the shared 2-core machine, two OpenMP threads that wait on each other are far slower.
torch.set_num_threads(1)
TINY = ModelConfig(widths=(4, 6, 8), depth=2, dense_layers=2, early_kernel=3)


def tone(f0: float, seconds: float, sr: int = SR, channels: int = 1) -> np.ndarray:
    """A decaying harmonic tone (channels, n), peak 0.5."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * h * f0 * t) / h for h in range(1, 6)) * np.exp(-t * 0.5)
    x = (0.5 * x / np.abs(x).max()).astype(np.float32)
    return np.repeat(x[None], channels, axis=0)


def make_datadir(root: Path, clean_seconds: float = 2.0, noise_rate: int = SR) -> DataDir:
    """Clean tones in 3 groups (train/valid/test), white and tape noise segments with splits and devices."""
    data = DataDir(root).ensure()
    clean_rows = []
    for i, (split, f0) in enumerate([("train", 220.0), ("train", 330.0), ("valid", 262.0), ("test", 392.0)]):
        rel = f"clean/g{i}/piece.wav"
        write_audio(data.root / rel, tone(f0, clean_seconds, channels=1 + i % 2), SR)
        clean_rows.append(
            {
                "path": rel,
                "group": f"g{i}",
                "duration_s": clean_seconds,
                "sample_rate": SR,
                "channels": 1 + i % 2,
                "split": split,
            }
        )
    merge_manifest(data, "clean", clean_rows)
    rng = np.random.default_rng(0)
    for table, kind in (("noise", "gramophone"), ("tape", "tape")):
        rows = []
        for j, split in enumerate(["train", "train", "valid", "test"]):
            rel = f"noise/{kind}/{kind}{j}.wav"
            write_audio(data.root / rel, (0.05 * rng.standard_normal((1, noise_rate))).astype(np.float32), noise_rate)
            rows.append(
                {
                    "segment_id": f"{kind}{j}",
                    "kind": kind,
                    "source": "test",
                    "source_path": rel,
                    "path": rel,
                    "duration_s": 1.0,
                    "sample_rate": noise_rate,
                    "channels": 1,
                    "split": split,
                    "status": "ok",
                    "device": f"deck{j % 2}" if kind == "tape" else None,
                }
            )
        merge_manifest(data, table, rows)
    return data
