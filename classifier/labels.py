"""Hand labels (the ``labels`` table: path, start_s, end_s, label ∈ {noise, music}) for training and scoring.

Relative ``path`` values are resolved against the folder of the labels file. Audio is decoded at 44.1 kHz
mono and kept in a small cache, so fine-tuning does not decode the same file for every crop.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from noisekit.audio import load_audio
from noisekit.classifier.features import FeatureConfig
from noisekit.errors import ManifestError
from noisekit.manifests import read_manifest

CACHE_FILES = 8


@dataclass(frozen=True)
class LabelRow:
    """One labelled stretch of one file."""

    path: Path
    start_s: float
    end_s: float
    noise: bool


def read_labels(path: str | Path) -> list[LabelRow]:
    """Validated label rows with resolved audio paths; a row with end <= start is refused by name."""
    path = Path(path)
    table = read_manifest(path, "labels", missing_ok=False)
    rows: list[LabelRow] = []
    for r in table.to_pylist():
        if not r["end_s"] > r["start_s"] >= 0:
            raise ManifestError(
                "labels", f"row {r['path']} @ {r['start_s']}: need 0 <= start_s < end_s", column="end_s", path=path
            )
        audio = Path(r["path"])
        audio = audio if audio.is_absolute() else path.parent / audio
        rows.append(LabelRow(audio, float(r["start_s"]), float(r["end_s"]), r["label"] == "noise"))
    if not rows:
        raise ManifestError("labels", "no label rows", path=path)
    return rows


def labelled_window_targets(rows: list[LabelRow], starts: np.ndarray, window_s: float) -> np.ndarray:
    """Per-window target for one file's rows: 1 inside a noise label, 0 touching a music label, NaN else."""
    starts = np.asarray(starts, dtype=np.float64)
    ends = starts + window_s
    y = np.full(len(starts), np.nan, dtype=np.float32)
    eps = 1e-9
    for r in rows:
        if r.noise:
            y[(starts >= r.start_s - eps) & (ends <= r.end_s + eps) & np.isnan(y)] = 1.0
    for r in rows:
        if not r.noise:
            y[(starts < r.end_s) & (ends > r.start_s)] = 0.0
    return y


class LabelSource:
    """Random fixed-length crops of labelled files with their window targets (for the training stream)."""

    def __init__(self, path: str | Path, n_samples: int, starts: np.ndarray, feat: FeatureConfig) -> None:
        self.rows = read_labels(path)
        self.by_file: dict[Path, list[LabelRow]] = {}
        for r in self.rows:
            self.by_file.setdefault(r.path, []).append(r)
        self.n = n_samples
        self.starts = starts
        self.feat = feat
        self._cache: OrderedDict[Path, np.ndarray] = OrderedDict()
        durations = np.array([r.end_s - r.start_s for r in self.rows])
        self._p = durations / durations.sum()

    def audio(self, path: Path) -> np.ndarray:
        """Mono 44.1-kHz samples of ``path`` (cached; raises AudioError for bad files)."""
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        x = load_audio(path, sr=self.feat.sr, mono=True)[0][0]
        self._cache[path] = x
        while len(self._cache) > CACHE_FILES:
            self._cache.popitem(last=False)
        return x

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A crop of ``n`` samples overlapping a random label (chosen by duration) and its window targets."""
        row = self.rows[int(rng.choice(len(self.rows), p=self._p))]
        x = self.audio(row.path)
        sr, span = self.feat.sr, self.n / self.feat.sr
        lo = max(0.0, row.start_s - span + self.feat.window_s)
        hi = max(lo, min(row.end_s - self.feat.window_s, len(x) / sr - span))
        t0 = float(rng.uniform(lo, hi))
        a = int(round(t0 * sr))
        crop = x[a : a + self.n]
        y = labelled_window_targets(self.by_file[row.path], self.starts + a / sr, self.feat.window_s)
        valid = self.starts + self.feat.window_s <= len(crop) / sr
        y[~valid] = np.nan
        return np.pad(crop, (0, self.n - len(crop))).astype(np.float32), y
