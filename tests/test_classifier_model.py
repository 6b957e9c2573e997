"""The CNN: window count on the grid, size budget, and config round trip."""

import torch

from noisekit.classifier.features import FeatureConfig, n_chunks
from noisekit.classifier.model import ModelConfig, NoiseCNN, count_parameters


def test_one_logit_per_window():
    cfg = FeatureConfig()
    model = NoiseCNN().eval()
    n = 44100 * 3
    with torch.no_grad():
        out = model(torch.randn(2, n) * 0.01)
    assert out.shape == (2, n_chunks(n, cfg) - cfg.window_chunks + 1)


def test_small_enough_for_fast_cpu_inference():
    assert count_parameters(NoiseCNN()) < 300_000


def test_config_round_trip():
    cfg = ModelConfig(channels=(8, 16, 16, 32), embed=32)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
