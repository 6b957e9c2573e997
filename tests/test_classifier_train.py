"""Training: a few CPU steps lower the loss; a short run writes a loadable checkpoint; fine-tuning on labels."""

import numpy as np
import torch

from noisekit.classifier.checkpoint import load_classifier, load_model
from noisekit.classifier.model import ModelConfig, NoiseCNN
from noisekit.classifier.programme import render_programme
from noisekit.classifier.scenes import render_noise
from noisekit.classifier.train import TrainConfig, masked_loss, train
from tests.test_classifier_labels import write_labels

SMALL = ModelConfig(channels=(8, 16, 16, 16), embed=16, hidden=16, dropout=0.0)


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).train()
    rng = np.random.default_rng(0)
    n = 2 * 44100
    noise = [render_noise(rng, n, 44100)[0] * 0.01 for _ in range(4)]
    tone = render_programme(rng, n, 44100, "sustained") * 0.05
    audio = torch.from_numpy(np.stack([noise[0], noise[1], noise[2] + tone, noise[3] + tone]))
    w = model(audio[:1]).shape[1]
    y = torch.tensor([[1.0] * w, [1.0] * w, [0.0] * w, [0.0] * w])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(10):
        loss = masked_loss(model(audio), y, 3.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_masked_loss_ignores_nan_targets():
    logits = torch.tensor([[10.0, -10.0, 3.0]])
    y = torch.tensor([[1.0, 0.0, float("nan")]])
    assert float(masked_loss(logits, y, 3.0)) < 1e-3


def test_short_run_writes_a_loadable_checkpoint(tmp_path):
    cfg = TrainConfig(steps=3, batch=2, scene_s=2.0, workers=0, pool_tracks=2, checkpoint_every=2, model=SMALL)
    res = train(cfg, tmp_path, command="test", progress=False)
    assert res.steps == 3 and np.isfinite(res.losses).all()
    model, doc = load_model(tmp_path)
    assert doc["meta"]["steps_done"] == 3 and doc["meta"]["command"] == "test"
    assert model.cfg == SMALL


def test_fine_tuning_mixes_labels_and_keeps_the_architecture(tmp_path):
    from noisekit.audio import write_audio

    x = (np.random.default_rng(0).standard_normal(44100 * 4) * 0.01).astype(np.float32)
    write_audio(tmp_path / "n.wav", x[None], 44100)
    labels = write_labels(tmp_path / "l.parquet", [("n.wav", 0.0, 4.0, "noise")])
    cfg = TrainConfig(steps=2, batch=2, scene_s=2.0, workers=0, pool_tracks=2, model=SMALL, checkpoint_every=0)
    train(cfg, tmp_path / "base", progress=False)
    tuned = TrainConfig(
        steps=2,
        batch=2,
        scene_s=2.0,
        workers=0,
        pool_tracks=2,
        labels=str(labels),
        labels_fraction=1.0,
        init=str(tmp_path / "base"),
        checkpoint_every=0,
    )
    train(tuned, tmp_path / "tuned", progress=False)
    assert load_classifier(tmp_path / "tuned").model.cfg == SMALL
