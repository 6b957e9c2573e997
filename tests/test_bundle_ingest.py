"""Ingesting bundles: every unsafe-member case, checksums, schema, all-or-nothing, duplicates, new devices."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from tape_helpers import SR, ToneDetectorClassifier, blank_noise, music, write_capture

from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines.bundle import BundleError, build_bundle
from noisekit.pipelines.bundle_ingest import BundleLimits, ingest_bundle
from noisekit.pipelines.tape import CaptureMeta, CaptureRefused, ingest_files

META = CaptureMeta("Technics TR-575", 1.875, tape_stock="TDK HX-S60", contributor="Archive", license="CC0-1.0")
CLF = ToneDetectorClassifier()


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """A valid two-capture bundle, its source files, and a music capture for tampering."""
    tmp = tmp_path_factory.mktemp("bundle")
    files = [write_capture(tmp / f"deck{i}.wav", blank_noise(20 + i, 10.5, speed_ips=1.875)) for i in (1, 2)]
    song = blank_noise(23, 10.5, speed_ips=1.875)
    song[:, 2 * SR : 4 * SR] += music(2.0)[None, :]
    build_bundle(tmp / "good.zip", files, META, classifier=CLF, date="2026-11-21")
    return {"good": tmp / "good.zip", "files": files, "song": song}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], resum: bool = False) -> Path:
    """Write a zip of members; with resum, SHA256SUMS is recomputed for the (edited) members."""
    if resum:
        members = [m for m in members if m[0] != "SHA256SUMS"]
        sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in members)
        members = [("SHA256SUMS", sums.encode()), *members]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _assert_nothing_ingested(data: DataDir) -> None:
    assert read_manifest(data, "tape").num_rows == 0
    assert not [p for p in data.noise_tape.rglob("*") if p.is_file()] if data.noise_tape.exists() else True
    assert not list(data.root.glob(".bundle-*"))  # the extraction folder is gone


def _ingest(data, path, **kw):
    return ingest_bundle(data, path, classifier=CLF, progress=False, **kw)


def test_valid_bundle_ingests_and_a_second_time_is_skipped(tmp_path, made):
    data = DataDir(tmp_path)
    first = _ingest(data, made["good"])
    assert first.accepted == ["deck1", "deck2"] and first.segments == 4
    rows = first.table.to_pylist()
    assert {(r["device"], r["speed_ips"], r["format"], r["tape_stock"]) for r in rows} == {
        ("Technics TR-575", 1.875, "cassette", "TDK HX-S60")
    }
    again = _ingest(data, made["good"])
    assert again.accepted == [] and again.skipped == ["deck1", "deck2"] and again.table.num_rows == 4
    assert not list(data.root.glob(".bundle-*"))


def test_captures_already_ingested_directly_are_skipped(tmp_path, made):
    data = DataDir(tmp_path)
    ingest_files(data, made["files"][:1], META, classifier=CLF, progress=False)
    result = _ingest(data, made["good"])
    assert result.skipped == ["deck1"] and result.accepted == ["deck2"] and result.table.num_rows == 4


UNSAFE = [
    ("/etc/cron.d/evil", "is an absolute path"),
    ("captures/../../evil.flac", "'..' path component"),
    ("captures\\..\\evil.flac", "backslash"),
    ("captures/x\x1b.flac", "control characters"),
    ("run.sh", "unexpected member 'run.sh'"),
    ("captures/deep/x.flac", "unexpected member"),
    ("other/", "unexpected folder"),
]


@pytest.mark.parametrize("name, message", UNSAFE)
def test_unsafe_member_names_are_refused(tmp_path, made, name, message):
    members = list(_members(made["good"]).items()) + [(name, b"x")]
    bad = _write(tmp_path / "bad.zip", members, resum=not name.endswith("/"))
    data = DataDir(tmp_path / "data")
    with pytest.raises(BundleError, match=message):
        _ingest(data, bad)
    _assert_nothing_ingested(data)


def test_links_and_special_files_are_refused(tmp_path, made):
    for mode, message in [(0o120777, "symbolic link"), (0o010644, "not a regular file")]:
        info = zipfile.ZipInfo("captures/99-link.flac")
        info.external_attr = mode << 16
        bad = _write(tmp_path / "bad.zip", [*_members(made["good"]).items(), (info, b"/etc/passwd")])
        data = DataDir(tmp_path / "data")
        with pytest.raises(BundleError, match=message):
            _ingest(data, bad)
        _assert_nothing_ingested(data)


def test_oversized_too_many_and_duplicate_members_are_refused(tmp_path, made):
    data = DataDir(tmp_path / "data")
    with pytest.raises(BundleError, match="oversized"):
        _ingest(data, made["good"], limits=BundleLimits(max_member_bytes=10_000))
    with pytest.raises(BundleError, match="oversized"):
        _ingest(data, made["good"], limits=BundleLimits(max_text_bytes=100))
    with pytest.raises(BundleError, match="exceed"):
        _ingest(data, made["good"], limits=BundleLimits(max_total_bytes=100_000))
    with pytest.raises(BundleError, match=r"too many members \(5, at most 4\)"):
        _ingest(data, made["good"], limits=BundleLimits(max_members=4))
    members = list(_members(made["good"]).items())
    with pytest.warns(UserWarning, match="Duplicate name"):
        dup = _write(tmp_path / "dup.zip", [*members, ("README.txt", b"second")])
    with pytest.raises(BundleError, match="appears more than once"):
        _ingest(data, dup)
    _assert_nothing_ingested(data)


def test_checksum_and_listing_mismatches_are_refused(tmp_path, made):
    members = _members(made["good"])
    flac = "captures/00-deck1.flac"
    cases = [
        ({**members, flac: members[flac][:-10] + b"0123456789"}, False, "checksum mismatch for captures/00-deck1"),
        ({k: v for k, v in members.items() if k != "SHA256SUMS"}, False, "SHA256SUMS is missing"),
        ({k: v for k, v in members.items() if k != "README.txt"}, False, r"listed but absent: \['README.txt'\]"),
        ({**members, "SHA256SUMS": b"not a checksum line\n"}, False, "line 1 is not"),
        ({k: v for k, v in members.items() if k != flac}, True, "do not match the bundle's files"),
    ]
    for i, (edited, resum, message) in enumerate(cases):
        bad = _write(tmp_path / f"bad{i}.zip", list(edited.items()), resum=resum)
        data = DataDir(tmp_path / f"data{i}")
        with pytest.raises(BundleError, match=message):
            _ingest(data, bad)
        _assert_nothing_ingested(data)


def test_schema_problems_are_refused(tmp_path, made):
    members = _members(made["good"])
    doc = json.loads(members["contribution.json"])
    doc["schema_version"] = 99
    bad = _write(
        tmp_path / "v99.zip", list({**members, "contribution.json": json.dumps(doc).encode()}.items()), resum=True
    )
    with pytest.raises(BundleError, match="schema_version 99 is not supported"):
        _ingest(DataDir(tmp_path / "data"), bad)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BundleError, match="not a readable zip file"):
        _ingest(DataDir(tmp_path / "data"), tmp_path / "junk.zip")


def test_one_bad_capture_means_nothing_is_ingested(tmp_path, made):
    members = _members(made["good"])
    song_flac = tmp_path / "song.flac"
    write_capture(song_flac, made["song"], subtype="PCM_24")
    doc = json.loads(members["contribution.json"])
    edited = {**members, "captures/01-deck2.flac": song_flac.read_bytes()}
    doc["captures"][1]["sha256"] = hashlib.sha256(edited["captures/01-deck2.flac"]).hexdigest()
    edited["contribution.json"] = json.dumps(doc).encode()
    bad = _write(tmp_path / "tampered.zip", list(edited.items()), resum=True)
    data = DataDir(tmp_path / "data")
    refusal = r"nothing ingested: deck2: content: programme content \(music or speech\) at 1\."
    with pytest.raises(CaptureRefused, match=refusal) as info:
        _ingest(data, bad)
    assert [name for name, _ in info.value.refused] == ["deck2"]
    _assert_nothing_ingested(data)


def test_bundle_of_a_new_deck_needs_new_device_at_ingest(tmp_path):
    path = write_capture(tmp_path / "studer.wav", blank_noise(30, 10.5))
    meta = CaptureMeta("Studer A807", 7.5, format="open-reel", contributor="Archive", license="CC-BY-4.0")
    contribution = build_bundle(tmp_path / "new.zip", [path], meta, classifier=CLF, new_device=True)
    assert contribution.new_device and contribution.device == "Studer A807"
    data = DataDir(tmp_path / "data")
    with pytest.raises(BundleError, match="not in the registry.*--new-device"):
        _ingest(data, tmp_path / "new.zip")
    _assert_nothing_ingested(data)
    assert _ingest(data, tmp_path / "new.zip", new_device=True).accepted == ["studer"]
    assert read_manifest(data, "devices").column("name").to_pylist() == ["Studer A807"]
    second = write_capture(tmp_path / "studer2.wav", blank_noise(31, 10.5))
    build_bundle(tmp_path / "more.zip", [second], meta, classifier=CLF, new_device=True)
    assert _ingest(data, tmp_path / "more.zip").accepted == ["studer2"]  # now known here


def test_a_huge_unlisted_member_is_refused_before_any_audio_is_extracted(tmp_path, made, monkeypatch):
    """A 1-GiB zero-filled capture that contribution.json does not list: the cheap list check comes first."""
    from noisekit.pipelines import bundle_ingest

    members = list(_members(made["good"]).items())
    huge = zipfile.ZipInfo("captures/zz-extra.flac")
    huge.compress_type = zipfile.ZIP_DEFLATED
    path = tmp_path / "huge.zip"
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in members if n != "SHA256SUMS")
    sums += f"{'0' * 64}  captures/zz-extra.flac\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(name, sums.encode() if name == "SHA256SUMS" else data)
        with zf.open(huge, "w", force_zip64=True) as handle:
            block = bytes(1 << 20)
            for _ in range(1024):
                handle.write(block)
    extracted = []
    real = bundle_ingest._extract

    def spy(zf, info, *args):
        extracted.append(info.filename)
        return real(zf, info, *args)

    monkeypatch.setattr(bundle_ingest, "_extract", spy)
    data = DataDir(tmp_path / "d")
    with pytest.raises(BundleError, match="do not match the bundle's files"):
        _ingest(data, path, limits=BundleLimits(max_member_bytes=2 << 30, max_total_bytes=4 << 30))
    assert sorted(extracted) == ["SHA256SUMS", "contribution.json"]
    _assert_nothing_ingested(data)
