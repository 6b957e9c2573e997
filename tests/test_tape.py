"""Tape ingest: segments and rows, resampling with the original kept, splits per capture, duplicates, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from tape_helpers import SR, ToneDetectorClassifier, blank_noise, music, write_capture

from noisekit.audio import audio_info, load_audio
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines import tape
from noisekit.pipelines.devices import DeviceError

META = tape.CaptureMeta(
    "revox a-77",
    15.0,
    tape_stock="ATR Magnetics",
    chain="Revox -> RME Babyface",
    contributor="Test Archive",
    license="CC-BY-4.0",
)


@pytest.fixture
def data(tmp_path) -> DataDir:
    return DataDir(tmp_path / "data")


def _ingest(data, files, meta=META, **kw):
    return tape.ingest_files(data, files, meta, classifier=ToneDetectorClassifier(), progress=False, **kw)


def test_ingest_writes_segments_rows_original_and_card(tmp_path, data):
    files = [
        write_capture(tmp_path / "a77_15ips.wav", blank_noise(0, 12.0)),
        write_capture(tmp_path / "second.wav", blank_noise(1, 11.0)),
    ]
    result = _ingest(data, files)
    assert result.accepted == ["a77_15ips", "second"] and not result.refused and result.segments == 4
    rows = result.table.to_pylist()
    assert len(rows) == 4 and all(r["status"] == "ok" and r["kind"] == "tape" for r in rows)
    first = [r for r in rows if r["source"] == "a77_15ips"]
    assert [(r["start_s"], r["end_s"]) for r in first] == [(0.0, 5.0), (5.0, 10.0)]
    r = first[0]
    assert (r["device"], r["speed_ips"], r["format"], r["noise_reduction"]) == (
        "Revox A77 (HS)",
        15.0,
        "open-reel",
        "none",
    )
    assert (r["tape_stock"], r["chain"], r["contributor"], r["license"]) == (
        "ATR Magnetics",
        "Revox -> RME Babyface",
        "Test Archive",
        "CC-BY-4.0",
    )
    assert r["source_path"] == str(files[0]) and r["p_noise"] == 1.0 and -80 < r["rms_dbfs"] < -40
    assert len({x["split"] for x in first}) == 1  # a whole capture goes to one split
    seg, sr = load_audio(data.resolve(r["path"]))
    original, _ = load_audio(files[0])
    assert sr == SR and seg.shape == (2, 5 * SR)
    np.testing.assert_allclose(seg, original[:, : 5 * SR], atol=2e-7)
    assert data.resolve(r["raw_path"]).read_bytes() == files[0].read_bytes()
    card = (data.root / "DATASET.md").read_text()
    assert "| Revox A77 (HS) | open-reel | 15 | none | 2 | 0.3 |" in card
    assert "| Test Archive | 2 | 0.3 | CC-BY-4.0 |" in card
    assert read_manifest(data, "tape").num_rows == 4


def test_high_rate_capture_is_resampled_and_the_original_kept(tmp_path, data):
    path = write_capture(tmp_path / "hires.wav", blank_noise(2, 10.5, sr=96000), sr=96000)
    result = _ingest(data, [path])
    rows = result.table.to_pylist()
    assert len(rows) == 2 and all(r["sample_rate"] == SR for r in rows)
    assert audio_info(data.resolve(rows[0]["path"])).sample_rate == SR
    assert audio_info(data.resolve(rows[0]["raw_path"])).sample_rate == 96000


def test_duplicates_are_skipped_by_content_not_by_file(tmp_path, data):
    audio = blank_noise(3, 11.0)
    wav = write_capture(tmp_path / "take.wav", audio, subtype="PCM_16")
    first = _ingest(data, [wav, wav])
    assert first.accepted == ["take"] and first.skipped == ["take"]
    flac = write_capture(tmp_path / "same_audio.flac", load_audio(wav)[0], subtype="PCM_16")
    again = _ingest(data, [wav, flac])
    assert again.accepted == [] and again.skipped == ["take", "same_audio"]
    assert again.table.num_rows == first.table.num_rows == 2


def test_refused_capture_becomes_a_failed_row_and_the_others_go_on(tmp_path, data):
    song = blank_noise(4, 11.0)
    song[:, 2 * SR : 5 * SR] += music(3.0)[None, :]
    files = [write_capture(tmp_path / "good.wav", blank_noise(5, 11.0)), write_capture(tmp_path / "song.wav", song)]
    result = _ingest(data, files)
    assert result.accepted == ["good"] and [name for name, _ in result.refused] == ["song"]
    failed = [r for r in result.table.to_pylist() if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"].startswith("content: programme content")
    assert "DATASET.md" in {p.name for p in data.root.iterdir()}
    # the same capture, once fixed, replaces its failed row
    fixed = write_capture(tmp_path / "song.wav", song)  # unchanged audio: still refused, same failed row
    assert _ingest(data, [fixed]).table.num_rows == 3


class _AllNoise(ToneDetectorClassifier):
    """Judges every window noise-only (as a later, different classifier might)."""

    def window_probs(self, audio_1d, sr):
        wp = super().window_probs(audio_1d, sr)
        wp.probs[:] = 1.0
        return wp


def test_a_capture_accepted_later_replaces_its_failed_row(tmp_path, data):
    song = blank_noise(15, 11.0)
    song[:, 2 * SR : 5 * SR] += music(3.0)[None, :]
    path = write_capture(tmp_path / "song.wav", song)
    assert _ingest(data, [path]).refused
    result = tape.ingest_files(data, [path], META, classifier=_AllNoise(), progress=False)
    assert result.accepted == ["song"]
    assert [r["status"] for r in result.table.to_pylist()] == ["ok", "ok"]


def test_the_same_refused_file_twice_gives_one_failed_row(tmp_path, data):
    short = write_capture(tmp_path / "short.wav", blank_noise(14, 6.0))
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"no audio here" * 50)
    result = _ingest(data, [short, short, garbage, garbage])
    assert result.skipped == ["short"] and [name for name, _ in result.refused] == ["short", "garbage", "garbage"]
    rows = result.table.to_pylist()
    assert len(rows) == 2 and {r["status"] for r in rows} == {"failed"} and result.segments == 0


def test_all_or_nothing_ingests_nothing_when_one_capture_fails(tmp_path, data):
    files = [
        write_capture(tmp_path / "good.wav", blank_noise(6, 11.0)),
        write_capture(tmp_path / "short.wav", blank_noise(7, 6.0)),
    ]
    with pytest.raises(tape.CaptureRefused, match=r"short: length: 6.00 s"):
        _ingest(data, files, all_or_nothing=True)
    assert read_manifest(data, "tape").num_rows == 0
    assert not [p for p in data.noise_tape.rglob("*") if p.is_file()]


def test_write_failure_removes_what_was_written(tmp_path, data, monkeypatch):
    files = [write_capture(tmp_path / f"c{i}.wav", blank_noise(8 + i, 11.0)) for i in range(2)]
    calls = {"n": 0}
    real = tape.write_audio

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(tape, "write_audio", flaky)
    with pytest.raises(OSError, match="disk full"):
        _ingest(data, files)
    assert not [p for p in data.noise_tape.rglob("*") if p.is_file()]
    assert read_manifest(data, "tape").num_rows == 0


def test_unknown_device_needs_new_device_and_is_registered_only_on_acceptance(tmp_path, data):
    meta = tape.CaptureMeta("Studer A807", 7.5, format="open-reel", contributor="X", license="CC0-1.0")
    good = write_capture(tmp_path / "studer.wav", blank_noise(10, 11.0))
    with pytest.raises(DeviceError, match="not in the registry"):
        _ingest(data, [good], meta)
    short = write_capture(tmp_path / "short.wav", blank_noise(11, 5.0))
    _ingest(data, [short], meta, new_device=True)
    assert read_manifest(data, "devices").num_rows == 0
    result = _ingest(data, [good], meta, new_device=True)
    assert result.accepted == ["studer"] and result.table.to_pylist()[-1]["device"] == "Studer A807"
    assert read_manifest(data, "devices").column("device_id").to_pylist() == ["studer-a807"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("noise_reduction", "dolby-z", "noise reduction"),
        ("license", "free for all", "SPDX"),
        ("format", "wire", "format"),
        ("speed_ips", 0, "tape speed"),
    ],
)
def test_bad_metadata_is_refused_before_any_work(tmp_path, data, field, value, message):
    meta = tape.CaptureMeta(**{**META.__dict__, field: value})
    path = write_capture(tmp_path / "x.wav", blank_noise(12, 11.0))
    with pytest.raises(Exception, match=message):
        _ingest(data, [path], meta)
    assert not data.manifest_path("tape").exists()


def test_content_hash_ignores_the_container():
    audio = blank_noise(13, 1.0)
    assert tape.content_sha256(audio, SR) == tape.content_sha256(audio.copy(), SR)
    assert tape.content_sha256(audio, SR) != tape.content_sha256(audio, 48000)
    assert tape.content_sha256(audio, SR) != tape.content_sha256(audio[:1], SR)
