"""Training mixtures made on the fly, X = β(Y + αN), from clean.parquet and the noise manifests.

Every example is a pure function of (seed, split, index): its parameters are *drawn* by
:func:`draw_mix_params` into a :class:`MixParams` and *applied* by :func:`apply_mix`, so a run is
deterministic whatever the number of DataLoader workers or processes, and a resumed run sees the
same examples as an uninterrupted one. :class:`MixDataset` draws from :class:`Items`: files named by
the manifests (:class:`ClipItems`, what `noisekit train` uses) or any indexable dataset of audio
(:class:`DatasetItems`, what the Python API's ``noisekit.Mixer`` adds), through the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import soundfile as sf
import torch
from torch.utils.data import Dataset

from noisekit.audio import SAMPLE_RATE, audio_info, resample
from noisekit.datadir import DataDir
from noisekit.errors import AudioError, NoisekitError
from noisekit.manifests import read_manifest
from noisekit.seeding import rng_for, unit_interval
from noisekit.synth.dsp import butter_magnitude, shaped_noise
from noisekit.synth.mix import db_to_gain, mix_at_snr


@dataclass(frozen=True)
class MixConfig:
    """How mixtures are drawn: crop length, SNR range and gain (β) range in dB, uniform in dB; and the share of
    examples whose noise gets added rumble (turntable and groove rumble below ``rumble_hz``, ``rumble_db`` over
    the noise crop's own level), which real run-ins carry at levels no noise generator here reaches."""

    crop_s: float = 5.0
    snr_db: tuple[float, float] = (2.0, 20.0)
    gain_db: tuple[float, float] = (-6.0, 4.0)
    sample_rate: int = SAMPLE_RATE
    rumble_share: float = 0.0
    rumble_db: tuple[float, float] = (-6.0, 15.0)
    rumble_hz: tuple[float, float] = (15.0, 60.0)

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
    rumble_db: float | None = None  # None: no added rumble; else its RMS over the noise crop's, in dB
    rumble_hz: float = 0.0  # the rumble's low-pass corner
    rumble_seed: int = 0  # its Gaussian realisation


#: the high-pass corner of added rumble: below it a disc's eccentricity is a slow pitch wobble, not sound
RUMBLE_FLOOR_HZ = 3.0


def rumble(n: int, sr: int, corner_hz: float, seed: int) -> np.ndarray:
    """Unit-RMS rumble of ``n`` samples: Gaussian noise band-limited to [3 Hz, ``corner_hz``] (3rd-order edges)."""
    rng = np.random.default_rng(seed)
    shape = lambda f: butter_magnitude(f, RUMBLE_FLOOR_HZ, corner_hz, 3)  # noqa: E731
    return shaped_noise(rng, n, sr, shape)[0]


def _split_of(row: dict) -> str:
    """A row's split; noise rows without one get a stable hash split (80/10/10 by segment id)."""
    if row.get("split"):
        return str(row["split"])
    u = unit_interval("noise-split", row.get("segment_id") or row.get("path"))
    return "train" if u < 0.8 else ("valid" if u < 0.9 else "test")


def usable(row: dict) -> bool:
    """Whether a manifest row names a file to train on: status ok (or unset) and a path."""
    return bool(row.get("path")) and (row.get("status") or "ok") == "ok"


def clip_of(data: DataDir, row: dict) -> Clip:
    """The file of a row, sized from its header: a noise row's duration_s is its raw cut, its path the 5-s loop."""
    info = audio_info(data.resolve(row["path"]))
    return Clip(info.path, info.sample_rate, info.frames, info.channels)


def _clips(data: DataDir, rows: list[dict]) -> list[Clip]:
    """The files of the usable rows."""
    return [clip_of(data, row) for row in rows if usable(row)]


def clean_clips(data: DataDir, split: str) -> list[Clip]:
    """The clean-music files of one split of clean.parquet."""
    rows = [r for r in read_manifest(data, "clean").to_pylist() if r["split"] == split]
    return _clips(data, rows)


def noise_rows(data: DataDir) -> list[dict]:
    """The rows of noise.parquet then tape.parquet, each with its split (a stable hash split where none is set)."""
    rows: list[dict] = []
    for table in ("noise", "tape"):
        t: pa.Table = read_manifest(data, table)
        rows += t.to_pylist()
    return [{**r, "split": _split_of(r)} for r in rows]


def noise_clips(
    data: DataDir, split: str, kinds: tuple[str, ...] = ("gramophone",), devices: tuple[str, ...] = ()
) -> list[Clip]:
    """Noise segments of one split from noise.parquet (gramophone) and/or tape.parquet, by kind and device."""
    rows = [r for r in noise_rows(data) if r["kind"] in kinds and r["split"] == split]
    if devices:
        rows = [r for r in rows if r.get("device") in devices]
    return _clips(data, rows)


@runtime_checkable
class Items(Protocol):
    """Audio items a mixture is drawn from, at the mix rate: their lengths and channels, and crops of them."""

    def __len__(self) -> int: ...

    def lengths(self) -> np.ndarray:
        """Every item's length in samples at the mix rate (float64: the draw weights clean items by it)."""
        ...

    def channels(self, i: int) -> int: ...

    def span(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        """Samples [start, start + n) of one channel of item ``i``, zero-padded past its end."""
        ...

    def loop(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        """``n`` samples of one channel of item ``i`` read circularly from ``start`` (noise loops are seamless)."""
        ...


class ClipItems(Sequence):
    """Audio files (:class:`Clip`) read in spans at rate ``sr``: the items of `noisekit train`."""

    def __init__(self, clips: Sequence[Clip], sr: int = SAMPLE_RATE) -> None:
        self.clips, self.sr = list(clips), sr
        self._lengths = np.array([c.frames * sr / c.sample_rate for c in self.clips], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        return self.clips[i]

    def lengths(self) -> np.ndarray:
        return self._lengths

    def channels(self, i: int) -> int:
        return self.clips[i].channels

    def span(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        return read_span(self.clips[i], start, n, channel, self.sr)

    def loop(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        return looped(self.clips[i], start, n, channel, self.sr)


def as_array(item: Any) -> np.ndarray:
    """An item of an audio dataset as float32 (channels, samples): an array or tensor, (samples,) or
    (channels, samples), or a tuple or list whose first element is one (e.g. (audio, metadata))."""
    if isinstance(item, tuple | list):
        item = item[0]
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu().numpy()
    audio = np.asarray(item, dtype=np.float32)
    audio = audio[None, :] if audio.ndim == 1 else audio
    if audio.ndim != 2 or audio.shape[0] < 1:
        raise NoisekitError(f"a dataset item must be (samples,) or (channels, samples) audio, got shape {audio.shape}")
    return audio


class DatasetItems:
    """Any indexable dataset of audio at the mix rate (see :func:`as_array`) as :class:`Items`.

    ``lengths`` (samples per item) spares the one pass over the dataset that measures them otherwise; the
    item last read is kept, since a draw asks for its channels and then for its crop.
    """

    def __init__(self, dataset: Any, lengths: Sequence[int] | None = None) -> None:
        self.dataset = dataset
        self._lengths = None if lengths is None else np.asarray(lengths, dtype=np.float64)
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def _audio(self, i: int) -> np.ndarray:
        if self._last is None or self._last[0] != i:
            self._last = (i, as_array(self.dataset[i]))
        return self._last[1]

    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = np.array([self._audio(i).shape[1] for i in range(len(self))], dtype=np.float64)
        return self._lengths

    def channels(self, i: int) -> int:
        return self._audio(i).shape[0]

    def span(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        x = self._audio(i)[channel, start : start + n]
        out[: len(x)] = x
        return out

    def loop(self, i: int, start: int, n: int, channel: int) -> np.ndarray:
        whole = self._audio(i)[channel]
        if len(whole) == 0:
            raise NoisekitError(f"noise item {i} is empty")
        return whole[(start + np.arange(n)) % len(whole)]


def as_items(source: Any, sr: int = SAMPLE_RATE) -> Items:
    """:class:`Items` of a source: itself, a list of :class:`Clip`, a set with ``clips`` (noisekit.NoiseSet,
    noisekit.CleanSet: their files), or any other dataset of audio (:class:`DatasetItems`)."""
    if isinstance(source, Items):
        return source
    clips = getattr(source, "clips", source)
    if isinstance(clips, list | tuple) and all(isinstance(c, Clip) for c in clips):
        return ClipItems(clips, sr)
    return DatasetItems(source)


def draw_mix_params(rng: np.random.Generator, clean: Any, noise: Any, cfg: MixConfig) -> MixParams:
    """Draw one example: a clean item (weighted by length), a noise item, offsets, channels, SNR and gain."""
    clean, noise = as_items(clean, cfg.sample_rate), as_items(noise, cfg.sample_rate)
    lengths = clean.lengths()
    ci = int(rng.choice(len(clean), p=lengths / lengths.sum()))
    cn = int(lengths[ci])
    ni = int(rng.integers(len(noise)))
    nn_ = int(noise.lengths()[ni])
    p = MixParams(
        clean_index=ci,
        clean_start=int(rng.integers(max(cn - cfg.crop, 0) + 1)),
        clean_channel=int(rng.integers(clean.channels(ci))),
        noise_index=ni,
        noise_start=int(rng.integers(max(nn_, 1))),
        noise_channel=int(rng.integers(noise.channels(ni))),
        snr_db=float(rng.uniform(*cfg.snr_db)),
        gain_db=float(rng.uniform(*cfg.gain_db)),
    )
    # drawn after the rest, and only when asked for, so runs without rumble draw what they always drew
    if cfg.rumble_share > 0 and rng.random() < cfg.rumble_share:
        p = replace(
            p,
            rumble_db=float(rng.uniform(*cfg.rumble_db)),
            rumble_hz=float(np.exp(rng.uniform(*np.log(cfg.rumble_hz)))),
            rumble_seed=int(rng.integers(1 << 31)),
        )
    return p


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


def apply_mix(
    clean: np.ndarray, noise: np.ndarray, p: MixParams, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, np.ndarray]:
    """Mix a clean crop Y and a noise crop N (plus the drawn rumble) as X = β(Y + αN); returns (X, βY) as float32.

    The SNR is that of the whole noise, rumble included."""
    if not np.any(noise):
        raise NoisekitError(f"noise segment {p.noise_index} is silent at offset {p.noise_start}")
    if p.rumble_db is not None:
        level = np.sqrt(np.mean(np.square(noise, dtype=np.float64))) * db_to_gain(p.rumble_db)
        noise = noise + (rumble(len(noise), sample_rate, p.rumble_hz, p.rumble_seed) * level).astype(np.float32)
    mixture, _ = mix_at_snr(clean.astype(np.float32), noise.astype(np.float32), p.snr_db)
    beta = np.float32(db_to_gain(p.gain_db))
    return (mixture * beta).astype(np.float32), (clean * beta).astype(np.float32)


class MixDataset(Dataset):
    """Example ``i`` of a split: (noisy, clean) float32 waveforms of ``cfg.crop`` samples, pure in (seed, i).

    ``clean`` and ``noise`` are anything :func:`as_items` takes (lists of :class:`Clip` for `noisekit train`).
    """

    def __init__(self, clean: Any, noise: Any, cfg: MixConfig, seed: int, split: str, length: int = 1 << 62) -> None:
        if not len(clean):
            raise NoisekitError(f"no clean music in split '{split}': run `noisekit manifest clean` first")
        if not len(noise):
            raise NoisekitError(f"no noise segments in split '{split}' for the chosen kinds/devices")
        self.clean, self.noise = as_items(clean, cfg.sample_rate), as_items(noise, cfg.sample_rate)
        self.cfg, self.seed, self.split, self.length = cfg, seed, split, length

    def __len__(self) -> int:
        return self.length

    def params(self, i: int) -> MixParams:
        """The drawn parameters of example ``i``."""
        return draw_mix_params(rng_for(self.seed, "mix", self.split, i), self.clean, self.noise, self.cfg)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.params(i)
        n = self.cfg.crop
        y = self.clean.span(p.clean_index, p.clean_start, n, p.clean_channel)
        noise = self.noise.loop(p.noise_index, p.noise_start, n, p.noise_channel)
        x, y = apply_mix(y, noise, p, self.cfg.sample_rate)
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
