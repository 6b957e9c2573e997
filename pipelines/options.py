"""The options of every stage, with their defaults: the one place both the command line and configs read them.

A command fills one of these from its flags (its flag defaults are these field defaults), a config stage from
its `params` table (each key a field name, checked before anything runs), and the stage's library function
takes it. They live together in this light module, not beside their stage's code, because the commands read
the defaults when the CLI starts and the stages' modules import torch, matplotlib or requests.
A path in a config may be written `data:REL` (inside the data directory); the defaults below use that form.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from noisekit.errors import ConfigError
from noisekit.pipelines.debian import check_package_name
from noisekit.pipelines.splits import DEFAULT_FRACTIONS


@dataclass(frozen=True)
class DemoArchiveOptions:
    """The miniature Great-78-like archive of synthetic sides (`ia download` layout)."""

    out: str = "data:demo-archive"
    sides: int = 6
    duration_s: float | None = 60.0
    seed_start: int = 2_000_000  # apart from the classifier's training and evaluation seeds


@dataclass
class HarvestOptions:
    """What to harvest and how politely; `policy` (a RetryPolicy) holds timeouts, retries and backoff."""

    collection: str | None = "georgeblood"
    query: str | None = None
    limit: int | None = None
    identifiers: tuple[str, ...] = ()
    identifiers_file: str | None = None  # one identifier a line, '#' comments
    jobs: int = 4
    endpoint: str | None = None
    source_dir: str | Path | None = None
    files: str = "main"
    format: str = "lossless"
    rate: float | None = 8.0
    policy: Any = None  # None: RetryPolicy()
    batch_items: int = 200
    batch_seconds: float = 30.0
    progress: bool = True

    @property
    def selection(self) -> str:
        return f"{self.files}/{self.format}"


@dataclass(frozen=True)
class ExtractOptions:
    """Which recordings (`inputs`, else the ok rows of recordings.parquet), which classifier and segmenter
    overrides, how many workers or which Dask scheduler, the disc speed and the split fractions."""

    inputs: tuple[str, ...] = ()
    model: str | None = None  # classifier checkpoint; None: the shipped weights
    jobs: int | None = None  # None: the number of CPUs
    scheduler: str | None = None
    rpm: float | str = 78.0
    segmenter: dict = field(default_factory=dict)  # SegmenterParams overrides, e.g. {"margin_s": 0.5}
    splits: tuple[float, ...] = DEFAULT_FRACTIONS
    force: bool = False
    retry_failed: bool = False
    progress: bool = True


@dataclass(frozen=True)
class DemoTapeBundleOptions:
    """A contribution bundle of synthetic blank-tape captures, as an archive would send one."""

    out: str = "data:contributions/demo-tape.zip"
    seed: int = 0
    speeds: tuple[float, ...] = (7.5, 15.0)


NOISE_REDUCTION = (
    "none",
    "dolby-a",
    "dolby-b",
    "dolby-c",
    "dolby-s",
    "dolby-sr",
    "dbx",
    "dbx-ii",
    "telcom-c4",
    "high-com",
    "anrs",
    "other",
)  # the tape noise-reduction systems a capture may name


@dataclass(frozen=True, kw_only=True)
class CaptureDetails:
    """What a contributor says about blank-tape captures besides the deck and speed: the metadata ingest-tape,
    contribute and CaptureMeta share (keyword-only, so each subclass puts its own fields first)."""

    tape_stock: str | None = None
    format: str | None = None  # open-reel or cassette; None: the device registry's format for the deck
    noise_reduction: str = "none"
    chain: str | None = None
    contributor: str | None = None
    license: str | None = None  # an SPDX identifier

    def details(self) -> dict[str, Any]:
        """These fields by name, to build another CaptureDetails (e.g. a CaptureMeta) from them."""
        return {f.name: getattr(self, f.name) for f in fields(CaptureDetails)}


@dataclass(frozen=True)
class IngestTapeOptions(CaptureDetails):
    """Contribution bundles (each all-or-nothing), or capture files of one deck at one speed and their metadata."""

    bundles: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    device: str | None = None
    speed_ips: float | None = None
    new_device: bool = False
    model: str | None = None  # classifier checkpoint for the content check; None: the shipped weights
    progress: bool = True


@dataclass(frozen=True)
class ContributeOptions(CaptureDetails):
    """A contribution bundle to write: capture files of one deck at one or more speeds (one for all files, or one
    per file in order), their metadata, the date (None: today) and free-text notes."""

    out: str
    device: str
    speeds: tuple[float, ...]
    files: tuple[str, ...]
    date: str | None = None
    notes: str | None = None
    new_device: bool = False
    model: str | None = None  # classifier checkpoint for the content check; None: the shipped weights


@dataclass(frozen=True)
class DemoMusicOptions:
    """Synthetic clean music for the demo's training and evaluation mixtures."""

    out: str = "data:demo-music"
    pieces: int = 12
    duration_s: float = 20.0
    seed: int = 3_000_000


@dataclass(frozen=True)
class CleanOptions:
    """A folder of clean music indexed into clean.parquet, with grouped splits (a sub-folder is a group)."""

    folder: str
    valid: float = 0.1
    test: float = 0.1
    seed: int = 0
    progress: bool = True


@dataclass(frozen=True)
class ExportOptions:
    """The noise dataset exported as `format` (moliner: the official code's layout; hf: a Hugging Face folder;
    lhotse: RecordingSet/CutSet manifests) to `out`, with the raw cuts or the 5-s loops (None: raw for moliner,
    loops for hf and lhotse); `out` is replaced only with `overwrite`."""

    format: Literal["moliner", "hf", "lhotse"]
    out: str
    audio: Literal["raw", "loop"] | None = None
    overwrite: bool = False
    progress: bool = True


MaterialKind = Literal["music", "speech", "effects"]


@dataclass(frozen=True)
class MaterialSource:
    """One Debian package of real programme, its kind, and which of its audio files to take."""

    package: str
    kind: MaterialKind
    include: tuple[str, ...] = ("*.ogg", "*.opus", "*.wav", "*.flac", "*.mp3")  # fnmatch over member paths
    max_files: int | None = None  # the first N matching members (sorted by path); None: all

    def __post_init__(self) -> None:
        check_package_name(self.package)
        kinds = typing.get_args(MaterialKind)
        if self.kind not in kinds:
            raise ConfigError(f"{self.package}: kind {self.kind!r} is not one of {', '.join(kinds)}")


@dataclass(frozen=True)
class MaterialOptions:
    """Which packages `fetch_material` fetches, where it keeps the .debs (None: D/material/.debs) and the
    fractions of each package's tracks kept for validation and test."""

    sources: tuple[MaterialSource, ...]
    cache: str | Path | None = None
    valid: float = 0.1
    test: float = 0.2
    progress: bool = True


@dataclass(frozen=True)
class ReportOptions:
    """The report page's title (None: the data directory's name) and the evaluations folder it shows (a config
    names it so that a new evaluation also refreshes the page)."""

    title: str | None = None
    evaluations: str | None = None


MIN_DENOISE_CHUNK_S = 1.5  # two discarded 0.5-s contexts, a crossfade, and at least one step of the model's grid


PRECISIONS = ("float32", "bfloat16")  # the arithmetic `denoise` may run the model in


@dataclass(frozen=True)
class DenoiseOptions:
    """Chunked U-Net inference (`noisekit denoise`, `noisekit.load_denoiser`): which model, where, and how it is
    cut into chunks (longer chunks waste less on discarded context, shorter ones need less memory)."""

    checkpoint: str | None = None  # None: the shipped `small`
    device: str = "auto"
    chunk_s: float = 10.0  # keeps 8.9 s of each chunk: 1.12x the work of unchunked, where 5 s costs 1.28x
    batch_size: int = 1  # batches of 4 ran slower on 2 cores (1.36x vs 1.99x real time) and took 2.2x the memory
    precision: str = "float32"  # one of PRECISIONS; bfloat16: 1.8x faster with AVX512-BF16, output changed at -47 dB


@dataclass(frozen=True)
class TrainOptions:
    """A training run: where, from which weights, for how long; every None is the preset's TrainConfig value."""

    out: str = "data:runs/train"
    preset: str = "small"
    init: str | None = None  # a checkpoint, or "shipped" for the model in denoiser/weights/
    device: str = "auto"
    max_minutes: float | None = None
    threads: int = 0  # torch CPU threads; 0: torch's default
    steps: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    lr_step: int | None = None
    crop_s: float | None = None
    noise: str | None = None  # the mix preset (SNR and gain ranges): gramophone or tape
    kinds: tuple[str, ...] | None = None  # None: the noise preset's kind
    devices: tuple[str, ...] | None = None
    snr_db: tuple[float, float] | None = None
    gain_db: tuple[float, float] | None = None
    rumble_share: float | None = None
    seed: int | None = None
    ckpt_every: int | None = None
    val_every: int | None = None
    val_examples: int | None = None
    workers: int | None = None

    def overrides(self) -> dict:
        """The TrainConfig fields this run sets (None ones keep the preset's values)."""
        mix = ("noise", "devices", "snr_db", "gain_db", "rumble_share")
        names = ("steps", "batch_size", "lr", "lr_step", "crop_s", *mix, "seed")
        values = {n: getattr(self, n) for n in (*names, "ckpt_every", "val_every", "val_examples", "workers")}
        values["kinds"] = self.kinds or ((self.noise,) if self.noise else None)
        values["max_seconds"] = self.max_minutes * 60.0 if self.max_minutes else None
        return values


@dataclass(frozen=True)
class EvaluateOptions:
    """Which model and baselines to score on which test mixtures (input SNRs, examples per noise kind, clip
    length, seed, split, kinds), and where the report goes (None: DIR/runs/eval/<checkpoint name>)."""

    checkpoint: str | None = None
    out: str | None = None
    snr: tuple[float, ...] = (3.0, 10.0, 16.0)
    examples: int = 8
    clip_s: float = 5.0
    kinds: tuple[str, ...] = ("gramophone", "tape")
    seed: int = 0
    split: str = "test"
    methods: tuple[str, ...] | None = None  # None: all
    visqol: bool = True
    keep_audio: bool = False
    threads: int | None = None
    progress: bool = True

    def out_dir(self, runs: Path) -> Path:
        """The report folder: `out`, else runs/eval/<checkpoint name or 'baselines'>."""
        if self.out:
            return Path(self.out)
        return runs / "eval" / (Path(self.checkpoint).stem if self.checkpoint else "baselines")
