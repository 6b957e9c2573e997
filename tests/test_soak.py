"""The soak: 20 random SIGKILLs across extract, ingest-tape, export and run, reruns, and two writers at once.

Whatever is killed when, the data directory ends as after one uninterrupted run: equal manifests, the same
files and no temporaries, staging folders or processes left behind. The kill times come from a fixed seed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq
import pytest
from extract_fakes import write_fake_side
from tape_helpers import blank_noise, write_capture

from noisekit.pipelines.tape_demo import make_demo_bundle

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("soak_driver.py")
ORDER = ("extract", "ingest-tape", "export", "run")
KILLS_PER_COMMAND = 5
SEED = 20261203
_TEMPORARY = re.compile(r"\.tmp|^\.bundle|\.old$")


def _inputs(base: Path) -> dict:
    """Two short sides, two blank-tape captures and a pipeline that ingests a bundle and writes the report."""
    layout = (("noise", 2.6), ("music", 1.0), ("noise", 2.6))
    for i in range(2):
        write_fake_side(base / "in" / f"side{i}.flac", seed=i, layout=layout)
    caps = [write_capture(base / "caps" / f"cap{i}.wav", blank_noise(i, duration_s=11.0)) for i in range(2)]
    make_demo_bundle(base / "bundle.zip", seed=5, speeds=(15.0,), duration_s=11.0)
    config = base / "soak.toml"
    config.write_text(
        '[pipeline]\nname = "soak"\n\n'
        f'[[stage]]\nname = "ingest"\nuses = "ingest-tape"\nparams = {{ bundles = ["{base / "bundle.zip"}"] }}\n\n'
        '[[stage]]\nname = "report"\nuses = "report"\n'
    )
    return {"in": base / "in", "caps": caps, "config": config}


def _argv(command: str, data: Path, inputs: dict) -> list[str]:
    args = {
        "extract": ["--input", inputs["in"], "--jobs", "2", "--no-progress"],
        "ingest-tape": ["--device", "Revox A77 (HS)", "--speed", "7.5", "--no-progress", *inputs["caps"]],
        "export": ["--format", "moliner", "--out", _export_of(data), "--overwrite", "--no-progress"],
        "run": [inputs["config"]],
    }[command]
    return [sys.executable, str(DRIVER), command, "--data", str(data), *map(str, args)]


def _export_of(data: Path) -> Path:
    return data.with_name(f"{data.name}-export")


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(argv: list[str]) -> float:
    """Run a command to its end (exit 0) and return how long it took, to spread the kill times over."""
    started = time.monotonic()
    proc = _start(argv)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"{argv[2]} failed:\n{out}\n{err}"
    return time.monotonic() - started


def _kill_during(argv: list[str], after_s: float) -> bool:
    """Start a command, SIGKILL it after `after_s` and check its worker processes die with it; False when it
    had finished first."""
    proc = _start(argv)
    deadline = time.monotonic() + after_s
    workers: set[psutil.Process] = set()
    while proc.poll() is None and time.monotonic() < deadline:
        workers |= set(_descendants(proc.pid))
        time.sleep(0.05)
    if proc.poll() is not None:
        proc.communicate()
        return False
    workers |= set(_descendants(proc.pid))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    _assert_all_gone(workers)
    return True


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _assert_all_gone(processes, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return
        time.sleep(0.1)
    for p in alive:
        p.kill()
    raise AssertionError(f"processes outlived their killed parent: {[p.cmdline() for p in alive]}")


def _two_writers_at_once(argv: list[str]) -> None:
    """Both start together: one does the work, the other stops at once with exit 2, naming the first."""
    procs = [_start(argv), _start(argv)]
    results = sorted(((p.pid, *p.communicate(timeout=300), p.returncode) for p in procs), key=lambda r: r[3])
    assert [rc for *_, rc in results] == [0, 2], results
    (winner, *_), (_, _, err, _) = results
    assert f"another noisekit run (pid {winner}, `extract`) holds" in err


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _table(path: Path, key: str) -> list[dict]:
    rows = pq.read_table(path).drop_columns(["created_at"]).to_pylist()
    return sorted(rows, key=lambda r: r[key])


def test_soak_random_kills_and_reruns_end_as_one_uninterrupted_run(tmp_path):
    # children that earlier tests left to this process (multiprocessing's resource tracker, say) are not ours
    earlier = {p.pid for p in psutil.Process().children(recursive=True)}
    inputs = _inputs(tmp_path / "inputs")
    reference, soaked = tmp_path / "reference", tmp_path / "soaked"
    took = {}
    for command in ORDER:
        started = time.monotonic()
        if command == "extract":
            _two_writers_at_once(_argv(command, reference, inputs))
        else:
            _finish(_argv(command, reference, inputs))
        took[command] = time.monotonic() - started

    rng = np.random.default_rng(SEED)
    kills = 0
    for command in ORDER:
        argv = _argv(command, soaked, inputs)
        done, window = 0, took[command]
        for _ in range(4 * KILLS_PER_COMMAND):
            if _kill_during(argv, float(rng.uniform(0.1, 0.9)) * window):
                done += 1
            else:  # it finished first (the machine got faster): aim earlier
                window *= 0.7
            if done == KILLS_PER_COMMAND:
                break
        kills += done
        _finish(argv)
    assert kills == len(ORDER) * KILLS_PER_COMMAND

    for table, key in (("noise", "segment_id"), ("tape", "segment_id")):
        assert _table(soaked / "manifests" / f"{table}.parquet", key) == _table(
            reference / "manifests" / f"{table}.parquet", key
        )
    assert _files(soaked) == _files(reference)
    assert (soaked / "report" / "index.html").is_file()
    exported = _export_of(soaked)
    assert _files(exported) == _files(_export_of(reference))
    for name in _files(exported):
        assert (exported / name).read_bytes() == (_export_of(reference) / name).read_bytes(), name
    stray = [p for p in tmp_path.rglob("*") if _TEMPORARY.search(p.name)]
    assert stray == []
    mine = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert [p.info["cmdline"] for p in mine if p.pid != os.getpid()] == []
    assert [p for p in psutil.Process().children(recursive=True) if p.pid not in earlier] == []
