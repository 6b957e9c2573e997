"""The noise-print check: blocks of a recording's cuts that leave its own noise spectrum are refused, the rest
is kept, and clicks, band limits and short recordings do not trip it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from extract_fakes import Seg

from noisekit.datadir import DataDir
from noisekit.pipelines.extract_cut import ExtractConfig, RecordingTask, extract_recording
from noisekit.pipelines.noise_print import PrintRules, block_levels, noise_print, split_by_print

SR = 44100
RULES = PrintRules()


def _hiss(seconds: float, seed: int = 0, level: float = 0.01) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * level).astype(np.float32)


def _wash(seconds: float, seed: int = 1, level: float = 0.05) -> np.ndarray:
    """A noise-like programme sound: hiss above 8 kHz, far over the surface noise there (a cymbal roll)."""
    x = np.random.default_rng(seed).standard_normal(int(seconds * SR))
    spec = np.fft.rfft(x)
    spec[np.fft.rfftfreq(len(x), 1 / SR) < 8000] = 0
    return (np.fft.irfft(spec, len(x)) * level).astype(np.float32)


def test_block_levels_are_steady_for_steady_noise_and_clicks_do_not_move_them() -> None:
    x = _hiss(10.0)
    plain = block_levels(x, SR)
    assert plain.shape == (10, 16) and plain.std(axis=0).max() < 1.0  # far under the 6-dB rule
    clicked = x.copy()
    clicked[np.random.default_rng(2).integers(0, len(x), 30)] = 0.9  # 3 clicks a second, 39 dB over the hiss
    assert np.abs(block_levels(clicked, SR) - plain).max() < 2.0  # a third of the 6-dB rule


def test_a_noise_like_sound_inside_a_cut_is_refused_and_named_and_the_noise_around_it_kept() -> None:
    x = _hiss(10.0)
    x[3 * SR : 6 * SR] += _wash(3.0)
    levels = block_levels(x, SR)
    pieces = split_by_print(levels, noise_print(levels, RULES), len(x), SR, RULES)
    assert [(a / SR, b / SR, why is None) for a, b, why in pieces] == [(0, 3, True), (3, 6, False), (6, 10, True)]
    assert "over its noise print at 8.5-11.7 kHz" in pieces[1][2]


def test_band_limited_noise_drifting_a_little_and_too_few_blocks_pass_whole() -> None:
    spec = np.fft.rfft(_hiss(12.0))
    spec[np.fft.rfftfreq(12 * SR, 1 / SR) > 5000] = 0  # a 5-kHz transfer: the upper bands are empty
    x = np.fft.irfft(spec, 12 * SR).astype(np.float32) * np.linspace(1.0, 1.4, 12 * SR, dtype=np.float32)  # +3 dB
    levels = block_levels(x, SR)
    assert split_by_print(levels, noise_print(levels, RULES), len(x), SR, RULES) == [(0, len(x), None)]
    short = block_levels(_hiss(3.5), SR)
    assert noise_print(short, RULES) is None
    assert split_by_print(short, None, int(3.5 * SR), SR, RULES) == [(0, int(3.5 * SR), None)]


def test_extract_refuses_the_block_that_leaves_the_print_with_its_reason(tmp_path: Path) -> None:
    x = np.concatenate([_hiss(8.0), _hiss(4.0, seed=3) + _wash(4.0), _hiss(8.0, seed=4)])
    path = tmp_path / "side.flac"
    sf.write(path, x, SR)

    def whole_file(blocks, sr):  # a classifier fooled by the wash: the whole file is noise
        return [Seg(0.0, sum(len(b) for b in blocks) / sr, 0.95)]

    task = RecordingTask(source="s", source_path=str(path), abs_path=str(path), part="p")
    rows, summary = extract_recording(task, ExtractConfig(str(DataDir(tmp_path / "d").ensure().root), whole_file))
    spans = sorted((r["start_s"], r["end_s"], r["status"]) for r in rows)
    assert spans == [(0.0, 8.0, "ok"), (8.0, 12.0, "refused"), (12.0, 20.0, "ok")]
    assert summary.segments == 2 and summary.refused == 1
    refused = next(r for r in rows if r["status"] == "refused")
    assert refused["error"].startswith("unlike the rest of its cut")
