"""Log-mel features: the global chunk grid and gain invariance of the patches."""

import numpy as np
import pytest
import torch

from noisekit.classifier.features import FeatureConfig, LogMel, mel_filterbank, n_chunks

CFG = FeatureConfig()


def test_grid_constants():
    assert CFG.hop_s == pytest.approx(0.25)
    assert 1.0 <= CFG.window_s < 1.05
    assert n_chunks(CFG.chunk_span - 1, CFG) == 0
    assert n_chunks(CFG.chunk_span, CFG) == 1
    assert n_chunks(CFG.chunk_span + CFG.chunk_samples, CFG) == 2


def test_filterbank_has_no_empty_band():
    fb = mel_filterbank(CFG)
    assert fb.shape == (CFG.n_fft // 2 + 1, CFG.n_mels)
    assert np.all(fb.sum(axis=0) > 0.99)


def test_shapes_and_gain_invariance():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal(44100 * 2).astype(np.float32) * 0.01)[None]
    lm = LogMel(CFG)
    p1, l1 = lm(x)
    p2, l2 = lm(x * 10.0)
    assert p1.shape == (1, n_chunks(x.shape[1], CFG), CFG.n_mels, CFG.chunk_frames)
    torch.testing.assert_close(p1, p2, atol=1e-4, rtol=0)
    torch.testing.assert_close(l2 - l1, torch.full_like(l1, 20.0), atol=1e-3, rtol=0)


def test_too_short_gives_no_chunks():
    p, lv = LogMel(CFG)(torch.zeros(1, 1000))
    assert p.shape[1] == 0 and lv.shape == (1, 0)
