"""Outputs of denoise and restore: one name per input, folders kept, and never inside an input folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from eval_helpers import tiny_checkpoint

from noisekit.cli import main
from noisekit.errors import NoisekitError
from noisekit.outputs import output_stems

SR = 16000


def _wav(path: Path, seed: int, seconds: float = 0.5) -> Path:
    """A short noise file whose content differs by seed (so outputs can be told apart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SR))
    sf.write(str(path), x.astype(np.float32), SR, format="FLAC" if path.suffix == ".flac" else "WAV")
    return path


@pytest.fixture
def clashing(tmp_path: Path) -> list[Path]:
    """a/x.wav, b/x.wav and x.flac: three inputs with the stem x."""
    return [_wav(tmp_path / "a" / "x.wav", 1), _wav(tmp_path / "b" / "x.wav", 2), _wav(tmp_path / "x.flac", 3)]


def test_names_are_unique_per_input_and_keep_folders(tmp_path: Path, clashing: list[Path]) -> None:
    stems = output_stems(clashing, tmp_path / "out")
    assert list(stems) == clashing and len({s.lower() for s in stems.values()}) == 3
    assert stems[clashing[2]] == "x.flac"
    assert all(stems[p].startswith("x.wav-") and len(stems[p]) == len("x.wav-") + 8 for p in clashing[:2])
    assert output_stems(clashing, tmp_path / "elsewhere") == stems  # stable: the names depend on the inputs only
    music = tmp_path / "music"
    files = [_wav(music / "x.wav", 4), _wav(music / "X.flac", 5), _wav(music / "op1" / "x.wav", 6)]
    assert output_stems([music], tmp_path / "out") == {files[1]: "X.flac", files[2]: "op1/x", files[0]: "x.wav"}
    twice = output_stems([music / "op1" / "x.wav", music / "op1" / ".." / "op1" / "x.wav"], tmp_path / "out")
    assert twice == {music / "op1" / "x.wav": "x"}


@pytest.mark.parametrize("out", ["music", "music/out", "."])
def test_an_out_that_is_inside_or_contains_an_input_folder_is_refused(tmp_path: Path, out: str) -> None:
    _wav(tmp_path / "music" / "x.wav", 1)
    with pytest.raises(NoisekitError, match=r"the output (is|lies inside|contains) the input folder"):
        output_stems([tmp_path / "music"], tmp_path / out)


def _outputs(folder: Path) -> dict[str, np.ndarray]:
    return {p.relative_to(folder).as_posix(): sf.read(str(p))[0] for p in sorted(folder.rglob("*.wav"))}


def test_denoise_writes_one_pair_per_input_and_refuses_an_out_in_its_input(
    tmp_path: Path, clashing: list[Path]
) -> None:
    ckpt = tiny_checkpoint(tmp_path / "m.pt")

    def denoise(*args: str):
        options = ["--checkpoint", str(ckpt), "--chunk-s", "2", "--no-progress", "--threads", "1"]
        return CliRunner().invoke(main, ["denoise", *args, *options])

    out = tmp_path / "out"
    result = denoise(*map(str, clashing), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "denoised 3 file(s)" in result.output
    written = _outputs(out)
    assert len(written) == 6 and "x.flac_denoised.wav" in written
    residuals = [v for k, v in written.items() if k.endswith("_residual.wav")]
    assert not np.allclose(residuals[0], residuals[1])  # each input's own output, none overwritten
    inside = tmp_path / "a" / "denoised"
    refused = denoise(str(tmp_path / "a"), "--out", str(inside))
    assert refused.exit_code == 2 and "the output lies inside the input folder" in refused.output
    assert not inside.exists()


def test_restore_keeps_subfolders_and_refuses_an_out_in_its_input(tmp_path: Path) -> None:
    music = tmp_path / "music"
    _wav(music / "x.wav", 1)
    _wav(music / "x.flac", 2)
    _wav(music / "op1" / "x.wav", 3)

    def restore(out: Path):
        return CliRunner().invoke(main, ["restore", str(music), "--out", str(out), "--steps", "gate"])

    result = restore(tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "restore: 3 file(s)" in result.output
    assert set(_outputs(tmp_path / "out")) == {
        f"{stem}_{kind}.wav" for stem in ("x.wav", "x.flac", "op1/x") for kind in ("restored", "residual")
    }
    refused = restore(music / "restored")
    assert refused.exit_code == 2 and "the output lies inside the input folder" in refused.output
    assert sorted(p.name for p in music.rglob("*")) == ["op1", "x.flac", "x.wav", "x.wav"]
