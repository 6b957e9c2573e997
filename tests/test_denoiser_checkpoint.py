"""Tests of checkpoint safety: round trips, weights_only refusal of pickled code, tampered or swapped weights."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from denoiser_helpers import TINY

from noisekit.denoiser.checkpoint import (
    export_weights,
    load_checkpoint,
    load_model,
    save_checkpoint,
    shipped_model_path,
)
from noisekit.denoiser.model import TwoStageUNet
from noisekit.errors import CheckpointError


def _state(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    model = TwoStageUNet(TINY)
    return {"model_config": TINY.to_dict(), "model": model.state_dict(), "step": 7}


class _Evil:
    def __reduce__(self):
        return (print, ("this code must never run",))


def test_checkpoint_round_trip_gives_the_same_outputs(tmp_path) -> None:
    state = _state()
    save_checkpoint(tmp_path / "c.pt", state)
    loaded = load_model(tmp_path / "c.pt")
    ref = TwoStageUNet(TINY)
    ref.load_state_dict(state["model"])
    x = torch.randn(1, 2, 5, 1025)
    assert loaded.step == 7 and loaded.config == TINY
    assert torch.equal(loaded.model(x)[0], ref.eval()(x)[0])


def test_pickled_code_is_refused(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "noisekit-denoiser", "version": 1, "payload": _Evil()}, path)
    with pytest.raises(CheckpointError, match="refused by weights_only"):
        load_checkpoint(path)
    path.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_checkpoint(path)


def test_foreign_and_missing_checkpoints_are_refused(tmp_path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a noisekit-denoiser checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "absent.pt")


def test_safetensors_export_loads_and_detects_tampering(tmp_path) -> None:
    st, js = export_weights(_state(), tmp_path / "small")
    loaded = load_model(st)
    assert loaded.config == TINY and loaded.step == 7
    # swap in other weights of the same shapes: the checksum in the JSON no longer matches
    export_weights(_state(seed=1), tmp_path / "other")
    st.write_bytes((tmp_path / "other.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="SHA-256 does not match"):
        load_model(st)


def test_config_and_weights_must_agree(tmp_path) -> None:
    st, js = export_weights(_state(), tmp_path / "m")
    meta = json.loads(js.read_text())
    meta["model_config"]["widths"] = [4, 6, 10]
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not match the model config"):
        load_model(st)
    js.write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_model(st)
    js.unlink()
    with pytest.raises(CheckpointError, match="needs both"):
        load_model(st)


def test_shipped_model_path_is_none_or_a_complete_pair() -> None:
    path = shipped_model_path("small")
    assert path is None or (path.is_file() and path.with_suffix(".json").is_file())
    assert shipped_model_path("no-such-model") is None


@pytest.mark.skipif(shipped_model_path("small") is None, reason="no shipped weights in denoiser/weights/")
def test_shipped_small_model_removes_synthetic_disc_noise() -> None:
    from denoiser_helpers import tone

    from noisekit.denoiser.model import preset
    from noisekit.denoiser.validation import delta_snr
    from noisekit.seeding import rng_for
    from noisekit.synth.gramophone import draw_gramophone_params, render_gramophone_noise
    from noisekit.synth.mix import mix_at_snr

    loaded = load_model(shipped_model_path("small"))
    assert loaded.config == preset("small")
    rng = rng_for(0, "shipped-test")
    noise = render_gramophone_noise(draw_gramophone_params(rng), 2.0, 44100, rng)[0]
    clean = tone(262.0, 2.0)[0]
    noisy, _ = mix_at_snr(clean, noise, 10.0)
    with torch.no_grad():
        out = loaded.model.denoise_wave(torch.from_numpy(noisy)[None])[0].numpy()
    assert delta_snr(clean, noisy, out) > 3.0  # measured +6.9 dB when the weights were shipped
