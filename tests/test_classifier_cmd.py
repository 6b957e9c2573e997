"""`noisekit classifier train|evaluate` end to end on tiny inputs, and the one-line error for bad weights."""

import json
from types import SimpleNamespace

import numpy as np
from click.testing import CliRunner

from noisekit.audio import write_audio
from noisekit.cli import main
from tests.test_classifier_labels import write_labels


def _tiny_train(out) -> list[str]:
    """`classifier train` arguments for a one-step run on tiny scenes (seconds, not minutes)."""
    args = ["--steps", "1", "--batch", "1", "--scene-s", "2", "--workers", "0", "--pool-tracks", "1"]
    return ["classifier", "train", *args, "--out", str(out)]


def test_train_then_evaluate_on_labels(tmp_path):
    runner = CliRunner()
    out = tmp_path / "model"
    res = runner.invoke(
        main,
        [
            "classifier",
            "train",
            "--steps",
            "2",
            "--batch",
            "2",
            "--scene-s",
            "2",
            "--workers",
            "0",
            "--pool-tracks",
            "2",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (out / "noise_cnn.safetensors").is_file() and "trained 2 steps" in res.output
    doc = json.loads((out / "noise_cnn.json").read_text())
    assert doc["meta"]["command"].startswith("noisekit")

    rng = np.random.default_rng(0)
    write_audio(tmp_path / "a.wav", (rng.standard_normal(44100 * 6) * 0.01).astype(np.float32)[None], 44100)
    labels = write_labels(tmp_path / "l.parquet", [("a.wav", 0.0, 3.0, "noise"), ("a.wav", 3.0, 6.0, "music")])
    res = runner.invoke(
        main,
        ["classifier", "evaluate", "--labels", str(labels), "--model", str(out), "--json", str(tmp_path / "r.json")],
    )
    assert res.exit_code == 0, res.output
    assert "| all |" in res.output and "model purity" in res.output
    assert "all" in json.loads((tmp_path / "r.json").read_text())


def test_tampered_model_gives_one_line_error(tmp_path):
    runner = CliRunner()
    out = tmp_path / "model"
    runner.invoke(main, _tiny_train(out))
    w = out / "noise_cnn.safetensors"
    w.write_bytes(w.read_bytes()[:-8] + b"\x00" * 8)
    res = runner.invoke(main, ["classifier", "evaluate", "--sides", "0", "--scenes", "0", "--model", str(out)])
    assert res.exit_code == 2
    assert "checksum mismatch" in res.output and str(w) in res.output


def test_train_context_then_fine_tuning_keeps_the_context_stage(tmp_path):
    from safetensors.torch import load_file

    runner = CliRunner()
    base, ctx, tuned = tmp_path / "base", tmp_path / "ctx", tmp_path / "tuned"
    res = runner.invoke(main, _tiny_train(base))
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main,
        [
            "classifier",
            "train-context",
            "--model",
            str(base),
            "--sides",
            "1",
            "--variants",
            "1",
            "--scenes",
            "1",
            "--steps",
            "3",
            "--out",
            str(ctx),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "context stage: 3 steps on 1 + 0 short sides × 1, 1 scenes" in res.output
    assert json.loads((ctx / "noise_cnn.json").read_text())["model"]["context"]["hidden"] > 0

    res = runner.invoke(
        main,
        [
            "classifier",
            "train",
            "--init",
            str(ctx),
            "--steps",
            "2",
            "--batch",
            "1",
            "--scene-s",
            "2",
            "--workers",
            "0",
            "--pool-tracks",
            "1",
            "--out",
            str(tuned),
        ],
    )
    assert res.exit_code == 0, res.output
    before, after = load_file(str(ctx / "noise_cnn.safetensors")), load_file(str(tuned / "noise_cnn.safetensors"))
    context = [k for k in before if k.startswith("context.")]
    assert context and all(np.array_equal(before[k].numpy(), after[k].numpy()) for k in context)
    assert not all(np.array_equal(before[k].numpy(), after[k].numpy()) for k in before if k.startswith("encoder."))


def test_train_context_with_nothing_to_train_on_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(
        main, ["classifier", "train-context", "--sides", "0", "--scenes", "0", "--out", str(tmp_path / "ctx")]
    )
    assert res.exit_code == 2 and "nothing to train on" in res.output
    assert not (tmp_path / "ctx").exists()


def test_truth_choices_match_the_side_truths():
    from noisekit.classifier.context_train import MATERIAL_TRUTHS
    from noisekit.commands.classifier import MATERIAL_TRUTH_CHOICES, TRUTH_CHOICES
    from noisekit.synth.side import TRUTHS

    assert TRUTH_CHOICES == TRUTHS
    assert MATERIAL_TRUTH_CHOICES == MATERIAL_TRUTHS


def test_training_commands_use_the_configs_defaults(tmp_path, monkeypatch):
    """The commands define no defaults of their own: without flags they run TrainConfig() / ContextTrainConfig()."""
    from noisekit.classifier import context_train, train
    from noisekit.classifier.context_train import ContextTrainConfig
    from noisekit.classifier.train import TrainConfig

    seen = {}

    def capture(cfg, *args, **kwargs):
        seen["cfg"] = cfg
        return SimpleNamespace(steps=0, seconds=0.0, first_loss=0.0, last_loss=0.0)

    def capture_context(cfg, *args, **kwargs):
        seen["cfg"] = cfg
        return {"first_loss": 0.0, "final_loss": 0.0}

    monkeypatch.setattr(train, "train", capture)
    monkeypatch.setattr(context_train, "train_context", capture_context)
    runner = CliRunner()
    res = runner.invoke(main, ["classifier", "train", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert seen["cfg"] == TrainConfig()
    res = runner.invoke(main, ["classifier", "train-context", "--out", str(tmp_path / "b"), "--steps", "7"])
    assert res.exit_code == 0, res.output
    assert seen["cfg"] == ContextTrainConfig(steps=7)
    help_text = " ".join(runner.invoke(main, ["classifier", "train-context", "--help"]).output.split())
    assert f"[default: ({ContextTrainConfig().sides})]" in help_text


def test_exclude_package_without_material_sides_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(
        main,
        ["classifier", "train-context", "--sides", "1", "--scenes", "0", "--exclude-package", "ufoai-sound"]
        + ["--out", str(tmp_path / "ctx")],
    )
    assert res.exit_code == 2 and "needs material sides" in res.output
    assert not (tmp_path / "ctx").exists()
