"""`noisekit harvest` end to end: exit codes, summary, and SIGKILL-then-rerun equivalence (subprocess)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_archive import FakeArchive, fast_policy, flac_bytes, sample_item

from noisekit.archive.download import PARTIAL_PREFIX
from noisekit.archive.layout import LayoutFile
from noisekit.cli import main
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines.harvest import HarvestOptions, harvest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def archive():
    fake = FakeArchive([sample_item(i) for i in range(5)], page_size=2).start()
    yield fake
    fake.stop()


def _run(*args, env=None):
    return CliRunner().invoke(main, ["harvest", *args], env=env, catch_exceptions=False)


def test_exit_1_names_each_failed_file_and_keeps_it_as_a_row(archive, tmp_path):
    ident = sorted(archive.items)[1]
    archive.items[ident].files[0].private = True
    result = _run(
        "--data",
        str(tmp_path / "d"),
        "--no-progress",
        "--rate",
        "0",
        "--jobs",
        "2",
        env={"NOISEKIT_IA_ENDPOINT": archive.url},
    )
    assert result.exit_code == 1, result.output
    assert f"failed: {ident}/" in result.output and "403" in result.output
    assert "harvest: 5 items, 4 ok, 1 failed, 0 skipped" in result.output
    rows = read_manifest(DataDir(tmp_path / "d"), "recordings")
    assert rows.num_rows == 5 and rows.column("status").to_pylist().count("failed") == 1


def test_identifiers_file_and_limit_count_items(archive, tmp_path):
    ids = sorted(archive.items)
    listing = tmp_path / "ids.txt"
    listing.write_text(f"# wanted\n{ids[0]}\n\n{ids[2]}\n{ids[3]}\n")
    result = _run(
        "--data",
        str(tmp_path / "d"),
        "--endpoint",
        archive.url,
        "--identifiers-file",
        str(listing),
        "--identifier",
        ids[4],
        "--limit",
        "3",
        "--files",
        "all-transfers",
        "--no-progress",
        "--rate",
        "0",
    )
    assert result.exit_code == 0, result.output
    rows = read_manifest(DataDir(tmp_path / "d"), "recordings")
    assert set(rows.column("identifier").to_pylist()) == {ids[4], ids[0], ids[2]}  # --identifier first, then the file
    assert rows.num_rows == 9 and archive.count("search") == 0  # 3 items x (main + 2 transfers)


def test_exit_1_when_the_search_fails(archive, tmp_path):
    result = _run("--data", str(tmp_path / "d"), "--endpoint", archive.url, "--query", "nonsense", "--no-progress")
    assert result.exit_code == 1 and "search" in result.output and "cannot parse" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--jobs", "0"],
        ["--limit", "-1"],
        ["--files", "everything"],
        ["--endpoint", "ftp://x"],
        ["--source-dir", "/nonexistent/dir"],
        ["--format", "ogg"],
    ],
)
def test_exit_2_for_usage_errors(tmp_path, args):
    result = _run("--data", str(tmp_path / "d"), "--no-progress", *args)
    assert result.exit_code == 2, result.output


def test_source_dir_with_query_is_a_usage_error(tmp_path):
    (tmp_path / "src").mkdir()
    result = _run("--data", str(tmp_path / "d"), "--source-dir", str(tmp_path / "src"), "--query", "year:1920")
    assert result.exit_code == 2 and "--query" in result.output


# ---- SIGKILL at any moment, then rerun: the same end state as an uninterrupted run ----

_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fake_archive import fast_policy
from noisekit.datadir import DataDir
from noisekit.pipelines.harvest import HarvestOptions, harvest
from noisekit.pipelines.harvest import HarvestOptions, harvest
harvest(DataDir(sys.argv[1]), HarvestOptions(endpoint=sys.argv[2], rate=None, jobs=2, progress=False,
        batch_items=2, batch_seconds=0.05, files="all-transfers", policy=fast_policy()))
"""


def _start(data: Path, url: str) -> subprocess.Popen:
    code = _SCRIPT.format(tests=str(ROOT / "tests"))
    return subprocess.Popen(
        [sys.executable, "-c", code, str(data), url], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _state(data: Path):
    files = {
        p.relative_to(data).as_posix(): p.read_bytes() for p in sorted((data / "recordings").rglob("*")) if p.is_file()
    }
    table = read_manifest(DataDir(data), "recordings").drop_columns(["harvested_at"])
    stray = [
        p for p in data.rglob("*") if p.is_file() and (p.name.startswith((PARTIAL_PREFIX, ".")) or "parts" in p.parts)
    ]
    return files, table.to_pylist(), stray


def _kill_when(proc: subprocess.Popen, ready, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.wait()
    return False


def test_sigkill_then_rerun_equals_an_uninterrupted_run(tmp_path):
    items = [sample_item(i, seconds=0.25, transfers=1, mp3=False) for i in range(10)]
    items[0].files.insert(0, LayoutFile("big side.flac", data=flac_bytes(99, seconds=4.0, channels=2)))
    items[3].files.append(LayoutFile("lies.flac", data=b"x" * 70000, stated_md5="0" * 32))
    items[5].files[0].private = True
    fake = FakeArchive(items, page_size=3, pace_s=0.004, chunk=1 << 14).start()
    try:
        reference = tmp_path / "reference"  # uninterrupted (in this process: the same code path)
        harvest(
            DataDir(reference),
            HarvestOptions(
                endpoint=fake.url, rate=None, jobs=2, progress=False, files="all-transfers", policy=fast_policy()
            ),
        )

        killed = tmp_path / "killed"
        # 1: kill in the middle of a download (a partial file exists)
        mid_body = _kill_when(
            _start(killed, fake.url), lambda: any(p.name.startswith(PARTIAL_PREFIX) for p in killed.rglob("*"))
        )
        assert mid_body
        # 2: kill just after the rerun wrote its first manifest part
        parts = killed / "manifests" / "parts" / "recordings"
        _kill_when(_start(killed, fake.url), lambda: parts.is_dir() and any(parts.iterdir()))
        # 3: kill after the third file request of a run, then let the last rerun finish
        seen = fake.count("data")
        _kill_when(_start(killed, fake.url), lambda: fake.count("data") >= seen + 3)
        proc = _start(killed, fake.url)
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    finally:
        fake.stop()
    ref_files, ref_rows, ref_stray = _state(reference)
    got_files, got_rows, got_stray = _state(killed)
    assert ref_stray == [] and got_stray == []
    assert got_files.keys() == ref_files.keys() and got_files == ref_files
    assert got_rows == ref_rows
    statuses = sorted(r["status"] for r in ref_rows)
    assert statuses.count("failed") == 2 and statuses.count("ok") == len(ref_rows) - 2
