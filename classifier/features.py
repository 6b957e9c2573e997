"""Log-mel features on a fixed global frame grid, grouped into 0.25-s chunks.

The grid is what makes whole-file and streaming inference agree: STFT frame ``k`` always covers samples
``[k*HOP, k*HOP + N_FFT)`` of the 44.1-kHz signal (no centring, no padding), chunk ``c`` is frames
``[c*CHUNK_FRAMES, (c+1)*CHUNK_FRAMES)``, and classifier window ``w`` is chunks ``[w, w + WINDOW_CHUNKS)``.
Each chunk's log-mel patch is level-normalised (its mean in dB is removed and returned separately), so the
network sees spectral-temporal texture independent of the digitisation gain, and level *changes* between
the chunks of a window (fades, decays) through the returned chunk levels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from noisekit.audio import SAMPLE_RATE


@dataclass(frozen=True)
class FeatureConfig:
    """Feature parameters; stored in the model config so a checkpoint always gets the features it was trained on."""

    sr: int = SAMPLE_RATE
    n_fft: int = 2048
    hop: int = 735  # 16.7 ms
    n_mels: int = 64
    fmin: float = 30.0
    fmax: float = 16000.0
    chunk_frames: int = 15  # 0.25 s: the window hop
    window_chunks: int = 4  # 1 s windows
    floor_db: float = -110.0  # power floor (digital silence)

    @property
    def chunk_samples(self) -> int:
        """Samples between consecutive chunk (and window) starts."""
        return self.chunk_frames * self.hop

    @property
    def chunk_span(self) -> int:
        """Samples one chunk's frames actually cover (its last frame reaches past the next chunk start)."""
        return (self.chunk_frames - 1) * self.hop + self.n_fft

    @property
    def window_span(self) -> int:
        """Samples one classifier window covers."""
        return (self.window_chunks * self.chunk_frames - 1) * self.hop + self.n_fft

    @property
    def hop_s(self) -> float:
        return self.chunk_samples / self.sr

    @property
    def window_s(self) -> float:
        return self.window_span / self.sr

    def to_dict(self) -> dict:
        return asdict(self)


def n_chunks(n_samples: int, cfg: FeatureConfig) -> int:
    """How many complete chunks a signal of ``n_samples`` holds on the global grid."""
    if n_samples < cfg.chunk_span:
        return 0
    return (n_samples - cfg.chunk_span) // cfg.chunk_samples + 1


def mel_filterbank(cfg: FeatureConfig) -> np.ndarray:
    """Triangular Slaney-style mel filters, shape (n_fft//2 + 1, n_mels), each normalised to unit area."""

    def hz_to_mel(f: float | np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    freqs = np.fft.rfftfreq(cfg.n_fft, 1.0 / cfg.sr)
    edges = mel_to_hz(np.linspace(hz_to_mel(cfg.fmin), hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    fb = np.zeros((len(freqs), cfg.n_mels), dtype=np.float64)
    bin_w = freqs[1] - freqs[0]
    for m in range(cfg.n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        # widen very narrow low bands to at least one FFT bin so no band is empty
        half_lo, half_hi = max(mid - lo, bin_w), max(hi - mid, bin_w)
        up = (freqs - (mid - half_lo)) / half_lo
        down = ((mid + half_hi) - freqs) / half_hi
        fb[:, m] = np.clip(np.minimum(up, down), 0.0, None)
        fb[:, m] /= max(fb[:, m].sum(), 1e-12)
    return fb.astype(np.float32)


class LogMel(torch.nn.Module):
    """Audio (44.1 kHz) → per-chunk normalised log-mel patches and chunk levels in dB."""

    window: torch.Tensor  # buffers
    fb: torch.Tensor

    def __init__(self, cfg: FeatureConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or FeatureConfig()
        self.register_buffer("window", torch.hann_window(self.cfg.n_fft), persistent=False)
        self.register_buffer("fb", torch.from_numpy(mel_filterbank(self.cfg)), persistent=False)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``audio`` (batch, samples) → (patches (batch, chunks, n_mels, chunk_frames), levels (batch, chunks)).

        Only complete chunks are returned; samples past the last complete chunk are ignored.
        """
        cfg = self.cfg
        n_ch = n_chunks(audio.shape[-1], cfg)
        if n_ch == 0:
            empty = audio.new_zeros((audio.shape[0], 0, cfg.n_mels, cfg.chunk_frames))
            return empty, audio.new_zeros((audio.shape[0], 0))
        n_frames = n_ch * cfg.chunk_frames
        used = (n_frames - 1) * cfg.hop + cfg.n_fft
        spec = torch.stft(
            audio[:, :used], cfg.n_fft, hop_length=cfg.hop, window=self.window, center=False, return_complex=True
        )
        power = spec.real.square() + spec.imag.square()  # (batch, bins, frames)
        mel = torch.matmul(power.transpose(1, 2), self.fb)  # (batch, frames, mels)
        db = 10.0 * torch.log10(mel.clamp_min(10.0 ** (cfg.floor_db / 10.0)))
        db = db[:, :n_frames].reshape(audio.shape[0], n_ch, cfg.chunk_frames, cfg.n_mels).transpose(2, 3)
        levels = db.mean(dim=(2, 3))
        patches = (db - levels[..., None, None]) / 20.0
        return patches, levels
