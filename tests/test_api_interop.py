"""What noisekit exports, read by the packages researchers use: lhotse, audiomentations and Hugging Face datasets
(the real packages, pinned in the test extras).

torch-audiomentations is not tested: it reads files with torchaudio, and no torchaudio build for torch 2.13 on
the CPU is on PyPI (the newest, 2.11.1, is built for CUDA torch 2.11: its extension does not load, and its mere
presence breaks lhotse's audio loading). Its AddBackgroundNoise takes the same folder as audiomentations'.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
import torch
from api_helpers import make_demo_like

import noisekit
from noisekit.pipelines.export import export


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_demo_like(tmp_path_factory.mktemp("interop"))


@pytest.fixture(scope="module")
def lhotse_dir(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports") / "lhotse"
    export(data, out, "lhotse", progress=False)
    return out


def test_lhotse_reads_the_manifests_and_mixes_the_noise_into_speech(data, lhotse_dir) -> None:
    from lhotse import CutSet, MonoCut, RecordingSet, load_manifest

    recordings = load_manifest(lhotse_dir / "recordings_train.jsonl.gz")
    cuts = load_manifest(lhotse_dir / "cuts_train.jsonl.gz")
    assert isinstance(recordings, RecordingSet) and isinstance(cuts, CutSet)
    rows = noisekit.NoiseSet(data.root, kind="gramophone", split="train").rows
    assert sorted(r.id for r in recordings) == sorted(r["segment_id"] for r in rows)
    stereo = next(r for r in recordings if r.num_channels == 2)
    assert stereo.duration == 5.0 and len([c for c in cuts if c.recording_id == stereo.id]) == 2
    cut = next(c for c in cuts if c.recording_id == stereo.id and c.channel == 1)
    assert cut.custom["year"] == 1928 and cut.custom["kind"] == "gramophone" and cut.custom["split"] == "train"
    original, _ = noisekit.NoiseSet(data.root, kind="gramophone", split="train")[0]
    loaded = next(c for c in cuts if c.recording_id == rows[0]["segment_id"] and c.channel == 1).load_audio()
    assert np.allclose(loaded[0], original[1].numpy(), atol=1e-6)  # the same samples, channel for channel

    speech = MonoCut(id="speech", start=0, duration=2.0, channel=0, recording=_tone_recording(44100))
    mixed = CutSet.from_cuts([speech]).mix(cuts, snr=10, seed=0, mix_prob=1.0)
    audio = next(iter(mixed)).load_audio()
    clean = speech.load_audio()
    assert audio.shape == clean.shape and not np.allclose(audio, clean)
    noise_power = np.mean((audio - clean) ** 2)
    assert abs(10 * np.log10(np.mean(clean**2) / noise_power) - 10.0) < 0.5  # mixed at the asked SNR


def _tone_recording(sr: int):
    """2 s of a 440-Hz tone as an in-memory lhotse Recording (what a speech corpus would give)."""
    from lhotse import Recording

    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, tone, sr, format="WAV", subtype="FLOAT")
    return Recording.from_bytes(buf.getvalue(), recording_id="speech")


def test_noise_set_reads_an_lhotse_export_like_its_data_directory(data, lhotse_dir) -> None:
    exported = noisekit.NoiseSet(lhotse_dir, era="1920s")
    direct = noisekit.NoiseSet(data.root, kind="gramophone", era="1920s")
    assert [r["segment_id"] for r in exported.rows] == [r["segment_id"] for r in direct.rows]
    assert torch.equal(exported[0][0], direct[0][0])


def test_audiomentations_adds_the_exported_noise(lhotse_dir) -> None:
    from audiomentations import AddBackgroundNoise

    augment = AddBackgroundNoise(sounds_path=lhotse_dir / "audio", min_snr_db=5.0, max_snr_db=5.0, p=1.0)
    clean = (0.3 * np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)).astype(np.float32)
    noisy = augment(samples=clean, sample_rate=44100)
    added = noisy - clean
    assert noisy.shape == clean.shape and np.any(added)
    assert abs(10 * np.log10(np.mean(clean**2) / np.mean(added**2)) - 5.0) < 0.5


def test_hugging_face_datasets_loads_the_hf_folder(data, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a local folder: nothing to fetch, and tests never download
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    out = tmp_path / "hf"
    export(data, out, "hf", progress=False)
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "test"} and loaded["train"].features["audio"] == datasets.Audio()
    # decoding by datasets needs torchcodec (built per torch release, none for 2.13): the bytes are the file's
    train = loaded["train"].cast_column("audio", datasets.Audio(decode=False))
    assert set(train["year"]) == {1928}
    noise = noisekit.NoiseSet(data.root, kind="gramophone", split="train")
    for row in train:
        audio, sr = sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32", always_2d=True)
        i = [r["segment_id"] for r in noise.rows].index(row["segment_id"])
        assert sr == 44100 and np.array_equal(audio.T, noise[i][0].numpy())
