"""The prepared device-machine training run, on the CPU: pack within a budget, train for a time budget, bring the
weights back in shards that fit the return limits, and join them into weights `--checkpoint` loads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from denoiser_helpers import TINY, make_datadir

from noisekit.datadir import DataDir
from noisekit.denoiser.checkpoint import load_model
from noisekit.denoiser.data import noise_clips
from noisekit.denoiser.model import TwoStageUNet, preset
from noisekit.manifests import read_manifest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gpu_train", ROOT / "benchmarks" / "gpu_train.py")
gpu_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_train)


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("gpu-pack")
    data = make_datadir(root / "data", clean_seconds=3.0)
    return root / "pack", gpu_train.pack(data.root, root / "pack", max_mib=1.0, music_s=1.0)


def test_pack_stays_within_its_budget_and_trains_as_a_data_directory(packed) -> None:
    pack_dir, sizes = packed
    on_disk = sum(p.stat().st_size for p in pack_dir.rglob("*") if p.is_file()) / 2**20
    assert on_disk < 1.0 and sizes["total_mib"] > 0
    clean = read_manifest(DataDir(pack_dir), "clean").to_pylist()
    assert {r["split"] for r in clean} == {"train", "valid"}  # no test split travels
    assert all(r["channels"] == 1 and r["duration_s"] == pytest.approx(1.0) for r in clean)
    assert len(noise_clips(DataDir(pack_dir), "train", ("gramophone", "tape"))) == 4


def test_train_writes_returnable_shards_that_join_into_loadable_weights(packed, tmp_path) -> None:
    pack_dir, _ = packed
    over = {"crop_s": 0.1, "val_crop_s": 0.2, "batch_size": 2, "val_examples": 2, "workers": 0, "steps": 10**6}
    meta = gpu_train.train_pack(pack_dir, tmp_path / "out", 0.05, "small", "cpu", model=TINY.to_dict(), **over)
    assert 1 <= meta["step"] < 10**6 and meta["dtype"] == "float32" and "val_dsnr" in meta["val"]
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["run.json", "weights-0.safetensors"] and json.loads((tmp_path / "out/run.json").read_text())
    st, _ = gpu_train.join(tmp_path / "out", tmp_path / "joined" / "tiny")
    loaded = load_model(st)
    trained = torch.load(pack_dir / "run" / "last.pt", weights_only=True)["model"]
    for name, tensor in loaded.model.state_dict().items():
        assert torch.equal(tensor, trained[name]), name


def test_shards_and_dtype_fit_the_return_limits() -> None:
    half = TwoStageUNet(preset("paper").__class__(**{**preset("paper").to_dict(), "widths": gpu_train.HALF_PAPER}))
    tensors = dict(half.state_dict())
    params = sum(t.numel() for t in tensors.values())
    dtype = gpu_train.return_dtype(params)
    groups = gpu_train._shards({k: v.to(dtype) for k, v in tensors.items()})
    mib = [sum(t.numel() * t.element_size() for t in g.values()) / 2**20 for g in groups]
    assert len(groups) <= gpu_train.RETURN_FILES and max(mib) <= 16.0 and sum(mib) < 63.0
    with pytest.raises(SystemExit, match="do not come back"):
        gpu_train.return_dtype(sum(p.numel() for p in TwoStageUNet(preset("paper")).parameters()))
