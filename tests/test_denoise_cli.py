"""`noisekit denoise` end to end: outputs, summary, the no-model message, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from eval_helpers import tiny_checkpoint

from noisekit.cli import main
from noisekit.discovery import expand_inputs


def test_denoise_writes_outputs_with_input_shape_and_rate(tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "m.pt")
    src = tmp_path / "in"
    src.mkdir()
    x = (0.1 * np.random.default_rng(0).standard_normal((30000, 2))).astype(np.float32)
    sf.write(str(src / "disc.flac"), x, 32000)
    sf.write(str(src / "mono.wav"), x[:5000, 0], 44100)
    res = CliRunner().invoke(
        main,
        [
            "denoise",
            str(src),
            "--out",
            str(tmp_path / "out"),
            "--checkpoint",
            str(ckpt),
            "--chunk-s",
            "1.5",
            "--no-progress",
            "--threads",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "denoised 2 file(s)" in res.output and "× real time" in res.output
    for stem, frames, channels, sr in (("disc", 30000, 2, 32000), ("mono", 5000, 1, 44100)):
        for suffix in ("denoised", "residual"):
            info = sf.info(str(tmp_path / "out" / f"{stem}_{suffix}.wav"))
            assert (info.frames, info.channels, info.samplerate) == (frames, channels, sr)


def test_denoise_without_any_model_says_how_to_get_one(tmp_path, monkeypatch):
    import noisekit.denoiser.checkpoint

    monkeypatch.setattr(noisekit.denoiser.checkpoint, "shipped_model_path", lambda name="small": None)
    wav = tmp_path / "a.wav"
    sf.write(str(wav), np.zeros(1000, dtype=np.float32), 44100)
    res = CliRunner().invoke(main, ["denoise", str(wav), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "noisekit train" in res.output and "--checkpoint" in res.output


def test_denoise_bad_file_is_named_and_others_go_on(tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "m.pt")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    good = tmp_path / "good.wav"
    sf.write(str(good), np.zeros(3000, dtype=np.float32), 44100)
    res = CliRunner().invoke(
        main,
        ["denoise", str(bad), str(good), "--out", str(tmp_path / "out"), "--checkpoint", str(ckpt), "--no-progress"],
    )
    assert res.exit_code == 1  # some items failed, each named; the others were done
    assert "failed: " in res.output and "bad.wav" in res.output and "1 failed" in res.output
    assert (tmp_path / "out" / "good_denoised.wav").is_file()
    assert not (tmp_path / "out" / "bad_denoised.wav").exists()


def test_expand_inputs_keeps_files_and_lists_folders(tmp_path):
    (tmp_path / "d").mkdir()
    for name in ("b.wav", "a.flac", "notes.txt"):
        (tmp_path / "d" / name).write_bytes(b"x")
    assert [p.name for p in expand_inputs((str(tmp_path / "d"), str(tmp_path / "d" / "notes.txt")))] == [
        "a.flac",
        "b.wav",
        "notes.txt",
    ]


def test_denoise_uses_the_shipped_model_by_default(tmp_path):
    from noisekit.denoiser.checkpoint import shipped_model_path

    if shipped_model_path("small") is None:
        pytest.skip("no model shipped in denoiser/weights/")
    wav = tmp_path / "short.wav"
    sf.write(str(wav), (0.1 * np.random.default_rng(0).standard_normal(8000)).astype(np.float32), 44100)
    res = CliRunner().invoke(main, ["denoise", str(wav), "--out", str(tmp_path / "out"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "small.safetensors" in res.output
    assert sf.info(str(tmp_path / "out" / "short_denoised.wav")).frames == 8000
