"""Short and degenerate audio (0 frames, 1 sample, under a second) are failed or refused rows, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from extract_fakes import EnergyFinder, write_fake_side
from tape_helpers import SR, ToneDetectorClassifier, blank_noise, write_capture

from noisekit.datadir import DataDir
from noisekit.pipelines import tape
from noisekit.pipelines import tape_checks as tc
from noisekit.pipelines.extract import extract

SHORT_S = (1 / SR, 0.3, 0.6, 1.0)


def _write_short(folder: Path, seconds: float, channels: int = 2) -> Path:
    path = folder / f"short-{seconds:.5f}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = 0.01 * np.random.default_rng(0).standard_normal((max(1, int(round(seconds * SR))), channels))
    sf.write(str(path), noise.astype(np.float32), SR)
    return path


def test_shipped_classifier_gives_no_windows_for_audio_shorter_than_one_window() -> None:
    from noisekit.classifier import load_classifier

    classifier = load_classifier()
    for seconds in SHORT_S:
        probs = classifier.window_probs(np.full(int(round(seconds * SR)), 0.01, np.float32), SR)
        assert len(probs) == 0 and probs.duration_s == pytest.approx(seconds)
    assert len(classifier.window_probs(np.full(int(1.2 * SR), 0.01, np.float32), SR)) >= 1


def test_short_files_are_failed_rows_and_the_rest_of_the_folder_is_extracted(tmp_path: Path) -> None:
    src = tmp_path / "in"
    shorts = [_write_short(src, s) for s in SHORT_S]
    write_fake_side(src / "side.flac", seed=1)
    data = DataDir(tmp_path / "d")
    result = extract(data, inputs=[src], finder=EnergyFinder(), jobs=1, progress=False)
    assert (result.done, result.failed) == (1, len(shorts)) and result.segments == 2
    failed = {r["source_path"]: r["error"] for r in result.table.to_pylist() if r["status"] == "failed"}
    assert set(failed) == {p.as_posix() for p in shorts}
    assert all("shorter than the shortest loopable cut (1.27 s" in e for e in failed.values())
    assert "0.30 s long" in failed[shorts[1].as_posix()]
    retried = extract(data, inputs=[src], finder=EnergyFinder(), jobs=1, retry_failed=True, progress=False)
    assert (retried.done, retried.failed, retried.skipped) == (0, len(shorts), 1)
    assert retried.table.equals(result.table)


def test_short_file_with_the_shipped_classifier_is_a_failed_row(tmp_path: Path) -> None:
    path = _write_short(tmp_path / "in", 0.6)
    result = extract(DataDir(tmp_path / "d"), inputs=[path], jobs=1, progress=False)
    assert result.failed == 1 and "0.60 s long" in result.errors[0]


def test_hum_of_a_capture_under_one_second_is_not_measured() -> None:
    for n in (1, 2, SR // 2):
        audio = np.full((2, n), 0.01, np.float32)
        assert tc.hum_level(audio, SR)[1] == -np.inf
        assert tc.check_hum(audio, SR).detail.startswith("not measured")


def test_short_captures_are_refused_and_the_valid_one_is_ingested(tmp_path: Path) -> None:
    files = [_write_short(tmp_path / "caps", s) for s in SHORT_S]
    files.append(write_capture(tmp_path / "caps" / "blank.wav", blank_noise(3)))
    meta = tape.CaptureMeta("revox a-77", 15.0)
    data = DataDir(tmp_path / "d")
    result = tape.ingest_files(data, files, meta, classifier=ToneDetectorClassifier(), progress=False)
    assert result.accepted == ["blank"] and result.segments == 2
    reasons = dict(result.refused)
    assert len(reasons) == len(SHORT_S)
    assert all("shorter than the 10 s minimum" in r for r in reasons.values())
    rows = result.table.to_pylist()
    assert sum(r["status"] == "failed" for r in rows) == len(SHORT_S)


def test_short_capture_with_the_shipped_classifier_fails_length_and_content(tmp_path: Path) -> None:
    from noisekit.classifier import load_classifier

    result = tc.run_checks(write_capture(tmp_path / "short.wav", blank_noise(4, duration_s=0.7)), load_classifier())
    assert [r.name for r in result.failures] == ["length", "content"]
