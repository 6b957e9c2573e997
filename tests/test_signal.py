"""The shared signal helpers and audio discovery against answers worked out by hand."""

from __future__ import annotations

import io
import math
import tokenize
from pathlib import Path

import numpy as np
import pytest

from noisekit.audio import SAMPLE_RATE
from noisekit.discovery import AUDIO_SUFFIXES, audio_files, expand_inputs
from noisekit.errors import NoisekitError
from noisekit.fsutil import atomic_path
from noisekit.signal import SILENCE_DB, crossfade, fade_in, level_db, power_db, rms_dbfs, runs, snr_db

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("noisekit", "classifier", "denoiser", "pipelines", "manifests")


def test_runs_at_the_edges_in_the_middle_and_by_length() -> None:
    mask = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    np.testing.assert_array_equal(runs(mask), [[0, 2], [4, 5], [6, 9]])
    np.testing.assert_array_equal(runs(mask, min_len=2), [[0, 2], [6, 9]])
    np.testing.assert_array_equal(runs(mask, min_len=3), [[6, 9]])
    assert runs(mask).dtype == np.int64


def test_runs_of_empty_all_false_and_all_true_masks() -> None:
    assert runs(np.zeros(0, dtype=bool)).shape == (0, 2)
    assert runs(np.zeros(7, dtype=bool)).shape == (0, 2)
    np.testing.assert_array_equal(runs(np.ones(7, dtype=bool)), [[0, 7]])
    assert runs(np.ones(7, dtype=bool), min_len=8).shape == (0, 2)


def test_dB_of_a_full_scale_sine_and_of_known_powers() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sine = np.sin(2 * np.pi * 441 * t)  # a whole number of periods: mean square exactly 1/2
    assert rms_dbfs(sine) == pytest.approx(10 * math.log10(0.5), abs=1e-9)
    assert rms_dbfs(np.stack([0.1 * sine, 0.1 * sine])) == pytest.approx(-20 + 10 * math.log10(0.5), abs=1e-9)
    np.testing.assert_allclose(power_db(np.array([1.0, 0.01, 1e-6])), [0.0, -20.0, -60.0])
    assert level_db(0.5) == pytest.approx(20 * math.log10(0.5))


def test_silence_reads_the_one_floor() -> None:
    assert rms_dbfs(np.zeros((2, 100))) == SILENCE_DB == -200.0
    assert rms_dbfs(np.zeros(0)) == SILENCE_DB
    assert level_db(0.0) == SILENCE_DB and level_db(1e-30) == SILENCE_DB
    np.testing.assert_array_equal(power_db(np.array([0.0, 1e-40])), [SILENCE_DB, SILENCE_DB])
    assert rms_dbfs(np.full(10, 1e-9)) == pytest.approx(-180.0)  # just above the floor: still measured


@pytest.mark.parametrize("n", [1, 2, 7, 2048])
def test_crossfade_amplitudes_sum_to_one(n: int) -> None:
    up, down = crossfade(n)
    np.testing.assert_allclose(up + down, 1.0, atol=1e-12)
    np.testing.assert_array_equal(up, fade_in(n))
    np.testing.assert_array_equal(down, up[::-1])
    assert np.all(np.diff(up) > 0) and 0 < up[0] <= up[-1] < 1


@pytest.mark.parametrize("n", [1, 2, 7, 2048])
def test_equal_power_crossfade_powers_sum_to_one(n: int) -> None:
    up, down = crossfade(n, equal_power=True)
    np.testing.assert_allclose(up**2 + down**2, 1.0, atol=1e-12)
    np.testing.assert_allclose(up**2, fade_in(n), atol=1e-15)


def test_fade_in_is_sin_squared_at_half_sample_centres() -> None:
    np.testing.assert_allclose(fade_in(2), [np.sin(np.pi / 8) ** 2, np.sin(3 * np.pi / 8) ** 2])
    assert fade_in(0).shape == (0,)


def test_snr_by_hand() -> None:
    ref = np.array([3.0, 4.0])  # energy 25
    assert snr_db(ref, ref - np.array([0.5, 0.0])) == pytest.approx(10 * math.log10(25 / 0.25))
    assert snr_db(ref, np.zeros(2)) == pytest.approx(0.0)
    assert snr_db(ref, ref) == pytest.approx(10 * math.log10(25 / 1e-12))  # exact estimate: large, finite


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_discovery_is_recursive_sorted_and_skips_hidden_names_and_temporaries(tmp_path: Path) -> None:
    wanted = [_touch(tmp_path / name) for name in ("b.FLAC", "a.wav", "sub/deeper/c.opus", "sub/d.aiff")]
    for name in (".hidden.wav", ".cache/e.wav", "sub/.git/f.flac", "notes.txt", "sub/cover.jpg"):
        _touch(tmp_path / name)
    (tmp_path / "folder.wav").mkdir()  # a folder named like audio is not a file
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "g.flac") as tmp:  # a killed writer's leftover
        tmp.write_bytes(b"half")
        temporary = tmp
        raise RuntimeError("killed")
    _touch(temporary)
    assert audio_files(tmp_path) == sorted(wanted)


def test_expand_inputs_keeps_files_as_given_and_refuses_what_is_missing_or_empty(tmp_path: Path) -> None:
    given = _touch(tmp_path / "odd.name")  # a file named explicitly is taken whatever its suffix
    inside = _touch(tmp_path / "dir" / "x.wav")
    assert expand_inputs([str(given), tmp_path / "dir"]) == [given, inside]
    with pytest.raises(NoisekitError, match="missing.wav: input not found"):
        expand_inputs([tmp_path / "missing.wav"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoisekitError, match="empty: no audio files"):
        expand_inputs([tmp_path / "empty"])


def test_suffixes_are_lower_case_and_dotted() -> None:
    assert all(s.startswith(".") and s == s.lower() for s in AUDIO_SUFFIXES)
    assert {".wav", ".flac", ".mp3", ".ogg", ".aiff"} <= AUDIO_SUFFIXES


def _sample_rate_literals(path: Path) -> list[int]:
    """Lines of ``path`` holding the number 44100 as code (not in a comment or a string)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    numbers = ((t.start[0], t.string.replace("_", "")) for t in tokens if t.type == tokenize.NUMBER)
    return [line for line, text in numbers if (text.isdigit() and int(text) == 44100) or text == "44100.0"]


def test_the_sample_rate_is_written_out_only_in_its_constant() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): lines
        for folder in LIBRARY
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := _sample_rate_literals(path))
    }
    assert list(found) == ["noisekit/audio.py"] and len(found["noisekit/audio.py"]) == 1
