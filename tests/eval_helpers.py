"""Shared test data for the evaluation and denoise tests: a tiny data directory and a tiny model checkpoint."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch

from noisekit.datadir import DataDir
from noisekit.denoiser.checkpoint import save_checkpoint
from noisekit.denoiser.model import ModelConfig, build_model
from noisekit.manifests import write_manifest

SR = 44100


def _music(seed: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A few decaying harmonic notes: clean 'music' with a known spectrum."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        f0 = rng.choice([220.0, 262.0, 330.0, 392.0])
        env = np.where(t >= start, np.exp(-(t - start) * 3.0), 0.0)
        out += env * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3))
    return (0.2 * out / np.abs(out).max()).astype(np.float32)


def _noise(seed: int, seconds: float, kind: str, sr: int = SR) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.05 * rng.standard_normal(int(seconds * sr))
    if kind == "gramophone":  # add clicks
        x[rng.integers(0, x.size, 20)] += rng.choice([-0.5, 0.5], 20)
    return x.astype(np.float32)


def make_datadir(root) -> DataDir:
    """Clean files in train/test and gramophone and tape noise segments in test, with their manifests."""
    data = DataDir(root).ensure()
    (data.root / "music").mkdir()
    clean_rows, noise_rows, tape_rows = [], [], []
    for i, split in enumerate(["test", "test", "train"]):
        rel = f"music/piece{i}.wav"
        sr = 44100 if i else 32000  # one file at another rate: mixtures resample it
        sf.write(str(data.root / rel), np.stack([_music(i, 3.0, sr)] * 2).T, sr)
        clean_rows.append(
            {"path": rel, "group": f"g{i}", "duration_s": 3.0, "sample_rate": sr, "channels": 2, "split": split}
        )
    for kind, rows, folder in (("gramophone", noise_rows, data.noise_gramophone), ("tape", tape_rows, data.noise_tape)):
        for j in range(2):
            path = folder / f"{kind}{j}.wav"
            sf.write(str(path), _noise(j, 2.0, kind), SR, subtype="FLOAT")
            rows.append(
                {
                    "segment_id": f"{kind}-{j}",
                    "kind": kind,
                    "source": "test",
                    "source_path": str(path),
                    "path": data.relative(path),
                    "duration_s": 2.0,
                    "sample_rate": SR,
                    "channels": 1,
                    "split": "test",
                    "status": "ok",
                }
            )
    write_manifest(data, "clean", clean_rows)
    write_manifest(data, "noise", noise_rows)
    write_manifest(data, "tape", tape_rows)
    return data


def tiny_checkpoint(path):
    """A checkpoint of a deliberately tiny configuration of the real model (fast on a busy CPU)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(widths=(4, 4, 4), depth=2, dense_layers=1, early_kernel=3))
    return save_checkpoint(path, {"model_config": model.cfg.to_dict(), "model": model.state_dict(), "step": 0})
