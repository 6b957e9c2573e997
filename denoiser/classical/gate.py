"""Clean/noisy gate: does a recording, or a stretch of it, need denoising?

Robust features of the mono mixture at 44.1 kHz, scored by a small logistic regression trained on synthetic
clean music versus the same music with synthetic 78-rpm or tape noise (``benchmarks/restore_gate.py`` trains
it and measures its accuracy; the weights ship as ``gate_weights.json``, and ``gate_weights_lowrate.json``
for inputs sampled below 32 kHz, trained on band-limited examples). The features rest on one fact: the
noise of a disc or tape never stops, music does. So in a noisy recording each band's quietest frames sit
close to its loud ones (a small level spread), the quietest frames have a broadband floor (a flat
low-percentile spectrum, well above digital silence), and the AR click detector fires often.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from noisekit.audio import SAMPLE_RATE, resample
from noisekit.denoiser.classical.declick import detect, fit_block_models
from noisekit.errors import CheckpointError

WEIGHTS_PATH = Path(__file__).with_name("gate_weights.json")
LOW_RATE_WEIGHTS_PATH = Path(__file__).with_name("gate_weights_lowrate.json")
LOW_RATE_BELOW_HZ = 32000  # inputs sampled below this have empty upper bands: their own model
VALLEY_PERCENTILES = (10, 20, 50)
BANDS_HZ = ((50, 200), (200, 800), (800, 2000), (2000, 5000), (5000, 10000), (10000, 16000))
FEATURES = (
    tuple(f"spread_{lo}_{hi}" for lo, hi in BANDS_HZ)
    + tuple(f"floor_{lo}_{hi}" for lo, hi in BANDS_HZ)
    + ("quiet_level_db", "log_click_rate")
    + tuple(f"valley_p{q}_{stat}" for q in VALLEY_PERCENTILES for stat in ("median", "p90"))
)
N_FFT = 2048
HOP = 1024
MIN_SECONDS = 1.0


def _band_energies_db(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame band energies in dB (bands, frames) and the power spectrogram (bins, frames)."""
    n_frames = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = x[idx] * np.hanning(N_FFT)[None, :]
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).T / N_FFT
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    bands = np.stack([power[(freqs >= lo) & (freqs < hi)].sum(axis=0) for lo, hi in BANDS_HZ])
    return 10 * np.log10(bands + 1e-12), power


def gate_features(x: np.ndarray, sr: int) -> np.ndarray:
    """The gate's feature vector (see ``FEATURES``) of a 1-D signal of at least one second."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"gate features need a 1-D (mono) signal, got shape {x.shape}")
    if len(x) < MIN_SECONDS * sr:
        raise ValueError(f"gate features need at least {MIN_SECONDS} s of audio, got {len(x) / sr:.2f} s")
    if sr != SAMPLE_RATE:
        x = resample(x[None, :], sr, SAMPLE_RATE)[0]
    x = x.astype(np.float64)
    band_db, power = _band_energies_db(x)
    spread = np.clip(np.percentile(band_db, 90, axis=1) - np.percentile(band_db, 10, axis=1), 0, 80)
    total_db = 10 * np.log10(power.sum(axis=0) + 1e-12)
    quiet_level = max(float(np.percentile(total_db, 5)), -120.0)
    loud_db = float(np.percentile(total_db, 90))
    floor_db = 10 * np.log10(np.percentile(power, 10, axis=1) + 1e-14)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    floor = np.array([np.median(floor_db[(freqs >= lo) & (freqs < hi)]) for lo, hi in BANDS_HZ]) - loud_db
    floor = np.clip(floor, -140.0, 0.0)
    bins_db = 10 * np.log10(power[20:700] + 1e-14)  # ~430 Hz to 15 kHz
    valleys = []
    for q in VALLEY_PERCENTILES:
        depth = np.percentile(bins_db, q, axis=0) - bins_db.max(axis=0)
        valleys += [np.median(depth), np.percentile(depth, 90)]
    valleys = np.clip(valleys, -140.0, 0.0)
    a = fit_block_models(x, 2205, 24)
    clicks = detect(x, a, 2205, 8.0)
    onsets = np.count_nonzero(clicks[1:] & ~clicks[:-1])
    click_rate = np.log1p(onsets / (len(x) / SAMPLE_RATE))
    return np.concatenate([spread, floor, [quiet_level, click_rate], valleys])


@dataclass
class GateModel:
    """Standardised logistic regression: ``p(noisy) = sigmoid(w . (f - mean) / scale + bias)``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5
    trained_on: str = ""

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Probability that each feature row (or the single vector) is noisy."""
        z = (np.atleast_2d(features) - self.mean) / self.scale @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))

    def save(self, path: str | Path) -> None:
        """Write the model as JSON (atomically)."""
        from noisekit.fsutil import atomic_write

        doc = {
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "threshold": self.threshold,
            "trained_on": self.trained_on,
        }
        with atomic_write(path, "w") as handle:
            json.dump(doc, handle, indent=1)

    @classmethod
    def load(cls, path: str | Path = WEIGHTS_PATH) -> GateModel:
        """Read a model written by :meth:`save`; refuses one made for other features."""
        doc = json.loads(Path(path).read_text())
        if tuple(doc.get("features", ())) != FEATURES:
            raise CheckpointError(path, f"gate model was trained on other features {doc.get('features')}")
        return cls(
            np.array(doc["mean"]),
            np.array(doc["scale"]),
            np.array(doc["weights"]),
            float(doc["bias"]),
            float(doc.get("threshold", 0.5)),
            doc.get("trained_on", ""),
        )


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = 1e-2, iters: int = 50) -> GateModel:
    """Fit the gate by Newton's method (IRLS) on standardised features with an L2 penalty."""
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = np.where(X.std(axis=0) > 1e-9, X.std(axis=0), 1.0)
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    penalty = l2 * len(X) * np.diag(np.r_[np.ones(Z.shape[1] - 1), 0.0])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -60, 60)))
        grad = Z.T @ (p - y) + penalty @ w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return GateModel(mean, scale, w[:-1], float(w[-1]))


def model_for_rate(sr: int) -> GateModel:
    """The shipped gate for a recording sampled at ``sr``: the low-rate model below 32 kHz, else full band."""
    return GateModel.load(LOW_RATE_WEIGHTS_PATH if sr < LOW_RATE_BELOW_HZ else WEIGHTS_PATH)


@dataclass(frozen=True)
class Stretch:
    """A stretch ``[start, stop)`` in samples with its probability of being noisy and the decision."""

    start: int
    stop: int
    p_noisy: float
    noisy: bool


def stretch_bounds(n: int, sr: int, stretch_s: float) -> list[tuple[int, int]]:
    """Cut ``n`` samples into stretches of ``stretch_s``; a short remainder joins the previous stretch."""
    size = max(int(stretch_s * sr), int(MIN_SECONDS * sr))
    bounds = [(s, min(s + size, n)) for s in range(0, n, size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < size // 2:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def gate_stretches(
    audio: np.ndarray, sr: int, model: GateModel | None = None, stretch_s: float = 10.0
) -> list[Stretch]:
    """Classify every stretch of a (channels, n) or 1-D recording; isolated flips are voted down (median of 3)."""
    audio = np.asarray(audio, dtype=np.float32)
    mono = audio if audio.ndim == 1 else audio.mean(axis=0)
    model = model or model_for_rate(sr)
    bounds = stretch_bounds(len(mono), sr, stretch_s)
    if len(mono) < MIN_SECONDS * sr:
        return [Stretch(0, len(mono), float("nan"), False)]
    probs = model.probability(np.stack([gate_features(mono[s:e], sr) for s, e in bounds]))
    return decide(bounds, probs, model.threshold)


def decide(bounds: list[tuple[int, int]], probs: np.ndarray, threshold: float) -> list[Stretch]:
    """Stretches from their bounds and p(noisy): noisy above ``threshold``, isolated flips voted down."""
    votes = probs > threshold
    if len(votes) >= 3:
        padded = np.r_[votes[0], votes, votes[-1]].astype(int)
        votes = (padded[:-2] + padded[1:-1] + padded[2:]) >= 2
    return [Stretch(s, e, float(p), bool(v)) for (s, e), p, v in zip(bounds, probs, votes, strict=True)]
