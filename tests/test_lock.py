"""The data-directory lock: one writer at a time, readers shared, no stale lock after SIGKILL, leftovers swept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from noisekit.cli import main
from noisekit.commands.common import lock_if_inside
from noisekit.datadir import DataDir
from noisekit.lock import LOCK_NAME, DataDirBusy, datadir_lock
from noisekit.pipelines.export import remove_stale_staging

_HOLD = """
import sys, time
from noisekit.lock import datadir_lock
with datadir_lock(sys.argv[1], sys.argv[2], exclusive=sys.argv[3] == "x"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def holder():
    """Start another process holding a data directory's lock; kills what it started at the end."""
    started: list[subprocess.Popen] = []

    def start(root: Path, command: str = "extract", exclusive: bool = True) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLD, str(root), command, "x" if exclusive else "s"],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_writer_fails_at_once_naming_the_holder(tmp_path, holder):
    proc = holder(tmp_path, "ingest-tape")
    with pytest.raises(DataDirBusy) as err, datadir_lock(tmp_path, "extract"):
        pass
    message = str(err.value)
    assert f"another noisekit run (pid {proc.pid}, `ingest-tape`) holds {tmp_path.resolve()} since " in message
    assert "wait for it" in message


def test_a_sigkilled_holder_leaves_no_stale_lock(tmp_path, holder):
    proc = holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with datadir_lock(tmp_path, "extract"):
        assert f'"pid": {os.getpid()}' in (tmp_path / LOCK_NAME).read_text()


def test_reentrant_within_a_process_and_released_after_the_outer_block(tmp_path, holder):
    with datadir_lock(tmp_path, "run"), datadir_lock(tmp_path, "extract"), datadir_lock(tmp_path, "x", False):
        pass
    assert '"command": "run"' in (tmp_path / LOCK_NAME).read_text()
    holder(tmp_path)  # another process gets it: every level was released


def test_readers_share_and_exclude_writers(tmp_path, holder):
    holder(tmp_path, "export", exclusive=False)
    with datadir_lock(tmp_path, "export", exclusive=False):
        pass
    with pytest.raises(DataDirBusy, match="reading"), datadir_lock(tmp_path, "extract"):
        pass


def test_a_reader_fails_while_a_writer_works(tmp_path, holder):
    holder(tmp_path, "harvest")
    with pytest.raises(DataDirBusy, match="`harvest`"), datadir_lock(tmp_path, "export", exclusive=False):
        pass


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only folder")
def test_a_reader_of_a_read_only_directory_without_lock_file_needs_none(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with datadir_lock(tmp_path, "export", exclusive=False):
            assert not (tmp_path / LOCK_NAME).exists()
    finally:
        tmp_path.chmod(0o755)


def test_taking_the_write_lock_sweeps_killed_writers_leftovers(tmp_path):
    parts = tmp_path / "manifests" / "parts" / "noise"
    parts.mkdir(parents=True)
    stale = [parts / ".rec-1.0a1b2c3d.tmp.parquet", tmp_path / "noise" / "tape" / ".seg_0.deadbeef.tmp.flac"]
    stale[1].parent.mkdir(parents=True)
    bundle = tmp_path / ".bundle.01234567.tmp"
    (bundle / "captures").mkdir(parents=True)
    (bundle / "captures" / "a.flac").write_bytes(b"x")
    kept = [parts / "rec-1.parquet", tmp_path / "recordings" / "id" / ".noisekit-partial-abc", tmp_path / ".keep.tmp"]
    kept[1].parent.mkdir(parents=True)
    for path in stale + kept:
        path.write_bytes(b"x")
    with datadir_lock(tmp_path, "extract"):
        assert not any(p.exists() for p in stale) and not bundle.exists()
        assert all(p.exists() for p in kept)


def test_a_writer_after_a_killed_one_sweeps_and_one_after_a_clean_finish_need_not(tmp_path, holder):
    with datadir_lock(tmp_path, "extract"):
        pass
    assert json.loads((tmp_path / LOCK_NAME).read_text())["state"] == "done"
    proc = holder(tmp_path, "ingest-tape")
    left = tmp_path / "noise" / "tape" / ".seg_0.deadbeef.tmp.flac"  # as if the holder were writing it
    left.parent.mkdir(parents=True)
    left.write_bytes(b"x")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["state"] == "running"
    with datadir_lock(tmp_path, "ingest-tape"):
        assert not left.exists()


def test_a_reader_sweeps_nothing(tmp_path):
    stale = tmp_path / ".noise.0a1b2c3d.tmp.parquet"
    stale.write_bytes(b"x")
    with datadir_lock(tmp_path, "export", exclusive=False):
        assert stale.exists()


def test_cli_writer_exits_2_and_touches_nothing_while_another_holds(tmp_path, holder):
    data, music = tmp_path / "data", tmp_path / "music"
    data.mkdir()
    music.mkdir()
    proc = holder(data, "extract")
    result = CliRunner().invoke(main, ["manifest", "clean", str(music), "--data", str(data)])
    assert result.exit_code == 2
    assert f"another noisekit run (pid {proc.pid}, `extract`) holds {data.resolve()}" in result.output
    assert sorted(p.name for p in data.iterdir()) == [LOCK_NAME]


def test_export_removes_stale_staging_of_its_output_only(tmp_path):
    out, host, dead = tmp_path / "out", socket.gethostname(), _dead_pid()
    out.mkdir()
    stale = tmp_path / f".out.{host}-{dead}.0a1b2c3d.tmp"
    alive = tmp_path / f".out.{host}-{os.getpid()}.0a1b2c3e.tmp"
    elsewhere = tmp_path / f".out.otherhost-{dead}.0a1b2c3f.tmp"
    other_out = tmp_path / f".out2.{host}-{dead}.0a1b2c40.tmp"
    for folder in (stale, alive, elsewhere, other_out):
        (folder / "data").mkdir(parents=True)
    assert remove_stale_staging(out) == 1
    assert not stale.exists() and alive.exists() and elsewhere.exists() and other_out.exists()


def test_export_killed_during_the_swap_gets_its_previous_output_back(tmp_path):
    out, dead = tmp_path / "out", _dead_pid()
    old = tmp_path / f".out.{socket.gethostname()}-{dead}.0a1b2c3d.old"
    old.mkdir()
    (old / "info.csv").write_text("split\n")
    remove_stale_staging(out)
    assert (out / "info.csv").read_text() == "split\n" and not old.exists()


def _children(pid: int) -> set[int]:
    import psutil

    try:
        return {c.pid for c in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def test_extract_pool_workers_die_with_a_killed_parent(tmp_path):
    import psutil
    from extract_fakes import write_fake_side

    for i in range(4):
        write_fake_side(tmp_path / "in" / f"side{i}.flac", seed=i)
    script = (
        "import sys; sys.path.insert(0, sys.argv[3])\n"
        "from extract_fakes import EnergyFinder\n"
        "from noisekit.datadir import DataDir\n"
        "from noisekit.pipelines.extract import extract\n"
        "extract(DataDir(sys.argv[1]), inputs=[sys.argv[2]], finder=EnergyFinder(delay_s=60), jobs=2, progress=False)"
    )
    here = Path(__file__).parent
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "d"), str(tmp_path / "in"), str(here)])
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool's workers never started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30
        while (alive := [p for p in workers if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert alive == []
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_two_ingest_tape_at_once_lose_nothing_reported_accepted(tmp_path):
    import pyarrow.parquet as pq
    from tape_helpers import blank_noise, write_capture

    data = tmp_path / "data"
    caps = [write_capture(tmp_path / f"cap{i}.wav", blank_noise(i, duration_s=11.0)) for i in range(2)]
    driver = Path(__file__).with_name("soak_driver.py")

    def argv(cap: Path) -> list[str]:
        return [sys.executable, str(driver), "ingest-tape", "--data", str(data), "--device", "Revox A77 (HS)"] + [
            "--speed",
            "7.5",
            "--no-progress",
            str(cap),
        ]

    procs = [subprocess.Popen(argv(cap), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cap in caps]
    outs = [(*p.communicate(timeout=300), p.returncode) for p in procs]
    # Usually they overlap and one is refused; on a loaded machine the second may start after the first ended.
    # Either way every run says exactly what happened, and what one reports accepted is kept.
    assert 0 in [rc for *_, rc in outs] and {rc for *_, rc in outs} <= {0, 2}, outs
    for cap, (out, err, rc) in zip(caps, outs, strict=True):
        if rc == 0:
            assert "1 capture(s) accepted" in out
            continue
        assert "another noisekit run (pid" in err
        rerun = subprocess.run(argv(cap), capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0 and "1 capture(s) accepted" in rerun.stdout
    table = pq.read_table(data / "manifests" / "tape.parquet")
    assert sorted(set(table.column("source").to_pylist())) == ["cap0", "cap1"]
    assert set(table.column("status").to_pylist()) == {"ok"}


def test_train_locks_the_data_directory_only_for_an_out_inside_it(tmp_path, holder, monkeypatch):
    data = DataDir(tmp_path / "data")
    holder(data.root, "extract")
    with lock_if_inside(data, tmp_path / "elsewhere", "train"):
        pass
    with pytest.raises(DataDirBusy, match="`extract`"), lock_if_inside(data, data.runs / "train", "train"):
        pass
    monkeypatch.setenv("RANK", "1")  # torchrun's other ranks: rank 0 holds it for them
    with lock_if_inside(data, data.runs / "train", "train"):
        pass
