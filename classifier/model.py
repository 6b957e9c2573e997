"""The CNN: a chunk encoder over 0.25-s log-mel patches and a window head over 4 consecutive chunks.

Encoding each chunk once and classifying windows from chunk embeddings shares the expensive convolutions
between the overlapping 1-s windows (hop 0.25 s), which is what makes CPU inference several hundred
times faster than real time, and it makes streaming exact: a window depends only on its own chunks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from noisekit.classifier.context import ContextConfig, ContextEnsemble, ContextNet, chunk_bands, window_features
from noisekit.classifier.features import FeatureConfig, LogMel


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters (stored beside the weights)."""

    channels: tuple[int, ...] = (12, 24, 48, 64)
    embed: int = 64
    hidden: int = 128
    dropout: float = 0.2
    features: FeatureConfig = field(default_factory=FeatureConfig)
    context: ContextConfig | None = None  # the side-context stage (noisekit.classifier.context); None: windows only
    context_members: tuple[ContextConfig, ...] = ()  # several stages, logits averaged (``context`` is the first)

    def __post_init__(self) -> None:
        if self.context is not None and self.features.n_mels % self.context.bands:
            raise ValueError(f"n_mels {self.features.n_mels} is not a multiple of context bands {self.context.bands}")
        if self.context_members and self.context != self.context_members[0]:
            raise ValueError("an ensemble's context must be its first member")
        if any(m.bands != self.context_members[0].bands for m in self.context_members):
            raise ValueError("the members of a context ensemble must read the same bands")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        d["context"] = self.context.to_dict() if self.context is not None else None
        d["context_members"] = [m.to_dict() for m in self.context_members]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        """Inverse of to_dict; unknown keys raise TypeError (caught by the loader)."""
        d = dict(d)
        feats = FeatureConfig(**d.pop("features", {}))
        ctx = d.pop("context", None)
        context = ContextConfig.from_dict(ctx) if ctx is not None else None
        members = tuple(ContextConfig.from_dict(m) for m in d.pop("context_members", []))
        channels = tuple(int(c) for c in d.pop("channels", cls.channels))
        return cls(channels=channels, features=feats, context=context, context_members=members, **d)


class ChunkEncoder(nn.Module):
    """(n, n_mels, chunk_frames) normalised log-mel patch → (n, embed) chunk embedding."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for i, c_out in enumerate(cfg.channels):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            if i < len(cfg.channels) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        n_pool = len(cfg.channels) - 1
        f_out = cfg.features.n_mels >> n_pool
        self.proj = nn.Sequential(nn.Linear(2 * c_in * f_out, cfg.embed), nn.ReLU())

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        h = self.convs(patches[:, None])  # (n, c, f, t)
        pooled = torch.cat([h.mean(dim=3), h.amax(dim=3)], dim=1)  # keep frequency position
        return self.proj(pooled.flatten(1))


class NoiseCNN(nn.Module):
    """Audio → logit of p(noise only) for every 1-s window on the 0.25-s grid."""

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig()
        self.frontend = LogMel(self.cfg.features)
        self.encoder = ChunkEncoder(self.cfg)
        k = self.cfg.features.window_chunks
        self.head = nn.Sequential(
            nn.Linear(k * (self.cfg.embed + 1), self.cfg.hidden),
            nn.ReLU(),
            nn.Dropout(self.cfg.dropout),
            nn.Linear(self.cfg.hidden, 1),
        )
        self.context: ContextNet | ContextEnsemble | None = None
        if self.cfg.context_members:
            self.context = ContextEnsemble(self.cfg.embed, self.cfg.context_members)
        elif self.cfg.context is not None:
            self.context = ContextNet(self.cfg.embed, self.cfg.context)

    def embed_chunks(self, patches: torch.Tensor) -> torch.Tensor:
        """(batch, chunks, mels, frames) → (batch, chunks, embed)."""
        b, c = patches.shape[:2]
        if c == 0:
            return patches.new_zeros((b, 0, self.cfg.embed))
        return self.encoder(patches.flatten(0, 1)).reshape(b, c, -1)

    def classify_chunks(self, emb: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
        """Chunk embeddings and levels (batch, chunks, ·) → window logits (batch, chunks - k + 1)."""
        k = self.cfg.features.window_chunks
        b, c = levels.shape
        if c < k:
            return levels.new_zeros((b, 0))
        e = emb.unfold(1, k, 1)  # (b, w, embed, k)
        lv = levels.unfold(1, k, 1)  # (b, w, k)
        rel = (lv - lv.mean(dim=2, keepdim=True)) / 10.0
        x = torch.cat([e.flatten(2), rel], dim=2)
        return self.head(x).squeeze(-1)

    def chunk_bands(self, patches: torch.Tensor, levels: torch.Tensor) -> torch.Tensor | None:
        """Band levels per chunk for the context stage (None without one)."""
        return None if self.context is None else chunk_bands(patches, levels, self.context.cfg.bands)

    def refine(self, logits: torch.Tensor, emb: torch.Tensor, band_db: torch.Tensor | None) -> torch.Tensor:
        """One whole file's window logits (windows,) → the context stage's logits (unchanged without one)."""
        if self.context is None or band_db is None:
            return logits
        feats = window_features(logits, emb, band_db, self.cfg.features.window_chunks)
        return self.context(feats[None])[0]

    def window_logits(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio`` (batch, samples) at 44.1 kHz → the window CNN's own logits (batch, windows), no context."""
        patches, levels = self.frontend(audio)
        return self.classify_chunks(self.embed_chunks(patches), levels)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio`` (batch, samples) at 44.1 kHz → window logits (batch, windows), each row one whole file."""
        if self.context is None:
            return self.window_logits(audio)
        patches, levels = self.frontend(audio)
        emb = self.embed_chunks(patches)
        logits = self.classify_chunks(emb, levels)
        bands = chunk_bands(patches, levels, self.context.cfg.bands)
        return torch.stack([self.refine(logits[i], emb[i], bands[i]) for i in range(logits.shape[0])])


def count_parameters(model: nn.Module) -> int:
    """Trainable parameter count (the model card reports it)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
