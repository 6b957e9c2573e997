"""Window probabilities p(noise only) for a whole signal or a stream of blocks, with bounded memory.

Both paths run the same code: the whole-signal call is a one-block stream. Samples are buffered so that
chunks always fall on the global grid of :mod:`noisekit.classifier.features`, the last ``window_chunks - 1`` chunk
embeddings are carried between blocks, and resampling to 44.1 kHz uses soxr's streaming resampler, so a
long file read in blocks gives the same probabilities as the file in one piece (within float tolerance).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr
import torch

from noisekit.classifier.features import n_chunks
from noisekit.classifier.model import NoiseCNN

#: mean chunk level (mean log-mel power, dB) below which a window is digital silence, never "noise":
#: about -104 dBFS for white noise, below the dither of a 16-bit transfer.
SILENCE_LEVEL_DB = -75.0
#: most chunks (0.25 s each) featurised in one batch: 30 s, which bounds memory for any block size
MAX_BATCH_CHUNKS = 120


@dataclass
class WindowProbs:
    """p(noise only) per classifier window: window ``i`` covers [starts[i], starts[i] + window_s)."""

    probs: np.ndarray  # float32 (n_windows,)
    window_s: float
    hop_s: float
    starts: np.ndarray  # float64 (n_windows,) seconds
    duration_s: float  # length of the analysed signal, seconds
    silent: np.ndarray | None = None  # bool (n_windows,): digital silence (p = 0, but not programme either)

    def __len__(self) -> int:
        return int(self.probs.shape[0])


def _mono_1d(block: np.ndarray) -> np.ndarray:
    """Accept 1-D or (channels, samples); return float32 1-D (mean over channels)."""
    a = np.asarray(block, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0, dtype=np.float32) if a.shape[0] > 1 else a[0]
    if a.ndim != 1:
        raise ValueError(f"expected 1-D or (channels, samples) audio, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("audio contains NaN or infinite samples")
    return a


class NoiseClassifier:
    """A loaded classifier: the CNN plus the streaming machinery; see :func:`noisekit.classifier.load_classifier`."""

    def __init__(
        self,
        model: NoiseCNN,
        source: str | Path | None = None,
        device: str = "cpu",
        silence_level_db: float = SILENCE_LEVEL_DB,
        logit_bias: float = 0.0,
    ) -> None:
        self.model = model.to(device).eval()
        self.device = torch.device(device)
        self.source = str(source) if source is not None else None
        self.silence_level_db = silence_level_db
        #: added to every logit: ln(music_weight) undoes the training's class weighting, so p estimates the
        #: posterior p(noise only) instead of a probability deflated by the 3x weight on music windows
        self.logit_bias = float(logit_bias)
        self.cfg = model.cfg.features

    @property
    def window_s(self) -> float:
        return self.cfg.window_s

    @property
    def hop_s(self) -> float:
        return self.cfg.hop_s

    def window_probs(self, audio_1d: np.ndarray, sr: int) -> WindowProbs:
        """Probabilities for one whole signal (resampled to 44.1 kHz if needed)."""
        return self.window_probs_stream([audio_1d], sr)

    def window_probs_stream(self, blocks: Iterable[np.ndarray], sr: int) -> WindowProbs:
        """Probabilities for a signal given as consecutive blocks; equal to window_probs on their concatenation."""
        logits: list[np.ndarray] = []
        levels: list[np.ndarray] = []
        embs: list[torch.Tensor] = []  # kept whole-file only for the context stage (80 floats per 0.25 s)
        bands: list[torch.Tensor] = []
        total = 0
        carry_emb = torch.zeros((1, 0, self.model.cfg.embed), device=self.device)
        carry_lv = torch.zeros((1, 0), device=self.device)
        for emb, lv, band, n in self._chunk_stream(blocks, sr):
            total += n
            if emb is None or lv is None:  # both None together: a block too short for a chunk yet
                continue
            if band is not None:
                embs.append(emb[0])
                bands.append(band[0])
            emb = torch.cat([carry_emb, emb], dim=1)
            lv = torch.cat([carry_lv, lv], dim=1)
            with torch.inference_mode():
                out = self.model.classify_chunks(emb, lv)
            k = self.cfg.window_chunks
            if out.shape[1]:
                logits.append(out[0].float().cpu().numpy())
                levels.append(lv.unfold(1, k, 1).mean(dim=2)[0].float().cpu().numpy())
            carry_emb, carry_lv = emb[:, -(k - 1) :], lv[:, -(k - 1) :]
        logit = np.concatenate(logits) if logits else np.zeros(0, np.float32)
        if bands:
            with torch.inference_mode():
                logit = (
                    self.model.refine(torch.from_numpy(logit).to(self.device), torch.cat(embs), torch.cat(bands))
                    .float()
                    .cpu()
                    .numpy()
                )
        level = np.concatenate(levels) if levels else np.zeros(0, np.float32)
        probs = (1.0 / (1.0 + np.exp(-(logit.astype(np.float64) + self.logit_bias)))).astype(np.float32)
        silent = level < self.silence_level_db
        probs[silent] = 0.0
        starts = np.arange(len(probs), dtype=np.float64) * self.hop_s
        return WindowProbs(probs, self.window_s, self.hop_s, starts, total / self.cfg.sr, silent)

    def _resampled(self, blocks: Iterable[np.ndarray], sr: int) -> Iterator[np.ndarray]:
        """Blocks as 1-D float32 at the model rate (continuous streaming resampling)."""
        if sr <= 0:
            raise ValueError(f"invalid sample rate {sr}")
        if sr == self.cfg.sr:
            for b in blocks:
                yield _mono_1d(b)
            return
        stream = soxr.ResampleStream(sr, self.cfg.sr, 1, dtype="float32", quality="HQ")
        for b in blocks:
            out = stream.resample_chunk(_mono_1d(b))
            if len(out):
                yield out
        tail = stream.resample_chunk(np.zeros(0, np.float32), last=True)
        if len(tail):
            yield tail

    def _chunk_stream(
        self,
        blocks: Iterable[np.ndarray],
        sr: int,
    ) -> Iterator[tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None, int]]:
        """Yield (chunk embeddings, levels, band levels or None, samples consumed) per batch of grid chunks."""
        cfg = self.cfg
        buf = np.zeros(0, np.float32)
        step = MAX_BATCH_CHUNKS * cfg.chunk_samples
        for block in self._resampled(blocks, sr):
            yield None, None, None, len(block)
            for start in range(0, len(block), step):
                buf = np.concatenate([buf, block[start : start + step]])
                nc = n_chunks(len(buf), cfg)
                if nc == 0:
                    continue
                used = (nc - 1) * cfg.chunk_samples + cfg.chunk_span
                x = torch.from_numpy(buf[:used]).to(self.device)[None]
                with torch.inference_mode():
                    patches, lv = self.model.frontend(x)
                    emb = self.model.embed_chunks(patches)
                    band = self.model.chunk_bands(patches, lv)
                buf = buf[nc * cfg.chunk_samples :]
                yield emb, lv, band, 0
