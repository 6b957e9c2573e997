"""Size and cost of a denoiser configuration: parameters and multiply-adds per second of audio.

The count runs the network on the ``meta`` device (shapes only, no memory, no arithmetic), so even the
``paper`` preset is described instantly and without data. Convolutions and transposed convolutions are
counted (they are all but a fraction of a percent of the work); the STFT is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from noisekit.denoiser.model import ModelConfig, TwoStageUNet


@dataclass(frozen=True)
class Description:
    """Parameters, multiply-adds per second of mono audio at the model rate, and the layout."""

    config: ModelConfig
    params: int
    macs_per_second: float

    def lines(self, name: str = "") -> list[str]:
        """Human-readable summary lines."""
        c = self.config
        return [
            f"preset {name}" if name else "model",
            f"  widths {list(c.widths[: c.depth + 1])}, depth {c.depth}, {c.dense_layers} dense layers per I-Block",
            f"  STFT {c.n_fft}-sample Hamming window, hop {c.hop}, {c.n_fft // 2 + 1} bins at {c.sample_rate} Hz",
            f"  parameters: {self.params:,} ({self.params * 4 / 2**20:.1f} MiB as float32)",
            f"  multiply-adds per second of audio: {self.macs_per_second / 1e9:.2f} G (forward, one channel)",
        ]


def _count_macs(model: nn.Module, spec_shape: tuple[int, ...]) -> int:
    total = 0

    def hook(mod: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        conv = cast(nn.Conv2d | nn.ConvTranspose2d, mod)  # hooked on convolutions only
        kernel = conv.weight.shape[2] * conv.weight.shape[3]
        if isinstance(conv, nn.ConvTranspose2d):
            x = inputs[0]
            total += x.numel() // x.shape[0] * conv.out_channels * kernel
        else:
            total += output.numel() // output.shape[0] * conv.in_channels // conv.groups * kernel

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
    try:
        with torch.no_grad():
            model(torch.zeros(spec_shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return total


def describe(cfg: ModelConfig, seconds: float = 10.0) -> Description:
    """Count parameters and multiply-adds for ``seconds`` of audio, reported per second."""
    with torch.device("meta"):
        model = TwoStageUNet(cfg)
    params = sum(p.numel() for p in model.parameters())
    samples = int(seconds * cfg.sample_rate)
    frames = samples // cfg.hop + 1
    macs = _count_macs(model, (1, 2, frames, cfg.n_fft // 2 + 1))
    return Description(cfg, params, macs / seconds)
