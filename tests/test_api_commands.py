"""The commands that denoise, find noise and restore are thin calls of the public functions: same outputs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from eval_helpers import tiny_checkpoint
from extract_fakes import write_fake_side

import noisekit
from noisekit.cli import main
from noisekit.pipelines.restore import RestoreOptions


@pytest.fixture(scope="module")
def side(tmp_path_factory):
    path = tmp_path_factory.mktemp("side") / "in" / "side.flac"
    write_fake_side(path, seed=4, layout=(("noise", 6.0), ("music", 4.0), ("noise", 6.0)))
    return path


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """Three seconds of a side: enough for the model and the chain, quick on a busy CPU."""
    path = tmp_path_factory.mktemp("short") / "in" / "side.flac"
    write_fake_side(path, seed=5, layout=(("noise", 1.5), ("music", 1.5)))
    return path


def _same_files(a, b) -> None:
    """The same samples and rate (float WAVs carry a PEAK chunk with the time of writing), or the same text."""
    if a.suffix == ".wav":
        (x, sr_a), (y, sr_b) = sf.read(a, dtype="float32"), sf.read(b, dtype="float32")
        assert sr_a == sr_b and x.shape == y.shape and np.array_equal(x, y), (a, b)
    else:
        assert a.read_text() == b.read_text(), (a, b)


def test_denoise_command_and_function_write_the_same_files(short, tmp_path) -> None:
    side = short
    ckpt = tiny_checkpoint(tmp_path / "m.pt")
    args = ["denoise", str(side), "--out", str(tmp_path / "cli"), "--checkpoint", str(ckpt), "--chunk-s", "2"]
    res = CliRunner().invoke(main, [*args, "--no-progress", "--threads", "1"])
    assert res.exit_code == 0, res.output
    denoiser = noisekit.load_denoiser(ckpt, chunk_s=2.0)
    result = denoiser.denoise_file(side, tmp_path / "api")
    for suffix in ("_denoised.wav", "_residual.wav"):
        _same_files(tmp_path / "cli" / f"side{suffix}", tmp_path / "api" / f"side{suffix}")
    written, sr = sf.read(result.denoised, dtype="float32", always_2d=True)
    audio, _ = sf.read(side, dtype="float32", always_2d=True)
    assert np.allclose(denoiser.denoise(audio.T, sr), written.T, atol=1e-5)  # arrays: the same model and chunks
    assert denoiser.denoise(audio[:, 0], sr).shape == (audio.shape[0],)


def test_classifier_find_command_prints_what_find_noise_returns(side, tmp_path) -> None:
    res = CliRunner().invoke(main, ["classifier", "find", str(side), "--out", str(tmp_path / "found.csv")])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "found.csv").read_text())))
    segments = noisekit.find_noise(side)
    assert len(segments) == 2  # the two noise-only stretches of the side
    assert [(float(r["start_s"]), float(r["end_s"])) for r in rows] == [
        (round(s.start_s, 6), round(s.end_s, 6)) for s in segments
    ]
    audio, sr = sf.read(side, dtype="float32")
    assert noisekit.find_noise(audio.T, sr) == segments  # an array gives what its file gives


def test_restore_command_and_function_write_the_same_files(short, tmp_path) -> None:
    side = short
    flags = ["--steps", "declick,denoise", "--denoiser", "lsa", "--click-threshold", "6", "--ar-order", "24"]
    res = CliRunner().invoke(main, ["restore", str(side), "--out", str(tmp_path / "cli"), *flags])
    assert res.exit_code == 0, res.output
    options = RestoreOptions()
    options.declick = replace(options.declick, threshold=6.0, order=24)
    result = noisekit.restore(side, ["declick", "denoise"], denoiser="lsa", options=options, out_dir=tmp_path / "api")
    assert result.clicks and not np.array_equal(result.audio, result.audio + result.residual)  # it did work
    for suffix in ("_restored.wav", "_residual.wav", "_clicks.csv"):
        _same_files(tmp_path / "cli" / f"side{suffix}", tmp_path / "api" / f"side{suffix}")
    audio, sr = sf.read(side, dtype="float32", always_2d=True)
    in_memory = noisekit.restore(audio.T, ["declick", "denoise"], sample_rate=sr, denoiser="lsa", options=options)
    assert np.array_equal(in_memory.audio, result.audio) and in_memory.clicks == result.clicks
