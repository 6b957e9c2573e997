"""docs/api.md runs as written: its code blocks, in order, on a data directory built the way `make demo` builds
one (tests/api_helpers.py), as `demo-data/` in the working directory."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from api_helpers import make_demo_like
from click.testing import CliRunner

from noisekit.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    """The (language, code) of each fenced python or bash block of docs/api.md."""
    return [(m[1], m[2]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_doc_has_the_examples_the_issue_asks_for() -> None:
    code = "\n".join(c for lang, c in blocks() if lang == "python")
    for needed in ("NoiseSet(", "Mixer(", "backward()", "load_denoiser(", "find_noise(", "restore(", "CutSet"):
        assert needed in code, needed
    training = next(c for lang, c in blocks() if "backward()" in c)
    assert len(training.strip().splitlines()) <= 25  # the short training script


def test_every_example_runs_as_written(tmp_path, monkeypatch, capsys) -> None:
    make_demo_like(tmp_path / "demo-data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing to fetch: tests never download
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for lang, code in blocks():
        if lang == "bash":
            for line in code.strip().splitlines():
                res = CliRunner().invoke(main, shlex.split(line)[1:])
                assert res.exit_code == 0, (line, res.output)
        else:
            try:
                exec(compile(code, f"{DOC.name}:block", "exec"), {"__name__": "__docs__"})
            except Exception as exc:  # name the block that failed
                pytest.fail(f"docs/api.md block failed: {exc!r}\n{code}")
    out = capsys.readouterr().out
    assert "epoch 1: L1 loss" in out and "noise only:" in out and "error: <array>: contains NaN" in out
    assert (tmp_path / "restored").is_dir() and (tmp_path / "noise-lhotse" / "cuts_train.jsonl.gz").is_file()
