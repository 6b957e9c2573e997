"""Cut checks: the file's noise floor, and refusing near-silence, fades, gating and digital silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from extract_fakes import EnergyFinder

from noisekit.audio import load_audio
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest, write_part
from noisekit.pipelines.cut_checks import CutRules, FloorMeter, measure_cut, refusal
from noisekit.pipelines.extract_cut import ExtractConfig, RecordingTask, extract_recording

SR = 44100
RULES = CutRules()


def noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    """White noise with an RMS of `dbfs`."""
    return np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 10 ** (dbfs / 20)


def test_floor_is_a_low_percentile_of_the_frame_levels_whatever_the_blocks() -> None:
    x = np.concatenate([noise(20, -40), noise(80, -15, seed=1), np.zeros(30 * SR)])  # silence left out
    whole, pieces = FloorMeter(SR), FloorMeter(SR)
    whole.feed(x)
    for a in range(0, len(x), 12345):  # blocks that split frames
        pieces.feed(x[a : a + 12345])
    assert whole.floor_db(5) == pieces.floor_db(5) == pytest.approx(-40, abs=0.6)
    assert whole.floor_db(50) == pytest.approx(-15, abs=0.6)
    assert np.array_equal(whole.counts, pieces.counts)


def test_all_silent_file_has_no_floor() -> None:
    meter = FloorMeter(SR)
    meter.feed(np.zeros(3 * SR, dtype=np.float32))
    assert meter.floor_db(5) is None


def test_steady_noise_at_the_floor_is_kept() -> None:
    levels = measure_cut(noise(3, -40)[None], SR, -40.0, RULES)
    assert levels.median_db == pytest.approx(-40, abs=0.5) and abs(levels.drift_db) < 0.5
    assert refusal(levels, -40.0, 3.0, RULES) is None


def test_near_silence_far_under_the_floor_is_refused() -> None:
    levels = measure_cut(noise(3, -85)[None], SR, -40.0, RULES)
    reason = refusal(levels, -40.0, 3.0, RULES)
    assert reason and reason.startswith("near silence") and "45.0 dB under" in reason


def test_a_fade_is_refused_and_its_direction_named() -> None:
    fade = noise(4, -40) * np.geomspace(1.0, 10 ** (-20 / 20), 4 * SR)  # -20 dB over 4 s, never under the limit
    levels = measure_cut(fade[None], SR, -45.0, RULES)
    assert levels.drift_db == pytest.approx(-13.3, abs=1.0)  # the middle of the last third minus the first's
    assert refusal(levels, -45.0, 4.0, RULES).startswith("fade: the level falls")
    rising = measure_cut(fade[::-1][None], SR, -45.0, RULES)
    assert refusal(rising, -45.0, 4.0, RULES).startswith("fade: the level rises")


def test_gated_noise_is_refused() -> None:
    gated = noise(5, -40)
    gated[int(1.0 * SR) : int(2.0 * SR)] *= 1e-3  # one second of five switched 60 dB down
    levels = measure_cut(gated[None], SR, -40.0, RULES)
    assert abs(levels.drift_db) < 1 and levels.quiet_fraction == pytest.approx(0.2, abs=0.02)
    assert refusal(levels, -40.0, 5.0, RULES).startswith("gated: 20%")


def _edited_transfer(path: Path) -> None:
    """100 s: 3 s digital silence, 5 s noise (-40 dBFS), programme, then a 2-s fade, 3 s of dither, silence."""
    rng = np.random.default_rng(7)
    music = noise(84, -40, seed=2) + 0.2 * np.sin(2 * np.pi * 440 * np.arange(84 * SR) / SR)
    fade = noise(2, -40, seed=3) * np.geomspace(1.0, 1e-3, 2 * SR)
    dither = rng.integers(-1, 2, 3 * SR) / 32768.0
    x = np.concatenate([np.zeros(3 * SR), noise(5, -40, seed=1), music, fade, dither, np.zeros(3 * SR)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.stack([x, x], axis=1), SR, subtype="PCM_24")


def test_extract_refuses_the_edited_ends_and_keeps_the_noise(tmp_path: Path) -> None:
    path = tmp_path / "in" / "edited.flac"
    _edited_transfer(path)
    data = DataDir(tmp_path / "data").ensure()
    task = RecordingTask(source="edited", source_path=path.as_posix(), abs_path=str(path), part="p")
    rows, summary = extract_recording(task, ExtractConfig(str(data.root), finder=EnergyFinder()))
    ok = [r for r in rows if r["status"] == "ok"]
    refused = {round(r["start_s"]): r["error"] for r in rows if r["status"] == "refused"}
    assert [(round(r["start_s"]), round(r["end_s"])) for r in ok] == [(3, 8)]
    assert summary.segments == 1 and summary.refused == 3
    assert refused[0].startswith("digital silence") and refused[97].startswith("digital silence")
    assert refused[92].startswith("near silence")
    assert not any(r.get("path") or r.get("raw_path") for r in rows if r["status"] == "refused")
    loop, _ = load_audio(data.resolve(ok[0]["path"]))
    peaks = np.abs(loop).max(axis=0)[: loop.shape[1] // 441 * 441].reshape(-1, 441).max(axis=1)
    assert peaks.min() > 1e-3  # no 10-ms frame of the loop is silent
    assert len(list(data.noise_gramophone.rglob("*.flac"))) == 2  # the kept cut and its loop only
    write_part(data, "noise", "p", rows)  # the refused rows fit the noise schema
    table = read_manifest(data.root / "manifests" / "parts" / "noise" / "p.parquet", "noise")
    assert sorted(table.column("status").to_pylist()) == ["ok", "refused", "refused", "refused"]


def test_a_cut_beyond_full_scale_is_refused_not_clipped() -> None:
    cut = noise(3, -40)[None]
    cut[0, SR] = 1.002  # a decoded MP3 overshooting a click at full scale
    levels = measure_cut(cut, SR, -40.0, RULES)
    assert levels.peak == pytest.approx(1.002)
    assert refusal(levels, -40.0, 3.0, RULES).startswith("beyond full scale: peak 1.0020")
    assert refusal(measure_cut(noise(3, -40)[None], SR, -40.0, RULES), -40.0, 3.0, RULES) is None


def test_one_overshooting_cut_is_a_refused_row_and_the_recording_goes_on(tmp_path: Path) -> None:
    x = np.concatenate([noise(5, -40, seed=1), 0.3 * np.sin(2 * np.pi * 440 * np.arange(20 * SR) / SR)])
    x = np.concatenate([x, noise(5, -40, seed=4), x])
    x[2 * SR] = -1.01  # the first run-in overshoots; the other noise runs do not
    path = tmp_path / "in" / "decoded.wav"
    path.parent.mkdir()
    sf.write(str(path), x, SR, subtype="FLOAT")  # what a lossy decode gives: samples past full scale kept
    data = DataDir(tmp_path / "data").ensure()
    task = RecordingTask(source="decoded", source_path=path.as_posix(), abs_path=str(path), part="p")
    rows, summary = extract_recording(task, ExtractConfig(str(data.root), finder=EnergyFinder()))
    by_start = {round(r["start_s"]): r for r in rows}
    assert by_start[0]["status"] == "refused" and "beyond full scale: peak 1.0100" in by_start[0]["error"]
    assert by_start[25]["status"] == "ok" and by_start[25]["duration_s"] > 9.5  # the two runs of 25-35 s
    assert summary.segments == 1 and summary.refused == 1
