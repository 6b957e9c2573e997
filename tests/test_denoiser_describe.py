"""Tests of the size and cost description: parameter counts and multiply-adds counted by hand."""

from __future__ import annotations

import torch
from denoiser_helpers import TINY
from torch import nn

from noisekit.denoiser.describe import _count_macs, describe
from noisekit.denoiser.model import TwoStageUNet, preset


def test_parameters_match_the_built_model() -> None:
    for cfg in (TINY, preset("small")):
        real = sum(p.numel() for p in TwoStageUNet(cfg).parameters())
        assert describe(cfg).params == real


def test_macs_of_single_layers_by_hand() -> None:
    conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1))
    assert _count_macs(conv.to("meta"), (1, 2, 4, 5)) == 4 * 5 * 3 * 2 * 9
    up = nn.Sequential(nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1))
    assert _count_macs(up.to("meta"), (1, 3, 4, 5)) == 4 * 5 * 3 * 2 * 16


def test_cost_scales_with_width_and_is_per_second() -> None:
    small, paper = describe(preset("small")), describe(preset("paper"))
    assert paper.macs_per_second > 10 * small.macs_per_second
    assert abs(describe(TINY, seconds=4.0).macs_per_second / describe(TINY, seconds=8.0).macs_per_second - 1) < 0.1
    assert any("parameters" in line for line in small.lines("small"))
    assert not any(p.device.type == "meta" for p in TwoStageUNet(TINY).parameters())
    assert torch.get_default_device().type == "cpu"  # describing leaves the default device alone
