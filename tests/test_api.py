"""The public Python API: noise sets, mixtures as `noisekit train` makes them, and errors as the CLI gives them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from api_helpers import make_demo_like
from torch.utils.data import DataLoader

import noisekit
from noisekit.denoiser.data import MixConfig, open_split
from noisekit.errors import AudioError, ConfigError, NoisekitError
from noisekit.signal import snr_db


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_demo_like(tmp_path_factory.mktemp("api"))


def test_import_is_light_and_names_are_public() -> None:
    code = "import sys, noisekit; print('torch' in sys.modules, sorted(noisekit.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("False")  # torch is imported by the first public name that needs it, not before
    for name in ("NoiseSet", "Mixer", "load_denoiser", "load_classifier", "find_noise", "restore", "NoisekitError"):
        assert name in noisekit.__all__ and getattr(noisekit, name) is not None
    with pytest.raises(AttributeError):
        noisekit.no_such_name  # noqa: B018


def test_noise_set_filters_by_kind_split_device_speed_era_and_label(data) -> None:
    every = noisekit.NoiseSet(data.root)
    assert len(every) == 8 and {m["kind"] for m in every.rows} == {"gramophone", "tape"}
    assert [m["device"] for m in noisekit.NoiseSet(data.root, kind="tape", split="train").rows] == ["deck0", "deck1"]
    assert [m["segment_id"] for m in noisekit.NoiseSet(data.root, device="deck1", speed=7.5).rows] == [
        "tape1",
        "tape3",
    ]
    assert noisekit.NoiseSet(data.root, speed=(7.5, 15)).rows == noisekit.NoiseSet(data.root, kind="tape").rows
    twenties = noisekit.NoiseSet(data.root, era="1920s")
    assert len(twenties) == 2 and {m["year"] for m in twenties.rows} == {1928}
    assert {m["label"] for m in noisekit.NoiseSet(data.root, label="Victor", era=(1930, 1939)).rows} == {"Victor"}
    assert len(noisekit.NoiseSet(data.root, kind="gramophone", split="validation")) == 0
    with pytest.raises(ConfigError, match="unknown split"):
        noisekit.NoiseSet(data.root, split="dev")
    with pytest.raises(ConfigError, match="era"):
        noisekit.NoiseSet(data.root, era="roaring")


def test_noise_items_are_loops_with_metadata_and_crops_depend_on_seed_and_index(data) -> None:
    full = noisekit.NoiseSet(data.root, kind="gramophone", split="train")
    audio, meta = full[0]
    assert audio.dtype == torch.float32 and audio.shape == (2, 5 * 44100)  # a stereo side's 5-s loop
    assert meta["year"] == 1928 and meta["label"] == "Okeh" and meta["path"].endswith(".flac")
    a = noisekit.NoiseSet(data.root, kind="gramophone", crop_s=0.5, sample_rate=16000, mono=True, seed=3)
    b = noisekit.NoiseSet(data.root, kind="gramophone", crop_s=0.5, sample_rate=16000, mono=True, seed=3)
    c = noisekit.NoiseSet(data.root, kind="gramophone", crop_s=0.5, sample_rate=16000, mono=True, seed=4)
    assert a[1][0].shape == (1, 8000) and torch.equal(a[1][0], b[1][0]) and not torch.equal(a[1][0], c[1][0])
    whole = noisekit.NoiseSet(data.root, kind="gramophone", sample_rate=16000, mono=True)[1][0][0].numpy()
    crop = a[1][0][0].numpy()
    start = int(np.argmin([np.abs(np.roll(whole, -s)[:8000] - crop).max() for s in range(len(whole))]))
    assert np.allclose(np.roll(whole, -start)[:8000], crop)  # a circular crop of the loop itself
    a.set_epoch(1)
    assert not torch.equal(a[1][0], b[1][0])
    batch, metas = next(iter(DataLoader(a, batch_size=3, collate_fn=noisekit.NoiseSet.collate)))
    assert batch.shape == (3, 1, 8000) and len(metas) == 3


def test_mixer_over_the_data_directory_makes_the_training_runs_examples(data) -> None:
    cfg = MixConfig(crop_s=0.5)
    train = open_split(data, "train", cfg, seed=7, kinds=("gramophone", "tape"), devices=())
    clean = noisekit.CleanSet(data.root, "train")
    noise = noisekit.NoiseSet(data.root, kind=("gramophone", "tape"), split="train")
    mixer = noisekit.Mixer(clean, noise, cfg, seed=7, length=6)
    assert len(mixer) == 6
    for i in range(6):
        assert mixer.params(i) == train.params(i)
        assert all(torch.equal(m, t) for m, t in zip(mixer[i], train[i], strict=True))


def test_mixer_over_any_dataset_has_the_drawn_snr_and_gain_and_batches(data) -> None:
    t = np.arange(44100 * 2) / 44100
    songs = [torch.from_numpy((0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)) for f in (220, 440, 660)]
    noise = noisekit.NoiseSet(data.root, kind="tape")
    mixer = noisekit.Mixer(songs, noise, "tape", seed=1, length=8, crop_s=0.25)
    for i in range(4):
        p = mixer.params(i)
        x, y = (v.numpy() for v in mixer[i])
        assert x.shape == y.shape == (11025,)
        assert abs(snr_db(y, x) - p.snr_db) < 1e-3 and 6.0 <= p.snr_db <= 32.0 and -6.0 <= p.gain_db <= 0.0
        beta = 10 ** (p.gain_db / 20)
        assert np.allclose(y, beta * songs[p.clean_index].numpy()[p.clean_start : p.clean_start + 11025], atol=1e-6)
    noisy, clean = next(iter(DataLoader(mixer, batch_size=4)))
    assert noisy.shape == clean.shape == (4, 11025)
    again = noisekit.Mixer(songs, noise, "tape", seed=1, length=8, crop_s=0.25, lengths=[88200] * 3)
    assert torch.equal(again[3][0], mixer[3][0])
    with pytest.raises(ConfigError, match="unknown mix preset"):
        noisekit.Mixer(songs, noise, "vinyl")


def test_bad_input_gets_the_errors_the_command_line_gives(tmp_path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    from noisekit.audio import audio_info

    with pytest.raises(AudioError) as cli_error:
        audio_info(bad)  # what every command reads a file with
    with pytest.raises(AudioError) as api_error:
        noisekit.restore(bad, steps=["declick"])
    assert str(api_error.value) == str(cli_error.value)
    with pytest.raises(AudioError, match="NaN or infinite"):
        noisekit.restore(np.array([0.0, np.nan, 0.1]), steps=["declick"], sample_rate=44100)
    with pytest.raises(ConfigError, match="sample_rate"):
        noisekit.restore(np.zeros(100), steps=["declick"])
    with pytest.raises(ConfigError, match="unknown restore step"):
        noisekit.restore(np.zeros(100), steps=["polish"], sample_rate=44100)
    with pytest.raises(NoisekitError, match="neither a data directory"):
        noisekit.NoiseSet(tmp_path)
    with pytest.raises(NoisekitError, match="no shipped model of that name"):
        noisekit.load_denoiser("huge")
    with pytest.raises(NoisekitError, match="checkpoint not found"):
        noisekit.load_denoiser(tmp_path / "missing.pt")
