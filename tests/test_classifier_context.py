"""The side-context stage: its floor-relative features, checkpoint round trip, streaming, and training."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from noisekit.classifier.checkpoint import load_classifier, load_model, save_checkpoint
from noisekit.classifier.context import ContextConfig, chunk_bands, window_features
from noisekit.classifier.context_train import ContextTrainConfig, train_context
from noisekit.classifier.inference import NoiseClassifier
from noisekit.classifier.model import ModelConfig, NoiseCNN

SR = 44100
SMALL = ModelConfig(channels=(4, 8, 8, 8), embed=8, hidden=8, context=ContextConfig(hidden=8, dilations=(1, 2)))


def _features(model: NoiseCNN, x: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        patches, levels = model.frontend(torch.from_numpy(x.astype(np.float32))[None])
        emb = model.embed_chunks(patches)
        logits = model.classify_chunks(emb, levels)
        bands = chunk_bands(patches, levels, 16)
        return window_features(logits[0], emb[0], bands[0], model.cfg.features.window_chunks).numpy()


def _noise_with_quiet_tone(seconds: float = 30.0, tone=(12.0, 20.0)) -> np.ndarray:
    """White-ish noise at -40 dBFS with a 440-Hz tone 12 dB below the noise's broadband RMS in [12, 20) s."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(int(seconds * SR)) * 0.01
    t = np.arange(len(x)) / SR
    on = (t >= tone[0]) & (t < tone[1])
    x[on] += 0.01 * 10 ** (-12 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 440 * t[on])
    return x


def test_programme_below_the_noise_shows_as_excess_over_the_file_floor():
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).eval()
    feats = _features(model, _noise_with_quiet_tone())
    excess = feats[:, -16:] * 10.0  # dB over the file's floor, per band
    hop = model.cfg.features.hop_s
    inside = [i for i in range(len(feats)) if i * hop >= 12.5 and i * hop + 1.1 <= 19.5]
    outside = [i for i in range(len(feats)) if i * hop + 1.1 <= 11.5 or i * hop >= 20.5]
    assert excess[inside].max(axis=1).min() > 4.0  # the tone's band stands out in every window over it
    assert excess[outside].max(axis=1).max() < 3.0  # plain noise stays near its floor in every band


def test_features_do_not_depend_on_the_transfer_gain():
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).eval()
    x = _noise_with_quiet_tone(20.0, (5.0, 12.0))
    a, b = _features(model, x), _features(model, x * 10 ** (-14 / 20))
    np.testing.assert_allclose(a, b, atol=2e-3)


def test_checkpoint_round_trip_keeps_the_context_stage_and_streaming_is_exact(tmp_path):
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).eval()
    torch.nn.init.normal_(model.context.out.weight, std=0.5)  # a non-trivial correction
    save_checkpoint(model, tmp_path)
    loaded, _ = load_model(tmp_path)
    assert loaded.cfg.context == SMALL.context
    x = _noise_with_quiet_tone(12.0, (4.0, 8.0)).astype(np.float32)
    whole = load_classifier(tmp_path).window_probs(x, SR).probs
    windows_only = NoiseClassifier(NoiseCNN(ModelConfig(channels=(4, 8, 8, 8), embed=8, hidden=8))).window_probs(x, SR)
    assert len(windows_only) == len(whole)
    np.testing.assert_allclose(NoiseClassifier(model).window_probs(x, SR).probs, whole, atol=1e-6)
    blocks = [x[i : i + 30_000] for i in range(0, len(x), 30_000)]
    np.testing.assert_allclose(load_classifier(tmp_path).window_probs_stream(blocks, SR).probs, whole, atol=1e-5)


def test_shipped_checkpoint_without_a_context_section_still_loads():
    model, doc = load_model(None)
    assert (model.context is None) == (doc["model"].get("context") is None)


def test_context_config_rejects_bands_that_do_not_divide_the_mels():
    with pytest.raises(ValueError, match="multiple"):
        ModelConfig(context=ContextConfig(bands=10))


def test_a_short_context_run_lowers_the_loss_and_keeps_the_window_cnn(tmp_path):
    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(ModelConfig(channels=(4, 8, 8, 8), embed=8, hidden=8)).eval(), base)
    cfg = ContextTrainConfig(
        sides=2,
        variants=1,
        scenes=1,
        steps=60,
        batch=2,
        crop_windows=120,
        context=ContextConfig(hidden=8, dilations=(1, 2, 4)),
    )
    res = train_context(cfg, tmp_path / "out", base=str(base), progress=False)
    assert res["final_loss"] < res["first_loss"]
    trained, doc = load_model(tmp_path / "out")
    original, _ = load_model(base)
    for name, tensor in original.state_dict().items():
        torch.testing.assert_close(trained.state_dict()[name], tensor)
    assert doc["meta"]["context_train"]["sides"] == 2


def test_digital_silence_neither_sets_the_floor_nor_feeds_the_stage():
    """A transfer with 20 s of digital silence before the needle drop keeps its floor-relative features."""
    torch.manual_seed(0)
    model = NoiseCNN(SMALL).eval()
    x = _noise_with_quiet_tone(20.0, (8.0, 14.0))
    padded = np.concatenate([np.zeros(20 * SR), x])
    plain, silent = _features(model, x), _features(model, padded)
    shift = int(round(20.0 / model.cfg.features.hop_s))
    np.testing.assert_allclose(silent[shift + 4 : shift + len(plain)], plain[4:], atol=2e-3)
    assert not silent[: shift - 4].any()  # the silence reads as the stage's zero padding


def test_refitting_replaces_an_existing_stage_of_another_shape(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), first)  # already has a (hidden=8) context stage
    cfg = ContextTrainConfig(
        sides=1,
        variants=1,
        scenes=1,
        steps=2,
        batch=1,
        crop_windows=60,
        context=ContextConfig(hidden=4, dilations=(1,)),
    )
    train_context(cfg, second, base=str(first), progress=False)
    assert load_model(second)[0].cfg.context == ContextConfig(hidden=4, dilations=(1,))


def test_the_feature_cache_is_read_back_and_keyed_by_the_labels(tmp_path, monkeypatch):
    import noisekit.classifier.context_train as ct

    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), base)
    cfg = ContextTrainConfig(sides=1, variants=1, scenes=1, steps=1)
    first = ct.build_examples(cfg, str(base), progress=False, cache=str(tmp_path / "cache"))
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2

    def no_render(*args, **kwargs):
        raise AssertionError("rendered although the cache holds the file")

    monkeypatch.setattr(ct, "_side_examples", no_render)
    monkeypatch.setattr(ct, "_scene_example", no_render)
    again = ct.build_examples(cfg, str(base), progress=False, cache=str(tmp_path / "cache"))
    for (f0, y0), (f1, y1) in zip(first, again, strict=True):
        np.testing.assert_array_equal(f0, f1)
        np.testing.assert_array_equal(y0, y1)
    wider = replace(cfg, context=ContextConfig(hidden=8, dilations=(1, 2)))  # the stage's shape: the same features
    for (f0, _), (f1, _) in zip(
        first, ct.build_examples(wider, str(base), False, str(tmp_path / "cache")), strict=True
    ):
        np.testing.assert_array_equal(f0, f1)
    with pytest.raises(AssertionError, match="rendered although"):  # another band count: other features
        ct.build_examples(replace(cfg, context=ContextConfig(bands=8)), str(base), False, str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="unknown truth 'loud'"):  # refused before anything is rendered
        ct.build_examples(replace(cfg, truth="loud"), str(base), progress=False, cache=str(tmp_path / "cache"))
    with pytest.raises(AssertionError, match="rendered although"):  # other labels: another key, a new render
        ct.build_examples(replace(cfg, truth="exact"), str(base), progress=False, cache=str(tmp_path / "cache"))


def test_audible_labels_call_more_of_a_side_noise_than_exact_ones(tmp_path):
    import noisekit.classifier.context_train as ct

    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), base)
    cfg = ContextTrainConfig(sides=1, variants=1, scenes=0, steps=1)
    ((_, audible),) = ct.build_examples(cfg, str(base), progress=False)
    ((_, exact),) = ct.build_examples(replace(cfg, truth="exact"), str(base), progress=False)
    assert np.all(audible >= exact) and audible.sum() > exact.sum()


def test_short_sides_are_squeezed_into_their_drawn_length(tmp_path):
    import noisekit.classifier.context_train as ct

    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), base)
    cfg = ContextTrainConfig(sides=0, short_sides=1, variants=2, scenes=0, steps=1)
    examples = ct.build_examples(cfg, str(base), progress=False)
    length = ct.short_side_s(cfg.first_seed)  # the first short side follows the (here no) ordinary ones
    assert 25.0 <= length <= 90.0 and len(examples) == 2
    hop = NoiseCNN(SMALL).cfg.features.hop_s
    assert all(abs(len(f) * hop - length) < 1.5 for f, _ in examples)
    with pytest.raises(ValueError, match="leave the training range"):
        ct.build_examples(replace(cfg, first_seed=399_999, short_sides=2), str(base), progress=False)


def _material_dir(root, packages=("tones",)):
    """A data directory whose material manifest has, per package, two 3-s tones in the train split and a
    missing file in valid."""
    from noisekit.datadir import DataDir
    from noisekit.manifests import write_manifest

    rows = []
    for package in packages:
        for i, (hz, split) in enumerate(((1000.0, "train"), (1500.0, "train"), (700.0, "valid"))):
            rel = f"material/music/{package}/t{i}/t{i}.flac"
            if split == "train":  # the valid row's file does not exist: reading it would fail the run
                (root / rel).parent.mkdir(parents=True)
                t = np.arange(3 * 22050) / 22050
                sf.write(str(root / rel), 0.3 * np.sin(2 * np.pi * hz * t), 22050, subtype="PCM_24")
            rows.append(
                dict(path=rel, package=package, member=f"t{i}.ogg", kind="music", group=f"{package}/t{i}")
                | dict(duration_s=3.0, split=split, status="ok")
            )
    write_manifest(DataDir(root), "material", rows)
    return root


def test_a_left_out_package_loses_its_material_sides_and_the_others_keep_their_index(tmp_path):
    from noisekit.classifier.context_train import build_examples, material_indices

    root = _material_dir(tmp_path / "data", packages=("brass", "strings"))
    cfg = ContextTrainConfig(sides=0, scenes=0, material=str(root), material_sides=5, steps=1)
    assert material_indices(cfg) == [0, 1, 2, 3, 4]
    assert material_indices(replace(cfg, exclude_packages=("brass",))) == [1, 3]  # brass is side 0, 2, 4
    assert material_indices(replace(cfg, exclude_packages=("strings",))) == [0, 2, 4]
    with pytest.raises(ValueError, match="no package of the material: drums.*brass, strings"):
        material_indices(replace(cfg, exclude_packages=("drums",)))
    with pytest.raises(ValueError, match="no material package to train on"):
        material_indices(replace(cfg, exclude_packages=("brass", "strings")))
    with pytest.raises(ValueError, match="needs material sides"):
        build_examples(replace(cfg, material_sides=0, sides=1, exclude_packages=("brass",)), None, progress=False)


def _material_run(tmp_path, sides: int) -> tuple[Path, ContextTrainConfig]:
    """A small untrained base checkpoint and a config of ``sides`` material sides over one package of tones."""
    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), base)
    root = _material_dir(tmp_path / "data")
    return base, ContextTrainConfig(sides=0, scenes=0, material=str(root), material_sides=sides, steps=1)


def test_material_sides_come_from_the_train_split_labelled_by_their_audible_truth(tmp_path):
    from noisekit.classifier.context_train import build_examples

    base, cfg = _material_run(tmp_path, 2)
    examples = build_examples(cfg, str(base), progress=False)
    assert len(examples) == 2
    for feats, labels in examples:
        assert len(feats) == len(labels) > 40  # a side of run-in, two or more tones, pauses and run-out
        assert labels[0] == 1.0  # the run-in (>= 2 s) is noise only
        assert 0.0 in labels  # the tones, 3 to 30 dB over the noise, are programme
    with pytest.raises(ValueError, match="material data directory"):
        build_examples(replace(cfg, material=None), str(base), progress=False)


def test_material_sides_labelled_at_20_db_call_more_windows_noise(tmp_path):
    from noisekit.classifier.context_train import build_examples

    base, cfg = _material_run(tmp_path, 3)
    at30 = build_examples(cfg, str(base), progress=False)
    at20 = build_examples(replace(cfg, material_truth="audible20"), str(base), progress=False)
    for (f30, y30), (f20, y20) in zip(at30, at20, strict=True):
        assert np.array_equal(f30, f20)  # the same side and features: only the labels differ
        assert np.all(y20 >= y30)  # a window noise only at 30 dB is noise only at 20 dB
    assert sum(float((y20 - y30).sum()) for (_, y30), (_, y20) in zip(at30, at20, strict=True)) > 0
    with pytest.raises(ValueError, match="unknown material truth 'loud'"):
        build_examples(replace(cfg, material_truth="loud"), str(base), progress=False)


def test_init_base_starts_from_the_checkpoints_own_stage(tmp_path):
    base = tmp_path / "base"
    torch.manual_seed(0)
    save_checkpoint(NoiseCNN(SMALL).eval(), base)
    cfg = ContextTrainConfig(
        sides=1, variants=1, scenes=0, steps=1, lr=0.0, batch=1, crop_windows=40, context=SMALL.context
    )
    original, _ = load_model(base)
    for init, same in (("base", True), ("fresh", False)):
        train_context(replace(cfg, init=init), tmp_path / init, base=str(base), progress=False)
        refit, _ = load_model(tmp_path / init)
        equal = all(torch.equal(t, original.state_dict()[k]) for k, t in refit.state_dict().items())
        assert equal is same  # lr 0: nothing moves, so only the start differs
    with pytest.raises(ValueError, match="unknown init"):
        train_context(replace(cfg, init="warm"), tmp_path / "x", base=str(base), progress=False)


def test_material_share_sets_how_often_the_real_sides_are_drawn(tmp_path):
    from noisekit.classifier import context_train as ct

    root = _material_dir(tmp_path / "data", packages=("brass", "strings"))
    cfg = ContextTrainConfig(sides=6, scenes=0, material=str(root), material_sides=4, steps=1, batch=4000)
    assert ct.sampling_weights(cfg, 10) is None  # no share: uniform, the draws of earlier runs unchanged
    weights = ct.sampling_weights(replace(cfg, material_share=0.5), 10)
    assert weights.sum() == pytest.approx(1.0) and weights[-4:].sum() == pytest.approx(0.5)
    examples = [(np.full((3, 2), i, np.float32), np.zeros(3, np.float32)) for i in range(10)]
    feats, _ = ct._batch(np.random.default_rng(0), examples, cfg, weights)
    drawn = feats[:, 0, 0].numpy()
    assert 0.45 < np.mean(drawn >= 6) < 0.55  # the last four examples are the material sides
    assert ct.sampling_weights(replace(cfg, material_share=0.5, exclude_packages=("brass",)), 8)[-2:].sum() == (
        pytest.approx(0.5)
    )
    with pytest.raises(ValueError, match=r"material_share must be in \[0, 1\)"):
        ct.build_examples(replace(cfg, material_share=1.0), None, progress=False)
    with pytest.raises(ValueError, match="needs material sides"):
        ct.build_examples(replace(cfg, material_sides=0, material_share=0.2), None, progress=False)
