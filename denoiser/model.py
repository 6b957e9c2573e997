"""The two-stage U-Net with a supervised attention module (Moliner & Välimäki, ICASSP 2022) in PyTorch.

Both stages share one U-Net design: strided 4×4 convolutions down, transposed 4×4 convolutions up
(plus a nearest-neighbour upsampling path), an I-Block (densely connected 3×3 convolutions with a 1×1
residual projection) at every scale, ELU activations. Stage 1 predicts the residual noise N̂ and
Ŷ1 = X + N̂; the SAM passes attention-weighted features to stage 2, which outputs Ŷ2. The presets
``paper`` and ``small`` are two configurations of this one code path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from noisekit.audio import SAMPLE_RATE
from noisekit.denoiser.stft import StftConfig, freq_encoding, spec_to_wave, wave_to_spec
from noisekit.errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the two-stage U-Net; ``widths[0]`` is the early-feature width, one more per level."""

    widths: tuple[int, ...] = (32, 64, 64, 128, 128, 256, 512)
    depth: int = 6
    dense_layers: int = 3
    early_kernel: int = 7
    freq_channels: int = 10
    # Ŷ2 = X + (stage-2 head) instead of the head alone (the official code): identity is then free at
    # initialisation, which a short CPU run needs; the paper preset keeps the official form.
    residual_output: bool = False
    n_fft: int = 2048
    hop: int = 512
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        if self.depth < 1 or len(self.widths) < self.depth + 1:
            raise ValueError(f"ModelConfig: need depth >= 1 and depth + 1 widths, got {self.depth}, {self.widths}")
        if self.dense_layers < 1 or self.early_kernel % 2 != 1 or self.freq_channels < 0:
            raise ValueError("ModelConfig: needs dense_layers >= 1, an odd early_kernel, freq_channels >= 0")

    @property
    def stft(self) -> StftConfig:
        """The STFT settings of this model."""
        return StftConfig(n_fft=self.n_fft, hop=self.hop)

    def to_dict(self) -> dict:
        """Plain-JSON form (lists instead of tuples) for checkpoints."""
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error so that a wrong file is caught."""
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"ModelConfig: unknown keys {sorted(unknown)}")
        return cls(**d)


PRESETS: dict[str, ModelConfig] = {
    # The released configuration of the official code.
    "paper": ModelConfig(),
    # Narrow and shallow: trains usefully on a CPU within an hour.
    "small": ModelConfig(widths=(8, 16, 32, 64), depth=3, dense_layers=2, early_kernel=3, residual_output=True),
}


def preset(name: str) -> ModelConfig:
    """The model configuration of a named preset (``paper`` or ``small``)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None


def _conv(cin: int, cout: int, k: int, act: bool = True) -> nn.Module:
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    return nn.Sequential(conv, nn.ELU()) if act else conv


class IBlock(nn.Module):
    """Densely connected 3×3 convolutions (each sees all previous outputs) plus a 1×1 residual projection."""

    def __init__(self, cin: int, cout: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_conv(cin + i * cout, cout, 3) for i in range(layers))
        self.res = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = x
        out = x
        for i, layer in enumerate(self.layers):
            out = layer(feats)
            if i + 1 < len(self.layers):
                feats = torch.cat((out, feats), dim=1)
        return out + self.res(x)


class UNet(nn.Module):
    """One U-Net subnetwork: features ``(B, cin, T, F)`` -> features ``(B, widths[0], T, F)``."""

    def __init__(self, cin: int, cfg: ModelConfig) -> None:
        super().__init__()
        w, d, n = cfg.widths, cfg.depth, cfg.dense_layers
        self.enc = nn.ModuleList(IBlock(cin if i == 0 else w[i], w[i], n) for i in range(d))
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(w[i], w[i + 1], 4, stride=2, padding=1), nn.ELU()) for i in range(d)
        )
        self.bottom = IBlock(w[d], w[d], n)
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(w[i + 1], w[i], 4, stride=2, padding=1), nn.ELU()) for i in range(d)
        )
        self.proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(w[i + 1], w[i], 1), nn.ELU()) if w[i + 1] != w[i] else nn.Identity()
            for i in range(d)
        )
        self.dec = nn.ModuleList(IBlock(2 * w[i], w[i], n) for i in range(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for enc, down in zip(self.enc, self.down, strict=True):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.bottom(x)
        for i in reversed(range(len(self.dec))):
            x = self.up[i](x) + self.proj[i](F.interpolate(x, scale_factor=2.0, mode="nearest"))
            x = self.dec[i](torch.cat((x, skips[i]), dim=1))
        return x


class SAM(nn.Module):
    """Supervised attention module: stage-1 output Ŷ1 = X + N̂ and attention-weighted features."""

    def __init__(self, feat: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(feat, feat, 3, padding=1)
        self.conv2 = nn.Conv2d(feat, 2, 3, padding=1)
        self.conv3 = nn.Conv2d(2, feat, 3, padding=1)

    def forward(self, feats: torch.Tensor, spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y1 = self.conv2(feats) + spec  # residual-noise prediction added to the input
        mask = torch.sigmoid(self.conv3(y1))
        return self.conv1(feats) * mask + feats, y1


class TwoStageUNet(nn.Module):
    """Spectrogram ``(B, 2, T, F)`` -> (Ŷ2, Ŷ1), both ``(B, 2, T, F)``, for any T and F."""

    fenc: torch.Tensor  # a buffer

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w0, k, cin = cfg.widths[0], cfg.early_kernel, 2 + cfg.freq_channels
        self.register_buffer("fenc", freq_encoding(cfg.stft.bins, cfg.freq_channels), persistent=False)
        self.early1 = _conv(cin, w0, k)
        self.unet1 = UNet(w0, cfg)
        self.sam = SAM(w0)
        self.early2 = _conv(cin, w0, k)
        self.unet2 = UNet(2 * w0, cfg)
        self.final = nn.Conv2d(w0, 2, 3, padding=1)

    def _with_freq(self, spec: torch.Tensor) -> torch.Tensor:
        b, _, t, f = spec.shape
        enc = self.fenc if self.fenc.shape[-1] == f else freq_encoding(f, self.cfg.freq_channels)
        enc = enc.to(device=spec.device, dtype=spec.dtype)[None, :, None, :].expand(b, -1, t, f)
        return torch.cat((spec, enc), dim=1)

    def forward(self, spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run both stages; the spectrogram is zero-padded to a multiple of 2**depth and cropped back."""
        if spec.dim() != 4 or spec.shape[1] != 2:
            raise ValueError(f"TwoStageUNet: expected (batch, 2, frames, bins), got {tuple(spec.shape)}")
        t, f = spec.shape[-2:]
        m = 2**self.cfg.depth
        x = self._with_freq(spec)
        pad_t, pad_f = (-t) % m, (-f) % m
        x = F.pad(x, (0, pad_f, 0, pad_t))
        xs = F.pad(spec, (0, pad_f, 0, pad_t))
        feats1 = self.unet1(self.early1(x))
        f_sam, y1 = self.sam(feats1, xs)
        feats2 = self.unet2(torch.cat((self.early2(x), f_sam), dim=1))
        y2 = self.final(feats2) + xs if self.cfg.residual_output else self.final(feats2)
        return y2[..., :t, :f], y1[..., :t, :f]

    def denoise_wave(self, wave: torch.Tensor) -> torch.Tensor:
        """Denoise waveforms ``(B, samples)`` at the model's sample rate; returns the stage-2 output."""
        spec = wave_to_spec(wave, self.cfg.stft)
        y2, _ = self(spec)
        return spec_to_wave(y2, wave.shape[-1], self.cfg.stft)


def build_model(cfg: ModelConfig | str) -> TwoStageUNet:
    """A freshly initialised model from a config or a preset name."""
    return TwoStageUNet(preset(cfg) if isinstance(cfg, str) else cfg)
