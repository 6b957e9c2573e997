"""Tests of validation: SNR and ΔSNR against hand values, a perfect denoiser, noisereduce on the same set."""

from __future__ import annotations

import math

import numpy as np
import torch
from denoiser_helpers import TINY

from noisekit.denoiser.model import TwoStageUNet
from noisekit.denoiser.validation import (
    ValidationSet,
    delta_snr,
    mae_loss,
    validate_model,
    validate_noisereduce,
)
from noisekit.signal import snr_db


def test_snr_and_delta_snr_by_hand() -> None:
    ref = np.array([3.0, 4.0])  # energy 25
    assert math.isclose(snr_db(ref, ref - np.array([0.5, 0.0])), 10 * math.log10(25 / 0.25), rel_tol=1e-9)
    noisy, better = ref + np.array([1.0, 0.0]), ref + np.array([0.1, 0.0])
    assert math.isclose(delta_snr(ref, noisy, better), 20.0, rel_tol=1e-9)


def test_loss_is_the_sum_of_both_stage_maes() -> None:
    y = torch.zeros(1, 2, 3, 4)
    assert float(mae_loss(torch.ones_like(y), 2 * torch.ones_like(y), y)) == 3.0


class _Oracle(TwoStageUNet):
    """Returns the clean spectrogram it was given beforehand: ΔSNR must be huge and the loss zero."""

    target: torch.Tensor

    def forward(self, spec):
        return self.target, self.target


def test_validate_model_on_a_perfect_denoiser() -> None:
    from noisekit.denoiser.stft import wave_to_spec

    t = torch.arange(4096) / 44100.0
    clean = (0.3 * torch.sin(2 * math.pi * 440 * t))[None]
    noisy = clean + 0.05 * torch.randn(1, 4096, generator=torch.Generator().manual_seed(0))
    model = _Oracle(TINY)
    model.target = wave_to_spec(clean)
    out = validate_model(model, ValidationSet(noisy, clean))
    assert out["val_loss"] < 1e-6 and out["val_dsnr"] > 60
    assert model.training  # restored


def test_noisereduce_runs_on_the_same_set() -> None:
    rng = np.random.default_rng(1)
    clean = torch.from_numpy((0.3 * np.sin(np.arange(22050) * 0.06)).astype(np.float32))[None]
    noisy = clean + torch.from_numpy((0.05 * rng.standard_normal(22050)).astype(np.float32))[None]
    value = validate_noisereduce(ValidationSet(noisy, clean), 44100, stationary=False)
    assert math.isfinite(value)
