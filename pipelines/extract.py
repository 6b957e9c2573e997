"""The extract stage: every recording → its noise-only cuts and 5-s loops → manifests/noise.parquet.

Each recording is one task (`noisekit.pipelines.extract_cut.run_task`, a plain picklable function) submitted to a
`concurrent.futures` executor: a local process pool by default, or a running Dask cluster through
`Client.get_executor()` when a scheduler address is given; nothing else changes. Tasks write their rows
as their own Parquet parts, so finished work survives a crash and a rerun skips it; at the end all parts
are merged into noise.parquet atomically. A run killed at any moment and started again ends in the same
manifest as one uninterrupted run.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from tqdm import tqdm

from noisekit.archive.metadata import licence_statement
from noisekit.datadir import DataDir
from noisekit.discovery import expand_inputs
from noisekit.errors import ConfigError, NoisekitError, UnsafePathError
from noisekit.fsutil import atomic_write, remove_temporaries, sha256_file
from noisekit.manifests import part_names, parts_dir, read_manifest, write_manifest
from noisekit.pipelines.extract_cut import (
    TABLE,
    ClassifierFinder,
    ExtractConfig,
    RecordingTask,
    SegmentFinder,
    TaskSummary,
    run_task,
)
from noisekit.pipelines.extract_duplicates import Duplicate, settle_duplicates
from noisekit.pipelines.loop import parse_rpm
from noisekit.pipelines.options import ExtractOptions
from noisekit.pipelines.splits import check_fractions
from noisekit.seeding import stable_hash

if TYPE_CHECKING:  # the classifier (and torch) load only when extract uses it
    from noisekit.classifier.segmenter import SegmenterParams

SCHEDULER_TIMEOUT = "30s"


@dataclass
class ExtractResult:
    """What a run did: the merged manifest and the counts of the one-line summary."""

    table: pa.Table
    done: int = 0
    failed: int = 0
    skipped: int = 0
    segments: int = 0
    noise_s: float = 0.0
    audio_s: float = 0.0
    too_short: int = 0
    refused: int = 0
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the run changed besides its recordings (settings)

    @property
    def realtime_factor(self) -> float:
        return self.audio_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> str:
        """The one-line summary printed at the end of a run."""
        return (
            f"extract: {self.done} recordings done, {self.failed} failed, {self.skipped} already done; "
            f"{self.segments} segments, {self.noise_s / 60:.1f} min of noise"
            + (f" ({self.too_short} cuts too short to loop)" if self.too_short else "")
            + (f"; {self.refused} cuts refused as not surface noise (see status/error)" if self.refused else "")
            + f"; {self.elapsed_s:.1f} s elapsed, {self.realtime_factor:.0f}x real time"
        )


def _slug(text: str, key: str) -> str:
    """A safe, stable folder/part name: the readable tail of `text` plus a hash of `key`."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(text).name if "/" in text else text).strip("._-")
    return f"{stem[:60] or 'rec'}-{stable_hash('part', key, bits=64):016x}"


def tasks_from_recordings(datadir: DataDir) -> list[RecordingTask]:
    """One task per ok row of recordings.parquet (path resolved inside the data directory)."""
    table = read_manifest(datadir, "recordings", missing_ok=False)
    tasks = []
    for row in table.to_pylist():
        if row["status"] != "ok" or not row["path"]:
            continue
        try:
            abs_path, problem = str(datadir.resolve(row["path"])), None
        except UnsafePathError as exc:
            abs_path, problem = "", str(exc)
        tasks.append(
            RecordingTask(
                source=row["identifier"],
                source_path=row["path"],
                abs_path=abs_path,
                part=_slug(f"{row['identifier']}", f"{row['identifier']}\x1f{row['file']}"),
                md5=row["md5"],
                year=row["year"],
                label=row["label"],
                problem=problem,
                license=licence_statement(row["license"], row["rights"]),
            )
        )
    return tasks


def tasks_from_inputs(inputs: Iterable[str | Path]) -> list[RecordingTask]:
    """One task per audio file named or found (recursively, sorted) under the given paths."""
    tasks = []
    for f in expand_inputs(inputs):
        text = f.as_posix()
        tasks.append(RecordingTask(source=text, source_path=text, abs_path=str(f.resolve()), part=_slug(f.stem, text)))
    return tasks


def _unique(tasks: Sequence[RecordingTask]) -> list[RecordingTask]:
    """The tasks less repeats: the same part, or the same file reached by two paths (the first given wins)."""
    seen: set[str] = set()
    unique = []
    for t in tasks:
        keys = {t.part, t.abs_path} - {""}
        if not keys & seen:
            unique.append(t)
        seen |= keys
    return unique


class InlineExecutor(cf.Executor):
    """Runs each task at submit time in this process (one job: no pickling, no worker start-up)."""

    def submit(self, fn: Callable, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def open_executor(jobs: int, scheduler: str | None) -> tuple[cf.Executor, Callable[[], None], int]:
    """(executor, close, slots): a Dask cluster's executor, a spawn process pool, or inline for one job."""
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, set_as_default=False, timeout=SCHEDULER_TIMEOUT)
        except OSError as exc:
            raise NoisekitError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        slots = max(1, sum(client.nthreads().values()))
        executor = client.get_executor()
        return executor, client.close, slots
    if jobs <= 1:
        executor = InlineExecutor()
        return executor, executor.shutdown, 1
    pool = cf.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
    return pool, pool.shutdown, jobs


def die_with_parent(parent: int) -> None:
    """Worker initializer: a watchdog thread ends this worker once `parent` is gone (a killed run's pool
    workers would otherwise wait forever for tasks)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def run_tasks(
    executor: cf.Executor, tasks: Sequence[RecordingTask], config: ExtractConfig, slots: int
) -> Iterator[TaskSummary]:
    """Submit tasks with a bounded number in flight and yield their summaries as they complete."""
    pending: set[cf.Future] = set()
    queue = iter(tasks)
    window = 2 * slots + 2
    while True:
        for task in queue:
            pending.add(executor.submit(run_task, task, config))
            if len(pending) >= window:
                break
        if not pending:
            return
        done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for future in done:
            yield future.result()


def _finished_parts(datadir: DataDir, retry_failed: bool) -> set[str]:
    folder = parts_dir(datadir, TABLE)
    names = part_names(datadir, TABLE)
    if retry_failed:
        for name in list(names):
            status = read_manifest(folder / f"{name}.parquet", TABLE).column("status").to_pylist()
            if "failed" in status:
                names.discard(name)
    return names


def consolidate(datadir: DataDir) -> tuple[pa.Table, list[Duplicate]]:
    """noise.parquet := the union of every part, written atomically (stale rows of redone parts vanish), with
    recordings whose audio another one already gave reduced to one failed row each (returned)."""
    tables, duplicates = settle_duplicates(datadir, sorted(part_names(datadir, TABLE)))
    combined = pa.concat_tables(tables) if tables else read_manifest(datadir, TABLE).slice(0, 0)
    return write_manifest(datadir, TABLE, combined), duplicates


def settings_stamp(
    finder: object,
    uses_classifier: bool,
    model: str | Path | None,
    params: SegmenterParams | None,
    rpm: float,
    fractions: Sequence[float],
) -> dict:
    """What the segments of a recording depend on besides its audio: the classifier's weights, the
    segmenter's parameters, the disc speed and the split fractions."""
    from dataclasses import asdict

    from noisekit.classifier.checkpoint import checkpoint_paths
    from noisekit.classifier.segmenter import SegmenterParams
    from noisekit.pipelines.cut_checks import CutRules
    from noisekit.pipelines.noise_print import PrintRules

    if uses_classifier:
        weights = checkpoint_paths(model)[0]
        finder_id = sha256_file(weights) if weights.is_file() else str(weights)
    else:
        finder_id = f"{type(finder).__module__}.{type(finder).__qualname__}"
    return {
        "finder": finder_id,
        "segmenter": asdict(params or SegmenterParams()),
        "cut_rules": asdict(CutRules()),
        "print_rules": asdict(PrintRules()),
        "rpm": rpm,
        "fractions": list(fractions),
    }


def _changes(old: dict, new: dict) -> list[str]:
    """The settings that differ, in words: "rpm 78.0 -> 45.0", "segmenter margin_s 0.5 -> 0.3", ..."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "finder":
            out.append("the classifier or segment finder")
        elif isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key} {k} {a.get(k)} -> {b.get(k)}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        else:
            out.append(f"{key} {a} -> {b}")
    return out


def _reset_parts_if_settings_changed(datadir: DataDir, stamp: dict, parts: set[str]) -> str | None:
    """Replace the work done with other settings, and say so: every earlier part and its cuts go (the
    recordings among `parts`, this run's, are redone; the others leave noise.parquet); then record the stamp.

    The parts go first and the stamp second, so a run killed in between redoes everything, never less.
    """
    folder = parts_dir(datadir, TABLE)
    path = folder.parent / f"{TABLE}.settings.json"
    old = json.loads(path.read_text()) if path.exists() else None
    if old == stamp:
        return None
    earlier = part_names(datadir, TABLE)
    for name in earlier:
        shutil.rmtree(datadir.noise_gramophone / name, ignore_errors=True)
        (folder / f"{name}.parquet").unlink()
    with atomic_write(path, "w") as handle:
        json.dump(stamp, handle, indent=1, sort_keys=True)
    if old is None or not earlier:
        return None
    gone = len(earlier - parts)
    return (
        f"settings changed since the last extract ({'; '.join(_changes(old, stamp))}): the noise of the "
        f"{len(earlier)} recording(s) extracted before is replaced; "
        + (
            f"{gone} of them are not among this run's recordings, so their rows and cuts are removed "
            "(extract them again to have them back)"
            if gone
            else "all are redone with the new settings"
        )
    )


def segmenter_params(overrides: dict) -> SegmenterParams:
    """SegmenterParams with `overrides` (name -> value, strings converted); unknown names are refused."""
    from dataclasses import fields

    from noisekit.classifier.segmenter import SegmenterParams

    known = {f.name: f for f in fields(SegmenterParams)}
    values = {}
    for name, value in overrides.items():
        if name not in known:
            raise ConfigError(f"unknown segmenter parameter {name!r}; known: {', '.join(known)}")
        default = getattr(SegmenterParams(), name)
        try:
            values[name] = type(default)(value)
        except (TypeError, ValueError):
            raise ConfigError(f"segmenter parameter {name}: {value!r} is not a {type(default).__name__}") from None
    return SegmenterParams(**values)


def extract(
    datadir: DataDir, options: ExtractOptions | None = None, finder: SegmentFinder | None = None, **changes
) -> ExtractResult:
    """Run the extract stage over recordings.parquet (or `options.inputs`) and return the merged noise manifest.

    `changes` replace fields of `options` (e.g. `jobs=1`); `options.segmenter` overrides fields of
    noisekit.classifier.segmenter.SegmenterParams (high, low, margin_s, ...) for the default classifier finder.
    """
    o = replace(options or ExtractOptions(), **changes)
    inputs, model, jobs, segmenter, rpm = o.inputs, o.model, o.jobs, o.segmenter, o.rpm
    started = time.perf_counter()
    fractions = check_fractions(o.splits)
    rpm = parse_rpm(rpm)
    params = segmenter_params(segmenter) if segmenter else None
    for given in inputs or ():
        datadir.refuse_as_input(given)  # never the data directory's own noise: noise of noise
    datadir.ensure()
    tasks = _unique(tasks_from_inputs(inputs) if inputs else tasks_from_recordings(datadir))
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    uses_classifier = finder is None
    if finder is None:
        # one torch thread per worker: the parallelism comes from the workers and the decode-ahead thread;
        # more threads oversubscribe the cores (measured: 3.4x slower classification with 2 on 2 cores)
        finder = ClassifierFinder(model_path=str(model) if model is not None else None, params=params, threads=1)
        finder.classifier()  # a bad --model fails here, once, not as an error row per recording
    config = ExtractConfig(root=str(datadir.root), finder=finder, rpm=rpm, fractions=fractions)
    remove_temporaries(parts_dir(datadir, TABLE))  # left by a killed run
    stamp = settings_stamp(finder, uses_classifier, model, params, rpm, fractions)
    replaced = _reset_parts_if_settings_changed(datadir, stamp, {t.part for t in tasks})
    done_parts = set() if o.force else _finished_parts(datadir, o.retry_failed)
    todo = [t for t in tasks if t.part not in done_parts]
    result = ExtractResult(table=pa.table({}), skipped=len(tasks) - len(todo), notes=[replaced] if replaced else [])
    if todo:
        executor, close, slots = open_executor(min(jobs, len(todo)), o.scheduler)
        bar = tqdm(total=len(todo), unit="rec", desc="extract", disable=not o.progress)
        try:
            for s in run_tasks(executor, todo, config, slots):
                result = _count(result, s)
                bar.update(1)
                bar.set_postfix(segments=result.segments, failed=result.failed, refresh=False)
        finally:
            bar.close()
            close()
    result.table, duplicates = consolidate(datadir)
    _count_duplicates(result, duplicates, {t.part for t in todo})
    result.elapsed_s = time.perf_counter() - started
    return result


def _count_duplicates(result: ExtractResult, duplicates: list[Duplicate], ran: set[str]) -> None:
    """Report each recording refused as the same audio as another; one run now counts as failed, not done."""
    for dup in duplicates:
        result.errors.append(dup.reason)
        if dup.part in ran:
            result.done, result.failed = result.done - 1, result.failed + 1
            result.segments, result.noise_s = result.segments - dup.segments, result.noise_s - dup.noise_s


def _count(result: ExtractResult, s: TaskSummary) -> ExtractResult:
    """Add one task's summary to the run's counts."""
    if not s.ok:
        result.failed += 1
        result.errors.append(s.error or "unknown error")
    else:
        result.done += 1
        result.segments += s.segments
        result.noise_s += s.noise_s
        result.audio_s += s.audio_s
        result.too_short += s.too_short
        result.refused += s.refused
    return result
