import numpy as np
import pytest

from noisekit.denoiser.classical.gate import (
    FEATURES,
    WEIGHTS_PATH,
    GateModel,
    fit_logistic,
    gate_features,
    gate_stretches,
    model_for_rate,
    stretch_bounds,
)
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks
from noisekit.errors import CheckpointError


@pytest.fixture(scope="module")
def model():
    return GateModel.load()


def _noisy(clean, seed, snr_db=12.0, kind="white"):
    noisy = add_noise(clean, coloured_noise(len(clean), kind, seed=seed), snr_db)
    return plant_clicks(noisy, 20, seed=seed)[0]


def test_shipped_model_matches_the_features(model):
    assert WEIGHTS_PATH.is_file()
    assert model.weights.shape == (len(FEATURES),)
    assert gate_features(notes(2.0, seed=1), SR).shape == (len(FEATURES),)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_gate_separates_clean_from_noisy_material(model, seed):
    clean = notes(6.0, seed=seed)
    p_clean = model.probability(gate_features(clean, SR))[0]
    p_white = model.probability(gate_features(_noisy(clean, seed, kind="white"), SR))[0]
    p_pink = model.probability(gate_features(_noisy(clean, seed, kind="pink"), SR))[0]
    assert p_clean < model.threshold < min(p_white, p_pink)


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 48000])
def test_gate_works_at_other_rates(sr):
    model = model_for_rate(sr)
    assert (model.trained_on.find("--low-rate") >= 0) == (sr < 32000)
    clean = notes(6.0, sr=sr, seed=3)
    for kind in ("white", "pink"):
        noisy = add_noise(clean, coloured_noise(len(clean), kind, seed=3), 12.0)
        assert model.probability(gate_features(noisy, sr))[0] > model.threshold
    assert model.probability(gate_features(clean, sr))[0] < model.threshold


def test_fit_logistic_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X[:, 0] - 0.5 * X[:, 2] > 0).astype(int)
    m = fit_logistic(X, y, l2=1e-4)
    assert np.mean((m.probability(X) > 0.5) == y) > 0.97


def test_save_and_load_round_trip(tmp_path, model):
    path = tmp_path / "gate.json"
    model.save(path)
    again = GateModel.load(path)
    np.testing.assert_array_equal(again.weights, model.weights)
    assert again.threshold == model.threshold


def test_load_refuses_other_features(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text('{"features": ["x"], "mean": [0], "scale": [1], "weights": [1], "bias": 0}')
    with pytest.raises(CheckpointError, match="gate.json: gate model was trained on other features"):
        GateModel.load(path)


def test_stretch_bounds_merge_a_short_tail():
    assert stretch_bounds(24 * SR, SR, 10.0) == [(0, 10 * SR), (10 * SR, 24 * SR)]
    assert stretch_bounds(27 * SR, SR, 10.0)[-1] == (20 * SR, 27 * SR)


def test_stretches_of_a_mixed_recording(model):
    clean = notes(24.0, seed=21)
    mixed = clean.copy()
    mixed[12 * SR :] = _noisy(clean[12 * SR :], 22)
    decisions = [s.noisy for s in gate_stretches(mixed, SR, model, stretch_s=6.0)]
    assert decisions == [False, False, True, True]


def test_too_short_recording_is_left_alone(model):
    stretches = gate_stretches(np.zeros(SR // 2, np.float32), SR, model)
    assert len(stretches) == 1 and not stretches[0].noisy
