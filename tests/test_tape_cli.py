"""The `ingest-tape` and `contribute` commands: options, exit statuses, messages, the bundle path end to end."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from tape_helpers import ToneDetectorClassifier, blank_noise, write_capture

from noisekit.cli import main
from noisekit.commands import tape as tape_cmd
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest


@pytest.fixture(autouse=True)
def stand_in_classifier(monkeypatch):
    monkeypatch.setattr(tape_cmd, "_classifier", lambda model: ToneDetectorClassifier())


def _run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_ingest_files_then_rerun_skips(tmp_path):
    good = write_capture(tmp_path / "c36.wav", blank_noise(40, 10.5))
    args = [
        "ingest-tape",
        "--data",
        tmp_path / "d",
        "--device",
        "revox c36",
        "--speed",
        "7.5",
        "--contributor",
        "Archive",
        "--license",
        "CC-BY-4.0",
        "--no-progress",
        good,
    ]
    first = _run(*args)
    assert first.exit_code == 0, first.output
    assert "1 capture(s) accepted (2 segments, 0.2 min), 0 already ingested, 0 refused" in first.output
    rows = read_manifest(DataDir(tmp_path / "d"), "tape").to_pylist()
    assert {r["device"] for r in rows} == {"Revox C-36"}
    again = _run(*args)
    assert again.exit_code == 0 and "skipped c36: already in the dataset" in again.output


def test_refused_file_exits_1_and_names_the_check(tmp_path):
    short = write_capture(tmp_path / "short.wav", blank_noise(41, 4.0))
    result = CliRunner().invoke(
        main,
        [
            "ingest-tape",
            "--data",
            str(tmp_path / "d"),
            "--device",
            "Revox C-36",
            "--speed",
            "7.5",
            "--no-progress",
            str(short),
        ],
    )
    assert result.exit_code == 1
    assert "refused: short: length: 4.00 s" in result.output


def test_usage_and_registry_errors(tmp_path):
    path = write_capture(tmp_path / "x.wav", blank_noise(42, 10.5))
    missing = _run("ingest-tape", "--data", tmp_path / "d", path)
    assert missing.exit_code == 2 and "give --device, --speed" in missing.output
    mixed = _run("ingest-tape", "--data", tmp_path / "d", "--bundle", path, path)
    assert mixed.exit_code == 2 and "--bundle takes no FILEs" in mixed.output
    result = CliRunner().invoke(
        main, ["ingest-tape", "--data", str(tmp_path / "d"), "--device", "Akai GX-636", "--speed", "7.5", str(path)]
    )
    assert result.exit_code == 2 and "not in the registry" in result.output and "--new-device" in result.output


def test_contribute_then_ingest_the_bundle(tmp_path):
    files = [write_capture(tmp_path / f"uher_{s}.wav", blank_noise(43, 10.5, speed_ips=s)) for s in (1.875, 3.75)]
    out = tmp_path / "uher.zip"
    made = _run(
        "contribute",
        "--out",
        out,
        "--device",
        "uher 4000 report-l",
        "--speed",
        "1.875",
        "--speed",
        "3.75",
        "--tape-stock",
        "Agfa PER 525",
        "--contributor",
        "Archive",
        "--license",
        "CC-BY-4.0",
        "--date",
        "2026-11-20",
        *files,
    )
    assert made.exit_code == 0, made.output
    assert "uher_1.875: 1.875 ips, 10.5 s, 44100 Hz" in made.output and "content" in made.output
    assert "wrote" in made.output and "2 capture(s), 0.3 min of Uher 4000 Report L" in made.output
    ingested = _run("ingest-tape", "--data", tmp_path / "d", "--bundle", out, "--no-progress")
    assert ingested.exit_code == 0, ingested.output
    assert "2 capture(s) accepted (4 segments" in ingested.output
    assert "Uher 4000 Report L" in (tmp_path / "d" / "DATASET.md").read_text()


def test_contribute_refuses_and_writes_nothing(tmp_path):
    short = write_capture(tmp_path / "short.wav", blank_noise(44, 4.0))
    out = tmp_path / "b.zip"
    result = CliRunner().invoke(
        main,
        [
            "contribute",
            "--out",
            str(out),
            "--device",
            "Revox C-36",
            "--speed",
            "7.5",
            "--contributor",
            "A",
            "--license",
            "CC0-1.0",
            str(short),
        ],
    )
    assert result.exit_code == 2 and "short.wav: length" in result.output and not out.exists()
    nolicence = CliRunner().invoke(
        main, ["contribute", "--out", str(out), "--device", "Revox C-36", "--speed", "7.5", str(short)]
    )
    assert nolicence.exit_code == 2 and "--contributor and --license" in nolicence.output
