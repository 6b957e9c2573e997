"""The harvest stage against the loopback archive: manifest, reruns without requests, every fault."""

import json
import os
from pathlib import Path

import pytest
from fake_archive import FakeArchive, fast_policy, sample_item

from noisekit.archive.download import PARTIAL_PREFIX
from noisekit.archive.layout import LayoutFile
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines.harvest import HarvestOptions, harvest

WEIRD = "Ça m'plaît (Part {i})? #2 100% Live!, Vol. ñ.flac"


@pytest.fixture
def archive():
    items = [sample_item(i, name=WEIRD.format(i=i)) for i in range(6)]
    items[1].metadata["year"] = "1931"
    del items[2].metadata["date"]
    fake = FakeArchive(items, page_size=4, retry_after=0, slow_s=0.4).start()
    yield fake
    fake.stop()


def _opts(archive, **kw):
    kw.setdefault("policy", fast_policy(read_timeout_s=0.25))
    return HarvestOptions(endpoint=archive.url, rate=None, progress=False, jobs=kw.pop("jobs", 3), **kw)


def _rows(datadir):
    return {(r["identifier"], r["file"]): r for r in read_manifest(datadir, "recordings").to_pylist()}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_harvest_writes_verified_files_and_manifest(archive, tmp_path):
    data = DataDir(tmp_path / "data")
    result = harvest(data, _opts(archive))
    assert (result.items, result.ok, result.failed, result.skipped) == (6, 6, 0, 0)
    rows = _rows(data)
    assert len(rows) == 6
    for i in range(6):
        item = archive.items[f"78_song-{i:05d}_artist_gbia{i:07d}a"]
        row = rows[(item.identifier, WEIRD.format(i=i))]
        assert row["path"] == f"recordings/{item.identifier}/{WEIRD.format(i=i)}"
        assert (data.root / row["path"]).read_bytes() == item.files[0].content
        assert row["status"] == "ok" and row["error"] is None and row["format"] == "Flac"
        assert row["creator"] == f"Artist {i}" and row["label"] == "Victor" and row["collection"] == "georgeblood"
        assert row["size_bytes"] == len(item.files[0].content) and len(row["md5"]) == 32
        assert (row["sample_rate"], row["channels"]) == (44100, 1)
        assert row["duration_s"] == pytest.approx(0.25) and row["selection"] == "main/lossless"
    years = [rows[(f"78_song-{i:05d}_artist_gbia{i:07d}a", WEIRD.format(i=i))]["year"] for i in range(4)]
    assert years == [1920, 1931, None, 1923]
    assert "harvest: 6 items, 6 ok, 0 failed, 0 skipped" in result.summary()


def test_rerun_costs_no_request_per_verified_file(archive, tmp_path):
    data = DataDir(tmp_path / "data")
    harvest(data, _opts(archive))
    before = read_manifest(data, "recordings")
    counts = {r: archive.count(r) for r in ("metadata", "download", "data")}
    result = harvest(data, _opts(archive))
    assert (result.ok, result.skipped, result.failed) == (0, 6, 0)
    assert {r: archive.count(r) for r in counts} == counts  # only the search ran again
    assert read_manifest(data, "recordings").equals(before)


def test_every_fault_ends_in_the_right_rows(archive, tmp_path):
    ids = sorted(archive.items)
    archive.items[ids[3]].files.append(LayoutFile("lies.flac", data=b"x" * 500, stated_md5="0" * 32))
    archive.items[ids[4]].files[0].private = True
    archive.fault("metadata", "503", ids[0])
    archive.fault("metadata", "429", ids[1])
    archive.fault("data", "reset", ids[0])
    archive.fault("data", "truncate", ids[1])
    archive.fault("data", "slow", ids[2])
    archive.fault("download", "503", ids[3])
    archive.fault("metadata", "nonjson", ids[5])
    result = harvest(DataDir(tmp_path / "d1"), _opts(archive, files="main"))
    rows = _rows(DataDir(tmp_path / "d1"))
    assert rows[(ids[5], "")]["status"] == "failed" and "not JSON" in rows[(ids[5], "")]["error"]
    assert rows[(ids[4], WEIRD.format(i=4))]["status"] == "failed"
    assert "403" in rows[(ids[4], WEIRD.format(i=4))]["error"]
    for ident in ids[:4]:
        assert rows[(ident, WEIRD.format(i=ids.index(ident)))]["status"] == "ok"
    lies = rows[(ids[3], "lies.flac")]  # an original lossless file that is not a transfer: a main track
    assert lies["status"] == "failed" and "md5 mismatch" in lies["error"] and lies["path"] is None
    assert (result.ok, result.failed) == (4, 3)
    assert archive.count("data", ids[3], "lies.flac") == 3  # bounded: RetryPolicy.md5_tries
    assert not any(p.name.startswith(PARTIAL_PREFIX) for p in (tmp_path / "d1").rglob("*"))


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"[1, 2]", "not a JSON object"),
        (b'{"metadata": {}, "files": []}', "another identifier"),
        (b"not json", "not JSON"),
    ],
)
def test_malformed_metadata_fails_that_item_only(archive, tmp_path, body, reason):
    ident = sorted(archive.items)[0]
    archive.raw_metadata[ident] = body
    result = harvest(DataDir(tmp_path / "d"), _opts(archive))
    rows = _rows(DataDir(tmp_path / "d"))
    assert reason in rows[(ident, "")]["error"] and result.failed == 1 and result.ok == 5


def test_hostile_metadata_never_writes_outside_dir(archive, tmp_path):
    ids = sorted(archive.items)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("untouched")
    evil_names = ["../../outside/pwned.flac", "/tmp/abs.flac", "sub/../../../x.flac", "nul\x00.flac", "ctl\x07.flac"]
    for ident, name in zip(ids, evil_names, strict=False):
        meta = archive.items[ident].metadata_json()
        meta["files"][0]["name"] = name
        archive.raw_metadata[ident] = json.dumps(meta).encode()
    archive.search_extra = ["..", "a..b/../../c", "-dash"]
    before = {p for p in tmp_path.rglob("*")}
    result = harvest(DataDir(tmp_path / "data"), _opts(archive))
    after = {p for p in tmp_path.rglob("*")}
    assert all((tmp_path / "data") in p.parents or p == tmp_path / "data" for p in after - before)
    assert _tree(outside) == {"keep.txt": b"untouched"} and not Path("/tmp/abs.flac").exists()
    rows = _rows(DataDir(tmp_path / "data"))
    assert result.failed == 8 and result.ok == 1
    for key in [("..", ""), ("a..b/../../c", ""), ("-dash", "")]:
        assert "unsafe" in rows[key]["error"]
    assert archive.count("metadata", "..") == 0  # refused before any request


def test_verified_but_unrecorded_files_cost_no_get(archive, tmp_path):
    data = DataDir(tmp_path / "data")
    harvest(data, _opts(archive))
    data.manifest_path("recordings").unlink()  # as if killed after the renames, before the rows
    data_gets = archive.count("data")
    result = harvest(data, _opts(archive))
    assert archive.count("data") == data_gets and result.skipped == 6
    assert all(r["status"] == "ok" for r in _rows(data).values())


def test_changed_file_is_verified_again_and_refetched(archive, tmp_path):
    data = DataDir(tmp_path / "data")
    harvest(data, _opts(archive))
    row = next(iter(_rows(data).values()))
    target = data.root / row["path"]
    original = target.read_bytes()
    target.write_bytes(b"\0" * len(original))  # same size, newer mtime: not trusted any more
    result = harvest(data, _opts(archive))
    assert target.read_bytes() == original and result.ok == 1 and result.skipped == 5


def test_selection_change_downloads_only_what_is_new(archive, tmp_path):
    data = DataDir(tmp_path / "data")
    harvest(data, _opts(archive, limit=2))
    gets = archive.count("data")
    result = harvest(data, _opts(archive, limit=2, files="all-transfers"))
    assert archive.count("data") - gets == 4 and result.ok == 4 and result.skipped == 2
    mp3 = harvest(data, _opts(archive, limit=1, format="mp3"))
    row = _rows(data)[(sorted(archive.items)[0], WEIRD.format(i=0)[:-5] + ".mp3")]
    assert mp3.ok == 1 and row["format"] == "VBR MP3" and row["sample_rate"] == 44100


def test_search_failure_keeps_rows_and_reports(archive, tmp_path):
    archive.fault("search", "500", times=None)
    result = harvest(DataDir(tmp_path / "d"), _opts(archive, policy=fast_policy(tries=2)))
    assert result.search_error and result.items == 0
    archive.faults.clear()
    archive.fault("search", "", times=1)  # (no-op fault: the first page passes)
    archive.fault("search", "500", times=None)
    result = harvest(DataDir(tmp_path / "d"), _opts(archive, policy=fast_policy(tries=2)))
    assert result.search_error and result.ok == 4 and len(_rows(DataDir(tmp_path / "d"))) == 4


def test_failed_item_rows_are_replaced_when_it_succeeds(archive, tmp_path):
    data = DataDir(tmp_path / "d")
    ident = sorted(archive.items)[0]
    archive.raw_metadata[ident] = b"oops"
    harvest(data, _opts(archive))
    assert _rows(data)[(ident, "")]["status"] == "failed"
    del archive.raw_metadata[ident]
    result = harvest(data, _opts(archive))
    assert (ident, "") not in _rows(data) and result.ok == 1 and result.skipped == 5
    assert not list(data.manifests.glob("parts/recordings/*"))


def test_source_dir_harvest_verifies_md5(tmp_path):
    from noisekit.archive.layout import write_archive_dir

    items = [sample_item(i, name=WEIRD.format(i=i)) for i in range(3)]
    items.append(sample_item(9, collections=("otherthings",)))
    write_archive_dir(tmp_path / "src", items)
    corrupt = tmp_path / "src" / items[1].identifier / WEIRD.format(i=1)
    corrupt.write_bytes(corrupt.read_bytes()[:-1] + b"!")
    data = DataDir(tmp_path / "data")
    result = harvest(data, HarvestOptions(source_dir=tmp_path / "src", progress=False))
    rows = _rows(data)
    assert (result.items, result.ok, result.failed) == (3, 2, 1)
    assert "md5 mismatch" in rows[(items[1].identifier, WEIRD.format(i=1))]["error"]
    ok = rows[(items[0].identifier, WEIRD.format(i=0))]
    assert (data.root / ok["path"]).read_bytes() == items[0].files[0].content
    assert harvest(data, HarvestOptions(source_dir=tmp_path / "src", progress=False)).skipped == 2
    with pytest.raises(ValueError, match="--query"):
        harvest(data, HarvestOptions(source_dir=tmp_path / "src", query="year:1920", progress=False))


def test_no_partials_or_empty_folders_left(archive, tmp_path):
    ident = sorted(archive.items)[2]
    archive.items[ident].files[0].private = True
    data = DataDir(tmp_path / "d")
    harvest(data, _opts(archive))
    assert not (data.recordings / ident).exists()
    leftovers = [p for p in data.root.rglob("*") if p.name.startswith((".", PARTIAL_PREFIX)) and p.is_file()]
    assert (
        leftovers == []
        and os.listdir(data.manifests) == ["recordings.parquet", "parts"]
        or sorted(os.listdir(data.manifests)) == ["parts", "recordings.parquet"]
    )


def test_names_that_clash_on_disk_fail_cleanly(archive, tmp_path):
    ident = sorted(archive.items)[0]
    archive.items[ident].files.append(LayoutFile("a", data=b"file"))
    archive.items[ident].files.append(LayoutFile("a/b.flac", data=b"under a file"))
    result = harvest(DataDir(tmp_path / "d"), _opts(archive, identifiers=[ident]))
    rows = _rows(DataDir(tmp_path / "d"))
    assert result.failed == 2 and rows[(ident, "a/b.flac")]["status"] == "failed"  # 'a' is no audio either


def test_data_node_redirect_to_archive_host_is_routed_to_the_endpoint(tmp_path):
    fake = FakeArchive([sample_item(1)], datanode_host="ia800123.us.archive.org").start()
    try:
        result = harvest(DataDir(tmp_path / "d"), _opts(fake))
    finally:
        fake.stop()
    assert result.ok == 1 and fake.count("data") == 1
