import json

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from noisekit.cli import main
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks


def _noisy_file(path):
    clean = notes(4.0, seed=41)
    x = plant_clicks(add_noise(clean, coloured_noise(len(clean), "pink", seed=42), 15.0), 12, seed=43)[0]
    sf.write(path, x, SR, subtype="FLOAT")


def test_restore_command_writes_outputs_and_a_summary(tmp_path):
    _noisy_file(tmp_path / "a.wav")
    result = CliRunner().invoke(
        main,
        [
            "restore",
            str(tmp_path / "a.wav"),
            "--out",
            str(tmp_path / "out"),
            "--steps",
            "inpaint,declick,denoise",
            "--denoiser",
            "lsa",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "restore: 1 file(s)" in result.output and "clicks removed" in result.output
    for suffix in ("_restored.wav", "_residual.wav", "_clicks.csv", "_restore.json"):
        assert (tmp_path / "out" / f"a{suffix}").is_file()
    report = json.loads((tmp_path / "out" / "a_restore.json").read_text())
    # 12 planted, 5 of them under 6 sigmas of the pink noise: the music-safe default finds 9
    assert report["steps"] == ["declick", "denoise", "inpaint"] and report["declick"]["clicks"] >= 8


def test_restore_command_rejects_unknown_steps(tmp_path):
    _noisy_file(tmp_path / "a.wav")
    result = CliRunner().invoke(
        main, ["restore", str(tmp_path / "a.wav"), "--out", str(tmp_path / "o"), "--steps", "declick,polish"]
    )
    assert result.exit_code == 2 and "polish" in result.output


def test_restore_command_reports_a_bad_file_and_goes_on(tmp_path):
    _noisy_file(tmp_path / "good.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    result = CliRunner().invoke(
        main,
        [
            "restore",
            str(tmp_path / "bad.wav"),
            str(tmp_path / "good.wav"),
            "--out",
            str(tmp_path / "o"),
            "--steps",
            "declick",
        ],
    )
    assert result.exit_code == 1  # some items failed, each named; the others were done
    assert "failed: " in result.output and "bad.wav" in result.output and "1 failed" in result.output
    assert (tmp_path / "o" / "good_restored.wav").is_file()


def test_restore_command_takes_a_folder(tmp_path):
    (tmp_path / "in").mkdir()
    _noisy_file(tmp_path / "in" / "x.wav")
    (tmp_path / "in" / "notes.txt").write_text("not audio")
    result = CliRunner().invoke(
        main, ["restore", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--steps", "inpaint"]
    )
    assert result.exit_code == 0, result.output
    assert "restore: 1 file(s)" in result.output and (tmp_path / "o" / "x_restored.wav").is_file()


def test_restore_defaults_are_the_library_defaults(tmp_path, monkeypatch):
    """The command defines no default of its own: without flags it runs RestoreOptions(), and --help shows them."""
    from noisekit.api import restore as api_restore
    from noisekit.pipelines.restore import RestoreOptions

    seen = {}

    def capture(inputs, out_dir, steps, denoiser, options):
        seen.update(steps=steps, options=options)
        return [], {}, ""

    monkeypatch.setattr(api_restore, "restore_many", capture)
    wav = tmp_path / "a.wav"
    sf.write(str(wav), np.zeros(44100, dtype=np.float32), 44100)
    res = CliRunner().invoke(main, ["restore", str(wav), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert seen["options"] == RestoreOptions() and seen["steps"] == RestoreOptions().steps
    res = CliRunner().invoke(main, ["restore", str(wav), "--out", str(tmp_path / "o"), "--click-threshold", "7"])
    assert seen["options"].declick.threshold == 7.0 and seen["options"].declick.order == RestoreOptions().declick.order
    help_text = " ".join(CliRunner().invoke(main, ["restore", "--help"]).output.split())
    assert f"[default: ({RestoreOptions().declick.threshold})" in help_text
