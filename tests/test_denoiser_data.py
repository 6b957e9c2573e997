"""Tests of on-the-fly mixing: exact SNR and gain, determinism by seed, selection by split/kind/device."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from denoiser_helpers import SR, make_datadir

from noisekit.denoiser.data import MIX_PRESETS, Clip, MixConfig, MixParams, apply_mix, looped, noise_clips, open_split
from noisekit.errors import NoisekitError
from noisekit.signal import snr_db

CFG = MixConfig(crop_s=0.25)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_datadir(tmp_path_factory.mktemp("denoiser-data"))


def test_mixture_has_the_drawn_snr_and_gain(data) -> None:
    ds = open_split(data, "train", CFG, seed=5)
    for i in range(6):
        p = ds.params(i)
        x, y = (t.numpy() for t in ds[i])
        assert x.shape == y.shape == (CFG.crop,)
        assert abs(snr_db(y, x) - p.snr_db) < 1e-3  # X - βY = βαN, so the SNR is the drawn one
        assert 2.0 <= p.snr_db <= 20.0 and -6.0 <= p.gain_db <= 4.0


def test_gain_scales_target_and_mixture_alike() -> None:
    clean = np.sin(np.arange(1000) * 0.1).astype(np.float32)
    noise = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    p0 = MixParams(0, 0, 0, 0, 0, 0, snr_db=10.0, gain_db=0.0)
    p6 = MixParams(0, 0, 0, 0, 0, 0, snr_db=10.0, gain_db=-6.0)
    x0, y0 = apply_mix(clean, noise, p0)
    x6, y6 = apply_mix(clean, noise, p6)
    assert np.allclose(y0, clean)
    assert np.allclose(x6, x0 * 10 ** (-6 / 20), atol=1e-6) and np.allclose(y6, y0 * 10 ** (-6 / 20), atol=1e-6)


def test_deterministic_by_seed_and_index(data) -> None:
    a = open_split(data, "train", CFG, seed=1)
    b = open_split(data, "train", CFG, seed=1)
    c = open_split(data, "train", CFG, seed=2)
    assert a.params(3) == b.params(3)
    assert np.array_equal(a[3][0].numpy(), b[3][0].numpy())
    assert a.params(3) != a.params(4)
    assert [a.params(i) for i in range(5)] != [c.params(i) for i in range(5)]


def test_splits_kinds_and_devices_select_the_right_files(data) -> None:
    valid = open_split(data, "valid", CFG, seed=0)
    assert [c.path.split("/")[-2] for c in valid.clean] == ["g2"]
    assert all("gramophone" in c.path for c in valid.noise)
    tape = noise_clips(data, "train", kinds=("tape",))
    assert len(tape) == 2 and all("/tape/" in c.path for c in tape)
    deck1 = noise_clips(data, "train", kinds=("tape",), devices=("deck1",))
    assert [c.path.split("/")[-1] for c in deck1] == ["tape1.wav"]
    both = noise_clips(data, "train", kinds=("gramophone", "tape"))
    assert len(both) == 4


def test_tape_preset_ranges() -> None:
    tape = MIX_PRESETS["tape"]
    assert tape.snr_db == (6.0, 32.0) and tape.gain_db == (-6.0, 0.0)
    assert MIX_PRESETS["gramophone"].snr_db == (2.0, 20.0)


def test_noise_loops_circularly_and_is_resampled(tmp_path) -> None:
    from noisekit.audio import write_audio

    ramp = np.linspace(-0.5, 0.5, 22050, dtype=np.float32)  # 1 s at 22.05 kHz
    write_audio(tmp_path / "n.wav", ramp[None], 22050)
    clip = Clip(str(tmp_path / "n.wav"), 22050, 22050, 1)
    x = looped(clip, SR - 10, 30, 0)  # crosses the loop point at the model rate
    assert len(x) == 30
    assert x[:10].mean() > 0.4 and x[-10:].mean() < -0.4


def test_missing_data_is_a_clear_error(tmp_path) -> None:
    from noisekit.datadir import DataDir

    with pytest.raises(NoisekitError, match="no clean music"):
        open_split(DataDir(tmp_path), "train", CFG, seed=0)


def test_noise_clips_are_sized_by_the_loop_file_not_the_raw_cut(tmp_path) -> None:
    """extract's duration_s is the raw cut (here 9 s) while path is the loop: reading past the loop's end
    would give silent noise crops."""
    from noisekit.manifests import merge_manifest, read_manifest

    data = make_datadir(tmp_path)
    rows = read_manifest(data, "noise").to_pylist()
    for row in rows:
        row["duration_s"] = 9.0
    merge_manifest(data, "noise", rows)
    clips = noise_clips(data, "train")
    assert clips and all(c.frames == SR for c in clips)


def test_rumble_is_drawn_only_when_asked_and_leaves_other_draws_alone(data) -> None:
    """Runs without rumble draw exactly what they always drew; with it, the share and ranges are kept."""
    plain = open_split(data, "train", CFG, seed=3)
    some = open_split(data, "train", replace(CFG, rumble_share=0.5), seed=3)
    drawn = [some.params(i) for i in range(200)]
    assert all(plain.params(i).rumble_db is None for i in range(20))
    with_rumble = [p for p in drawn if p.rumble_db is not None]
    assert 70 <= len(with_rumble) <= 130
    assert all(-6.0 <= p.rumble_db <= 15.0 and 15.0 <= p.rumble_hz <= 60.0 for p in with_rumble)
    base = [replace(p, rumble_db=None, rumble_hz=0.0, rumble_seed=0) for p in drawn[:20]]
    assert base == [plain.params(i) for i in range(20)]


def test_added_rumble_sits_below_its_corner_at_its_level_and_the_snr_counts_it() -> None:
    sr, n = 44100, 44100 * 2
    clean = np.sin(2 * np.pi * 1000 * np.arange(n) / sr).astype(np.float32)
    hiss = np.random.default_rng(1).standard_normal(n).astype(np.float32) * 0.01
    p = MixParams(0, 0, 0, 0, 0, 0, snr_db=5.0, gain_db=0.0, rumble_db=10.0, rumble_hz=30.0, rumble_seed=7)
    x, y = apply_mix(clean, hiss, p, sr)
    added = x - y  # α(N + R)
    assert abs(snr_db(y, x) - 5.0) < 1e-3
    spec = np.abs(np.fft.rfft(added)) ** 2
    f = np.fft.rfftfreq(n, 1 / sr)
    low, high = spec[f < 60].sum(), spec[f >= 60].sum()
    assert abs(10 * np.log10(low / high) - 10.0) < 1.0  # the rumble is 10 dB over the hiss, all of it below 60 Hz
    assert spec[(f > 120) & (f < 20000)].sum() < 1.2 * high  # and nothing of it above twice the corner
    again, _ = apply_mix(clean, hiss, p, sr)
    assert np.array_equal(x, again)
