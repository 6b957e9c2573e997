"""Inference: streaming equals whole-file, resampling, silence and bad input."""

import numpy as np
import pytest
import torch

from noisekit.classifier.inference import NoiseClassifier
from noisekit.classifier.model import NoiseCNN


@pytest.fixture(scope="module")
def clf() -> NoiseClassifier:
    torch.manual_seed(0)
    return NoiseClassifier(NoiseCNN())


def _signal(sr: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(sr * seconds)) / sr
    return (0.01 * rng.standard_normal(t.size) + 0.1 * np.sin(2 * np.pi * 440 * t) * (t > seconds / 2)).astype(
        np.float32
    )


@pytest.mark.parametrize("sr", [44100, 48000])
def test_stream_equals_whole_file(clf, sr):
    x = _signal(sr, 12.3)
    whole = clf.window_probs(x, sr)
    sizes = [1, 7001, 33333, 2, 90000]
    blocks, i, k = [], 0, 0
    while i < len(x):
        blocks.append(x[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    streamed = clf.window_probs_stream(iter(blocks), sr)
    assert len(whole) == len(streamed) == 46  # (12.3 s - window) / hop + 1
    np.testing.assert_allclose(whole.probs, streamed.probs, atol=1e-5)
    np.testing.assert_allclose(whole.starts, np.arange(46) * 0.25)
    assert whole.duration_s == pytest.approx(12.3, abs=1e-3)


def test_two_dimensional_input_is_mixed_to_mono(clf):
    x = _signal(44100, 3.0)
    a = clf.window_probs(x, 44100).probs
    b = clf.window_probs(np.stack([x, x]), 44100).probs
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_digital_silence_is_never_noise(clf):
    wp = clf.window_probs(np.zeros(44100 * 3, np.float32), 44100)
    assert len(wp) > 0 and np.all(wp.probs == 0.0) and wp.silent.all()
    hiss = np.random.default_rng(0).standard_normal(44100 * 3).astype(np.float32) * 0.01
    assert not clf.window_probs(hiss, 44100).silent.any()


def test_short_signal_gives_no_windows(clf):
    assert len(clf.window_probs(np.zeros(1000, np.float32), 44100)) == 0


def test_bad_input_is_refused(clf):
    with pytest.raises(ValueError, match="NaN"):
        clf.window_probs(np.full(44100, np.nan, np.float32), 44100)
    with pytest.raises(ValueError, match="sample rate"):
        clf.window_probs(np.zeros(44100, np.float32), 0)
