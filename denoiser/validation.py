"""Validation on a fixed set of mixtures: loss, ΔSNR of the model, and the same ΔSNR for noisereduce."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from noisekit.denoiser.data import MixDataset
from noisekit.denoiser.model import TwoStageUNet
from noisekit.denoiser.stft import spec_to_wave, wave_to_spec
from noisekit.signal import snr_db


def delta_snr(clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray) -> float:
    """ΔSNR: the SNR of the denoised output minus the SNR of the noisy input, both against ``clean``."""
    return snr_db(clean, denoised) - snr_db(clean, noisy)


@dataclass
class ValidationSet:
    """Fixed (noisy, clean) waveform pairs, shape (N, samples) each."""

    noisy: torch.Tensor
    clean: torch.Tensor


def fixed_set(ds: MixDataset, count: int) -> ValidationSet:
    """The first ``count`` examples of a split (deterministic by the dataset's seed)."""
    if count < 1:
        raise ValueError("fixed_set: count must be >= 1")
    pairs = [ds[i] for i in range(count)]
    return ValidationSet(torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]))


def mae_loss(y2: torch.Tensor, y1: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The paper's loss: mean absolute error of both stages' spectrograms against the clean one."""
    return (y2.float() - target).abs().mean() + (y1.float() - target).abs().mean()


@torch.no_grad()
def validate_model(
    model: TwoStageUNet, vs: ValidationSet, batch_size: int = 4, device: torch.device | str = "cpu"
) -> dict[str, float]:
    """Mean loss and mean ΔSNR of the model (stage 2) on a fixed validation set."""
    was_training = model.training
    model.eval()
    losses, deltas = [], []
    for i in range(0, len(vs.noisy), batch_size):
        x = vs.noisy[i : i + batch_size].to(device)
        y = vs.clean[i : i + batch_size].to(device)
        spec_x, spec_y = wave_to_spec(x, model.cfg.stft), wave_to_spec(y, model.cfg.stft)
        y2, y1 = model(spec_x)
        losses.append(float(mae_loss(y2, y1, spec_y)) * len(x))
        out = spec_to_wave(y2.float(), x.shape[-1], model.cfg.stft).cpu().numpy()
        for xn, yn, on in zip(x.cpu().numpy(), y.cpu().numpy(), out, strict=True):
            deltas.append(delta_snr(yn, xn, on))
    model.train(was_training)
    return {"val_loss": sum(losses) / len(vs.noisy), "val_dsnr": float(np.mean(deltas))}


def validate_noisereduce(vs: ValidationSet, sr: int, stationary: bool) -> float:
    """Mean ΔSNR of noisereduce's spectral gating (default settings) on the same validation set."""
    import noisereduce

    deltas = []
    for x, y in zip(vs.noisy.numpy(), vs.clean.numpy(), strict=True):
        out = noisereduce.reduce_noise(y=x, sr=sr, stationary=stationary)
        deltas.append(delta_snr(y, x, np.asarray(out, dtype=np.float32)[: len(x)]))
    return float(np.mean(deltas))
