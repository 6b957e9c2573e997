"""The side-context stage: a dilated temporal CNN over the whole file's window features (or the mean of several).

A 1-s window cannot tell a pianissimo passage 10 dB under the surface noise from a pause, nor see where a
reverberation tail ends; the file around it can. This stage reads, for every window, the window CNN's
logit and chunk embedding, the window's level and its spectrum in 16 bands *relative to the file's own
noise floor* (a low percentile per band over the file's windows that are not digital silence, so quiet
programme shows up as excess over the disc's surface noise in the bands where it plays), and refines
the logit with about ±32 s of context on either side. It is translation invariant: it never sees where
in the file a window lies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

#: percentile (per band, over the file's windows) taken as the file's noise floor
FLOOR_PERCENTILE = 0.05
#: chunks whose mean band level lies below this (dB) are digital silence; windows touching them are left
#: out of the floor and given the zero features of the padding beyond a file's ends
SILENCE_BAND_DB = -75.0


@dataclass(frozen=True)
class ContextConfig:
    """Architecture of the context stage (stored in the checkpoint's JSON beside the window CNN's)."""

    bands: int = 16  # the log-mel bands are averaged into this many groups
    hidden: int = 48
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)  # kernel 3: ±127 windows (±32 s) of context
    dropout: float = 0.1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dilations"] = list(self.dilations)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ContextConfig:
        d = dict(d)
        return cls(dilations=tuple(int(x) for x in d.pop("dilations", cls.dilations)), **d)


def chunk_bands(patches: torch.Tensor, levels: torch.Tensor, bands: int) -> torch.Tensor:
    """Chunk log-mel patches (b, c, mels, frames) and levels (b, c) → absolute band levels in dB (b, c, bands)."""
    b, c, mels, _ = patches.shape
    db = patches.mean(dim=3) * 20.0 + levels[..., None]  # undo the per-chunk normalisation of the features
    return db.reshape(b, c, bands, mels // bands).mean(dim=3)


def window_features(logits: torch.Tensor, emb: torch.Tensor, band_db: torch.Tensor, k: int) -> torch.Tensor:
    """Per-window context inputs for one file: (windows,) logits, (chunks, embed), (chunks, bands) → (windows, F).

    Levels enter only relative to the file's floor, so the features do not depend on the transfer gain.
    """
    n = logits.shape[0]
    if n == 0:  # a file shorter than one window has fewer than k chunks, which unfold refuses
        return torch.zeros((0, 1 + emb.shape[1] + 1 + band_db.shape[1]), dtype=emb.dtype, device=emb.device)
    emb_w = emb.unfold(0, k, 1).mean(dim=2)[:n]  # (windows, embed)
    band_w = band_db.unfold(0, k, 1).mean(dim=2)[:n]  # (windows, bands)
    # a window touching digital silence (lead-in, gaps) is no evidence of the noise floor
    audible = (band_db.mean(dim=1) > SILENCE_BAND_DB).float().unfold(0, k, 1).amin(dim=1)[:n] > 0
    floor = torch.quantile(band_w[audible] if audible.any() else band_w, FLOOR_PERCENTILE, dim=0)
    excess = (band_w - floor) / 10.0
    level = excess.mean(dim=1, keepdim=True)
    feats = torch.cat([logits[:, None] / 4.0, emb_w, level, excess], dim=1)
    # silence reads as the zero padding beyond a file's ends, which is what the stage saw in training
    return torch.where(audible[:, None], feats, torch.zeros_like(feats))


def feature_count(embed: int, cfg: ContextConfig) -> int:
    """Width of :func:`window_features` rows."""
    return 1 + embed + 1 + cfg.bands


class _Residual(nn.Module):
    def __init__(self, width: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.norm = nn.GroupNorm(1, width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(torch.relu(self.norm(self.conv(x))))


class ContextNet(nn.Module):
    """(batch, windows, F) window features → refined window logits (batch, windows)."""

    def __init__(self, embed: int, cfg: ContextConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ContextConfig()
        width = self.cfg.hidden
        self.inp = nn.Conv1d(feature_count(embed, self.cfg), width, 1)
        self.blocks = nn.Sequential(*[_Residual(width, d, self.cfg.dropout) for d in self.cfg.dilations])
        self.out = nn.Conv1d(width, 1, 1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        base = feats[..., 0] * 4.0  # the window CNN's own logit: the stage learns a correction to it
        if feats.shape[1] == 0:
            return base
        h = self.blocks(torch.relu(self.inp(feats.transpose(1, 2))))
        return base + self.out(h)[:, 0]


class ContextEnsemble(nn.Module):
    """Several context stages over the same window features; their logits are averaged (stages trained apart
    err apart, so the mean is surer where they agree and more careful where they do not)."""

    def __init__(self, embed: int, members: tuple[ContextConfig, ...]) -> None:
        super().__init__()  # ModelConfig has checked that the members read the same bands
        self.members = nn.ModuleList([ContextNet(embed, m) for m in members])

    @property
    def cfg(self) -> ContextConfig:
        """The first member's config: it gives the band count all members read."""
        first = self.members[0]
        assert isinstance(first, ContextNet)
        return first.cfg

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(feats) for m in self.members]).mean(dim=0)
