"""The streaming restore: cells and read blocks do not change the result, a boundary never cuts a repair, and
bad files fail alone."""

import numpy as np
import pytest
import soundfile as sf

from noisekit.denoiser.classical.inpaint import InpaintParams, detect_gaps
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks
from noisekit.pipelines.restore import RestoreOptions, output_paths, restore_array, restore_file, restore_files
from noisekit.pipelines.restore_scan import GapScan

CHAIN = RestoreOptions(steps=("declick", "inpaint"))


@pytest.fixture(scope="module")
def side():
    """14 s of notes in hiss with clicks, a click across the first 4.4-s declick cell border, and two gaps."""
    clean = notes(14.0, seed=51)
    x = plant_clicks(add_noise(clean, coloured_noise(len(clean), "white", seed=52), 20.0), 30, seed=53)[0]
    border = 4 * 48510  # 4.4 s: the first 4-s declick cell, rounded up to whole units (lcm of 2205 and 110 samples)
    x[border - 3 : border + 3] += 0.6
    x[3 * SR : 3 * SR + 200] = 0.0
    x[9 * SR : 9 * SR + 30 * SR // 1000] = 0.0
    return x, border


def test_read_blocks_and_cell_sizes_give_identical_output(side):
    x, _ = side
    small_blocks = restore_array(x, SR, None, CHAIN, block_s=0.7, cell_s=4.0)
    other_cells = restore_array(x, SR, None, CHAIN, block_s=30.0, cell_s=6.0)
    np.testing.assert_array_equal(small_blocks.audio, other_cells.audio)
    assert small_blocks.clicks == other_cells.clicks and len(small_blocks.clicks) >= 20
    assert small_blocks.report["inpaint"]["filled"] == 2


def test_a_click_across_a_cell_border_is_repaired_whole(side):
    x, border = side
    result = restore_array(x, SR, None, CHAIN, cell_s=4.0)
    hit = [(s, e) for _, s, e in result.clicks if s < border + 3 and e > border - 3]
    assert len(hit) == 1 and hit[0][0] <= border - 3 and hit[0][1] >= border + 3
    assert np.abs(result.audio[0, border - 3 : border + 3]).max() < 0.3


def test_a_streamed_file_equals_the_whole_file_result(tmp_path, side):
    x, _ = side
    long_side = np.stack([np.tile(x, 3), np.tile(x[::-1], 3)])  # 42 s stereo
    path = tmp_path / "long.wav"
    sf.write(path, long_side.T, SR, subtype="FLOAT")
    whole = restore_array(long_side, SR, None, CHAIN, cell_s=100.0)  # one cell: the whole recording at once
    streamed = restore_file(path, tmp_path / "out", None, CHAIN, block_s=2.5, keep_audio=False)
    assert streamed.audio is None
    paths = output_paths(path, tmp_path / "out")
    restored = sf.read(paths["restored"], dtype="float32", always_2d=True)[0].T
    residual = sf.read(paths["residual"], dtype="float32", always_2d=True)[0].T
    # the click decisions are the same; repaired values agree to float32 rounding (the batched LSAR solve
    # groups its systems differently when the cell differs), everything else is identical
    repaired = np.zeros(long_side.shape, dtype=bool)
    for c, s, e in whole.clicks:
        repaired[c, s:e] = True
    np.testing.assert_array_equal(restored[~repaired], whole.audio[~repaired])
    np.testing.assert_allclose(restored, whole.audio, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(residual, long_side - restored)  # the difference file, as computed today
    np.testing.assert_allclose(restored + residual, long_side, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(restored[~repaired] + residual[~repaired], long_side[~repaired])
    rows = paths["clicks"].read_text().splitlines()[1:]
    assert sorted(tuple(map(int, r.split(",")[:3])) for r in rows) == whole.clicks
    assert streamed.report["declick"]["clicks"] == len(whole.clicks) == len(rows)


def test_gap_scan_over_blocks_equals_detect_gaps(side):
    x, _ = side
    x = x.copy()
    x[5 * SR : 5 * SR + 100] = 0.25  # a hold across a read-block border
    for block in (1000, 4 * SR + 13, len(x)):
        scan = GapScan(SR, InpaintParams())
        for i in range(0, len(x), block):
            scan.push(x[i : i + block])
        scan.push(np.zeros(0, dtype=np.float32), last=True)
        assert scan.gaps() == detect_gaps(x, SR)


def test_bad_files_fail_alone_and_odd_ones_are_restored(tmp_path):
    rng = np.random.default_rng(7)
    good = tmp_path / "good.wav"
    sf.write(good, rng.standard_normal(2 * SR).astype(np.float32) * 0.1, SR, subtype="FLOAT")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00not audio at all" * 10)
    nan = tmp_path / "nan.wav"
    bad = rng.standard_normal(SR).astype(np.float32) * 0.1
    bad[100] = np.nan
    sf.write(nan, bad, SR, subtype="FLOAT")
    one = tmp_path / "one.wav"
    sf.write(one, np.array([0.5], dtype=np.float32), SR, subtype="FLOAT")
    wide = tmp_path / "wide.wav"
    sf.write(wide, rng.standard_normal((192000 * 3 // 2, 6)).astype(np.float32) * 0.05, 192000, subtype="FLOAT")
    short_remainder = tmp_path / "short_remainder.wav"  # 2.3 s in 1.5-s stretches: a 0.8-s remainder
    sf.write(short_remainder, rng.standard_normal(int(2.3 * SR)).astype(np.float32) * 0.1, SR, subtype="FLOAT")
    paths = [good, empty, junk, nan, one, wide, short_remainder]
    options = RestoreOptions(steps=("gate", "declick", "inpaint"), stretch_s=1.5)
    results, failed = restore_files(paths, tmp_path / "out", None, options)
    assert set(failed) == {str(empty), str(junk), str(nan)}
    assert "empty" in failed[str(empty)] and "NaN" in failed[str(nan)] and str(junk) in failed[str(junk)]
    assert len(results) == 4
    for path in (good, one, wide, short_remainder):
        restored, sr = sf.read(output_paths(path, tmp_path / "out")["restored"], dtype="float32", always_2d=True)
        original, _ = sf.read(path, dtype="float32", always_2d=True)
        assert sr == sf.info(path).samplerate and restored.shape == original.shape
        assert np.all(np.isfinite(restored))
    one_sample = sf.read(output_paths(one, tmp_path / "out")["restored"], dtype="float32")[0]
    assert one_sample.tolist() == [0.5]
