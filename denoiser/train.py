"""Training loop of the two-stage U-Net: resumable exactly, CPU or GPU, one process or many (torchrun/DDP).

Example ``k`` of step ``s`` on rank ``r`` of ``W`` processes is dataset index ``(s·W + r)·B + k``, so the
data a step sees depends only on the seed and the step: a resumed run, a run with more workers and a
DDP run over W×B examples all see the same examples as a single process would.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Sampler
from tqdm import tqdm

from noisekit.datadir import DataDir
from noisekit.denoiser.checkpoint import load_checkpoint, load_model, save_checkpoint, shipped_model_path
from noisekit.denoiser.data import MIX_PRESETS, MixConfig, open_split
from noisekit.denoiser.model import ModelConfig, TwoStageUNet, preset
from noisekit.denoiser.runlog import RunLog
from noisekit.denoiser.stft import wave_to_spec
from noisekit.denoiser.validation import fixed_set, mae_loss, validate_model
from noisekit.errors import NoisekitError

# What the paper's recipe changes in TrainConfig's defaults (which are the short-crop CPU recipe of `small`).
PRESET_RECIPES: dict[str, dict] = {
    "small": {},
    "paper": {"crop_s": 5.0, "batch_size": 8, "steps": 300_000, "val_crop_s": 5.0, "lr": 1e-4},
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint)."""

    preset: str = "small"
    steps: int = 20_000
    batch_size: int = 4
    lr: float = 5e-4
    betas: tuple[float, float] = (0.5, 0.9)
    lr_step: int = 100_000
    lr_gamma: float = 0.1
    crop_s: float = 0.4
    val_crop_s: float = 3.0
    noise: str = "gramophone"  # mix preset: SNR/gain ranges
    snr_db: tuple[float, float] | None = None  # None: the mix preset's range
    gain_db: tuple[float, float] | None = None
    rumble_share: float = 0.0  # training examples whose noise gets added rumble (MixConfig); validation never
    kinds: tuple[str, ...] = ("gramophone",)
    devices: tuple[str, ...] = ()
    seed: int = 0
    ckpt_every: int = 500
    val_every: int = 500
    val_examples: int = 32
    log_every: int = 10
    workers: int = 1
    max_seconds: float | None = None  # stop (and checkpoint) after this much wall time of the run
    max_cpu_seconds: float | None = None  # ... or CPU time (fair on a shared machine); both count resumes
    model: dict = field(default_factory=dict)  # ModelConfig overrides of the preset

    def model_config(self) -> ModelConfig:
        """The preset's model config with this run's overrides."""
        return replace(preset(self.preset), **self.model) if self.model else preset(self.preset)

    def mix_config(self, validation: bool = False) -> MixConfig:
        """Crop, SNR, gain and rumble share of the training mixtures (validation: the fixed set, never rumble)."""
        base = MIX_PRESETS[self.noise]
        snr_lo, snr_hi = self.snr_db or base.snr_db  # a config file may give lists
        gain_lo, gain_hi = self.gain_db or base.gain_db
        return MixConfig(
            crop_s=self.val_crop_s if validation else self.crop_s,
            snr_db=(snr_lo, snr_hi),
            gain_db=(gain_lo, gain_hi),
            rumble_share=0.0 if validation else self.rumble_share,
        )

    def to_dict(self) -> dict:
        """Plain-JSON form for checkpoints."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Inverse of :meth:`to_dict`."""
        tuples = {"betas", "snr_db", "gain_db", "kinds", "devices"}
        values: dict[str, Any] = {k: tuple(v) if k in tuples and v is not None else v for k, v in d.items()}
        return cls(**values)


def train_config(preset_name: str = "small", **overrides) -> TrainConfig:
    """A TrainConfig with the preset's recipe, then ``overrides`` (None values are ignored)."""
    if preset_name not in PRESET_RECIPES:
        raise NoisekitError(f"unknown preset {preset_name!r}; choose one of {sorted(PRESET_RECIPES)}")
    values = {**PRESET_RECIPES[preset_name], **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(preset=preset_name, **values)


class StepBatches(Sampler):
    """Batches of dataset indices for steps ``start..stop-1`` of one rank (see the module docstring)."""

    def __init__(self, start: int, stop: int, batch: int, rank: int = 0, world: int = 1) -> None:
        self.start, self.stop, self.batch, self.rank, self.world = start, stop, batch, rank, world

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)

    def __iter__(self):
        for s in range(self.start, self.stop):
            first = (s * self.world + self.rank) * self.batch
            yield list(range(first, first + self.batch))


def initial_weights(init: str | Path | None, preset_name: str) -> Path | None:
    """The weights a new run starts from: None, a checkpoint path, or 'shipped' (denoiser/weights/<preset>)."""
    if init is None or str(init) != "shipped":
        return Path(init) if init is not None else None
    path = shipped_model_path(preset_name)
    if path is None:
        raise NoisekitError(f"no shipped weights for preset '{preset_name}' in denoiser/weights/")
    return path


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` means CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise NoisekitError("--device cuda was asked for but no CUDA device is available")
    return torch.device(name)


def _dist_setup(device: torch.device) -> tuple[int, int, torch.device, bool]:
    """Join the torchrun process group when WORLD_SIZE > 1; returns (rank, world, device, joined here)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device, False
    import torch.distributed as dist

    joined = not dist.is_initialized()
    if joined:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device, joined


def _lr_lambda(cfg: TrainConfig):
    return lambda step: cfg.lr_gamma ** (step // cfg.lr_step)


def _over(limit: float | None, used: float) -> bool:
    return limit is not None and used >= limit


def _agree(flag: bool, world: int, dev: torch.device) -> bool:
    """True on every rank when it is true on any (so that all ranks stop at the same step)."""
    if world <= 1:
        return flag
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0], device=dev)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


@dataclass
class TrainResult:
    """What a run ended with."""

    out: Path
    step: int
    last_loss: float
    val: dict
    steps_per_s: float
    checkpoint: Path


class Trainer:
    """A run's model, optimiser and schedule on one device, and its one training step (the benchmark's too).

    ``state`` (a checkpoint) resumes it exactly; otherwise ``init`` names weights to start from.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        dev: torch.device,
        world: int = 1,
        init: str | Path | None = None,
        state: dict | None = None,
    ) -> None:
        torch.manual_seed(cfg.seed)
        model = TwoStageUNet(cfg.model_config())
        if state is None and init is not None:
            start_from = load_model(init)
            if start_from.config != cfg.model_config():
                msg = f"{init}: its model config differs from preset '{cfg.preset}'; cannot start from it"
                raise NoisekitError(msg)
            model.load_state_dict(start_from.model.state_dict())
        self.cfg, self.dev = cfg, dev
        # Module.to takes memory_format at run time; torch's overloads leave it out
        self.model = model.to(dev, memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr, betas=cfg.betas)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, _lr_lambda(cfg))
        self.start, self.used = 0, {"wall_s": 0.0, "cpu_s": 0.0}
        if state is not None:
            self.used = {k: float(v) for k, v in state.get("usage", self.used).items()}
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            self.sched.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["rng"]["torch"])
            self.start = int(state["step"])
        self.net: torch.nn.Module = self.model
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(self.model, device_ids=[dev.index] if dev.type == "cuda" else None)
        self.model.train()

    def step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """One optimisation step on a batch of (noisy, clean) waveforms; returns its loss."""
        x, y = x.to(self.dev, non_blocking=True), y.to(self.dev, non_blocking=True)
        stft = self.model.cfg.stft
        spec_x = wave_to_spec(x, stft).contiguous(memory_format=torch.channels_last)
        spec_y = wave_to_spec(y, stft)
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.dev.type == "cuda"):
            y2, y1 = self.net(spec_x)
        loss = mae_loss(y2, y1, spec_y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return float(loss.detach())

    def state(self, step: int, usage: dict) -> dict:
        """Everything a checkpoint needs to resume exactly after ``step``."""
        return {
            "model_config": self.cfg.model_config().to_dict(),
            "train_config": self.cfg.to_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(),
            "rng": {"torch": torch.get_rng_state()},
            "step": step,
            "usage": usage,
        }


def _resume_state(out: Path, cfg: TrainConfig, resume: bool, main: bool) -> tuple[dict | None, TrainConfig]:
    """The checkpoint to resume and the run's config: the saved one, with this call's length and limits."""
    ckpt_path = out / "last.pt"
    if resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        saved = TrainConfig.from_dict(state["train_config"])
        if saved.model_config() != cfg.model_config():
            raise NoisekitError(f"{ckpt_path}: its model config differs from the requested one")
        keep = {k: getattr(cfg, k) for k in ("steps", "max_seconds", "max_cpu_seconds", "workers")}
        return state, replace(saved, **keep)
    if main and ckpt_path.exists():
        raise NoisekitError(f"{out}: a run already exists there; pass --resume to continue it")
    return None, cfg


def _data(data, cfg: TrainConfig, start: int, rank: int, world: int, dev: torch.device, main: bool):
    """The loader of this rank's training batches from ``start``, and (on the main rank) the validation set."""
    train_ds = open_split(data, "train", cfg.mix_config(), cfg.seed, cfg.kinds, cfg.devices)
    loader = DataLoader(
        train_ds,
        batch_sampler=StepBatches(start, cfg.steps, cfg.batch_size, rank, world),
        num_workers=cfg.workers,
        pin_memory=dev.type == "cuda",
    )
    val_set = None
    if main and cfg.val_examples > 0:
        val_ds = open_split(data, "valid", cfg.mix_config(validation=True), cfg.seed, cfg.kinds, cfg.devices)
        val_set = fixed_set(val_ds, cfg.val_examples)
    return loader, val_set


def _checkpoint(out: Path, state: dict) -> Path:
    """Write ``step-N.pt`` and ``last.pt``."""
    save_checkpoint(out / f"step-{state['step']:08d}.pt", state)
    return save_checkpoint(out / "last.pt", state)


def train(
    data: DataDir | str | Path,
    out: str | Path,
    cfg: TrainConfig,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
    init: str | Path | None = None,
) -> TrainResult:
    """Train (or resume) a run in ``out``: checkpoints ``last.pt`` and ``step-N.pt``, ``log.csv``.

    ``init`` starts a new run from the weights of another model (fine-tuning), e.g. the shipped ``small``.
    """
    out = Path(out)
    rank, world, dev, joined = _dist_setup(pick_device(device))
    main = rank == 0
    state, cfg = _resume_state(out, cfg, resume, main)
    tr = Trainer(cfg, dev, world, init, state)
    loader, val_set = _data(data, cfg, tr.start, rank, world, dev, main)
    log = RunLog(out, enabled=main, resume_step=tr.start if state is not None else None)
    t0, c0, step, loss_v, val = time.monotonic(), time.process_time(), tr.start, math.nan, {}

    def usage() -> dict:
        wall, cpu = tr.used["wall_s"] + time.monotonic() - t0, tr.used["cpu_s"] + time.process_time() - c0
        return {"wall_s": wall, "cpu_s": cpu}

    bar = tqdm(total=cfg.steps, initial=tr.start, disable=not (progress and main), unit="step", dynamic_ncols=True)
    for step, (x, y) in enumerate(loader, start=tr.start + 1):
        loss_v = tr.step(x, y)
        if not math.isfinite(loss_v):
            raise NoisekitError(f"{out}: the loss became {loss_v} at step {step}; lower the learning rate")
        rate = (step - tr.start) / max(time.monotonic() - t0, 1e-9)
        bar.update(1)
        bar.set_postfix(loss=f"{loss_v:.4f}", steps_s=f"{rate:.2f}")
        now = usage()
        timed_out = _agree(
            _over(cfg.max_seconds, now["wall_s"]) or _over(cfg.max_cpu_seconds, now["cpu_s"]), world, dev
        )
        last = step == cfg.steps or timed_out
        row = {"step": step, "loss": loss_v, "lr": tr.sched.get_last_lr()[0], "steps_per_s": rate}
        if val_set is not None and (step % cfg.val_every == 0 or last):
            val = validate_model(tr.model, val_set, cfg.batch_size, dev)
            row.update(val)
            bar.write(f"step {step}: val_loss {val['val_loss']:.4f}  val ΔSNR {val['val_dsnr']:.2f} dB")
        if main and (step % cfg.ckpt_every == 0 or last):
            _checkpoint(out, tr.state(step, usage()))
        log.add(row, force=step % cfg.log_every == 0 or last or "val_loss" in row)
        if timed_out:
            break
    bar.close()
    log.close()
    rate = (step - tr.start) / max(time.monotonic() - t0, 1e-9)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        if joined:
            dist.destroy_process_group()
    return TrainResult(out, step, loss_v, val, rate, out / "last.pt")
