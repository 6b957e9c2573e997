"""Tests of the STFT front end: layout, exact round trip, frequency-positional channels."""

from __future__ import annotations

import math

import pytest
import torch

from noisekit.denoiser.stft import StftConfig, freq_encoding, spec_to_wave, wave_to_spec


@pytest.mark.parametrize("n", [1001, 4096, 7777])
def test_round_trip_is_exact_for_any_length(n: int) -> None:
    wave = torch.randn(2, n, generator=torch.Generator().manual_seed(n))
    spec = wave_to_spec(wave)
    assert spec.shape == (2, 2, StftConfig().frames(n), 1025)
    back = spec_to_wave(spec, n)
    assert back.shape == (2, n)
    assert torch.allclose(back, wave, atol=1e-5)


def test_channels_are_real_and_imaginary_parts() -> None:
    n, hop = 8192, 512
    k = 64  # a bin-centred cosine: its energy sits in bin k, real part positive
    wave = torch.cos(2 * math.pi * k * torch.arange(n) / 2048.0)
    spec = wave_to_spec(wave)
    mid = spec[0, :, n // hop // 2]  # a frame away from the edges
    mag = mid[0] ** 2 + mid[1] ** 2
    assert int(mag.argmax()) == k
    assert float(mid[0, k]) > 0 and abs(float(mid[1, k])) < 1e-3 * float(mid[0, k])


def test_freq_encoding_values() -> None:
    enc = freq_encoding(1025, 10)
    assert enc.shape == (10, 1025)
    assert torch.allclose(enc[:, 0], torch.ones(10))  # f = 0
    assert torch.allclose(enc[0, -1], torch.tensor(-1.0))  # cos(pi)
    assert math.isclose(float(enc[3, 100]), math.cos(8 * math.pi * 100 / 1024), abs_tol=1e-6)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="batch, samples"):
        wave_to_spec(torch.zeros(1, 2, 100))
    with pytest.raises(ValueError, match="batch, 2"):
        spec_to_wave(torch.zeros(1, 3, 4, 1025), 100)
