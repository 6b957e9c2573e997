"""The extract stage: recordings.parquet or inputs → noise.parquet; parts, reruns, executors, kill-and-rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from extract_fakes import EnergyFinder, write_fake_side

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import md5_file
from noisekit.manifests import part_names, write_manifest
from noisekit.pipelines.extract import extract, tasks_from_inputs

TESTS = Path(__file__).resolve().parent


def _harvested(root: Path) -> DataDir:
    """A data directory as harvest leaves it: two items (one with two transfers), a corrupt file, a failed row."""
    data = DataDir(root).ensure()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    items = [
        ("78_alpha_gbia01", "a.flac", 1, 1925),
        ("78_alpha_gbia01", "a_2.3_CT.flac", 2, 1925),
        ("78_beta_gbia02", "b.flac", 3, 1931),
    ]
    for ident, file, seed, year in items:
        path = data.recordings / ident / file
        write_fake_side(path, seed=seed)
        rows.append(
            {
                "identifier": ident,
                "file": file,
                "path": data.relative(path),
                "year": year,
                "label": "Columbia",
                "md5": md5_file(path),
                "status": "ok",
                "harvested_at": now,
            }
        )
    bad = data.recordings / "78_gamma_gbia03" / "c.flac"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x00" * 4096)
    rows.append(
        {
            "identifier": "78_gamma_gbia03",
            "file": "c.flac",
            "path": data.relative(bad),
            "md5": md5_file(bad),
            "status": "ok",
            "harvested_at": now,
        }
    )
    rows.append(
        {
            "identifier": "78_delta_gbia04",
            "file": "d.flac",
            "path": None,
            "status": "failed",
            "error": "md5 mismatch",
            "harvested_at": now,
        }
    )
    rows.append(
        {
            "identifier": "78_evil_gbia05",
            "file": "e.flac",
            "path": "../../etc/passwd",
            "status": "ok",
            "harvested_at": now,
        }
    )
    write_manifest(data, "recordings", rows)
    return data


def _comparable(table: pa.Table) -> list[dict]:
    return table.sort_by("segment_id").to_pylist()


def test_from_recordings_manifest(tmp_path: Path) -> None:
    data = _harvested(tmp_path / "d")
    result = extract(data, finder=EnergyFinder(), jobs=1, progress=False)
    rows = result.table.to_pylist()
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] == "failed"]
    assert (result.done, result.failed, result.skipped) == (3, 2, 0)
    assert result.segments == len(ok) == 6 and result.audio_s == pytest.approx(3 * 9.1)
    errors = {r["source"]: r["error"] for r in failed}
    assert len(failed) == 2 and "c.flac" in errors["78_gamma_gbia03"]
    assert "outside" in errors["78_evil_gbia05"] or "'..'" in errors["78_evil_gbia05"]
    assert {r["source"] for r in ok} == {"78_alpha_gbia01", "78_beta_gbia02"}
    assert {r["source_path"] for r in ok if r["source"] == "78_alpha_gbia01"} == {
        "recordings/78_alpha_gbia01/a.flac",
        "recordings/78_alpha_gbia01/a_2.3_CT.flac",
    }
    for source in ("78_alpha_gbia01", "78_beta_gbia02"):
        assert len({r["split"] for r in rows if r["source"] == source}) == 1  # grouped by source
    assert all(r["year"] in (1925, 1931) and r["label"] == "Columbia" for r in ok)
    assert all(data.resolve(r["path"]).is_file() and data.resolve(r["raw_path"]).is_file() for r in ok)
    assert data.manifest_path("noise").is_file()
    assert "3 recordings done, 2 failed" in result.summary() and "x real time" in result.summary()


def test_rerun_skips_done_work_and_keeps_the_manifest(tmp_path: Path) -> None:
    data = _harvested(tmp_path / "d")
    first = extract(data, finder=EnergyFinder(), jobs=1, progress=False)
    again = extract(data, finder=EnergyFinder(delay_s=60), jobs=1, progress=False)  # would take minutes if redone
    assert (again.done, again.failed, again.skipped) == (0, 0, 5)
    assert _comparable(again.table) == _comparable(first.table)


def test_changed_settings_redo_done_recordings(tmp_path: Path) -> None:
    class OtherFinder(EnergyFinder):
        """Stands for another classifier: segments made by the first one must not be kept as done."""

    data = _harvested(tmp_path / "d")
    extract(data, finder=EnergyFinder(), jobs=1, progress=False)
    again = extract(data, finder=OtherFinder(), jobs=1, progress=False)
    assert (again.done, again.skipped) == (3, 0)
    slower = extract(data, finder=OtherFinder(), jobs=1, rpm=45, progress=False)
    assert (slower.done, slower.skipped) == (3, 0)
    same = extract(data, finder=OtherFinder(), jobs=1, rpm=45, progress=False)
    assert (same.done, same.skipped) == (0, 5)


def test_retry_failed_and_force(tmp_path: Path) -> None:
    data = _harvested(tmp_path / "d")
    extract(data, finder=EnergyFinder(), jobs=1, progress=False)
    retried = extract(data, finder=EnergyFinder(), jobs=1, retry_failed=True, progress=False)
    assert (retried.done, retried.failed, retried.skipped) == (0, 2, 3)
    forced = extract(data, finder=EnergyFinder(min_run_s=2.55), jobs=1, force=True, progress=False)
    assert forced.done == 3 and forced.segments == 3  # only the 2.6-s runs survive: old rows and files are gone
    assert len(list(data.noise_gramophone.rglob("*.flac"))) == 2 * 3
    assert forced.table.num_rows == 5


def test_inputs_instead_of_the_manifest(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for i in range(2):
        write_fake_side(src / f"disc {i}.flac", seed=10 + i)
    (src / "notes.txt").write_text("not audio")
    data = DataDir(tmp_path / "d")
    result = extract(data, inputs=[src], finder=EnergyFinder(), jobs=1, progress=False)
    assert result.done == 2 and result.segments == 4
    assert {r["source"] for r in result.table.to_pylist()} == {
        (src / "disc 0.flac").as_posix(),
        (src / "disc 1.flac").as_posix(),
    }
    with pytest.raises(NoisekitError, match="not found"):
        tasks_from_inputs([tmp_path / "nope"])
    with pytest.raises(NoisekitError, match="no audio files"):
        tasks_from_inputs([tmp_path / "d" / "manifests"])


def test_process_pool_and_dask_give_the_local_manifest(tmp_path: Path) -> None:
    from distributed import LocalCluster

    src = tmp_path / "in"
    for i in range(4):
        write_fake_side(src / f"s{i}.flac", seed=20 + i)
    inline = extract(DataDir(tmp_path / "one"), inputs=[src], finder=EnergyFinder(), jobs=1, progress=False)
    pool = extract(DataDir(tmp_path / "pool"), inputs=[src], finder=EnergyFinder(), jobs=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        dask = extract(
            DataDir(tmp_path / "dask"),
            inputs=[src],
            finder=EnergyFinder(),
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert inline.segments == 8
    assert _comparable(pool.table) == _comparable(inline.table) == _comparable(dask.table)


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("noisekit.pipelines.extract.SCHEDULER_TIMEOUT", "1s")
    src = tmp_path / "in"
    write_fake_side(src / "s.flac", seed=1)
    with pytest.raises(NoisekitError, match="Dask scheduler"):
        extract(
            DataDir(tmp_path / "d"), inputs=[src], finder=EnergyFinder(), scheduler="tcp://127.0.0.1:9", progress=False
        )


_KILLABLE = """
import sys
sys.path.insert(0, {tests!r})
from extract_fakes import EnergyFinder
from noisekit.datadir import DataDir
from noisekit.pipelines.extract import extract
extract(DataDir({root!r}), inputs=[{src!r}], finder=EnergyFinder(delay_s=0.4), jobs=1, progress=False)
"""


def test_sigkill_and_rerun_equals_one_clean_run(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for i in range(6):
        write_fake_side(src / f"s{i}.flac", seed=30 + i)
    killed = DataDir(tmp_path / "killed")
    code = _KILLABLE.format(tests=str(TESTS), root=str(killed.root), src=str(src))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], start_new_session=True, cwd=TESTS.parent, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while len(part_names(killed, "noise")) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(part_names(killed, "noise"))
    assert 2 <= done_before < 6, proc.stderr.read().decode()
    assert not killed.manifest_path("noise").exists()
    resumed = extract(killed, inputs=[src], finder=EnergyFinder(), jobs=1, progress=False)
    assert resumed.skipped == done_before
    clean = DataDir(tmp_path / "clean")
    one_run = extract(clean, inputs=[src], finder=EnergyFinder(), jobs=1, progress=False)
    assert _comparable(resumed.table) == _comparable(one_run.table)
    files = lambda d: sorted(p.relative_to(d.root).as_posix() for p in d.noise_gramophone.rglob("*"))  # noqa: E731
    assert files(killed) == files(clean)
    parts = lambda d: sorted(p.name for p in (d.manifests / "parts" / "noise").iterdir())  # noqa: E731
    assert parts(killed) == parts(clean)  # no temporary left by the killed writer
