"""Seam-free chunked inference with the shipped model: stationary in, stationary out; chunk length and chunk
placement do not change the output; the STFT path adds no lag."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
import torch
from scipy.signal import correlate
from scipy.signal.windows import hann

from noisekit.denoiser.checkpoint import find_model, load_model
from noisekit.denoiser.inference import (
    ChunkedDenoiser,
    Geometry,
    ModelWave,
    denoise_array,
    denoise_file,
    wave_fn,
)
from noisekit.denoiser.metrics import high_band_levels_db
from noisekit.denoiser.model import TwoStageUNet, preset

SR = 44100


def _stationary(seconds: float) -> np.ndarray:
    """Steady tones under white noise at −30 dBFS: every stretch of it is statistically like every other."""
    t = np.arange(int(seconds * SR)) / SR
    tones = sum(a * np.sin(2 * np.pi * f * t) for a, f in ((0.1, 220.0), (0.05, 660.0), (0.03, 1760.0), (0.01, 5e3)))
    return (0.03 * np.random.default_rng(0).standard_normal(t.size) + tones).astype(np.float32)


def _hf_levels(y: np.ndarray) -> np.ndarray:
    """Level (dB) above 8 kHz in consecutive 6-ms windows."""
    return high_band_levels_db(y, SR)


def _rel_error_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(np.sum((a - b) ** 2) / np.sum(b**2)))


@pytest.fixture(scope="module")
def shipped() -> ModelWave:
    return wave_fn(load_model(find_model(None)).model)


@pytest.fixture(scope="module")
def stationary_out(shipped) -> tuple[np.ndarray, np.ndarray]:
    x = _stationary(30.0)
    return x, denoise_array(x, SR, shipped, chunk_s=5.0)


def test_shipped_model_geometry(shipped) -> None:
    # STFT hop 512 times 2**depth (3) frames, and 0.5 s of context
    assert shipped.geometry == Geometry(align=4096, context=22050)


@pytest.mark.slow
def test_stationary_input_gives_no_burst_at_any_chunk_boundary(shipped, stationary_out) -> None:
    x, y = stationary_out
    levels = _hf_levels(y)
    median = np.median(levels)
    runner = ChunkedDenoiser(shipped, 1, chunk_s=5.0)
    c, f, hop, chunk = runner.context, runner.overlap, runner.hop, runner.chunk
    # every place where a chunk starts or ends, its weight starts or stops changing (input coordinates)
    edges = [s + d - c for s in range(0, x.size + c, hop) for d in (0, c, c + f, chunk - c - f, chunk - c, chunk)]
    windows = sorted({e // int(0.006 * SR) + k for e in edges for k in (-1, 0, 1)} & set(range(levels.size)))
    assert len(windows) > 30
    rise = levels[windows] - median
    assert rise.max() < 3.0, f"a burst of {rise.max():.1f} dB at {windows[int(np.argmax(rise))] * 0.006:.3f} s"
    # the recording's own ends are mirrored, not chunk edges: 3.4 dB for 20 ms at the end here, 28 dB unmirrored
    assert levels[:3].max() - median < 6.0 and levels[-3:].max() - median < 6.0


@pytest.mark.slow
def test_chunk_length_does_not_change_the_output(shipped, stationary_out) -> None:
    x, y5 = stationary_out
    whole = denoise_array(x, SR, shipped, chunk_s=40.0)  # one chunk: the model on the unbroken signal
    assert _rel_error_db(y5, whole) < -60.0
    np.testing.assert_allclose(y5, whole, atol=1e-4)  # no local burst either


def test_mirrored_context_hides_edge_effects_exactly() -> None:
    """A smoother with zero padding (edge effects 32 samples deep), streamed in uneven blocks, equals the
    smoother on the whole mirror-extended signal when the context is deeper than its edge effects."""
    kernel = torch.hann_window(65, periodic=False)[None, None, :]

    def smooth(w: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.conv1d(w[:, None, :], kernel / kernel.sum(), padding=32)[:, 0, :]

    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 50_000)).astype(np.float32)
    c = 64
    reference = smooth(torch.from_numpy(np.pad(x, ((0, 0), (c, c)), mode="reflect"))).numpy()[:, c:-c]
    runner = ChunkedDenoiser(smooth, 2, chunk_s=0.1, overlap=256, geometry=Geometry(align=1, context=c))
    outs, i = [], 0
    while i < x.shape[1]:
        k = int(rng.integers(1, 9000))
        outs.append(runner.push(x[:, i : i + k]))
        i += k
    y = np.concatenate([*outs, runner.finish()], axis=1)
    assert runner.chunks_done > 5
    np.testing.assert_allclose(y, reference, atol=1e-6)
    naive = denoise_array(x, SR, smooth, chunk_s=0.1, overlap=256)  # no context: the edges show
    assert np.abs(naive - reference).max() > 1e-2


@pytest.mark.parametrize("align", [8, 512])
def test_chunk_starts_keep_the_model_grid(align) -> None:
    """A denoiser that is not shift-invariant (it silences every 8th sample of its input) gives the same
    output chunked as whole, because every chunk starts on its grid."""

    def every_eighth(w: torch.Tensor) -> torch.Tensor:
        return w * (torch.arange(w.shape[-1]) % 8 != 0)

    x = np.random.default_rng(1).standard_normal((1, 30_000)).astype(np.float32)
    c = 100
    expected = x * ((np.arange(x.shape[1]) + c) % 8 != 0)  # the grid starts at the mirrored extension
    y = ChunkedDenoiser(every_eighth, 1, chunk_s=0.1, overlap=300, geometry=Geometry(align, c))
    out = np.concatenate((y.push(x), y.finish()), axis=1)
    assert y.hop % align == 0 and y.chunks_done > 3
    np.testing.assert_allclose(out, expected, atol=1e-6)


def _lag(x: np.ndarray, y: np.ndarray, span: int = 8) -> float:
    """Lag (samples, sub-sample by a parabola through the peak) at which ``y`` best matches ``x``."""
    c = correlate(y, x, mode="full", method="fft")[x.size - 1 - span : x.size + span]
    k = int(np.argmax(c))
    a, b, d = c[k - 1], c[k], c[k + 1]
    return k - span + 0.5 * (a - d) / (a - 2 * b + d)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_the_stft_path_and_chunking_add_no_lag(tmp_path, sr) -> None:
    """The two-stage U-Net of the ``small`` preset (narrower) made an exact identity (a zero stage-2 head on
    the residual output) returns a chirp with bursts unshifted through resampling, STFT, chunking and the
    mirrored ends."""
    torch.manual_seed(0)
    model = TwoStageUNet(replace(preset("small"), widths=(2, 2, 2, 2)))
    torch.nn.init.zeros_(model.final.weight)
    torch.nn.init.zeros_(model.final.bias)
    t = np.arange(int(3.3 * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * (50 * t + 1500 * t**2)) * np.minimum(1, t / 0.05) * np.minimum(1, (t[-1] - t) / 0.05)
    burst = 0.5 * hann(97) * np.sin(2 * np.pi * 5000 * np.arange(97) / sr)  # short, and band-limited
    for i in range(1000, x.size - 1000, 7919):
        x[i : i + burst.size] += burst
    sf.write(str(tmp_path / "in.wav"), x.astype(np.float32), sr, subtype="FLOAT")
    result = denoise_file(tmp_path / "in.wav", tmp_path / "out", wave_fn(model), chunk_s=1.6, block_s=0.7)
    y, _ = sf.read(str(result.denoised))
    assert abs(_lag(x, y)) < 0.01
    np.testing.assert_allclose(y, x, atol=1e-5 if sr == SR else 2e-3)
