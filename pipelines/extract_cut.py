"""One extract task: a recording in, its noise rows out (cuts and 5-s loops written, rows as one part).

`run_task(task, config)` is the plain, picklable function each executor worker runs. It streams the
recording's mono mix at 44.1 kHz through the segment finder (bounded memory), re-reads only the noise
spans with soundfile seeks (all channels kept), writes each raw cut and its loop as FLAC, and writes the
rows as the task's own Parquet part atomically: the part's presence marks the recording done. A cut that
is not surface noise (digital silence, near-silence, a fade, gating: `noisekit.pipelines.cut_checks`) is
not written but kept as a row with status='refused' and the reason. Any failure of a recording becomes one
row with status='failed' and the reason, and the run goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import soundfile as sf
import soxr

from noisekit.audio import SAMPLE_RATE, audio_info, iter_blocks, write_audio
from noisekit.datadir import DataDir
from noisekit.errors import AudioError, NoisekitError
from noisekit.manifests import write_part
from noisekit.pipelines.cut_checks import CutRules, FloorMeter, measure_cut, refusal
from noisekit.pipelines.loop import LoopError, make_loop, min_loopable_samples
from noisekit.pipelines.noise_print import PrintRules, block_levels, noise_print, split_by_print
from noisekit.pipelines.silence import sound_spans
from noisekit.pipelines.splits import DEFAULT_FRACTIONS, split_for
from noisekit.seeding import stable_hash
from noisekit.signal import rms_dbfs

if TYPE_CHECKING:  # the classifier (and torch) load only when a task needs them
    from noisekit.classifier.segmenter import SegmenterParams

TABLE = "noise"
LOCAL_LICENCE = "unknown (local file)"
BLOCK_S = 30.0
_SPAN_PAD_S = 0.05  # extra native-rate context read around a span so resampling has no edge effects


class Segment(Protocol):
    """What a segment finder returns per noise-only run (noisekit.classifier.segmenter.NoiseSegment fits)."""

    start_s: float
    end_s: float
    p_noise: float


class SegmentFinder(Protocol):
    """Finds noise-only runs in a mono signal given as consecutive 1-D blocks at `sr`."""

    def __call__(self, blocks: Iterable[np.ndarray], sr: int) -> Sequence[Segment]: ...


_MODELS: dict[tuple[str | None, str], object] = {}
_MODELS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ClassifierFinder:
    """The shipped CNN classifier plus segmenter, loaded once per worker process and then reused."""

    model_path: str | None = None
    params: SegmenterParams | None = None  # None = its defaults
    threads: int | None = None  # torch threads per worker (None leaves torch's setting alone)
    device: str = "cpu"

    def classifier(self):
        """The loaded NoiseClassifier of this worker (loaded on first use, then cached)."""
        key = (self.model_path, self.device)
        with _MODELS_LOCK:
            if key not in _MODELS:
                import torch

                from noisekit.classifier import load_classifier

                if self.threads:
                    torch.set_num_threads(self.threads)
                _MODELS[key] = load_classifier(self.model_path, device=self.device)
            return _MODELS[key]

    def __call__(self, blocks: Iterable[np.ndarray], sr: int) -> list:
        from noisekit.classifier.segmenter import segments_from_probs

        return segments_from_probs(self.classifier().window_probs_stream(blocks, sr), self.params)


@dataclass(frozen=True)
class RecordingTask:
    """One recording to process: where it is, what identifies it, and what the rows inherit from it."""

    source: str  # archive identifier, or the input path as given
    source_path: str  # the audio file as given (relative to the data directory for harvested files)
    abs_path: str
    part: str  # the part name and the folder of its segments (safe, stable)
    md5: str | None = None  # from recordings.parquet when known (saves hashing the file)
    year: int | None = None
    label: str | None = None
    problem: str | None = None  # known before running (e.g. an unsafe path): the task fails with it
    license: str = LOCAL_LICENCE  # the source's licence as its archive metadata states it (licence_statement)


@dataclass(frozen=True)
class ExtractConfig:
    """Options shared by every task of a run (picklable: sent to each worker)."""

    root: str
    finder: SegmentFinder = field(default_factory=ClassifierFinder)
    rpm: float = 78.0
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    block_s: float = BLOCK_S
    rules: CutRules = field(default_factory=CutRules)
    print_rules: PrintRules = field(default_factory=PrintRules)


@dataclass(frozen=True)
class TaskSummary:
    """What one task did, returned to the parent for the progress bar and the summary."""

    part: str
    ok: bool
    segments: int = 0
    noise_s: float = 0.0
    audio_s: float = 0.0
    too_short: int = 0
    refused: int = 0
    error: str | None = None


def segment_id(checksum: str, start: int, end: int) -> str:
    """Stable id of a cut: a hash of the source's checksum and the cut's sample span at 44.1 kHz."""
    return f"{stable_hash('noise-cut', checksum, start, end):016x}"


def source_checksum(task: RecordingTask) -> tuple[str, str | None]:
    """('md5:<hex>' or 'sha256:<hex>', sha256 or None): the archive's md5 when known, else the file's sha256."""
    if task.md5:
        return f"md5:{task.md5.lower()}", None
    from noisekit.fsutil import sha256_file

    try:
        digest = sha256_file(task.abs_path)
    except OSError as exc:
        raise AudioError(task.abs_path, f"unreadable: {exc.strerror or exc}") from exc
    return f"sha256:{digest}", digest


def read_span(path: str | Path, start: int, end: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Samples [start, end) at rate `sr` of a file, all channels, reading only that span (seek)."""
    try:
        with sf.SoundFile(str(path)) as handle:
            sr_in, n_in = handle.samplerate, handle.frames
            if sr_in == sr:
                a, b = start, end
            else:
                a = max(0, math.floor((start / sr - _SPAN_PAD_S) * sr_in))
                b = min(n_in, math.ceil((end / sr + _SPAN_PAD_S) * sr_in))
            handle.seek(a)
            data = handle.read(b - a, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(path, f"cannot read {start / sr:.2f}-{end / sr:.2f} s: {exc}") from exc
    if sr_in != sr:
        data = soxr.resample(data, sr_in, sr, quality="HQ")
        offset = int(round((start / sr - a / sr_in) * sr))
        data = data[offset : offset + (end - start)]
    if len(data) != end - start:
        raise AudioError(
            path, f"truncated: {start / sr:.2f}-{end / sr:.2f} s gave {len(data)} of {end - start} samples"
        )
    if not np.isfinite(data).all():
        raise AudioError(path, f"NaN or infinite samples in {start / sr:.2f}-{end / sr:.2f} s")
    return np.ascontiguousarray(data.T)


def _base_row(task: RecordingTask, split: str) -> dict:
    return {
        "kind": "gramophone",
        "source": task.source,
        "source_path": task.source_path,
        "year": task.year,
        "label": task.label,
        "split": split,
        "license": task.license,
    }


def prefetch(blocks: Iterator[np.ndarray], depth: int = 2) -> Iterator[np.ndarray]:
    """Decode ahead in a thread while the consumer classifies (libsndfile, soxr and torch release the GIL).

    At most `depth` blocks wait in the queue; an error of the producer is raised in the consumer, and a
    consumer that stops early stops the producer.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        """Queue `item`, waiting while the queue is full; False when the consumer has stopped."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for block in blocks:
                if not put(block):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            put(exc)

    worker = threading.Thread(target=produce, name="extract-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


class BackgroundWriter:
    """Encode and write audio files in two threads while the caller cuts the next span (bounded backlog).

    libsndfile's FLAC encoder releases the GIL, so writes overlap with reading and looping. Leaving the
    block waits for every write and raises the first error, so no file is half-written afterwards.
    """

    def __init__(self, threads: int = 2, backlog: int = 4) -> None:
        self._pool = cf.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="extract-write")
        self._slots = threading.BoundedSemaphore(backlog)
        self._futures: list[cf.Future] = []

    def write(self, path: Path, audio: np.ndarray) -> None:
        """Queue one file (waits while `backlog` writes are pending)."""
        self._slots.acquire()
        future = self._pool.submit(write_audio, path, audio, SAMPLE_RATE)
        future.add_done_callback(lambda _f: self._slots.release())
        self._futures.append(future)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True)
        if exc_info[0] is None:
            for future in self._futures:
                future.result()


def extract_recording(task: RecordingTask, config: ExtractConfig) -> tuple[list[dict], TaskSummary]:
    """Find, cut and loop the noise-only runs of one recording; returns its ok rows and a summary."""
    if task.problem:
        raise AudioError(task.source_path, task.problem)
    datadir = DataDir(config.root)
    info = audio_info(task.abs_path)
    shortest = min_loopable_samples(config.rpm)
    if info.duration_s * SAMPLE_RATE < shortest:
        raise AudioError(
            task.source_path,
            f"{info.duration_s:.2f} s long, shorter than the shortest loopable cut ({shortest / SAMPLE_RATE:.2f} s: "
            f"one revolution at {config.rpm:g} rpm plus the crossfade), so it can hold no noise loop",
        )
    checksum, sha256 = source_checksum(task)
    blocks = prefetch(iter_blocks(task.abs_path, block_s=config.block_s, sr=SAMPLE_RATE, mono=True))
    meter = FloorMeter(SAMPLE_RATE)
    segments = config.finder((meter.feed(b[0]) for b in blocks), SAMPLE_RATE)
    floor = meter.floor_db(config.rules.floor_percentile)
    folder = datadir.noise_gramophone / task.part
    split = split_for(task.source, config.fractions)
    total = int(round(info.duration_s * SAMPLE_RATE))
    rows: list[dict] = []
    kept, too_short = set(), 0
    with BackgroundWriter() as writer:
        for seg in sorted(segments, key=lambda s: (s.start_s, s.end_s)):
            start = max(0, int(round(seg.start_s * SAMPLE_RATE)))
            end = min(total, int(round(seg.end_s * SAMPLE_RATE)))
            if end - start < shortest:
                too_short += 1
                continue
            whole = read_span(task.abs_path, start, end)
            for a, b, silent in _pieces(whole, shortest, floor, config):
                cut, cut_start, cut_end = whole[:, a:b], start + a, start + b
                sid = segment_id(checksum, cut_start, cut_end)
                if any(r["segment_id"] == sid for r in rows):
                    continue  # the finder returned the same span twice
                row = {
                    **_base_row(task, split),
                    "segment_id": sid,
                    "source_sha256": sha256,
                    "start_s": cut_start / SAMPLE_RATE,
                    "end_s": cut_end / SAMPLE_RATE,
                    "duration_s": (cut_end - cut_start) / SAMPLE_RATE,
                    "sample_rate": SAMPLE_RATE,
                    "channels": int(cut.shape[0]),
                    "p_noise": float(seg.p_noise),
                    "rms_dbfs": rms_dbfs(cut),
                }
                if silent:
                    why = silent if isinstance(silent, str) else "digital silence: no surface noise to loop"
                    rows.append({**row, "status": "refused", "error": why})
                    continue
                try:
                    loop = make_loop(cut, config.rpm)
                except LoopError:
                    too_short += 1
                    continue
                levels = measure_cut(cut, SAMPLE_RATE, floor, config.rules)
                reason = refusal(levels, floor, row["duration_s"], config.rules)
                if reason is not None:
                    rows.append({**row, "status": "refused", "error": reason})
                    continue
                raw_file, loop_file = folder / "raw" / f"{sid}.flac", folder / f"{sid}.flac"
                writer.write(raw_file, cut)
                writer.write(loop_file, loop)
                kept.update({raw_file, loop_file})
                raw, looped = datadir.relative(raw_file), datadir.relative(loop_file)
                rows.append({**row, "path": looped, "raw_path": raw, "status": "ok"})
    _remove_stale(folder, kept)
    ok = [r for r in rows if r["status"] == "ok"]
    noise_s = sum(r["duration_s"] for r in ok)
    refused = len(rows) - len(ok)
    return rows, TaskSummary(task.part, True, len(ok), noise_s, info.duration_s, too_short, refused)


def _pieces(
    whole: np.ndarray, shortest: int, floor: float | None, config: ExtractConfig
) -> list[tuple[int, int, bool | str]]:
    """(a, b, refusal) of a span in order: its digital silence (True), and its sound, split where a block
    leaves the sound's own noise print (the reason; False for the rest). Sound that the level checks refuse
    whole (a fade, near silence) is not split: it keeps that reason."""
    out: list[tuple[int, int, bool | str]] = []
    for a, b, silent in _silence_split(whole, shortest):
        sound = whole[:, a:b]
        if silent or refusal(measure_cut(sound, SAMPLE_RATE, floor, config.rules), floor, 0.0, config.rules):
            out.append((a, b, silent))
            continue
        levels = block_levels(sound.mean(axis=0), SAMPLE_RATE, config.print_rules.block_s)
        pieces = split_by_print(levels, noise_print(levels, config.print_rules), b - a, SAMPLE_RATE, config.print_rules)
        out += [(a + p, a + q, why if why is not None else False) for p, q, why in pieces]
    return out


def _silence_split(whole: np.ndarray, shortest: int) -> list[tuple[int, int, bool]]:
    """(a, b, silent) spans of a cut in order: its sound, and its digital silence long enough to loop
    (silence is never looped; shorter silence is dropped unrecorded)."""
    out, pos = [], 0
    for a, b in sound_spans(whole, SAMPLE_RATE):
        if a - pos >= shortest:
            out.append((pos, a, True))
        out.append((a, b, False))
        pos = b
    if whole.shape[-1] - pos >= shortest:
        out.append((pos, whole.shape[-1], True))
    return out


def _remove_stale(folder: Path, kept: set[Path]) -> None:
    """Delete files of this recording's folder that this run did not write (old cuts, killed temp files)."""
    for sub in (folder, folder / "raw"):
        if not sub.is_dir():
            continue
        for f in sub.iterdir():
            if f.is_file() and f not in kept:
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
    for sub in (folder / "raw", folder):
        with contextlib.suppress(OSError):
            sub.rmdir()  # only succeeds when empty


def error_row(task: RecordingTask, reason: str, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> dict:
    """The row recording that a recording failed, with a stable id and the reason."""
    sid = f"{stable_hash('noise-error', task.source, task.source_path):016x}"
    return {
        **_base_row(task, split_for(task.source, fractions)),
        "segment_id": sid,
        "status": "failed",
        "error": reason,
    }


def run_task(task: RecordingTask, config: ExtractConfig) -> TaskSummary:
    """Process one recording and write its part; errors of the recording become an error row."""
    try:
        rows, summary = extract_recording(task, config)
    except (NoisekitError, ValueError, OSError, MemoryError, RuntimeError) as exc:  # RuntimeError: torch, libsndfile
        reason = str(exc) if isinstance(exc, NoisekitError) else f"{task.source_path}: {exc}"
        rows = [error_row(task, reason, config.fractions)]
        summary = TaskSummary(task.part, False, error=reason)
        _remove_stale(DataDir(config.root).noise_gramophone / task.part, set())  # no half-written recording
    write_part(DataDir(config.root), TABLE, task.part, rows)
    return summary
