"""One extract task: cuts and loops written, rows right, stable ids, span reads, error rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from extract_fakes import EnergyFinder, Seg, write_fake_side

from noisekit.audio import load_audio
from noisekit.datadir import DataDir
from noisekit.errors import AudioError
from noisekit.manifests import part_names, read_manifest
from noisekit.pipelines.extract_cut import (
    ExtractConfig,
    RecordingTask,
    extract_recording,
    read_span,
    run_task,
    segment_id,
)
from noisekit.signal import rms_dbfs

SR = 44100


def _task(path: Path, source: str | None = None, md5: str | None = None, part: str = "p1") -> RecordingTask:
    return RecordingTask(
        source=source or path.as_posix(),
        source_path=path.as_posix(),
        abs_path=str(path),
        part=part,
        md5=md5,
        year=1927,
        label="Victor",
    )


@pytest.fixture()
def side(tmp_path: Path) -> tuple[Path, list[tuple[float, float]]]:
    path = tmp_path / "in" / "side.flac"
    return path, write_fake_side(path, seed=1)


def test_rows_files_and_loops(tmp_path: Path, side) -> None:
    path, truth = side
    data = DataDir(tmp_path / "data").ensure()
    rows, summary = extract_recording(_task(path), ExtractConfig(str(data.root), finder=EnergyFinder()))
    assert summary.ok and summary.segments == len(truth) == len(rows)
    assert summary.audio_s == pytest.approx(9.1)
    for row, (a, b) in zip(rows, truth, strict=True):
        assert a <= row["start_s"] < row["end_s"] <= b
        assert row["duration_s"] == pytest.approx(row["end_s"] - row["start_s"])
        assert row["kind"] == "gramophone" and row["status"] == "ok" and row["channels"] == 2
        assert row["year"] == 1927 and row["label"] == "Victor" and row["split"] in ("train", "valid", "test")
        loop, sr = load_audio(data.resolve(row["path"]))
        raw, _ = load_audio(data.resolve(row["raw_path"]))
        assert sr == SR and loop.shape == (2, 5 * SR)
        assert raw.shape[1] == round(row["duration_s"] * SR)
        assert row["rms_dbfs"] == pytest.approx(rms_dbfs(raw), abs=0.01)
        np.testing.assert_allclose(raw[:, :1000], loop[:, :1000], atol=1e-6)  # the loop starts with the cut
        whole, _ = load_audio(path)
        start = round(row["start_s"] * SR)
        np.testing.assert_allclose(raw, whole[:, start : start + raw.shape[1]], atol=1e-6)
        assert row["source_sha256"] is not None and len(row["source_sha256"]) == 64


def test_ids_are_stable_and_follow_content(tmp_path: Path, side) -> None:
    path, _ = side
    cfg = lambda name: ExtractConfig(str(DataDir(tmp_path / name).ensure().root), finder=EnergyFinder())  # noqa: E731
    first, _ = extract_recording(_task(path), cfg("a"))
    again, _ = extract_recording(_task(path), cfg("b"))
    copy = tmp_path / "elsewhere" / "renamed.flac"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    moved, _ = extract_recording(_task(copy), cfg("c"))
    ids = [r["segment_id"] for r in first]
    assert ids == [r["segment_id"] for r in again] == [r["segment_id"] for r in moved]
    assert len(set(ids)) == len(ids)
    other = tmp_path / "other.flac"
    write_fake_side(other, seed=2)
    assert not set(ids) & {r["segment_id"] for r in extract_recording(_task(other), cfg("d"))[0]}
    with_md5, _ = extract_recording(_task(path, md5="ABCDEF"), cfg("e"))
    assert with_md5[0]["segment_id"] == segment_id(
        "md5:abcdef", round(with_md5[0]["start_s"] * SR), round(with_md5[0]["end_s"] * SR)
    )
    assert with_md5[0]["source_sha256"] is None  # the archive's md5 is used; the file is not re-hashed


def test_native_rate_other_than_44100_is_resampled_per_span(tmp_path: Path) -> None:
    path = tmp_path / "side48k.wav"
    write_fake_side(path, seed=3, sr=48000)
    whole, _ = load_audio(path, sr=SR)
    start, end = int(1.0 * SR), int(2.5 * SR)
    span = read_span(path, start, end)
    assert span.shape == (2, end - start)
    err = np.sqrt(np.mean((span - whole[:, start:end]) ** 2)) / np.sqrt(np.mean(whole[:, start:end] ** 2))
    assert err < 1e-3


def test_span_past_the_end_is_an_error(tmp_path: Path, side) -> None:
    path, _ = side
    with pytest.raises(AudioError, match="truncated"):
        read_span(path, 8 * SR, 10 * SR)


def test_short_runs_are_counted_not_written(tmp_path: Path, side) -> None:
    path, _ = side

    def finder(blocks, sr):
        list(blocks)
        return [Seg(0.2, 1.0, 0.9), Seg(0.2, 2.8, 0.9)]  # 0.8 s < one revolution + 0.5 s crossfade

    data = DataDir(tmp_path / "data").ensure()
    rows, summary = extract_recording(_task(path), ExtractConfig(str(data.root), finder=finder))
    assert len(rows) == 1 and summary.too_short == 1


@pytest.mark.parametrize(
    "content,reason", [(b"", "empty"), (b"not audio at all" * 100, "unsupported or unrecog"), (None, "truncated")]
)
def test_bad_recording_becomes_an_error_row(tmp_path: Path, side, content, reason) -> None:
    good, _ = side
    bad = tmp_path / "bad.flac"
    if content is None:  # a FLAC cut off half-way
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        bad.write_bytes(content)
    data = DataDir(tmp_path / "data").ensure()
    summary = run_task(_task(bad, part="bad"), ExtractConfig(str(data.root), finder=EnergyFinder()))
    assert not summary.ok and reason in summary.error and "bad.flac" in summary.error
    assert part_names(data, "noise") == {"bad"}
    table = read_manifest(data.manifests / "parts" / "noise" / "bad.parquet", "noise")
    row = table.to_pylist()[0]
    assert table.num_rows == 1 and row["status"] == "failed" and reason in row["error"]
    assert row["source_path"] == bad.as_posix() and row["path"] is None
    assert not list(data.noise_gramophone.rglob("*.flac"))


def test_missing_file_becomes_an_error_row(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data").ensure()
    summary = run_task(_task(tmp_path / "gone.flac", part="gone"), ExtractConfig(str(data.root), EnergyFinder()))
    assert not summary.ok and "file not found" in summary.error


def test_rerun_of_a_task_removes_stale_and_temporary_files(tmp_path: Path, side) -> None:
    path, _ = side
    data = DataDir(tmp_path / "data").ensure()
    cfg = ExtractConfig(str(data.root), finder=EnergyFinder())
    run_task(_task(path), cfg)
    folder = data.noise_gramophone / "p1"
    before = sorted(folder.rglob("*.flac"))
    (folder / ".x.abc.tmp.flac").write_bytes(b"partial")  # what a SIGKILL mid-write leaves
    (folder / "raw" / "0123456789abcdef.flac").write_bytes(b"old cut")
    run_task(_task(path), cfg)
    assert sorted(folder.rglob("*.flac")) == before
    assert sf.info(str(before[0])).frames == 5 * SR


def test_prefetch_keeps_order_raises_errors_and_stops_early() -> None:
    import threading

    from noisekit.pipelines.extract_cut import prefetch

    blocks = [np.full(4, i, np.float32) for i in range(50)]
    assert [int(b[0]) for b in prefetch(iter(blocks))] == list(range(50))

    def failing():
        yield blocks[0]
        raise AudioError("x.flac", "truncated")

    got = []
    with pytest.raises(AudioError, match="truncated"):
        for b in prefetch(failing()):
            got.append(b)
    assert len(got) == 1

    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield np.zeros(1, np.float32)
            i += 1

    stream = prefetch(endless(), depth=2)
    next(stream)
    stream.close()  # the consumer gives up: the producer thread must end, not fill memory
    assert not any(t.name == "extract-decode" for t in threading.enumerate())
    assert len(produced) <= 5


def test_a_recording_failing_half_way_leaves_no_files(tmp_path: Path, side) -> None:
    path, _ = side

    def finder(blocks, sr):
        list(blocks)
        return [Seg(0.2, 2.8, 0.9), Seg(5.1, 7.5, "n/a")]  # the second fails after the first was written

    data = DataDir(tmp_path / "data").ensure()
    summary = run_task(_task(path), ExtractConfig(str(data.root), finder=finder))
    assert not summary.ok and "n/a" in summary.error
    assert not (data.noise_gramophone / "p1").exists()


def test_duplicate_spans_from_the_finder_give_one_row(tmp_path: Path, side) -> None:
    path, _ = side

    def finder(blocks, sr):
        list(blocks)
        return [Seg(0.2, 2.8, 0.9), Seg(0.2, 2.8, 0.8)]

    data = DataDir(tmp_path / "data").ensure()
    rows, _ = extract_recording(_task(path), ExtractConfig(str(data.root), finder=finder))
    assert len(rows) == 1


def test_background_writer_writes_everything_and_raises_the_first_error(tmp_path: Path) -> None:
    from noisekit.pipelines.extract_cut import BackgroundWriter

    audio = np.zeros((2, SR), np.float32)
    with BackgroundWriter(threads=2, backlog=2) as writer:
        for i in range(6):
            writer.write(tmp_path / f"{i}.flac", audio)
    assert sorted(p.name for p in tmp_path.glob("*.flac")) == [f"{i}.flac" for i in range(6)]
    with pytest.raises(AudioError, match="cannot write '.mp3'"), BackgroundWriter() as writer:
        writer.write(tmp_path / "ok.flac", audio)
        writer.write(tmp_path / "bad.mp3", audio)
    assert (tmp_path / "ok.flac").is_file()
