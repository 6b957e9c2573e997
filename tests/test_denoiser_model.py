"""Tests of the two-stage U-Net: shapes for odd sizes, presets, learning on a fixed batch, config round trip."""

from __future__ import annotations

import pytest
import torch
from denoiser_helpers import TINY

from noisekit.denoiser.model import PRESETS, ModelConfig, TwoStageUNet, build_model, preset
from noisekit.denoiser.stft import wave_to_spec
from noisekit.denoiser.validation import mae_loss


@pytest.mark.parametrize("samples", [1001, 3333, 5120])
def test_output_shapes_for_odd_lengths(samples: int) -> None:
    torch.manual_seed(0)
    model = TwoStageUNet(TINY)
    spec = wave_to_spec(torch.randn(2, samples))
    y2, y1 = model(spec)
    assert y2.shape == spec.shape and y1.shape == spec.shape
    wave = model.denoise_wave(torch.randn(3, samples))
    assert wave.shape == (3, samples)


def test_odd_bin_counts_work_too() -> None:
    model = TwoStageUNet(TINY)
    y2, y1 = model(torch.randn(1, 2, 7, 33))  # 33 bins: positional channels are recomputed
    assert y2.shape == (1, 2, 7, 33)


def test_stage_one_is_input_plus_predicted_noise() -> None:
    torch.manual_seed(1)
    model = TwoStageUNet(TINY)
    for p in model.sam.conv2.parameters():  # a zero residual-noise head: Ŷ1 must equal X
        torch.nn.init.zeros_(p)
    spec = torch.randn(1, 2, 9, 1025)
    _, y1 = model(spec)
    assert torch.allclose(y1, spec)


def test_residual_output_makes_stage_two_the_identity_at_a_zero_head() -> None:
    from dataclasses import replace

    model = TwoStageUNet(replace(TINY, residual_output=True))
    for p in model.final.parameters():
        torch.nn.init.zeros_(p)
    spec = torch.randn(1, 2, 6, 1025)
    assert torch.allclose(model(spec)[0], spec)
    assert not preset("paper").residual_output  # the official form: Ŷ2 is the head's output alone


def _fixed_batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    clean = 0.3 * torch.sin(torch.arange(2048) * 0.05)[None]
    noisy = clean + 0.1 * torch.randn(1, 2048, generator=gen)
    return wave_to_spec(noisy), wave_to_spec(clean)


def test_one_step_lowers_the_loss_on_a_fixed_batch() -> None:
    torch.manual_seed(2)
    model = TwoStageUNet(TINY)
    x, y = _fixed_batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.5, 0.9))
    before = mae_loss(*model(x), y)
    before.backward()
    opt.step()
    with torch.no_grad():
        after = mae_loss(*model(x), y)
    assert float(after) < float(before.detach())


def test_small_preset_overfits_a_tiny_batch() -> None:
    torch.manual_seed(3)
    model = build_model("small")
    x, y = _fixed_batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.5, 0.9))
    losses = []
    for _ in range(30):
        loss = mae_loss(*model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.4 * losses[0]


def test_presets_share_one_code_path_and_match_the_paper() -> None:
    paper = preset("paper")
    assert paper.widths == (32, 64, 64, 128, 128, 256, 512) and paper.depth == 6 and paper.dense_layers == 3
    assert paper.freq_channels == 10 and paper.n_fft == 2048 and paper.hop == 512
    small = preset("small")
    assert small.depth < paper.depth and max(small.widths) < max(paper.widths)
    assert set(PRESETS) == {"paper", "small"}
    with pytest.raises(ValueError, match="unknown preset"):
        preset("huge")


def test_config_round_trip_and_validation() -> None:
    cfg = preset("small")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown keys"):
        ModelConfig.from_dict({**cfg.to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match="depth"):
        ModelConfig(widths=(4, 8), depth=3)
    with pytest.raises(ValueError, match="odd early_kernel"):
        ModelConfig(early_kernel=4)


def test_wrong_input_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="batch, 2, frames, bins"):
        TwoStageUNet(TINY)(torch.zeros(1, 3, 4, 1025))
