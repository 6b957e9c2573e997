"""Building contribution bundles: contents, schema, refusals, and the round trip to the same manifest rows."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from tape_helpers import SR, ToneDetectorClassifier, blank_noise, music, write_capture

from noisekit.audio import load_audio
from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import sha256_file
from noisekit.pipelines import bundle as bd
from noisekit.pipelines.bundle_ingest import ingest_bundle
from noisekit.pipelines.tape import CaptureMeta, CaptureRefused, ingest_files

META = CaptureMeta(
    "Revox A77 (HS)",
    7.5,
    tape_stock='ATR Magnetics 1/4"',
    noise_reduction="none",
    chain="A77 line out -> Fast Track Pro, 44.1 kHz",
    contributor="CDM Montevideo",
    license="CC-BY-4.0",
)


def _build(tmp_path, files, meta=META, **kw):
    out = tmp_path / "contribution.zip"
    kw.setdefault("classifier", ToneDetectorClassifier())
    return out, bd.build_bundle(out, files, meta, date="2026-11-21", **kw)


def test_bundle_holds_flac_json_checksums_and_summary(tmp_path):
    files = [
        write_capture(tmp_path / "a77 7.5ips.wav", blank_noise(0, 11.0), subtype="PCM_16"),
        write_capture(tmp_path / "a77_15ips.wav", blank_noise(1, 11.0, speed_ips=15.0)),
    ]
    out, contribution = _build(tmp_path, files, speeds=[7.5, 15.0], notes="serviced in 2022")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names == [
            "SHA256SUMS",
            "README.txt",
            "contribution.json",
            "captures/00-a77_7.5ips.flac",
            "captures/01-a77_15ips.flac",
        ]
        doc = json.loads(zf.read("contribution.json"))
        sums = dict(line.split("  ")[::-1] for line in zf.read("SHA256SUMS").decode().splitlines())
        readme = zf.read("README.txt").decode()
        flac = zf.read("captures/00-a77_7.5ips.flac")
    assert doc["schema"] == bd.SCHEMA and doc["schema_version"] == 1
    assert (doc["contributor"], doc["license"], doc["device"], doc["speeds_ips"]) == (
        "CDM Montevideo",
        "CC-BY-4.0",
        "Revox A77 (HS)",
        [7.5, 15.0],
    )
    assert (doc["tape_stock"], doc["chain"], doc["date"], doc["notes"]) == (
        META.tape_stock,
        META.chain,
        "2026-11-21",
        "serviced in 2022",
    )
    cap = doc["captures"][0]
    assert (cap["source"], cap["speed_ips"], cap["sample_rate"], cap["channels"]) == ("a77 7.5ips", 7.5, SR, 2)
    assert [c["name"] for c in cap["checks"]][-1] == "content" and all(c["ok"] for c in cap["checks"])
    assert sorted(sums) == sorted(names[1:]) and cap["sha256"] == sums[cap["file"]]
    assert flac[:4] == b"fLaC"
    assert "CDM Montevideo" in readme and "7.5, 15" in readme and "sha256sum -c SHA256SUMS" in readme
    assert contribution.captures == doc["captures"]
    assert bd.parse_contribution(json.dumps(doc), out) == contribution


def test_flac_is_lossless_for_16_and_24_bit_sources(tmp_path):
    files = [write_capture(tmp_path / f"{sub}.wav", blank_noise(2, 10.5), subtype=sub) for sub in ("PCM_16", "PCM_24")]
    out, _ = _build(tmp_path, files)
    with zipfile.ZipFile(out) as zf:
        for i, path in enumerate(files):
            (tmp_path / f"{i}.flac").write_bytes(zf.read(zf.namelist()[3 + i]))
            np.testing.assert_array_equal(load_audio(tmp_path / f"{i}.flac")[0], load_audio(path)[0])


def test_round_trip_gives_the_same_rows_as_direct_ingest(tmp_path):
    files = [
        write_capture(tmp_path / "slow.wav", blank_noise(3, 12.0)),
        write_capture(tmp_path / "fast.wav", blank_noise(4, 11.0, speed_ips=15.0), subtype="PCM_16"),
    ]
    clf = ToneDetectorClassifier()
    direct = DataDir(tmp_path / "direct")
    ingest_files(direct, files[:1], META, classifier=clf, progress=False)
    table = ingest_files(
        direct, files[1:], CaptureMeta(**{**META.__dict__, "speed_ips": 15.0}), classifier=clf, progress=False
    ).table
    out, _ = _build(tmp_path, files, speeds=[7.5, 15.0])
    via = DataDir(tmp_path / "via_bundle")
    result = ingest_bundle(via, out, classifier=clf, progress=False)
    assert result.accepted == ["slow", "fast"] and result.segments == 4
    differ = {"source_path", "raw_path", "created_at"}  # where the file came from, and when
    strip = [{k: v for k, v in r.items() if k not in differ} for r in table.to_pylist()]
    assert strip == [{k: v for k, v in r.items() if k not in differ} for r in result.table.to_pylist()]
    assert set(result.table.column("source_path").to_pylist()) == {
        "contribution.zip:captures/00-slow.flac",
        "contribution.zip:captures/01-fast.flac",
    }
    for a, b in zip(table.to_pylist(), result.table.to_pylist(), strict=True):
        assert sha256_file(direct.resolve(a["path"])) == sha256_file(via.resolve(b["path"]))
    assert (direct.root / "DATASET.md").read_text() == (via.root / "DATASET.md").read_text()


def test_contribute_refuses_a_bundle_that_would_fail_ingestion(tmp_path):
    song = blank_noise(5, 11.0)
    song[:, 4 * SR : 6 * SR] += music(2.0)[None, :]
    files = [
        write_capture(tmp_path / "ok.wav", blank_noise(6, 11.0)),
        write_capture(tmp_path / "song.wav", song),
        write_capture(tmp_path / "short.wav", blank_noise(7, 4.0)),
    ]
    with pytest.raises(CaptureRefused, match=r"song.wav: content: programme content.*short.wav: length") as info:
        _build(tmp_path, files)
    assert len(info.value.refused) == 2 and not (tmp_path / "contribution.zip").exists()


def test_contribute_refuses_incomplete_metadata_and_duplicate_audio(tmp_path):
    path = write_capture(tmp_path / "a.wav", blank_noise(8, 10.5))
    with pytest.raises(NoisekitError, match="--contributor and --license"):
        _build(tmp_path, [path], CaptureMeta("Revox C-36", 7.5))
    with pytest.raises(NoisekitError, match="one --speed for all files or one per file"):
        _build(tmp_path, [path], speeds=[7.5, 15.0, 3.75])
    copy = tmp_path / "copy.wav"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(CaptureRefused, match="the same audio as"):
        _build(tmp_path, [path, copy])


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda d: d.pop("license"), "required field 'license' is missing"),
        (lambda d: d.update(extra=1), r"unknown field\(s\) \['extra'\]"),
        (lambda d: d.update(speeds_ips="7.5"), "field 'speeds_ips' has type str"),
        (lambda d: d["captures"][0].update(sample_rate=True), "field 'sample_rate' has type bool"),
        (lambda d: d.update(date="21/11/2026"), "is not YYYY-MM-DD"),
        (lambda d: d.update(speeds_ips=["fast"]), "speeds_ips must be a list of numbers"),
        (lambda d: d.update(captures=[]), "no captures"),
        (lambda d: d.update(schema="something-else"), "not a noisekit-tape-contribution document"),
    ],
)
def test_schema_refusals(edit, message):
    doc = json.loads(
        bd.Contribution(
            "A",
            "CC0-1.0",
            "Revox C-36",
            [7.5],
            [
                {
                    "file": "captures/00-a.flac",
                    "source": "a",
                    "speed_ips": 7.5,
                    "sha256": "0" * 64,
                    "content_sha256": "0" * 64,
                    "duration_s": 11.0,
                    "sample_rate": SR,
                    "channels": 2,
                    "checks": [],
                }
            ],
            date="2026-11-21",
        ).to_json()
    )
    bd.parse_contribution(json.dumps(doc), "b.zip")
    edit(doc)
    with pytest.raises(bd.BundleError, match=message):
        bd.parse_contribution(json.dumps(doc), "b.zip")
    with pytest.raises(bd.BundleError, match="not valid JSON"):
        bd.parse_contribution("{", "b.zip")
