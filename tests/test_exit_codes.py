"""Every command keeps one exit-code contract: 0 all done, 1 some items failed (each named), 2 a usage or
input error, 3 a bug in noisekit (with its traceback), never reported as bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from extract_fakes import random_classifier, write_fake_side
from tape_helpers import ToneDetectorClassifier, blank_noise, write_capture

from noisekit.cli import main
from noisekit.commands import tape as tape_cmd
from noisekit.commands.common import BUG, FAILED, OK, USAGE
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes

JUNK = b"RIFF0000WAVEjunk"


def _run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return random_classifier(tmp_path_factory.mktemp("ckpt"))


def test_the_statuses_are_the_documented_ones():
    assert (OK, FAILED, USAGE, BUG) == (0, 1, 2, 3)
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "## Exit codes" in readme


def test_extract_contract(tmp_path: Path, checkpoint: Path):
    good = tmp_path / "in" / "good.flac"
    write_fake_side(good, seed=4)
    common = ("extract", "--data", tmp_path / "d", "--model", checkpoint, "--jobs", 1, "--no-progress")
    done = _run(*common, "--input", good)
    assert done.exit_code == OK, done.output
    (tmp_path / "in" / "bad.wav").write_bytes(JUNK)
    partly = _run(*common, "--input", tmp_path / "in")
    assert partly.exit_code == FAILED, partly.output
    assert "failed: " in partly.output and "bad.wav" in partly.output and "1 failed" in partly.output
    usage = _run(*common, "--input", good, "--rpm", "fast")
    assert usage.exit_code == USAGE and "invalid rpm 'fast'" in usage.output
    library = _run(*common, "--input", good, "--segmenter", "nope=1")  # a ConfigError from the library, not click
    assert library.exit_code == USAGE and "error: unknown segmenter parameter 'nope'" in library.output
    assert "Traceback" not in usage.output + library.output


def test_ingest_tape_contract(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(tape_cmd, "_classifier", lambda model: ToneDetectorClassifier())
    common = ("ingest-tape", "--data", tmp_path / "d", "--device", "Revox C-36", "--speed", "7.5", "--no-progress")
    good = write_capture(tmp_path / "good.wav", blank_noise(40, 10.5))
    assert _run(*common, good).exit_code == OK
    other = write_capture(tmp_path / "other.wav", blank_noise(41, 10.5))
    (tmp_path / "bad.wav").write_bytes(JUNK)
    partly = _run(*common, other, tmp_path / "bad.wav")
    assert partly.exit_code == FAILED, partly.output
    assert "refused: bad: " in partly.output and "bad.wav" in partly.output and "1 capture(s) accepted" in partly.output
    usage = _run("ingest-tape", "--data", tmp_path / "d", "--speed", "7.5", good)
    assert usage.exit_code == USAGE and "give --device" in usage.output


def _noisy_file(path: Path) -> Path:
    clean = notes(4.0, seed=41)
    sf.write(path, add_noise(clean, coloured_noise(len(clean), "pink", seed=42), 15.0), SR, subtype="FLOAT")
    return path


def test_restore_contract(tmp_path: Path):
    good = _noisy_file(tmp_path / "good.wav")
    out = tmp_path / "out"
    assert _run("restore", good, "--out", out, "--steps", "declick").exit_code == OK
    (tmp_path / "bad.wav").write_bytes(JUNK)
    partly = _run("restore", good, tmp_path / "bad.wav", "--out", out, "--steps", "declick")
    assert partly.exit_code == FAILED and "failed: " in partly.output and "bad.wav" in partly.output
    usage = _run("restore", good, "--out", out, "--steps", "declick", "--max-gap-ms", "0")
    assert usage.exit_code == USAGE and "--max-gap-ms" in usage.output


def test_manifest_clean_and_harvest_refuse_bad_options(tmp_path: Path):
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "a.wav", np.zeros(SR, dtype=np.float32), SR)
    assert _run("manifest", "clean", music, "--data", tmp_path / "d").exit_code == OK
    bad_split = _run("manifest", "clean", music, "--data", tmp_path / "d", "--valid", "0.7", "--test", "0.5")
    assert bad_split.exit_code == USAGE and "--valid and --test" in bad_split.output
    both = _run("harvest", "--data", tmp_path / "d", "--source-dir", music, "--query", "year:1925", "--no-progress")
    assert both.exit_code == USAGE and "error: --query needs the archive's search" in both.output


def test_a_bug_is_a_traceback_not_bad_input(tmp_path: Path, monkeypatch):
    """A ValueError from inside the library is a programming error: exit 3 with its traceback."""
    import noisekit.api.restore as restore_api  # noqa: PLC0415 (what the command calls)

    def broken(*args, **kwargs):
        raise ValueError("an impossible state")

    monkeypatch.setattr(restore_api, "restore_many", broken)
    result = _run("restore", _noisy_file(tmp_path / "a.wav"), "--out", tmp_path / "o", "--steps", "declick")
    assert result.exit_code == BUG
    assert "Traceback" in result.output and "ValueError: an impossible state" in result.output
    assert "a bug in noisekit" in result.output
    assert "error: an impossible state" not in result.output and "Usage:" not in result.output
