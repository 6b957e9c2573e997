"""Checkpoints: round trip, and every kind of untrustworthy file refused with CheckpointError naming it."""

import json

import numpy as np
import pytest
import torch

from noisekit.classifier.checkpoint import checkpoint_paths, load_classifier, load_model, save_checkpoint
from noisekit.classifier.model import ModelConfig, NoiseCNN
from noisekit.errors import CheckpointError, NoisekitError

SMALL = ModelConfig(channels=(4, 8, 8, 8), embed=8, hidden=8)


@pytest.fixture
def ckpt(tmp_path):
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).eval()
    save_checkpoint(model, tmp_path, {"note": "test"})
    return tmp_path, model


def test_round_trip_gives_identical_probabilities(ckpt):
    folder, model = ckpt
    x = np.random.default_rng(0).standard_normal(44100 * 3).astype(np.float32) * 0.01
    from noisekit.classifier.inference import NoiseClassifier

    expected = NoiseClassifier(model).window_probs(x, 44100).probs
    for path in (folder, folder / "noise_cnn.safetensors", folder / "noise_cnn.json"):
        got = load_classifier(path).window_probs(x, 44100).probs
        np.testing.assert_array_equal(got, expected)
    assert load_model(folder)[1]["meta"] == {"note": "test"}


def test_tampered_weights_are_refused(ckpt):
    folder, _ = ckpt
    weights, _ = checkpoint_paths(folder)
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x01  # flip one bit of one weight
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum mismatch") as err:
        load_classifier(folder)
    assert str(weights) in str(err.value)
    assert isinstance(err.value, NoisekitError)


def test_corrupt_or_foreign_config_is_refused(ckpt):
    folder, _ = ckpt
    _, config = checkpoint_paths(folder)
    config.write_text("{not json")
    with pytest.raises(CheckpointError, match="malformed JSON") as err:
        load_classifier(folder)
    assert str(config) in str(err.value)
    config.write_text(json.dumps({"format": "something-else/9"}))
    with pytest.raises(CheckpointError, match="unknown checkpoint format"):
        load_classifier(folder)


def test_weights_that_do_not_fit_the_architecture_are_refused(ckpt):
    folder, _ = ckpt
    _, config = checkpoint_paths(folder)
    doc = json.loads(config.read_text())
    doc["model"]["embed"] = 16  # the checksum still matches: the shapes do not
    config.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_classifier(folder)


def test_garbage_weights_with_matching_checksum_are_refused(ckpt):
    folder, _ = ckpt
    weights, config = checkpoint_paths(folder)
    weights.write_bytes(b"\x00" * 64)
    from noisekit.fsutil import sha256_file

    doc = json.loads(config.read_text())
    doc["sha256"] = sha256_file(weights)
    config.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="unreadable safetensors"):
        load_classifier(folder)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(CheckpointError, match="not found") as err:
        load_classifier(tmp_path / "nothing")
    assert "nothing" in str(err.value)


def test_logit_bias_from_the_config_is_applied_and_checked(ckpt):
    folder, model = ckpt
    _, config = checkpoint_paths(folder)
    x = np.random.default_rng(2).standard_normal(44100 * 3).astype(np.float32) * 0.01
    raw = load_classifier(folder).window_probs(x, 44100).probs.astype(np.float64)
    doc = json.loads(config.read_text())
    doc["meta"]["logit_bias"] = 2.0
    config.write_text(json.dumps(doc))
    biased = load_classifier(folder).window_probs(x, 44100).probs
    expected = 1.0 / (1.0 + np.exp(-(np.log(raw / (1.0 - raw)) + 2.0)))
    np.testing.assert_allclose(biased, expected, atol=1e-4)
    doc["meta"]["logit_bias"] = "lots"
    config.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="logit_bias"):
        load_classifier(folder)
