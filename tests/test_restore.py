import json

import numpy as np
import pytest
import soundfile as sf

from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks
from noisekit.pipelines.restore import (
    RestoreOptions,
    fade_weights,
    lsa_denoiser,
    output_paths,
    restore_array,
    restore_file,
)
from noisekit.signal import snr_db


def _halve(audio, sr):
    return audio * 0.5


@pytest.fixture(scope="module")
def clean():
    return notes(12.0, seed=31)


@pytest.fixture(scope="module")
def noisy(clean):
    hissy = add_noise(clean, coloured_noise(len(clean), "white", seed=32), 12.0)
    x, planted = plant_clicks(hissy, 40, seed=33)
    sd = np.std(hissy - clean)
    strong = [(s, e) for s, e in planted if np.abs(x[s:e] - hissy[s:e]).max() >= 9 * sd]
    return x, strong


def test_clean_recording_passes_through_bit_exact(clean):
    result = restore_array(clean, SR, _halve)
    np.testing.assert_array_equal(result.audio[0], clean)
    assert result.report["bit_exact"] and not result.report["gate"]["recording_noisy"]
    assert not result.residual.any() and result.clicks == []


def test_noisy_recording_is_declicked_and_denoised(clean, noisy):
    x, planted = noisy
    result = restore_array(x, SR, lsa_denoiser, RestoreOptions(denoiser_name="lsa"))
    assert result.report["gate"]["recording_noisy"]
    # a click is only detectable above the hiss: those peaking at >= 9 noise sigmas must be found
    found = sum(any(s < e0 and e > s0 for _, s, e in result.clicks) for s0, e0 in planted)
    assert len(planted) >= 15 and found / len(planted) >= 0.9
    assert snr_db(clean, result.audio[0]) > snr_db(clean, x) + 3.0
    np.testing.assert_allclose(result.residual[0], x - result.audio[0], atol=1e-6)
    assert result.report["denoise"]["denoiser"] == "lsa"


def test_mixed_recording_keeps_clean_stretches_exact(clean, noisy):
    x = np.concatenate([clean, noisy[0]])
    result = restore_array(x, SR, _halve, RestoreOptions(stretch_s=6.0, steps=("gate", "denoise")))
    n = len(clean)
    np.testing.assert_array_equal(result.audio[0, :n], clean)
    fade = int(0.05 * SR)
    np.testing.assert_allclose(result.audio[0, n + fade :], noisy[0][fade:] * 0.5, rtol=1e-6)
    assert np.all(np.abs(result.audio[0, n : n + fade]) <= np.abs(noisy[0][:fade]) + 1e-7)


def test_without_gate_everything_is_processed(clean):
    result = restore_array(clean, SR, _halve, RestoreOptions(steps=("denoise",)))
    np.testing.assert_allclose(result.audio[0], clean * 0.5)


def test_gaps_are_filled_in_noisy_material_and_long_ones_reported(clean):
    x = add_noise(clean, coloured_noise(len(clean), "white", seed=34), 25.0)
    short, long_ = (2 * SR, 2 * SR + 220), (6 * SR, 6 * SR + int(0.3 * SR))
    x[short[0] : short[1]] = 0.0
    x[long_[0] : long_[1]] = 0.0
    result = restore_array(x, SR, None, RestoreOptions(steps=("inpaint",)))
    status = {(g["start"], g["stop"]): g["status"] for g in result.report["inpaint"]["list"]}
    assert status[short] == "filled" and status[long_] == "too_long"
    assert np.abs(result.audio[0, short[0] : short[1]]).max() > 0.01
    np.testing.assert_array_equal(result.audio[0, long_[0] : long_[1]], 0.0)


def test_fade_weights_ramp_inside_active_runs():
    active = np.zeros(100, dtype=bool)
    active[30:70] = True
    w = fade_weights(active, 10)
    assert np.all(w[:30] == 0) and np.all(w[70:] == 0) and np.all(w[40:60] == 1)
    assert np.all(np.diff(w[30:40]) > 0) and 0 < w[30] < 0.1


def test_bad_requests_are_refused(clean):
    with pytest.raises(ValueError, match="denoiser"):
        restore_array(clean, SR, None)
    with pytest.raises(ValueError, match="unknown restore step"):
        restore_array(clean, SR, _halve, RestoreOptions(steps=("sharpen",)))


def test_restore_file_writes_outputs_with_input_shape(tmp_path, clean, noisy):
    stereo = np.stack([noisy[0][: 8 * SR], noisy[0][: 8 * SR] * 0.8])
    path = tmp_path / "side.wav"
    sf.write(path, stereo.T, SR, subtype="PCM_16")
    restore_file(path, tmp_path / "out", lsa_denoiser)
    paths = output_paths(path, tmp_path / "out")
    restored, sr = sf.read(paths["restored"], always_2d=True)
    residual, _ = sf.read(paths["residual"], always_2d=True)
    original, _ = sf.read(path, always_2d=True)
    assert sr == SR and restored.shape == original.shape == residual.shape
    np.testing.assert_allclose(restored + residual, original, atol=1e-6)
    report = json.loads(paths["report"].read_text())
    assert report["declick"]["clicks"] >= 15 and report["channels"] == 2
    header = paths["clicks"].read_text().splitlines()[0]
    assert header == "channel,start,stop,start_s,duration_ms,kind"
    assert {row.split(",")[-1] for row in paths["clicks"].read_text().splitlines()[1:]} <= {"lsar", "refill"}
    assert len(paths["clicks"].read_text().splitlines()) == report["declick"]["clicks"] + 1


def test_clean_16_bit_file_round_trips_exactly(tmp_path, clean):
    path = tmp_path / "clean.wav"
    sf.write(path, clean[: 6 * SR], 22050, subtype="PCM_16")
    restore_file(path, tmp_path / "out", _halve)
    original, _ = sf.read(path, dtype="int16")
    restored, _ = sf.read(output_paths(path, tmp_path / "out")["restored"], dtype="int16")
    np.testing.assert_array_equal(restored, original)


def test_model_checkpoint_is_wired_through_chunked_inference(tmp_path, clean, monkeypatch):
    torch = pytest.importorskip("torch")
    from noisekit.denoiser.checkpoint import export_weights
    from noisekit.denoiser.model import ModelConfig, build_model
    from noisekit.pipelines.restore import pick_denoiser

    torch.manual_seed(0)
    cfg = ModelConfig(widths=(4, 6, 8), depth=2, dense_layers=2, early_kernel=3)
    stem = tmp_path / "tiny"
    export_weights({"model": build_model(cfg).state_dict(), "model_config": cfg.to_dict(), "step": 1}, stem)
    denoise_fn, name = pick_denoiser(stem.with_suffix(".safetensors"))
    assert name.startswith("two-stage U-Net")
    stereo = np.stack([clean[: 3 * SR], clean[: 3 * SR] * 0.5])
    result = restore_array(stereo, SR, denoise_fn, RestoreOptions(steps=("denoise",), denoiser_name=name))
    assert result.audio.shape == stereo.shape and np.all(np.isfinite(result.audio))
    assert not np.array_equal(result.audio, stereo)
    monkeypatch.setattr("noisekit.denoiser.checkpoint.shipped_model_path", lambda name="small": None)
    with pytest.raises(ValueError, match="--checkpoint"):
        pick_denoiser(None, "model")
    assert pick_denoiser(None, "auto")[1].startswith("classical LSA")


def test_denoise_cells_are_seamless_and_discard_edge_effects():
    x = np.random.default_rng(3).standard_normal((2, 20 * 1000)).astype(np.float32)
    only = RestoreOptions(steps=("denoise",))
    np.testing.assert_array_equal(restore_array(x, 1000, lambda a, sr: a, only, cell_s=3.0).audio, x)
    np.testing.assert_array_equal(restore_array(x, 1000, lambda a, sr: a * 0.5, only, cell_s=3.0).audio, x * 0.5)

    def edgy(a, sr):  # a denoiser whose first and last 0.25 s are garbage
        y = a.copy()
        y[:, :250] = 0.0
        y[:, -250:] = 0.0
        return y

    out = restore_array(x, 1000, edgy, only, cell_s=3.0).audio  # 1-s margins: the garbage is never kept
    np.testing.assert_array_equal(out[:, 250:-250], x[:, 250:-250])
