"""Context ensembles: the combined checkpoint's logits are the mean of its members', and only stages over the
same window CNN with the same probability correction can be combined."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from noisekit.classifier.checkpoint import load_classifier, load_model, save_checkpoint
from noisekit.classifier.combine import combine_context
from noisekit.classifier.context import ContextConfig
from noisekit.classifier.context_train import ContextTrainConfig, train_context
from noisekit.classifier.model import ModelConfig, NoiseCNN
from noisekit.errors import ConfigError

SR = 44100
WINDOWS = ModelConfig(channels=(4, 8, 8, 8), embed=8, hidden=8)


def _with_stage(window: NoiseCNN, ctx: ContextConfig, seed: int) -> NoiseCNN:
    """``window``'s CNN with a fresh, seeded context stage of shape ``ctx``."""
    torch.manual_seed(seed)
    model = NoiseCNN(replace(window.cfg, context=ctx))
    window_state = {k: v for k, v in window.state_dict().items() if not k.startswith("context.")}
    model.load_state_dict(window_state, strict=False)
    with torch.no_grad():
        for p in model.context.parameters():  # a visible correction, not the near-zero of a fresh stage
            p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    root = tmp_path_factory.mktemp("stages")
    torch.manual_seed(0)
    window = NoiseCNN(WINDOWS).eval()
    shapes = [ContextConfig(hidden=8, dilations=(1, 2)), ContextConfig(hidden=4, dilations=(1,)), ContextConfig()]
    paths = []
    for i, ctx in enumerate(shapes):
        paths.append(root / f"s{i}")
        save_checkpoint(_with_stage(window, ctx, seed=i + 1), paths[-1], {"logit_bias": 1.0})
    return root, paths


def _logits(path, audio: np.ndarray) -> np.ndarray:
    model = load_model(path)[0]
    with torch.inference_mode():
        return model(torch.from_numpy(audio)[None])[0].numpy()


def test_the_ensemble_averages_its_members_logits_and_keeps_the_bias(stages):
    root, (a, b, c) = stages
    audio = (np.random.default_rng(3).standard_normal(20 * SR) * 0.02).astype(np.float32)
    combine_context([a, b], root / "ab")
    want = (_logits(a, audio) + _logits(b, audio)) / 2
    assert np.abs(_logits(a, audio) - _logits(b, audio)).max() > 0.1  # members that disagree
    np.testing.assert_allclose(_logits(root / "ab", audio), want, atol=1e-5)
    assert load_classifier(root / "ab").logit_bias == 1.0
    # an ensemble combined again with a third stage is flattened: three members, each weighing a third
    meta = combine_context([root / "ab", c], root / "abc")
    assert len(load_model(root / "abc")[0].cfg.context_members) == 3 and len(meta["context_ensemble"]) == 2
    want3 = (_logits(a, audio) + _logits(b, audio) + _logits(c, audio)) / 3
    np.testing.assert_allclose(_logits(root / "abc", audio), want3, atol=1e-5)


def test_stages_over_other_features_or_another_bias_are_refused(stages, tmp_path):
    root, (a, b, _) = stages
    torch.manual_seed(9)
    other = tmp_path / "other"
    save_checkpoint(_with_stage(NoiseCNN(WINDOWS).eval(), ContextConfig(), seed=5), other, {"logit_bias": 1.0})
    with pytest.raises(ConfigError, match="window CNN's weights differ"):
        combine_context([a, other], tmp_path / "x")
    biased = tmp_path / "biased"
    save_checkpoint(load_model(b)[0], biased, {"logit_bias": 0.5})
    with pytest.raises(ConfigError, match="logit_bias differs"):
        combine_context([a, biased], tmp_path / "x")
    coarse = tmp_path / "coarse"  # the same window CNN, a stage reading 8 bands instead of 16
    save_checkpoint(_with_stage(load_model(a)[0], ContextConfig(bands=8), seed=6), coarse, {"logit_bias": 1.0})
    with pytest.raises(ConfigError, match="different band counts"):
        combine_context([a, coarse], tmp_path / "x")
    bare = tmp_path / "bare"
    save_checkpoint(NoiseCNN(WINDOWS).eval(), bare)
    with pytest.raises(ConfigError, match="no context stage"):
        combine_context([a, bare], tmp_path / "x")
    with pytest.raises(ConfigError, match="at least two"):
        combine_context([a], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_an_ensemble_cannot_be_fine_tuned_as_one_stage(stages, tmp_path):
    root, (a, b, _) = stages
    combine_context([a, b], tmp_path / "ab")
    cfg = ContextTrainConfig(sides=1, variants=1, scenes=1, steps=1, batch=1, crop_windows=60, init="base")
    with pytest.raises(ConfigError, match="not an ensemble"):
        train_context(cfg, tmp_path / "tuned", base=str(tmp_path / "ab"), progress=False)
