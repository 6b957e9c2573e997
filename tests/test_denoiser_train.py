"""Tests of the training loop: exact resume, checkpoints and logs, DDP over two gloo processes, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from denoiser_helpers import TINY, make_datadir

from noisekit.denoiser.checkpoint import load_checkpoint
from noisekit.denoiser.train import StepBatches, TrainConfig, train, train_config
from noisekit.errors import NoisekitError

ROOT = Path(__file__).resolve().parents[1]


def _cfg(steps: int, **kw) -> TrainConfig:
    base = {
        "crop_s": 0.1,
        "val_crop_s": 0.2,
        "batch_size": 2,
        "val_examples": 2,
        "val_every": 5,
        "ckpt_every": 5,
        "log_every": 1,
        "workers": 0,
        "model": TINY.to_dict(),
    }
    return train_config("small", steps=steps, **{**base, **kw})


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_datadir(tmp_path_factory.mktemp("denoiser-train"))


def test_twenty_steps_equal_ten_plus_resume_plus_ten(data, tmp_path) -> None:
    straight = train(data, tmp_path / "a", _cfg(20), progress=False)
    train(data, tmp_path / "b", _cfg(10), progress=False)
    resumed = train(data, tmp_path / "b", _cfg(20), resume=True, progress=False)
    assert straight.step == resumed.step == 20
    wa = load_checkpoint(tmp_path / "a" / "last.pt")["model"]
    wb = load_checkpoint(tmp_path / "b" / "last.pt")["model"]
    for name, tensor in wa.items():
        assert torch.allclose(tensor, wb[name], atol=1e-6), name
    rows = _rows(tmp_path / "b" / "log.csv")
    assert [int(r["step"]) for r in rows] == list(range(1, 21))  # no duplicated or lost rows
    assert rows[-1]["val_dsnr"] != ""


def test_checkpoint_holds_everything_needed_to_resume(data, tmp_path) -> None:
    train(data, tmp_path / "r", _cfg(5), progress=False)
    state = load_checkpoint(tmp_path / "r" / "step-00000005.pt")
    assert state["step"] == 5
    assert {"model_config", "train_config", "model", "optimizer", "scheduler", "rng"} <= set(state)
    assert state["optimizer"]["param_groups"][0]["betas"] == (0.5, 0.9)
    with pytest.raises(NoisekitError, match="--resume"):
        train(data, tmp_path / "r", _cfg(6), progress=False)


def test_learning_rate_drops_tenfold_every_lr_step(data, tmp_path) -> None:
    train(data, tmp_path / "lr", _cfg(6, lr=1e-3, lr_step=3, val_examples=0), progress=False)
    rows = _rows(tmp_path / "lr" / "log.csv")
    lrs = [float(r["lr"]) for r in rows]
    assert lrs[0] == pytest.approx(1e-3) and lrs[3] == pytest.approx(1e-4) and lrs[5] == pytest.approx(1e-5)


def test_step_batches_partition_examples_across_ranks() -> None:
    single = list(StepBatches(0, 3, 4))
    r0, r1 = list(StepBatches(0, 3, 2, rank=0, world=2)), list(StepBatches(0, 3, 2, rank=1, world=2))
    assert [a + b for a, b in zip(r0, r1, strict=True)] == single
    assert list(StepBatches(2, 3, 4)) == single[2:]


def test_two_process_gloo_run_equals_one_process_with_the_whole_batch(data, tmp_path) -> None:
    args = [
        "--data",
        str(data.root),
        "--preset",
        "small",
        "--steps",
        "3",
        "--crop",
        "0.1",
        "--val-examples",
        "0",
        "--workers",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",
        "--seed",
        "4",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "noisekit",
        "train",
        "--out",
        str(tmp_path / "ddp"),
        "--batch-size",
        "1",
        *args,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    one = train_config("small", steps=3, crop_s=0.1, val_examples=0, workers=0, seed=4, batch_size=2)
    train(data, tmp_path / "one", one, progress=False)
    wd = load_checkpoint(tmp_path / "ddp" / "last.pt")["model"]
    w1 = load_checkpoint(tmp_path / "one" / "last.pt")["model"]
    diffs = [float((wd[k] - w1[k]).abs().max()) for k in w1]
    assert max(diffs) < 1e-5
    assert max(diffs) >= 0.0 and any(float((wd[k]).abs().sum()) > 0 for k in wd)


def test_cli_describe_needs_no_data() -> None:
    from noisekit.commands.train import train_command

    result = CliRunner().invoke(train_command, ["--describe", "--preset", "paper"])
    assert result.exit_code == 0, result.output
    assert "parameters: 71,408,196" in result.output and "multiply-adds per second" in result.output
    result = CliRunner().invoke(train_command, ["--preset", "small"])
    assert result.exit_code != 0 and "--data and --out" in result.output


def test_time_budget_stops_the_run_with_a_checkpoint(data, tmp_path) -> None:
    result = train(data, tmp_path / "t", _cfg(50, max_cpu_seconds=0.0, val_examples=0), progress=False)
    assert result.step == 1
    state = load_checkpoint(tmp_path / "t" / "last.pt")
    assert state["step"] == 1 and state["usage"]["cpu_s"] > 0 and state["usage"]["wall_s"] > 0
    # the budget counts the time already used: a resumed run over budget stops after one more step
    again = train(
        data,
        tmp_path / "t",
        _cfg(50, max_seconds=state["usage"]["wall_s"], val_examples=0),
        resume=True,
        progress=False,
    )
    assert again.step == 2


def test_cli_trains_and_exports_weights(data, tmp_path) -> None:
    from noisekit.cli import main

    args = [
        "train",
        "--data",
        str(data.root),
        "--out",
        str(tmp_path / "run"),
        "--steps",
        "2",
        "--crop",
        "0.1",
        "--val-examples",
        "1",
        "--val-every",
        "2",
        "--workers",
        "0",
        "--snr",
        "5",
        "10",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "trained small to step 2" in result.output and "val ΔSNR" in result.output
    state = load_checkpoint(tmp_path / "run" / "last.pt")
    assert tuple(state["train_config"]["snr_db"]) == (5.0, 10.0)
    result = CliRunner().invoke(main, ["train", "--export", str(tmp_path / "run" / "last.pt"), str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    from noisekit.denoiser.checkpoint import load_model

    assert load_model(tmp_path / "w.safetensors").step == 2
    bad = CliRunner().invoke(main, args[:5] + ["--snr", "10", "5"])
    assert bad.exit_code != 0 and "low end is above" in bad.output


def test_dataloader_workers_do_not_change_the_run(data, tmp_path) -> None:
    train(data, tmp_path / "w0", _cfg(2, val_examples=0, workers=0), progress=False)
    train(data, tmp_path / "w2", _cfg(2, val_examples=0, workers=2), progress=False)
    a = load_checkpoint(tmp_path / "w0" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "w2" / "last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_new_run_can_start_from_trained_weights(data, tmp_path) -> None:
    train(data, tmp_path / "base", _cfg(3), progress=False)
    base = load_checkpoint(tmp_path / "base" / "last.pt")["model"]
    train(data, tmp_path / "tuned", _cfg(1, lr=0.0), progress=False, init=tmp_path / "base" / "last.pt")
    tuned = load_checkpoint(tmp_path / "tuned" / "last.pt")["model"]
    assert all(torch.equal(base[name], tuned[name]) for name in base)  # lr 0: still the initial weights
    fresh = train(data, tmp_path / "fresh", _cfg(1, lr=0.0), progress=False)
    assert not all(torch.equal(base[k], load_checkpoint(fresh.checkpoint)["model"][k]) for k in base)
    with pytest.raises(NoisekitError, match="model config differs"):
        train(
            data,
            tmp_path / "bad",
            train_config("small", steps=1, workers=0),
            progress=False,
            init=tmp_path / "base" / "last.pt",
        )


def test_rumble_reaches_the_training_mixtures_but_never_the_fixed_validation_set() -> None:
    from noisekit.denoiser.train import TrainConfig, train_config
    from noisekit.pipelines.options import TrainOptions

    cfg = train_config("small", **TrainOptions(rumble_share=0.4).overrides())
    assert cfg.mix_config().rumble_share == 0.4 and cfg.mix_config(validation=True).rumble_share == 0.0
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    old = {k: v for k, v in TrainConfig().to_dict().items() if k != "rumble_share"}  # a checkpoint from before
    assert TrainConfig.from_dict(old).rumble_share == 0.0
