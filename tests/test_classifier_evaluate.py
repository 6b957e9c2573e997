"""Evaluation: figures per region for the model and the energy rule, on sides, scenes and labels."""

import numpy as np
import pytest
import torch

from noisekit.audio import write_audio
from noisekit.classifier.evaluate import (
    EVAL_SEED_START,
    EvalItem,
    evaluate,
    format_report,
    label_items,
    scene_items,
    side_items,
)
from noisekit.classifier.inference import NoiseClassifier, WindowProbs
from noisekit.classifier.model import ModelConfig, NoiseCNN
from noisekit.classifier.segmenter import SegmenterParams
from tests.test_classifier_labels import write_labels

SR = 44100


class Oracle(NoiseClassifier):
    """A 'classifier' that knows the truth: p = 1 exactly on windows inside the noise intervals."""

    def __init__(self, truth):
        super().__init__(NoiseCNN(ModelConfig(channels=(4, 4, 4, 4), embed=4, hidden=4)))
        self.truth = truth

    def window_probs(self, audio_1d, sr):
        n = (len(audio_1d) / sr - self.window_s) // self.hop_s + 1
        starts = np.arange(int(max(n, 0))) * self.hop_s
        from noisekit.classifier.metrics import window_labels

        p = window_labels(starts, self.window_s, self.truth).astype(np.float32)
        return WindowProbs(p, self.window_s, self.hop_s, starts, len(audio_1d) / sr)


def _soft_music_item() -> EvalItem:
    """Noise, then a soft tone 4 dB above the noise (the energy rule's failure), then noise."""
    rng = np.random.default_rng(0)
    t = np.arange(12 * SR) / SR
    x = rng.standard_normal(t.size) * 0.01
    music = (t >= 4) & (t < 8)
    x[music] += 0.02 * np.sin(2 * np.pi * 330 * t[music])
    truth = [(0.0, 4.0), (8.0, 12.0)]
    return EvalItem("soft", x.astype(np.float32), SR, truth, {"all": [(0.0, 12.0)], "soft": [(3.0, 9.0)]})


def test_oracle_is_pure_and_the_energy_rule_leaks():
    item = _soft_music_item()
    res = evaluate(Oracle(item.truth), iter([item]), params=SegmenterParams(tail_s=0.0, lead_s=0.0), progress=False)
    assert list(res) == ["all", "soft"]
    assert res["all"]["model"]["purity"] == pytest.approx(1.0)
    assert res["all"]["model"]["recall"] > 0.75  # margins cost 0.25 s at each edge
    assert res["all"]["model"]["window"]["auc"] == pytest.approx(1.0)
    assert res["all"]["energy"]["purity"] < 0.8  # the soft tone is taken for noise
    assert res["soft"]["energy"]["leaked_s"] > 2.0
    assert res["all"]["model_purity_at_energy_recall"] == pytest.approx(1.0)
    table = format_report(res)
    assert table.count("\n") == 3 and "| soft |" in table


def test_scene_and_side_items_are_held_out_and_labelled():
    scenes = list(scene_items(1, duration_s=4.0, cases=("noise_only", "fade")))
    assert [s.regions.keys() - {"all", "scenes"} for s in scenes] == [{"scene:noise_only"}, {"scene:fade"}]
    assert scenes[0].truth == [(0.0, pytest.approx(4.0))]
    side = next(side_items(1, duration_s=12.0))
    assert side.name == f"side {EVAL_SEED_START}" and side.audio.ndim == 1 and side.truth


def test_label_items_score_only_labelled_stretches(tmp_path):
    item = _soft_music_item()
    write_audio(tmp_path / "x.wav", item.audio[None], SR)
    labels = write_labels(tmp_path / "l.parquet", [("x.wav", 0.0, 4.0, "noise"), ("x.wav", 4.0, 8.0, "music")])
    (it,) = label_items(labels)
    assert it.truth == [(0.0, 4.0)] and it.regions["all"] == [(0.0, 8.0)] and it.ignore == [(8.0, 12.0)]
    torch.manual_seed(0)
    res = evaluate(NoiseClassifier(NoiseCNN()), iter([it]), progress=False)
    assert res["all"]["windows"] > 0 and res["all"]["noise_windows"] > 0
