"""Audio handed to the API, as an array or a file, checked as the command line checks a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from noisekit.audio import load_audio
from noisekit.errors import AudioError, ConfigError

ARRAY = "<array>"  # how errors name audio passed as an array


def is_path(value: Any) -> bool:
    """Whether the API was given a file (str or Path) rather than samples."""
    return isinstance(value, str | Path)


def check_array(audio: Any, sample_rate: int | None) -> tuple[np.ndarray, int]:
    """(channels, samples) float32 from a 1-D or 2-D array or tensor; the same AudioError a bad file gets."""
    if sample_rate is None or int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ConfigError(f"sample_rate must be a positive integer for audio given as an array, got {sample_rate!r}")
    if hasattr(audio, "detach"):  # a torch tensor, without importing torch here
        audio = audio.detach().cpu().numpy()
    x = np.asarray(audio, dtype=np.float32)
    x = x[None, :] if x.ndim == 1 else x
    if x.ndim != 2:
        raise AudioError(ARRAY, f"expected (samples,) or (channels, samples) audio, got shape {np.shape(audio)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise AudioError(ARRAY, f"empty audio (shape {np.shape(audio)})")
    if not np.isfinite(x).all():
        raise AudioError(ARRAY, "contains NaN or infinite samples")
    return x, int(sample_rate)


def read_input(array_or_path: Any, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """(channels, samples) float32 and its rate, from a file (its own rate) or an array at ``sample_rate``."""
    if is_path(array_or_path):
        return load_audio(array_or_path)
    return check_array(array_or_path, sample_rate)
