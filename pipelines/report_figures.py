"""Pictures for the dataset report: bar charts and histograms as PNG, spectrogram thumbnails of segments."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from matplotlib import cm  # noqa: E402

from noisekit.fsutil import atomic_path  # noqa: E402

THUMB_FRAMES = 256
THUMB_BINS = 96


def _png_data_uri(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bar_chart(values: dict[str, float], title: str, xlabel: str = "minutes") -> str:
    """A horizontal bar chart as a PNG data URI (embedded, so the page needs no other file)."""
    labels = list(values)
    fig, ax = plt.subplots(figsize=(5.2, 0.35 * max(len(labels), 2) + 0.9))
    ax.barh(labels[::-1], [values[k] for k in labels][::-1], color="#4a6fa5")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(labelsize=8)
    return _png_data_uri(fig)


def histogram(values: np.ndarray, title: str, xlabel: str, bins: int = 40) -> str:
    """A histogram as a PNG data URI."""
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    ax.hist(values, bins=bins, color="#a5674a")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel("segments", fontsize=9)
    ax.tick_params(labelsize=8)
    return _png_data_uri(fig)


def spectrogram_image(audio: np.ndarray, sr: int, fmax: float = 16000.0) -> np.ndarray:
    """Log-magnitude spectrogram (bins × frames, 0..1) of the channel mean, log-spaced frequency rows."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    n_fft = 1024
    hop = max(1, (len(mono) - n_fft) // THUMB_FRAMES) if len(mono) > n_fft else 1
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(mono, (0, n_fft)), n_fft)[::hop][:THUMB_FRAMES]
    spec = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)).T
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    rows = np.geomspace(40.0, min(fmax, sr / 2), THUMB_BINS)
    idx = np.clip(np.searchsorted(freqs, rows), 0, len(freqs) - 1)
    db = 20 * np.log10(spec[idx] + 1e-9)
    top = np.percentile(db, 99.5)
    return np.clip((db - (top - 70.0)) / 70.0, 0.0, 1.0)[::-1]


def write_thumbnail(audio_path: Path, out_path: Path) -> Path:
    """Write the spectrogram thumbnail of an audio file as PNG, unless an up-to-date one exists."""
    if out_path.exists() and out_path.stat().st_mtime_ns >= audio_path.stat().st_mtime_ns:
        return out_path
    audio, sr = sf.read(str(audio_path), dtype="float32", always_2d=True)
    rgba = cm.magma(spectrogram_image(audio, sr))
    with atomic_path(out_path) as tmp:
        plt.imsave(tmp, rgba, format="png")
    return out_path
