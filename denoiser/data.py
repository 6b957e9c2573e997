"""Training mixtures made on the fly, X = β(Y + αN), from clean.parquet and the noise manifests.

Every example is a pure function of (seed, split, index): its parameters are *drawn* by
:func:`draw_mix_params` into a :class:`MixParams` and *applied* by :func:`apply_mix`, so a run is
deterministic whatever the number of DataLoader workers or processes, and a resumed run sees the
same examples as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import soundfile as sf
import torch
from noisekit.manifests import read_manifest
from torch.utils.data import Dataset

from noisekit.audio import SAMPLE_RATE, audio_info, resample
from noisekit.datadir import DataDir
from noisekit.errors import AudioError, NoisekitError
from noisekit.seeding import rng_for, unit_interval
from noisekit.synth.mix import db_to_gain, mix_at_snr


@dataclass(frozen=True)
class MixConfig:
    """How mixtures are drawn: crop length, SNR range and gain (β) range in dB, uniform in dB."""

    crop_s: float = 5.0
    snr_db: tuple[float, float] = (2.0, 20.0)
    gain_db: tuple[float, float] = (-6.0, 4.0)
    sample_rate: int = SAMPLE_RATE

    @property
    def crop(self) -> int:
        """Crop length in samples."""
        return int(round(self.crop_s * self.sample_rate))


# The paper's ranges (78-rpm noise) and the tape paper's ranges (Irigaray et al.).
MIX_PRESETS = {
    "gramophone": MixConfig(),
    "tape": MixConfig(snr_db=(6.0, 32.0), gain_db=(-6.0, 0.0)),
}


@dataclass(frozen=True)
class Clip:
    """One usable audio file: its absolute path, native rate, frame count and channel count."""

    path: str
    sample_rate: int
    frames: int
    channels: int


@dataclass(frozen=True)
class MixParams:
    """The drawn parameters of one example (recordable); :func:`apply_mix` turns them into audio."""

    clean_index: int
    clean_start: int  # in samples at the model rate
    clean_channel: int
    noise_index: int
    noise_start: int
    noise_channel: int
    snr_db: float
    gain_db: float


def _split_of(row: dict) -> str:
    """A row's split; noise rows without one get a stable hash split (80/10/10 by segment id)."""
    if row.get("split"):
        return str(row["split"])
    u = unit_interval("noise-split", row.get("segment_id") or row.get("path"))
    return "train" if u < 0.8 else ("valid" if u < 0.9 else "test")


def _clips(data: DataDir, rows: list[dict]) -> list[Clip]:
    """The files of the ok rows, sized from their headers: a noise row's duration_s is its raw cut, while
    its path is the 5-s loop."""
    clips = []
    for row in rows:
        if not row.get("path") or (row.get("status") or "ok") != "ok":
            continue
        info = audio_info(data.resolve(row["path"]))
        clips.append(Clip(info.path, info.sample_rate, info.frames, info.channels))
    return clips


def clean_clips(data: DataDir, split: str) -> list[Clip]:
    """The clean-music files of one split of clean.parquet."""
    rows = [r for r in read_manifest(data, "clean").to_pylist() if r["split"] == split]
    return _clips(data, rows)


def noise_clips(
    data: DataDir, split: str, kinds: tuple[str, ...] = ("gramophone",), devices: tuple[str, ...] = ()
) -> list[Clip]:
    """Noise segments of one split from noise.parquet (gramophone) and/or tape.parquet, by kind and device."""
    rows: list[dict] = []
    for table in ("noise", "tape"):
        t: pa.Table = read_manifest(data, table)
        rows += [r for r in t.to_pylist() if r["kind"] in kinds]
    if devices:
        rows = [r for r in rows if r.get("device") in devices]
    return _clips(data, [r for r in rows if _split_of(r) == split])


def draw_mix_params(rng: np.random.Generator, clean: list[Clip], noise: list[Clip], cfg: MixConfig) -> MixParams:
    """Draw one example: a clean file (weighted by length), a noise segment, offsets, channels, SNR and gain."""
    lengths = np.array([c.frames * cfg.sample_rate / c.sample_rate for c in clean], dtype=np.float64)
    ci = int(rng.choice(len(clean), p=lengths / lengths.sum()))
    cn = int(lengths[ci])
    ni = int(rng.integers(len(noise)))
    nn_ = int(noise[ni].frames * cfg.sample_rate / noise[ni].sample_rate)
    return MixParams(
        clean_index=ci,
        clean_start=int(rng.integers(max(cn - cfg.crop, 0) + 1)),
        clean_channel=int(rng.integers(clean[ci].channels)),
        noise_index=ni,
        noise_start=int(rng.integers(max(nn_, 1))),
        noise_channel=int(rng.integers(noise[ni].channels)),
        snr_db=float(rng.uniform(*cfg.snr_db)),
        gain_db=float(rng.uniform(*cfg.gain_db)),
    )


def read_span(clip: Clip, start: int, n: int, channel: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Samples [start, start + n) (at rate ``sr``) of one channel of a file, zero-padded past its end."""
    ratio = clip.sample_rate / sr
    a, b = int(np.floor(start * ratio)), int(np.ceil((start + n) * ratio)) + (0 if ratio == 1 else 16)
    try:
        data = sf.read(clip.path, start=a, stop=min(b, clip.frames), dtype="float32", always_2d=True)[0]
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(clip.path, f"unreadable: {exc}") from exc
    x = data[:, channel]
    if ratio != 1:
        x = resample(x[None, :], clip.sample_rate, sr)[0]
    out = np.zeros(n, dtype=np.float32)
    out[: min(n, len(x))] = x[:n]
    return out


@lru_cache(maxsize=256)
def _whole(clip: Clip, channel: int, sr: int) -> np.ndarray:
    n = int(clip.frames * sr / clip.sample_rate)
    return read_span(clip, 0, n, channel, sr)


def looped(clip: Clip, start: int, n: int, channel: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples of a noise segment read circularly from ``start`` (segments are seamless loops)."""
    whole = _whole(clip, channel, sr)
    if len(whole) == 0:
        raise AudioError(clip.path, "noise segment is empty")
    idx = (start + np.arange(n)) % len(whole)
    return whole[idx]


def apply_mix(clean: np.ndarray, noise: np.ndarray, p: MixParams) -> tuple[np.ndarray, np.ndarray]:
    """Mix a clean crop Y and a noise crop N as X = β(Y + αN); returns (X, βY) as float32."""
    if not np.any(noise):
        raise NoisekitError(f"noise segment {p.noise_index} is silent at offset {p.noise_start}")
    mixture, _ = mix_at_snr(clean.astype(np.float32), noise.astype(np.float32), p.snr_db)
    beta = np.float32(db_to_gain(p.gain_db))
    return (mixture * beta).astype(np.float32), (clean * beta).astype(np.float32)


class MixDataset(Dataset):
    """Example ``i`` of a split: (noisy, clean) float32 waveforms of ``cfg.crop`` samples, pure in (seed, i)."""

    def __init__(
        self, clean: list[Clip], noise: list[Clip], cfg: MixConfig, seed: int, split: str, length: int = 1 << 62
    ) -> None:
        if not clean:
            raise NoisekitError(f"no clean music in split '{split}': run `noisekit manifest clean` first")
        if not noise:
            raise NoisekitError(f"no noise segments in split '{split}' for the chosen kinds/devices")
        self.clean, self.noise, self.cfg, self.seed, self.split, self.length = clean, noise, cfg, seed, split, length

    def __len__(self) -> int:
        return self.length

    def params(self, i: int) -> MixParams:
        """The drawn parameters of example ``i``."""
        return draw_mix_params(rng_for(self.seed, "mix", self.split, i), self.clean, self.noise, self.cfg)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.params(i)
        n, sr = self.cfg.crop, self.cfg.sample_rate
        y = read_span(self.clean[p.clean_index], p.clean_start, n, p.clean_channel, sr)
        noise = looped(self.noise[p.noise_index], p.noise_start, n, p.noise_channel, sr)
        x, y = apply_mix(y, noise, p)
        return torch.from_numpy(x), torch.from_numpy(y)


def open_split(
    data: DataDir | str | Path,
    split: str,
    cfg: MixConfig,
    seed: int,
    kinds: tuple[str, ...] = ("gramophone",),
    devices: tuple[str, ...] = (),
    length: int = 1 << 62,
) -> MixDataset:
    """The mixture dataset of one split of a data directory."""
    data = data if isinstance(data, DataDir) else DataDir(data)
    return MixDataset(clean_clips(data, split), noise_clips(data, split, kinds, devices), cfg, seed, split, length)


def params_record(ds: MixDataset, i: int) -> dict:
    """Drawn parameters of example ``i`` with the file paths, for logs and manifests."""
    p = ds.params(i)
    return {**asdict(p), "clean_path": ds.clean[p.clean_index].path, "noise_path": ds.noise[p.noise_index].path}
