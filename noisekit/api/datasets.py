"""PyTorch datasets of a data directory: the noise loops (:class:`NoiseSet`) and the clean music (:class:`CleanSet`).

Both read the manifests through the same functions as `noisekit train` (``noisekit.denoiser.data``), so a set
filtered like a training run holds the same files in the same order, and ``noisekit.Mixer`` over them makes
the training run's examples.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from noisekit.audio import SAMPLE_RATE, audio_info, load_audio
from noisekit.datadir import DataDir
from noisekit.denoiser.data import Clip, clip_of, noise_rows, usable
from noisekit.errors import ConfigError, NoisekitError
from noisekit.manifests import read_manifest
from noisekit.seeding import rng_for

SPLITS = {"train": "train", "valid": "valid", "validation": "valid", "test": "test"}
LHOTSE_CUTS = "cuts_{split}.jsonl.gz"  # written by `noisekit export --format lhotse`


def _wanted(value: Any) -> set | None:
    """A filter value as a set of accepted values (None: no filter)."""
    if value is None:
        return None
    return set(value) if isinstance(value, list | tuple | set | frozenset) else {value}


def parse_era(era: str | int | tuple[int, int] | None) -> tuple[int, int] | None:
    """An era as inclusive years: '1920s' -> (1920, 1929), 1925 -> (1925, 1925), (1920, 1935) as given."""
    if era is None:
        return None
    if isinstance(era, tuple | list) and len(era) == 2:
        return int(era[0]), int(era[1])
    text = str(era).strip()
    if text.endswith("s") and text[:-1].isdigit():
        start = int(text[:-1])
        return start, start + (9 if start % 100 else 99)
    if text.isdigit():
        return int(text), int(text)
    raise ConfigError(f"era {era!r}: give a decade such as '1920s', a year, or (first_year, last_year)")


def select_rows(
    rows: Iterable[dict],
    kind: Any = None,
    split: Any = None,
    device: Any = None,
    speed: Any = None,
    era: Any = None,
    label: Any = None,
) -> list[dict]:
    """The rows that pass every given filter (each a value or a collection of values; None: any)."""
    splits = _wanted(split)
    if splits is not None:
        unknown = sorted(str(s) for s in splits if s not in SPLITS)
        if unknown:
            raise ConfigError(f"unknown split(s) {unknown}; choose from train, valid, test")
        splits = {SPLITS[s] for s in splits}
    speeds = _wanted(speed)
    speeds = None if speeds is None else {float(s) for s in speeds}
    years = parse_era(era)
    tests = [
        ("kind", _wanted(kind)),
        ("split", splits),
        ("device", _wanted(device)),
        ("label", _wanted(label)),
    ]
    out = []
    for row in rows:
        if any(accepted is not None and row.get(col) not in accepted for col, accepted in tests):
            continue
        if speeds is not None and (row.get("speed_ips") is None or float(row["speed_ips"]) not in speeds):
            continue
        if years is not None and (row.get("year") is None or not years[0] <= int(row["year"]) <= years[1]):
            continue
        out.append(row)
    return out


def _lhotse_rows(folder: Path) -> list[dict]:
    """The noise rows of a `noisekit export --format lhotse` folder (one per segment: its channel-0 cut)."""
    rows = []
    for split in ("train", "valid", "test"):
        path = folder / LHOTSE_CUTS.format(split=split)
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                cut = json.loads(line)
                if cut.get("channel", 0) == 0:
                    rows.append({**cut["custom"], "path": cut["recording"]["sources"][0]["source"]})
    return rows


class NoiseSet(Dataset):
    """The noise loops of a data directory (noise.parquet and tape.parquet) or of an lhotse export, filtered.

    Item ``i`` is ``(audio, metadata)``: a float32 tensor (channels, samples) at ``sample_rate`` (mono if
    ``mono``), and the segment's manifest row (kind, split, device, speed_ips, year, label, source, ...,
    ``path`` absolute). With ``crop_s`` each item is a crop of that length read circularly (the loops are
    seamless) from a start drawn from ``noisekit.seeding.rng_for(seed, "noise", epoch, i)``: the same seed,
    epoch and index give the same audio in any process. Filters take a value or a collection of values:
    ``kind`` (gramophone, tape), ``split`` (train, valid, test), ``device``, ``speed`` (inches per second),
    ``era`` ('1920s', a year or (first, last)) and ``label`` (the record label).
    """

    def __init__(
        self,
        source: str | Path | DataDir,
        *,
        kind: Any = None,
        split: Any = None,
        device: Any = None,
        speed: Any = None,
        era: Any = None,
        label: Any = None,
        sample_rate: int = SAMPLE_RATE,
        crop_s: float | None = None,
        mono: bool = False,
        seed: int = 0,
    ) -> None:
        root = source.root if isinstance(source, DataDir) else Path(source)
        if (root / LHOTSE_CUTS.format(split="train")).is_file() or any(root.glob("cuts_*.jsonl.gz")):
            data, rows = None, _lhotse_rows(root)
        elif (root / "manifests").is_dir():
            data = DataDir(root)
            rows = [r for r in noise_rows(data) if usable(r)]
        else:
            raise NoisekitError(
                f"{root}: neither a data directory (no manifests/) nor a `noisekit export --format lhotse` folder"
            )
        if crop_s is not None and crop_s <= 0:
            raise ConfigError(f"crop_s must be > 0, got {crop_s}")
        self.rows = select_rows(rows, kind, split, device, speed, era, label)
        self.clips: list[Clip] = [clip_of(data, r) if data else _file_clip(r["path"]) for r in self.rows]
        self.sample_rate, self.crop_s, self.mono, self.seed, self.epoch = sample_rate, crop_s, mono, seed, 0

    def __len__(self) -> int:
        return len(self.clips)

    def set_epoch(self, epoch: int) -> None:
        """Draw other crops (same seed, another epoch): call once per epoch for fresh training crops."""
        self.epoch = int(epoch)

    def metadata(self, i: int) -> dict:
        """Item ``i``'s manifest row, with its absolute path."""
        return {**self.rows[i], "path": self.clips[i].path}

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict]:
        if not 0 <= i < len(self):
            raise IndexError(f"NoiseSet index {i} out of range 0..{len(self) - 1}")
        audio, _ = load_audio(self.clips[i].path, sr=self.sample_rate, mono=self.mono)
        audio = audio[None, :] if audio.ndim == 1 else audio
        if self.crop_s is not None:
            n = int(round(self.crop_s * self.sample_rate))
            start = int(rng_for(self.seed, "noise", self.epoch, i).integers(max(audio.shape[1], 1)))
            audio = audio[:, (start + np.arange(n)) % audio.shape[1]]
        return torch.from_numpy(np.ascontiguousarray(audio)), self.metadata(i)

    @staticmethod
    def collate(batch: list[tuple[torch.Tensor, dict]]) -> tuple[torch.Tensor, list[dict]]:
        """A DataLoader ``collate_fn``: stacked audio (equal shapes: use ``crop_s``) and the list of rows
        (rows hold None for unknown values, which torch's default collate refuses)."""
        return torch.stack([audio for audio, _ in batch]), [meta for _, meta in batch]


def _file_clip(path: str) -> Clip:
    info = audio_info(path)
    return Clip(info.path, info.sample_rate, info.frames, info.channels)


class CleanSet(Dataset):
    """The clean music of one split of a data directory's clean.parquet: item ``i`` is ``(audio, row)``, the
    whole file as a float32 tensor (channels, samples) at ``sample_rate``."""

    def __init__(self, source: str | Path | DataDir, split: str = "train", sample_rate: int = SAMPLE_RATE) -> None:
        data = source if isinstance(source, DataDir) else DataDir(source)
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r}; choose from train, valid, test")
        table = read_manifest(data, "clean")
        self.rows = [r for r in table.to_pylist() if r["split"] == SPLITS[split] and usable(r)]
        self.clips: list[Clip] = [clip_of(data, r) for r in self.rows]
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict]:
        audio, _ = load_audio(self.clips[i].path, sr=self.sample_rate)
        return torch.from_numpy(audio), {**self.rows[i], "path": self.clips[i].path}
