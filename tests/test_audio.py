"""Audio core: round trips per format and rate, typed errors for bad input, streaming with bounded memory."""

from __future__ import annotations

import struct
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from noisekit import audio as audio_mod
from noisekit.audio import audio_info, iter_blocks, load_audio, resample, write_audio
from noisekit.errors import AudioError


def _tone(sr: int, seconds: float = 1.0, freqs=(440.0, 660.0)) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)


def _spectral_match(ref: np.ndarray, out: np.ndarray, sr: int) -> None:
    """Lossy codecs shift phase and delay: compare per-channel level and dominant frequency instead."""
    for ch in range(ref.shape[0]):
        level_db = 20 * np.log10(np.std(out[ch]) / np.std(ref[ch]))
        assert abs(level_db) < 1.0
        peak_ref = np.argmax(np.abs(np.fft.rfft(ref[ch]))) * sr / ref.shape[1]
        peak_out = np.argmax(np.abs(np.fft.rfft(out[ch]))) * sr / out.shape[1]
        assert abs(peak_out - peak_ref) < 3.0


@pytest.mark.parametrize("sr", [22050, 44100, 48000])
@pytest.mark.parametrize(
    "fmt,lossless", [("wav", True), ("flac", True), ("aiff", True), ("mp3", False), ("ogg", False)]
)
def test_round_trip_each_format_and_rate(tmp_path, fmt, lossless, sr):
    ref = _tone(sr)
    path = tmp_path / f"x.{fmt}"
    sf.write(str(path), ref.T, sr)
    out, out_sr = load_audio(path)
    assert out_sr == sr and out.dtype == np.float32 and out.shape[0] == 2
    if lossless:
        assert out.shape == ref.shape
        assert np.max(np.abs(out - ref)) < 1e-4  # 16-bit quantisation
    else:
        assert abs(out.shape[1] - ref.shape[1]) < 0.05 * sr
        _spectral_match(ref, out, sr)


def test_write_audio_round_trip_is_atomic_and_exact_within_24_bit(tmp_path):
    ref = _tone(44100)
    for suffix in (".wav", ".flac"):
        path = write_audio(tmp_path / f"y{suffix}", ref, 44100)
        out, _ = load_audio(path)
        assert np.max(np.abs(out - ref)) < 1e-6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_resample_to_requested_rate_keeps_frequency_and_length(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(str(path), _tone(48000, 2.0, freqs=(1000.0,)).T, 48000)
    out, sr = load_audio(path, sr=44100)
    assert sr == 44100 and out.shape == (1, 88200)
    spectrum = np.abs(np.fft.rfft(out[0]))
    assert abs(np.argmax(spectrum) * 44100 / out.shape[1] - 1000.0) < 1.0


def test_mono_is_the_channel_mean(tmp_path):
    ref = _tone(44100)
    path = write_audio(tmp_path / "x.flac", ref, 44100)
    mono, _ = load_audio(path, mono=True)
    assert mono.shape == (1, ref.shape[1])
    np.testing.assert_allclose(mono[0], ref.mean(axis=0), atol=1e-6)


def test_info_reports_header(tmp_path):
    path = write_audio(tmp_path / "x.wav", _tone(22050, 1.5), 22050)
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.frames) == (22050, 2, 33075)
    assert info.duration_s == pytest.approx(1.5)


def _expect_error(path, reason_part: str) -> None:
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert str(path) in str(err.value)
    assert reason_part in err.value.reason


def test_typed_errors_name_file_and_reason(tmp_path):
    _expect_error(tmp_path / "missing.wav", "not found")
    (tmp_path / "empty.wav").write_bytes(b"")
    _expect_error(tmp_path / "empty.wav", "empty")
    (tmp_path / "folder.wav").mkdir()
    _expect_error(tmp_path / "folder.wav", "directory")
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 100)
    _expect_error(tmp_path / "junk.wav", "unsupported")


def test_truncated_wav_and_flac_are_refused(tmp_path):
    ref = _tone(44100, 2.0)
    for suffix in (".wav", ".flac"):
        full = write_audio(tmp_path / f"full{suffix}", ref, 44100)
        cut = tmp_path / f"cut{suffix}"
        data = full.read_bytes()
        cut.write_bytes(data[: len(data) // 2])
        _expect_error(cut, "truncated")


def test_low_bitrate_mp3_whose_header_overstates_its_length_is_read(tmp_path):
    """libsndfile's MP3 header at a high compression level promises ~0.5 % more frames than decode: an
    estimate, not a truncation."""
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal((44100 * 20, 2))).astype(np.float32)
    path = tmp_path / "low.mp3"
    sf.write(str(path), noise, 44100, format="MP3", compression_level=0.9, bitrate_mode="CONSTANT")
    promised = sf.info(str(path)).frames
    audio, sr = load_audio(path)
    assert sr == 44100 and promised > audio.shape[1] >= 0.99 * promised


def test_mp3_cut_in_half_is_refused(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "full.mp3"
    sf.write(str(path), (0.1 * rng.standard_normal((44100 * 10, 1))).astype(np.float32), 44100, format="MP3")
    data = path.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError):
        load_audio(cut)


def test_header_only_wav_has_no_frames(tmp_path):
    path = tmp_path / "noframes.wav"
    sf.write(str(path), np.zeros((0, 1), dtype=np.float32), 44100)
    _expect_error(path, "no audio frames")


def test_zero_channel_header_is_refused(tmp_path):
    path = tmp_path / "zero.wav"
    fmt = struct.pack("<HHIIHH", 1, 0, 44100, 0, 0, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 4) + b"\0" * 4
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert str(path) in str(err.value)


def test_nan_and_inf_samples_are_refused_with_their_time(tmp_path):
    data = np.zeros((44100, 1), dtype=np.float32)
    data[22050, 0] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(str(path), data, 44100, subtype="FLOAT")
    _expect_error(path, "NaN")
    with pytest.raises(AudioError, match="0.500 s"):
        list(iter_blocks(path, block_s=0.1))


def test_write_refuses_out_of_range_and_unknown_suffix(tmp_path):
    with pytest.raises(AudioError, match="full scale"):
        write_audio(tmp_path / "loud.wav", np.full((1, 100), 1.5, np.float32), 44100)
    with pytest.raises(AudioError, match="cannot write"):
        write_audio(tmp_path / "x.mp4", np.zeros((1, 100), np.float32), 44100)


def test_crash_mid_write_keeps_previous_file(tmp_path, monkeypatch):
    path = write_audio(tmp_path / "keep.flac", _tone(44100), 44100)
    before = path.read_bytes()

    def broken_write(file, data, *args, **kwargs):
        with open(file, "wb") as handle:
            handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(audio_mod.sf, "write", broken_write)
    with pytest.raises(OSError):
        write_audio(path, np.zeros((1, 10), np.float32), 44100)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.flac"]


def test_streamed_blocks_equal_whole_file_after_resampling(tmp_path):
    rng = np.random.default_rng(0)
    ref = (0.1 * rng.standard_normal((2, 48000 * 5))).astype(np.float32)
    path = write_audio(tmp_path / "s.flac", ref, 48000)
    whole, _ = load_audio(path, sr=44100, mono=True)
    streamed = np.concatenate(list(iter_blocks(path, block_s=0.7, sr=44100, mono=True)), axis=1)
    assert streamed.shape == whole.shape
    assert np.max(np.abs(streamed - whole)) < 1e-3


def test_block_reading_of_long_file_has_bounded_memory(tmp_path):
    path = tmp_path / "long.flac"
    sr, minutes = 44100, 8
    rng = np.random.default_rng(1)
    with sf.SoundFile(str(path), "w", sr, 2, format="FLAC") as handle:
        for _ in range(minutes * 6):
            handle.write((0.05 * rng.standard_normal((sr * 10, 2))).astype(np.float32))
    whole_bytes = sr * 60 * minutes * 2 * 4
    tracemalloc.start()
    total = 0
    for block in iter_blocks(path, block_s=5.0, sr=22050):
        total += block.shape[1]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == pytest.approx(22050 * 60 * minutes, abs=2)
    assert peak < whole_bytes / 20, f"peak {peak / 1e6:.1f} MB for a {whole_bytes / 1e6:.0f} MB file"


def test_resample_is_identity_at_same_rate():
    x = _tone(44100)
    assert resample(x, 44100, 44100) is x
