"""Chunked overlap-add inference: exact identity, seamless joins, streaming files, the real model's adapter."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from noisekit.denoiser.inference import ChunkedDenoiser, ModelWave, denoise_array, denoise_file, output_paths, wave_fn
from noisekit.denoiser.model import build_model
from noisekit.errors import AudioError, ConfigError


def identity(wave: torch.Tensor) -> torch.Tensor:
    return wave.clone()


class Lowpass(torch.nn.Module):
    """A fixed FIR smoother with zero padding: linear, time-invariant, and with real edge effects at chunk ends."""

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        kernel = torch.hann_window(65, periodic=False)[None, None, :]
        return torch.nn.functional.conv1d(wave[:, None, :], kernel / kernel.sum(), padding=32)[:, 0, :]


@pytest.mark.parametrize(
    "channels,n",
    [
        (1, 1),
        (1, 10),
        (2, 3000),
        (1, 44100),
        (2, 44101),
        (3, 2 * 44100 + 17),
        (1, 5 * 44100 - 2048),
        (2, 6 * 44100 + 5),
    ],
)
def test_identity_is_exact_at_model_rate(channels, n):
    x = np.random.default_rng(n).standard_normal((channels, n)).astype(np.float32)
    y = denoise_array(x, 44100, identity, chunk_s=1.0, overlap=2048, batch_size=2)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_identity_streaming_any_block_sizes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 400_000)).astype(np.float32)
    runner = ChunkedDenoiser(identity, 2, chunk_s=0.5, overlap=1024, batch_size=3)
    outs, i = [], 0
    while i < x.shape[1]:
        k = int(rng.integers(1, 50_000))
        outs.append(runner.push(x[:, i : i + k]))
        i += k
    outs.append(runner.finish())
    y = np.concatenate(outs, axis=1)
    np.testing.assert_allclose(y, x, atol=1e-6)
    assert runner.chunks_done == int(np.ceil((x.shape[1] - 1024) / (22050 - 1024)))


@pytest.mark.parametrize("sr", [8000, 22050, 48000, 96000])
def test_identity_other_rates_within_resampler_precision(sr):
    n = 2 * sr + 7
    t = np.arange(n) / sr
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.05)  # no abrupt start for the resampler
    freqs = np.array([0.05, 0.2, 0.6]) * min(sr, 44100) / 2
    x = (0.2 * fade * np.sin(2 * np.pi * freqs[:, None] * t)).astype(np.float32)  # three channels
    y = denoise_array(x, sr, identity, chunk_s=0.5)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=2e-3)


def test_one_dimensional_input_keeps_its_shape():
    x = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    y = denoise_array(x, 44100, identity, chunk_s=0.1, overlap=512)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_stationary_input_has_no_level_change_at_seams():
    sr, chunk_s, overlap = 44100, 0.5, 2048
    x = np.random.default_rng(5).standard_normal((1, 6 * sr)).astype(np.float32) * 0.1
    y = denoise_array(x, sr, Lowpass(), chunk_s=chunk_s, overlap=overlap)
    reference = Lowpass()(torch.from_numpy(x)).numpy()  # the whole signal at once: no seams
    hop = int(chunk_s * sr) - overlap
    win = 1024
    for seam in range(hop, x.shape[1] - win, hop):
        a, b = seam - win // 2, seam + overlap + win // 2
        level = 20 * np.log10(np.sqrt(np.mean(y[0, a:b] ** 2)) / np.sqrt(np.mean(reference[0, a:b] ** 2)))
        assert abs(level) < 0.05, f"level change {level:.3f} dB at the seam near sample {seam}"
    # away from chunk edges the chunked output equals the unchunked one
    np.testing.assert_allclose(y[:, 100:-100], reference[:, 100:-100], atol=2e-3)


def test_model_returning_wrong_shape_is_reported():
    runner = ChunkedDenoiser(lambda w: w[:, :-1], 1, chunk_s=0.1)
    with pytest.raises(ValueError, match="returned shape"):
        runner.push(np.zeros((1, 20000), dtype=np.float32))


def test_real_model_adapter_keeps_shape():
    torch.manual_seed(0)
    model = build_model("small")
    x = (0.1 * np.random.default_rng(1).standard_normal((2, 100_000))).astype(np.float32)
    y = denoise_array(x, 32000, model, chunk_s=1.5)
    assert y.shape == x.shape and np.isfinite(y).all()


def test_model_wave_runs_channels_last_on_cpu_with_the_same_output():
    torch.manual_seed(0)
    model = build_model("small").eval()
    x = torch.from_numpy((0.1 * np.random.default_rng(2).standard_normal((2, 3 * 44100))).astype(np.float32))
    with torch.inference_mode():
        reference = model.denoise_wave(x)
    kernels = [p for p in model.parameters() if p.dim() == 4 and p.shape[1] > 1 and p.shape[2] * p.shape[3] > 1]
    assert kernels and not any(p.is_contiguous(memory_format=torch.channels_last) for p in kernels)
    wrapped = wave_fn(model)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in kernels)
    y = wrapped(x)
    assert torch.sum((y - reference) ** 2) / torch.sum(reference**2) < 1e-9  # below -90 dB: layout only


def _write(path, audio, sr, subtype="PCM_16"):
    sf.write(str(path), audio.T, sr, subtype=subtype)
    return path


@pytest.mark.parametrize("sr,channels", [(44100, 2), (22050, 1), (48000, 2)])
def test_denoise_file_streams_same_length_rate_channels(tmp_path, sr, channels):
    n = int(2.3 * sr) + 3
    t = np.arange(n) / sr
    freqs = np.array([440.0, 3000.0])[:channels, None]  # band-limited, so resampling is transparent
    x = (0.3 * np.sin(2 * np.pi * freqs * t) * np.minimum(1.0, t / 0.02)).astype(np.float32)
    src = _write(tmp_path / "side A.wav", x, sr)
    halve = lambda w: 0.5 * w  # noqa: E731
    result = denoise_file(src, tmp_path / "out", halve, chunk_s=0.5, block_s=0.7)
    assert (result.denoised, result.residual) == output_paths(src, tmp_path / "out")
    assert result.denoised.name == "side A_denoised.wav" and result.residual.name == "side A_residual.wav"
    den, sr_d = sf.read(str(result.denoised), always_2d=True)
    res, sr_r = sf.read(str(result.residual), always_2d=True)
    orig, _ = sf.read(str(src), always_2d=True)
    assert sr_d == sr_r == sr and den.shape == res.shape == orig.shape
    np.testing.assert_allclose(den + res, orig, atol=1e-6)  # the residual is exactly what was removed
    inner = slice(2000, -2000)
    np.testing.assert_allclose(den[inner], 0.5 * orig[inner], atol=3e-3)
    assert result.speed > 0
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary files left


def test_denoise_file_bad_input_names_the_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(AudioError, match="broken.wav"):
        denoise_file(bad, tmp_path / "out", identity)
    assert not (tmp_path / "out" / "broken_denoised.wav").exists()


def test_bfloat16_precision_is_close_to_float32_and_unknown_ones_are_refused():
    torch.manual_seed(0)
    model = build_model("small").eval()
    x = torch.from_numpy((0.1 * np.random.default_rng(3).standard_normal((1, 2 * 44100))).astype(np.float32))
    full, half = wave_fn(model)(x), ModelWave(model, "cpu", "bfloat16")(x)
    assert half.dtype == torch.float32 and half.shape == full.shape
    error_db = 10 * torch.log10(torch.sum((half - full) ** 2) / torch.sum(full**2))
    assert not torch.equal(half, full) and error_db < -25  # bfloat16 arithmetic did run, and stayed close
    with pytest.raises(ConfigError, match="precision"):
        ModelWave(model, "cpu", "float16")
