"""Training: synthetic scenes streamed on the fly (plus optional hand labels), weighted BCE, checkpoints.

Music windows weigh ``music_weight`` times a noise window in the loss: a music window called noise is the
costly mistake (it teaches the denoiser to delete music), a noise window called music only costs recall.
Windows whose ground truth is ambiguous (programme 25–60 dB below the noise: present but not detectable)
are left out of the loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from tqdm import tqdm

from noisekit.classifier.checkpoint import load_model, save_checkpoint
from noisekit.classifier.features import FeatureConfig, n_chunks
from noisekit.classifier.labels import LabelSource
from noisekit.classifier.model import ModelConfig, NoiseCNN, count_parameters
from noisekit.classifier.scenes import (
    ProgrammeTrack,
    Scene,
    draw_case,
    mix_scene,
    render_noise,
    render_track,
    window_targets,
)
from noisekit.classifier.sides import TRAIN_SIDE_SEEDS, SidePool
from noisekit.seeding import rng_for

#: namespace of the training streams' seeds; evaluation sides use noisekit.classifier.evaluate.EVAL_SEED_START up
TRAIN_STREAM = "classifier-train"


@dataclass
class TrainConfig:
    """Everything that defines a training run (recorded in the checkpoint's JSON)."""

    steps: int = 2000
    batch: int = 8  # scenes per step
    scene_s: float = 6.0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 50
    music_weight: float = 3.0
    seed: int = 0
    workers: int = 1
    threads: int = 1
    labels: str | None = None
    labels_fraction: float = 0.5
    init: str | None = None  # checkpoint to start from (fine-tuning)
    checkpoint_every: int = 250
    pool_tracks: int = 96  # rendered programme tracks kept for re-mixing (noises: half as many)
    max_minutes: float | None = None  # wall-clock budget: the schedule follows whichever of steps/time runs out
    side_fraction: float = 0.4  # share of examples cropped from whole synthetic training sides
    model: ModelConfig = field(default_factory=ModelConfig)


class SceneStream(IterableDataset):
    """Endless (audio, window targets) pairs: synthetic scenes and side crops, plus labelled real crops if given."""

    def __init__(self, cfg: TrainConfig, start: int = 0) -> None:
        self.cfg = cfg
        self.start = start
        self.feat: FeatureConfig = cfg.model.features
        self.n = int(round(cfg.scene_s * self.feat.sr))
        w = n_chunks(self.n, self.feat) - self.feat.window_chunks + 1
        self.starts = np.arange(w) * self.feat.hop_s

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        worker, n_workers = (info.id, info.num_workers) if info else (0, 1)
        labels = LabelSource(self.cfg.labels, self.n, self.starts, self.feat) if self.cfg.labels else None
        pool = ScenePool(
            rng_for(self.cfg.seed, TRAIN_STREAM, "pool", self.start, worker),
            self.cfg.scene_s,
            self.feat.sr,
            tracks=self.cfg.pool_tracks,
            noises=max(1, self.cfg.pool_tracks // 2),
        )
        first = TRAIN_SIDE_SEEDS.start + (self.cfg.seed * 50_000 + worker * 5_000 + self.start) % len(TRAIN_SIDE_SEEDS)
        sides = SidePool(rng_for(self.cfg.seed, TRAIN_STREAM, "sides", worker), self.cfg.scene_s, self.feat.sr, first)
        i = self.start * n_workers + worker
        while True:
            rng = rng_for(self.cfg.seed, TRAIN_STREAM, i)
            i += n_workers
            if labels is not None and rng.random() < self.cfg.labels_fraction:
                audio, y = labels.sample(rng)
            elif rng.random() < self.cfg.side_fraction:
                audio, y = sides.draw(rng, self.starts, self.feat.window_s)
            else:
                scene = pool.draw(rng)
                audio, y = scene.audio[: self.n], window_targets(scene, self.starts, self.feat.window_s)
            audio = np.pad(audio, (0, self.n - len(audio)))
            yield torch.from_numpy(np.ascontiguousarray(audio)), torch.from_numpy(y)


class ScenePool:
    """Rendered programme tracks and noises, re-mixed many ways and refreshed gradually.

    Rendering is the slow part of the stream; each example re-mixes a pooled track with a pooled noise
    (random roll, sign, time reversal), an SNR shift of ±6 dB and a fresh transfer chain, and replaces one
    pooled item with a new render now and then, so the stream stays diverse at a fraction of the cost.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        scene_s: float,
        sr: int,
        tracks: int = 96,
        noises: int = 48,
        refresh: float = 0.1,
    ) -> None:
        self.rng, self.scene_s, self.sr, self.refresh = rng, scene_s, sr, refresh
        self.tracks = [self._track() for _ in range(tracks)]
        self.noises = [self._noise() for _ in range(noises)]

    def _track(self) -> ProgrammeTrack:
        return render_track(self.rng, self.scene_s, draw_case(self.rng), self.sr)

    def _noise(self) -> np.ndarray:
        return render_noise(self.rng, int(round(self.scene_s * self.sr)), self.sr)[0]

    def draw(self, rng: np.random.Generator) -> Scene:
        """One freshly mixed labelled scene."""
        if rng.random() < self.refresh:
            self.tracks[int(rng.integers(len(self.tracks)))] = self._track()
        if rng.random() < self.refresh * 0.6:
            self.noises[int(rng.integers(len(self.noises)))] = self._noise()
        track = self.tracks[int(rng.integers(len(self.tracks)))]
        noise = np.roll(self.noises[int(rng.integers(len(self.noises)))], int(rng.integers(self.sr * 3)))
        noise = noise[::-1] if rng.random() < 0.5 else noise
        noise = -noise if rng.random() < 0.5 else noise
        shift = float(rng.uniform(-6, 6)) if track.case != "noise_only" else 0.0
        return mix_scene(rng, track, noise, self.sr, snr_shift_db=shift)


def masked_loss(logits: torch.Tensor, targets: torch.Tensor, music_weight: float) -> torch.Tensor:
    """Weighted BCE over windows with a defined target (NaN targets are ignored)."""
    mask = ~torch.isnan(targets)
    if not mask.any():
        return logits.sum() * 0.0
    y = targets[mask]
    w = torch.where(y > 0.5, torch.ones_like(y), torch.full_like(y, music_weight))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[mask], y, weight=w, reduction="sum")
    return loss / w.sum()


def _progress(step: int, elapsed_s: float, cfg: TrainConfig) -> float:
    """Fraction of the run done: by steps, or by the wall-clock budget if that is further along."""
    frac = step / max(1, cfg.steps)
    if cfg.max_minutes:
        frac = max(frac, elapsed_s / (60.0 * cfg.max_minutes))
    return frac


def _lr_at(step: int, frac: float, cfg: TrainConfig) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 5 % of the peak at the end of the run."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


@dataclass
class TrainResult:
    """What a training run produced."""

    out_dir: Path
    steps: int
    first_loss: float
    last_loss: float
    seconds: float
    losses: list[float]


def build_model(cfg: TrainConfig) -> NoiseCNN:
    """A fresh model, or the one in ``cfg.init`` (fine-tuning keeps its architecture)."""
    if cfg.init:
        model, _ = load_model(cfg.init)
        cfg.model = model.cfg
        return model
    return NoiseCNN(cfg.model)


def train(cfg: TrainConfig, out_dir: str | Path, command: str = "", progress: bool = True) -> TrainResult:
    """Train for ``cfg.steps`` steps (or ``cfg.max_minutes``), writing the checkpoint to ``out_dir`` as it goes."""
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loader = DataLoader(
        SceneStream(cfg),
        batch_size=cfg.batch,
        num_workers=cfg.workers,
        persistent_workers=cfg.workers > 0,
        prefetch_factor=4 if cfg.workers else None,
    )
    losses: list[float] = []
    t0 = time.time()
    bar = tqdm(total=cfg.steps, desc="train classifier", unit="step", disable=not progress)
    meta = {
        "command": command,
        "train": {k: v for k, v in asdict(cfg).items() if k != "model"},
        "parameters": count_parameters(model),
        "logit_bias": math.log(cfg.music_weight),
    }
    for step, (audio, y) in enumerate(loader):
        frac = _progress(step, time.time() - t0, cfg)
        if frac >= 1.0:
            break
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, frac, cfg)
        loss = masked_loss(model.window_logits(audio), y, cfg.music_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        losses.append(float(loss.detach()))
        bar.update(1)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0:
            save_checkpoint(model.eval(), out_dir, {**meta, "steps_done": step + 1})
            model.train()
    bar.close()
    seconds = time.time() - t0
    meta.update(
        steps_done=len(losses),
        train_seconds=round(seconds, 1),
        final_loss=float(np.mean(losses[-50:])) if losses else None,
    )
    save_checkpoint(model.eval(), out_dir, meta)
    first = float(np.mean(losses[:10])) if losses else float("nan")
    last = float(np.mean(losses[-10:])) if losses else float("nan")
    return TrainResult(Path(out_dir), len(losses), first, last, seconds, losses)
