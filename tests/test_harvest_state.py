"""Harvest bookkeeping: parts folded in order (an item's later rows replace all its earlier rows), and
the one-stat check that a recorded file is still the verified one."""

import os
import threading
import time
from datetime import UTC, datetime

from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest, write_manifest
from noisekit.pipelines.harvest import HarvestOptions, harvest
from noisekit.pipelines.harvest_state import (
    KnownFile,
    PartWriter,
    clean_stale_temporaries,
    fold_parts,
    item_complete,
    known_files,
    still_verified,
)


def _row(identifier, file, status="ok", **kw):
    return {
        "identifier": identifier,
        "file": file,
        "status": status,
        "harvested_at": datetime.now(UTC),
        "selection": "main/lossless",
        **kw,
    }


def test_fold_parts_replaces_whole_items_in_order(tmp_path):
    data = DataDir(tmp_path).ensure()
    write_manifest(data, "recordings", [_row("a", "", "failed", error="bad"), _row("b", "b1.flac")])
    first = PartWriter(data, "00000000000000000001")
    first.add([_row("a", "a1.flac"), _row("a", "a2.flac")])
    first.flush()
    second = PartWriter(data, "00000000000000000002")
    second.add([_row("a", "a1.flac", "failed", error="later")])
    second.flush()
    second.flush()  # nothing collected: no empty part
    table = fold_parts(data)
    got = {(r["identifier"], r["file"]): r["status"] for r in table.to_pylist()}
    assert got == {("a", "a1.flac"): "failed", ("b", "b1.flac"): "ok"}
    assert not list((data.manifests / "parts" / "recordings").iterdir())
    assert read_manifest(data, "recordings").equals(table)
    assert fold_parts(data).equals(table)  # idempotent


def test_stale_temporaries_are_removed(tmp_path):
    data = DataDir(tmp_path).ensure()
    stale = data.manifests / ".recordings.parquet.abc.tmp"
    stale.write_bytes(b"half")
    other = data.manifests / ".noise.parquet.abc.tmp"  # another stage's: not ours to touch
    other.write_bytes(b"x")
    clean_stale_temporaries(data)
    assert not stale.exists() and other.exists()


def test_still_verified_checks_status_md5_size_and_mtime(tmp_path):
    path = tmp_path / "f.flac"
    path.write_bytes(b"12345")
    known = KnownFile("f.flac", "ok", "main/lossless", "a" * 32, 5, datetime.now(UTC))
    assert still_verified(path, known, "a" * 32)
    assert not still_verified(path, known, "b" * 32)
    assert not still_verified(path, KnownFile("f.flac", "failed", None, "a" * 32, 5, known.harvested_at))
    assert not still_verified(path, KnownFile("f.flac", "ok", None, "a" * 32, 6, known.harvested_at))
    later = time.time() + 10
    os.utime(path, (later, later))
    assert not still_verified(path, known)
    assert not still_verified(tmp_path / "missing", known) and not still_verified(path, None)


def test_item_complete_needs_same_selection(tmp_path):
    folder = tmp_path / "recordings" / "x"
    folder.mkdir(parents=True)
    (folder / "a.flac").write_bytes(b"abc")
    rows = known_files(
        write_manifest(tmp_path / "m.parquet", "recordings", [_row("x", "a.flac", md5="c" * 32, size_bytes=3)])
    )["x"]
    assert item_complete(tmp_path, "x", rows, "main/lossless")
    assert not item_complete(tmp_path, "x", rows, "all-transfers/lossless")
    assert not item_complete(tmp_path, "x", [], "main/lossless")


class _BlockingSource:
    """Yields many identifiers; metadata blocks until released; records how many were pulled."""

    def __init__(self):
        self.pulled = 0
        self.release = threading.Event()

    def identifiers(self, collection, query, limit):
        for i in range(100000):
            self.pulled += 1
            yield f"item{i}"

    def metadata(self, identifier):
        self.release.wait(5)
        return {}


def test_identifiers_are_pulled_lazily_with_bounded_work_in_flight(tmp_path):
    source = _BlockingSource()
    done = threading.Event()
    opts = HarvestOptions(jobs=3, limit=50, progress=False)
    threading.Thread(target=lambda: (harvest(DataDir(tmp_path), opts, source=source), done.set()), daemon=True).start()
    time.sleep(0.3)
    assert source.pulled <= 2 * 3 + 1  # not the whole search: memory stays flat
    source.release.set()
    assert done.wait(10) and source.pulled == 50
