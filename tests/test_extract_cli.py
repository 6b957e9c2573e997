"""`noisekit extract` on the command line, through the real classifier path (a small random-weights checkpoint)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from extract_fakes import random_classifier, write_fake_side

from noisekit.classifier.segmenter import SegmenterParams
from noisekit.cli import main
from noisekit.datadir import DataDir
from noisekit.manifests import part_names, read_manifest
from noisekit.pipelines.extract_cut import ClassifierFinder


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return random_classifier(tmp_path_factory.mktemp("ckpt"))


def _run(*args: str):
    return CliRunner().invoke(main, ["extract", *args, "--no-progress"])


def test_extract_command_runs_the_classifier_path(tmp_path: Path, checkpoint: Path) -> None:
    side = tmp_path / "side.flac"
    write_fake_side(side, seed=4)
    data = tmp_path / "d"
    res = _run("--data", str(data), "--input", str(side), "--model", str(checkpoint), "--jobs", "1")
    assert res.exit_code == 0, res.output
    assert "1 recordings done, 0 failed" in res.output and "x real time" in res.output
    table = read_manifest(DataDir(data), "noise", missing_ok=False)
    assert set(table.column("status").to_pylist()) <= {"ok"}
    again = _run("--data", str(data), "--input", str(side), "--model", str(checkpoint), "--jobs", "1")
    assert again.exit_code == 0 and "1 already done" in again.output


def test_segmenter_overrides_reach_the_finder(tmp_path: Path, checkpoint: Path, monkeypatch) -> None:
    import noisekit.pipelines.extract as stage

    seen = []
    real = stage.ClassifierFinder

    def spy(**kwargs):
        seen.append(kwargs["params"])
        return real(**kwargs)

    monkeypatch.setattr(stage, "ClassifierFinder", spy)
    side = tmp_path / "side.flac"
    write_fake_side(side, seed=4)
    res = _run(
        "--data",
        str(tmp_path / "d"),
        "--input",
        str(side),
        "--model",
        str(checkpoint),
        "--segmenter",
        "margin_s=0.5",
        "--segmenter",
        "smooth_windows=5",
        "--jobs",
        "1",
    )
    assert res.exit_code == 0, res.output
    assert seen[0].margin_s == 0.5 and seen[0].smooth_windows == 5
    assert seen[0].high == SegmenterParams().high  # the rest keep their defaults


def test_finder_loads_the_model_once_per_process(checkpoint: Path) -> None:
    finder = ClassifierFinder(model_path=str(checkpoint))
    assert finder.classifier() is finder.classifier()
    assert ClassifierFinder(model_path=str(checkpoint)).classifier() is finder.classifier()


def test_bad_model_fails_once_not_per_recording(tmp_path: Path) -> None:
    side = tmp_path / "side.flac"
    write_fake_side(side, seed=4)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "noise_cnn.json").write_text("{not json")
    (broken / "noise_cnn.safetensors").write_bytes(b"x")
    res = _run("--data", str(tmp_path / "d"), "--input", str(side), "--model", str(broken))
    assert res.exit_code == 2 and "malformed JSON" in res.output
    assert part_names(DataDir(tmp_path / "d"), "noise") == set()


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--rpm", "fast", "invalid rpm"),
        ("--splits", "0.5,0.5", "fractions"),
        ("--splits", "a,b,c", "three numbers"),
        ("--segmenter", "margin", "NAME=VALUE"),
        ("--segmenter", "nope=1", "unknown segmenter parameter"),
        ("--segmenter", "high=lots", "is not a float"),
        ("--segmenter", "high=0.2", "low <= high"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, option: str, value: str, message: str) -> None:
    side = tmp_path / "side.flac"
    write_fake_side(side, seed=4)
    res = _run("--data", str(tmp_path / "d"), "--input", str(side), option, value)
    assert res.exit_code == 2 and message in res.output
