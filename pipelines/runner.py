"""Run a staged pipeline from a TOML config, skipping stages whose inputs and parameters are unchanged.

A stage's fingerprint is the hash of its type, its parameters, the checksums of the manifests it reads
and a listing (name, size, mtime) of the files and folders its parameters name. After a stage succeeds
the fingerprint and the checksums of the manifests it wrote are recorded in DIR/runs/pipeline-state.json;
the next run skips the stage when both still match, as make or DVC would.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import atomic_write, sha256_file
from noisekit.pipelines.params import build_options, check_params, unknown_key

log = logging.getLogger("noisekit.run")
STATE_FILE = "pipeline-state.json"
CONFIG_KEYS = {"": ("pipeline", "stage"), "[pipeline]": ("name", "description"), "stage": ("name", "uses", "params")}
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a stage's name is its log's file name


@dataclass(frozen=True)
class StageType:
    """What a stage does (`run(data, options)`, returning the items that failed, each named with its reason), the
    dataclass its params fill (`options`), which manifests it reads and writes, which params name input files or
    folders (part of its fingerprint) and which name outputs (anchored, not fingerprinted); `outputs(data,
    options)` lists the files it writes."""

    name: str
    run: Callable[[DataDir, Any], Sequence[str]]
    options: type
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    path_params: tuple[str, ...] = ()
    out_params: tuple[str, ...] = ()
    outputs: Callable[[DataDir, Any], list[Path]] | None = None


STAGE_TYPES: dict[str, StageType] = {}


def stage_type(
    name: str,
    options: type,
    reads: tuple[str, ...] = (),
    writes: tuple[str, ...] = (),
    path_params: tuple[str, ...] = (),
    out_params: tuple[str, ...] = (),
    outputs: Callable[[DataDir, Any], list[Path]] | None = None,
):
    """Register `fn(data, options)` as the stage type `name` (`uses = "name"` in configs); a config's params
    are the fields of the dataclass `options`, and `fn` returns the items that failed (empty: all done)."""

    def register(fn: Callable[[DataDir, Any], Sequence[str]]) -> Callable[[DataDir, Any], Sequence[str]]:
        STAGE_TYPES[name] = StageType(name, fn, options, reads, writes, path_params, out_params, outputs)
        return fn

    return register


@dataclass
class Stage:
    """One stage of a config: a unique name, the stage type it uses, its parameters as written (path
    parameters anchored) and the options they make."""

    name: str
    uses: str
    params: dict = field(default_factory=dict)
    options: Any = None

    @property
    def type(self) -> StageType:
        return STAGE_TYPES[self.uses]


@dataclass
class Pipeline:
    name: str
    stages: list[Stage]
    path: Path
    description: str = ""


class PipelineError(NoisekitError):
    """A config that cannot run: unknown stage types, duplicate names, unknown --from/--to/--force."""


def load_pipeline(path: str | Path) -> Pipeline:
    """Parse and check a pipeline config, every problem at once and before anything runs: unknown keys (with a
    close match), values of the wrong type, stage names that are not plain names. Relative path parameters
    are taken relative to the config file."""
    path = Path(path)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PipelineError(f"{path}: cannot read pipeline config: {exc}") from None
    meta = config.get("pipeline", {})
    problems = _unknown(path, "", config) + (_unknown(path, "[pipeline]", meta) if isinstance(meta, dict) else [])
    raw_stages = config.get("stage", [])
    if not raw_stages or not isinstance(raw_stages, list):
        problems.append(f"{path}: no [[stage]] entries")
        raw_stages = []
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_stages):
        stage, found = _load_stage(path, i, raw, seen)
        problems += found
        if stage is not None:
            stages.append(stage)
    if problems:
        raise PipelineError("\n".join(problems))
    return Pipeline(meta.get("name", path.stem), stages, path, meta.get("description", ""))


def _unknown(path: Path, table: str, raw: dict) -> list[str]:
    allowed = CONFIG_KEYS[table]
    return [unknown_key(f"{path}: {table or 'top level'}", key, allowed) for key in raw if key not in allowed]


def _load_stage(path: Path, i: int, raw: dict, seen: set[str]) -> tuple[Stage | None, list[str]]:
    """One [[stage]] table as a Stage, or the problems that keep it from being one."""
    name, uses, params = raw.get("name"), raw.get("uses"), raw.get("params", {})
    if not isinstance(name, str) or not isinstance(uses, str) or not name or not uses:
        return None, [f"{path}: stage #{i + 1} needs both 'name' and 'uses' (text)"]
    where = f"{path}: stage '{name}'"
    problems = _unknown(path, "stage", raw)
    if not PLAIN_NAME.fullmatch(name):
        problems.append(
            f"{where}: a stage name must be a plain name (letters, digits, '.', '_', '-'): it names "
            "the stage's log file in DIR/logs/"
        )
    if name in seen:
        problems.append(f"{path}: duplicate stage name '{name}'")
    seen.add(name)
    if uses not in STAGE_TYPES:
        return None, [*problems, f"{where} uses unknown type '{uses}'; known: {sorted(STAGE_TYPES)}"]
    if not isinstance(params, dict):
        return None, [*problems, f"{where}: 'params' must be a table, e.g. params = {{ jobs = 2 }}"]
    kind = STAGE_TYPES[uses]
    problems += check_params(f"{where} ({uses})", kind.options, params)
    if problems:
        return None, problems
    params = dict(params)
    for key in kind.path_params + kind.out_params:
        if key in params:
            params[key] = _anchor(params[key], path.parent)
    try:
        options = build_options(kind.options, params)
    except NoisekitError as exc:  # a value the options type itself refuses, e.g. a bad package name
        return None, [f"{where} ({uses}): {exc}"]
    return Stage(name, uses, params, options), []


def _anchor(value: object, base: Path) -> object:
    if isinstance(value, list):
        return [_anchor(v, base) for v in value]
    if isinstance(value, str) and value and not Path(value).is_absolute() and not value.startswith("data:"):
        return str((base / value).resolve())
    return value


def resolve_path(data: DataDir, value: str | Path) -> Path:
    """A path parameter: `data:REL` is inside the data directory, anything else as anchored at load time."""
    text = str(value)
    return data.root / text[len("data:") :] if text.startswith("data:") else Path(text)


def _listing(path: Path) -> list:
    """A cheap description of a file or folder tree that changes when its content does (like make's mtimes)."""
    if not path.exists():
        return [str(path), "absent"]
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [[p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _manifest_sum(data: DataDir, table: str) -> str:
    path = data.manifest_path(table)
    return sha256_file(path) if path.exists() else "absent"


def fingerprint(stage: Stage, data: DataDir) -> str:
    """Hash of the stage's type, parameters, input manifests and named input files."""
    kind = stage.type
    doc = {
        "uses": stage.uses,
        "params": stage.params,
        # a table the stage also writes is checked through its recorded output checksum instead
        "reads": {t: _manifest_sum(data, t) for t in kind.reads if t not in kind.writes},
        "files": {
            k: [_listing(resolve_path(data, p)) for p in (v if isinstance(v, list) else [v])]
            for k, v in stage.params.items()
            if k in kind.path_params
        },
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _output_sums(stage: Stage, data: DataDir) -> dict[str, str]:
    sums = {t: _manifest_sum(data, t) for t in stage.type.writes}
    if stage.type.outputs:
        for out in stage.type.outputs(data, stage.options):
            sums[str(out)] = sha256_file(out) if out.is_file() else ("present" if out.exists() else "absent")
    return sums


def _state_path(data: DataDir) -> Path:
    return data.runs / STATE_FILE


def load_state(data: DataDir) -> dict:
    path = _state_path(data)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        log.warning("%s is corrupt; every stage will run", path)
        return {}


def _save_state(data: DataDir, state: dict) -> None:
    with atomic_write(_state_path(data), "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)


@dataclass
class StageOutcome:
    """How a stage went: ran or skipped, how long it took, and the items that failed (each named)."""

    name: str
    status: str  # "ran" | "skipped"
    seconds: float
    failed: list[str] = field(default_factory=list)


def select(pipeline: Pipeline, start: str | None, stop: str | None) -> list[Stage]:
    """The stages from `start` to `stop` inclusive, in config order."""
    names = [s.name for s in pipeline.stages]
    for label, value in (("--from", start), ("--to", stop)):
        if value is not None and value not in names:
            raise PipelineError(f"{label} {value!r} is not a stage of {pipeline.path}; stages: {names}")
    lo = names.index(start) if start else 0
    hi = names.index(stop) if stop else len(names) - 1
    return pipeline.stages[lo : hi + 1]


def run_pipeline(
    pipeline: Pipeline,
    data: DataDir,
    start: str | None = None,
    stop: str | None = None,
    force: tuple[str, ...] = (),
    echo: Callable[[str], None] = print,
) -> list[StageOutcome]:
    """Run the selected stages in order, skipping up-to-date ones; each stage logs to DIR/logs/<stage>.log.

    A stage whose items partly failed does not stop the run, and is not recorded as done: the next run does it
    again (each stage resumes, so only what is missing is redone) and reports what still fails."""
    data.ensure()
    data.logs.mkdir(parents=True, exist_ok=True)
    unknown = set(force) - {s.name for s in pipeline.stages}
    if unknown:
        raise PipelineError(f"--force names unknown stage(s) {sorted(unknown)}")
    state = load_state(data)
    outcomes = []
    for stage in select(pipeline, start, stop):
        key = f"{pipeline.name}/{stage.name}"
        fp = fingerprint(stage, data)
        done = state.get(key, {})
        up_to_date = done.get("fingerprint") == fp and done.get("outputs") == _output_sums(stage, data)
        if stage.name not in force and up_to_date:
            echo(f"[{stage.name}] up to date, skipped")
            outcomes.append(StageOutcome(stage.name, "skipped", 0.0))
            continue
        echo(f"[{stage.name}] running ({stage.uses}); log: {data.logs / (stage.name + '.log')}")
        started = time.perf_counter()
        with _stage_log(data.logs / f"{stage.name}.log"):
            log.info("stage %s (%s) params=%s", stage.name, stage.uses, json.dumps(stage.params, default=str))
            failed = list(stage.type.run(data, stage.options))
            for item in failed:
                log.warning("failed: %s", item)
            log.info("stage %s finished in %.1f s", stage.name, time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        if failed:
            echo(f"[{stage.name}] {len(failed)} item(s) failed; the stage runs again next time")
            if state.pop(key, None) is not None:
                _save_state(data, state)
            outcomes.append(StageOutcome(stage.name, "ran", elapsed, failed))
            continue
        state[key] = {
            "fingerprint": fp,
            "outputs": _output_sums(stage, data),
            "finished_at": time.time(),
            "seconds": elapsed,
        }
        _save_state(data, state)
        outcomes.append(StageOutcome(stage.name, "ran", elapsed))
    return outcomes


class _stage_log:
    """Attach a file handler to the root logger for the duration of one stage."""

    def __init__(self, path: Path) -> None:
        self.handler = logging.FileHandler(path, mode="a", encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def __enter__(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        self.previous = root.level
        root.setLevel(min(root.level, logging.INFO) if root.level else logging.INFO)

    def __exit__(self, *exc) -> None:
        root = logging.getLogger()
        if exc[0] is not None:
            log.error("stage failed: %s", exc[1])
        root.removeHandler(self.handler)
        root.setLevel(self.previous)
        self.handler.close()
