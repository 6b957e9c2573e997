"""The STFT front end of the denoiser: waveform <-> two-channel (real, imaginary) spectrogram.

The layout is ``(batch, 2, frames, bins)``: channel 0 is the real part, channel 1 the imaginary part,
as in the paper (a 2048-sample Hamming window and a hop of 512 samples at 44.1 kHz, F = 1025 bins).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

N_FFT = 2048
HOP = 512


@dataclass(frozen=True)
class StftConfig:
    """Window length and hop of the STFT (the window is a periodic Hamming window)."""

    n_fft: int = N_FFT
    hop: int = HOP

    @property
    def bins(self) -> int:
        """Number of frequency bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def frames(self, samples: int) -> int:
        """Number of STFT frames for a waveform of ``samples`` samples (centred frames)."""
        return samples // self.hop + 1


def _window(cfg: StftConfig, ref: torch.Tensor) -> torch.Tensor:
    return torch.hamming_window(cfg.n_fft, periodic=True, dtype=torch.float32, device=ref.device)


def wave_to_spec(wave: torch.Tensor, cfg: StftConfig = StftConfig()) -> torch.Tensor:
    """Spectrogram ``(B, 2, T, F)`` of a waveform ``(B, samples)`` or ``(samples,)``, float32."""
    if wave.dim() == 1:
        wave = wave.unsqueeze(0)
    if wave.dim() != 2:
        raise ValueError(f"wave_to_spec: expected (batch, samples), got shape {tuple(wave.shape)}")
    if wave.shape[-1] < 2:
        raise ValueError("wave_to_spec: a waveform needs at least 2 samples")
    wave = wave.float()
    # reflect padding (center=True) needs more samples than half a window: fall back to zeros.
    pad_mode = "reflect" if wave.shape[-1] > cfg.n_fft // 2 else "constant"
    spec = torch.stft(
        wave,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop,
        window=_window(cfg, wave),
        center=True,
        pad_mode=pad_mode,
        return_complex=True,
    )  # (B, F, T)
    return torch.stack((spec.real, spec.imag), dim=1).transpose(2, 3).contiguous()


def spec_to_wave(spec: torch.Tensor, length: int, cfg: StftConfig = StftConfig()) -> torch.Tensor:
    """Waveform ``(B, length)`` from a spectrogram ``(B, 2, T, F)`` (inverse of :func:`wave_to_spec`)."""
    if spec.dim() != 4 or spec.shape[1] != 2:
        raise ValueError(f"spec_to_wave: expected (batch, 2, frames, bins), got shape {tuple(spec.shape)}")
    spec = spec.float()
    cplx = torch.complex(spec[:, 0], spec[:, 1]).transpose(1, 2)  # (B, F, T)
    return torch.istft(
        cplx,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop,
        window=_window(cfg, spec),
        center=True,
        length=length,
    )


def freq_encoding(bins: int, channels: int = 10) -> torch.Tensor:
    """Frequency-positional channels ``cos(2^k · π · f / (F − 1))``, k = 0..channels−1, shape (channels, F)."""
    if bins < 2:
        raise ValueError("freq_encoding: needs at least 2 bins")
    f = torch.arange(bins, dtype=torch.float64) / (bins - 1)
    k = torch.arange(channels, dtype=torch.float64)
    return torch.cos((2.0**k)[:, None] * math.pi * f[None, :]).float()
