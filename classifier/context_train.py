"""Training of the side-context stage on whole synthetic training sides, over a frozen window CNN.

Each training side (seeds from ``noisekit.classifier.sides.TRAIN_SIDE_SEEDS``, never the tuning or evaluation
seeds) is rendered once and passed through ``variants`` random transfer chains and gains; the frozen window
CNN turns each into per-window features (``noisekit.classifier.context.window_features``), labelled by the side's
audible truth by default (a window is noise only where no programme comes within 30 dB of the surface
noise in any band: ``noisekit.synth.audibility``), or by its exact truth (no programme sample at all).
Whole files of the scene generator (``noisekit.classifier.scenes``: noise only, and each hard case, 20 to 120 s)
are mixed in, so that the stage also knows files that are all noise (blank tape, silent grooves)
or that do not have a side's run-in/programme/run-out shape. With ``material`` (a noisekit data directory),
sides of real programme from the TRAIN split of its material manifest are added
(:func:`noisekit.classifier.material_sides.build_side`: real music, speech and effects under the project's
and the independent noise model; the real Air_Bach run-in is kept for validation), labelled by their audible
truth. Only the context stage learns; the window CNN's weights are copied unchanged into the result, and
``init="base"`` starts the stage from the base checkpoint's own (a fine-tune) instead of from scratch.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from noisekit.classifier.checkpoint import load_model, save_checkpoint
from noisekit.classifier.combine import window_digest
from noisekit.classifier.context import ContextConfig, chunk_bands, window_features
from noisekit.classifier.metrics import window_labels
from noisekit.classifier.model import ModelConfig, NoiseCNN, count_parameters
from noisekit.classifier.scenes import transfer_chain
from noisekit.classifier.sides import TRAIN_SIDE_SEEDS
from noisekit.classifier.train import masked_loss
from noisekit.errors import ConfigError
from noisekit.fsutil import atomic_path
from noisekit.seeding import rng_for

CONTEXT_STREAM = "classifier-context"
MATERIAL_SEED_START = 7_000_000  # build_side seeds of training material sides (the harness uses 0..)
MATERIAL_MODELS = ("project", "independent")  # the real Air_Bach loop stays out of training
MATERIAL_LAYOUTS = ((1, "full"), (2, "full"), (1, "acoustic"), (2, "lowpass"))  # (channels, band)
#: labels of material sides: noise only where no programme comes within 30 dB (audible) or 20 dB (audible20)
#: of the noise in any band; the cross-source harness scores purity both ways
MATERIAL_TRUTHS = ("audible", "audible20")


@dataclass
class ContextTrainConfig:
    """Everything that defines a context-stage run (recorded in the checkpoint's JSON)."""

    sides: int = 480
    first_seed: int = 100_000  # inside TRAIN_SIDE_SEEDS
    variants: int = 3  # transfer chains per rendered side
    short_sides: int = 0  # more sides (seeds after the others) squeezed into 25-90 s each
    scenes: int = 480  # whole scene files (noisekit.classifier.scenes), one transfer chain each
    steps: int = 4000
    batch: int = 8  # files per step
    crop_windows: int = 480  # 2 min; longer files are cropped at random
    lr: float = 2e-3
    weight_decay: float = 1e-3
    music_weight: float = 3.0
    seed: int = 0
    truth: str = "audible"  # window labels from SyntheticSide.truth: "audible" or "exact"
    material: str | None = None  # data directory whose material manifest's TRAIN split gives real programme
    material_sides: int = 0  # sides of real programme (packages in turn, MATERIAL_MODELS in turn)
    exclude_packages: tuple[str, ...] = ()  # material packages left out (leave-one-source-out folds)
    material_share: float = 0.0  # files of a batch drawn from the material sides; 0: every file equally likely
    material_truth: str = "audible"  # labels of the material sides: MATERIAL_TRUTHS
    init: str = "fresh"  # "fresh" context stage, or "base": start from the base checkpoint's stage
    workers: int = 1
    threads: int = 1
    context: ContextConfig = field(default_factory=ContextConfig)


def file_features(model: NoiseCNN, audio: np.ndarray, ctx: ContextConfig) -> torch.Tensor:
    """Context-stage inputs (windows, F) of one mono 44.1-kHz file through the frozen window CNN."""
    with torch.inference_mode():
        patches, levels = model.frontend(torch.from_numpy(np.asarray(audio, np.float32))[None])
        emb = model.embed_chunks(patches)
        logits = model.classify_chunks(emb, levels)
        bands = chunk_bands(patches, levels, ctx.bands)
        return window_features(logits[0], emb[0], bands[0], model.cfg.features.window_chunks)


def _side_examples(args: tuple, base: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) for ``variants`` transfer chains of training side ``seed``, at its drawn length or
    squeezed into ``duration_s`` when the job gives one (runs in a worker)."""
    from noisekit.synth.side import synth_side

    seed, variants, truth, ctx_dict, *duration_s = args
    torch.set_num_threads(1)
    model, _ = load_model(base)
    ctx = ContextConfig.from_dict(ctx_dict)
    side = synth_side(seed, duration_s=duration_s[0] if duration_s else None, channels=1)
    clean = np.asarray(side.audio, dtype=np.float64)[0]
    noise_only = side.truth(truth)
    cfg = model.cfg.features
    out = []
    for v in range(variants):
        rng = rng_for(seed, CONTEXT_STREAM, v)
        x = transfer_chain(rng, clean * 10.0 ** (rng.uniform(-20, 10) / 20.0), side.sr)
        x *= min(1.0, 0.99 / max(float(np.max(np.abs(x))), 1e-12))
        feats = file_features(model, x.astype(np.float32), ctx).numpy()
        starts = np.arange(len(feats)) * cfg.hop_s
        labels = window_labels(starts, cfg.window_s, noise_only).astype(np.float32)
        out.append((feats, labels))
    return out


def short_side_s(seed: int) -> float:
    """The length (25 to 90 s) that short training side ``seed`` is squeezed into: a side's layout shrinks
    to fit (shorter run-in, pauses and run-out, compressed pieces), a shape the drawn lengths rarely give."""
    return round(float(rng_for(seed, CONTEXT_STREAM, "short-length").uniform(25.0, 90.0)), 2)


def _scene_example(args: tuple[int, dict], base: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, targets) of one scene file drawn from ``index`` of the context stream (runs in a worker)."""
    from noisekit.classifier.scenes import draw_scene, window_targets

    index, ctx_dict = args
    torch.set_num_threads(1)
    model, _ = load_model(base)
    rng = rng_for(index, CONTEXT_STREAM, "scene")
    scene = draw_scene(rng, float(rng.uniform(20.0, 120.0)))
    feats = file_features(model, scene.audio.astype(np.float32), ContextConfig.from_dict(ctx_dict)).numpy()
    cfg = model.cfg.features
    return [(feats, window_targets(scene, np.arange(len(feats)) * cfg.hop_s, cfg.window_s))]


@lru_cache(maxsize=2)
def _train_pool(material: str) -> dict:
    """The TRAIN split's programme clips of data directory ``material``, by package (read once per process)."""
    from noisekit.classifier.material_sides import programme_pool
    from noisekit.datadir import DataDir
    from noisekit.manifests import read_manifest

    rows = read_manifest(DataDir(Path(material)), "material").to_pylist()
    return programme_pool(rows, Path(material), ("train",))


def material_indices(cfg: ContextTrainConfig) -> list[int]:
    """Indices of the material sides to render: side i takes package i (mod their number) in sorted order,
    and the sides of ``exclude_packages`` are dropped, so the others keep their index (and cached features)."""
    packages = sorted(_train_pool(str(cfg.material)))
    unknown = sorted(set(cfg.exclude_packages) - set(packages))
    if unknown:
        raise ConfigError(
            f"exclude_packages names no package of the material: {', '.join(unknown)}; "
            f"its packages are {', '.join(packages)}"
        )
    if not set(packages) - set(cfg.exclude_packages):
        raise ConfigError("exclude_packages leaves no material package to train on")
    return [i for i in range(cfg.material_sides) if packages[i % len(packages)] not in cfg.exclude_packages]


def _material_example(args: tuple, base: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, audible labels) of material side ``index``: package and noise model in turn, a drawn layout
    (runs in a worker); a stereo side is heard as extract decodes it, the mean of its channels."""
    from noisekit.classifier.material_sides import build_side

    index, ctx_dict, material, *truth = args
    torch.set_num_threads(1)
    pool = _train_pool(material)
    packages = sorted(pool)
    model_name = MATERIAL_MODELS[(index // len(packages)) % len(MATERIAL_MODELS)]
    channels, band = MATERIAL_LAYOUTS[int(rng_for(index, CONTEXT_STREAM, "material").integers(len(MATERIAL_LAYOUTS)))]
    side = build_side(MATERIAL_SEED_START + index, pool[packages[index % len(packages)]], model_name, channels, band)
    model, _ = load_model(base)
    feats = file_features(model, side.audio.mean(axis=0), ContextConfig.from_dict(ctx_dict)).numpy()
    cfg = model.cfg.features
    noise_only = side.truth20 if truth == ["audible20"] else side.truth
    labels = window_labels(np.arange(len(feats)) * cfg.hop_s, cfg.window_s, noise_only).astype(np.float32)
    return [(feats, labels)]


def window_cnn_digest(base: str | None) -> str:
    """SHA-256 of the window CNN's tensors in checkpoint ``base``: what the features depend on (a refitted
    context stage on the same CNN keeps the digest, so cached features stay valid)."""
    return window_digest(load_model(base)[0])


def _example(job: tuple, base: str | None, cache: str | None, base_sha: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The examples of one job, read from ``cache`` when an earlier run left them there (keyed by the job
    and the window CNN's weights), else rendered, and stored there atomically."""
    path = None
    if cache is not None:
        key = hashlib.sha256(json.dumps([list(job), base_sha], sort_keys=True).encode()).hexdigest()[:24]
        path = Path(cache) / f"{job[0]}-{job[1]}-{key}.npz"
        if path.exists():
            with np.load(path) as z:
                return [(z[f"f{i}"], z[f"y{i}"]) for i in range(len(z.files) // 2)]
    render = {"scene": _scene_example, "material": _material_example}.get(job[0], _side_examples)
    out = render(job[1:], base)
    if path is not None:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            arrays: dict[str, Any] = {f"{k}{i}": a for i, ex in enumerate(out) for k, a in zip("fy", ex, strict=True)}
            np.savez(fh, **arrays)
    return out


def build_examples(
    cfg: ContextTrainConfig,
    base: str | None,
    progress: bool = True,
    cache: str | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Render the training sides and featurise them (``cfg.workers`` processes), in job order: synthetic
    sides, short sides, scenes, then one example per material side last (:func:`sampling_weights` counts on it).

    With ``cache`` (a folder), every file's examples are kept there and a later run with the same jobs and
    window CNN reads them instead of rendering again (an interrupted run resumes where it stopped).
    """
    counts = (cfg.sides, cfg.short_sides, cfg.scenes, cfg.material_sides)
    if min(counts) < 0 or sum(counts) == 0 or cfg.variants < 1 or cfg.steps < 1:
        raise ConfigError(
            f"nothing to train on: need sides + short sides + scenes + material sides >= 1, variants >= 1 and "
            f"steps >= 1 (got sides={cfg.sides}, short_sides={cfg.short_sides}, scenes={cfg.scenes}, "
            f"material_sides={cfg.material_sides}, variants={cfg.variants}, steps={cfg.steps})"
        )
    if not 0.0 <= cfg.material_share < 1.0 or (cfg.material_share and not cfg.material_sides):
        raise ConfigError(f"material_share must be in [0, 1) and needs material sides, got {cfg.material_share}")
    if cfg.material_sides and (cfg.material is None or cfg.truth != "audible"):
        raise ConfigError("material sides need a material data directory and the audible truth (their only one)")
    if cfg.material_truth not in MATERIAL_TRUTHS:
        raise ConfigError(f"unknown material truth {cfg.material_truth!r}: choose one of {MATERIAL_TRUTHS}")
    from noisekit.synth.side import TRUTHS

    if cfg.truth not in TRUTHS:
        raise ConfigError(f"unknown truth {cfg.truth!r} for the side labels: choose one of {TRUTHS}")
    seeds = range(cfg.first_seed, cfg.first_seed + cfg.sides)
    last = seeds.stop - 1 + cfg.short_sides
    if seeds.start not in TRAIN_SIDE_SEEDS or last not in TRAIN_SIDE_SEEDS:
        raise ConfigError(f"context sides {seeds.start}..{last} leave the training range {TRAIN_SIDE_SEEDS}")
    # only the band count shapes the features; the stage's width and depth do not, so they stay out of the
    # jobs and a wider or deeper stage reuses the cached features
    shape = ContextConfig(bands=cfg.context.bands).to_dict()
    jobs: list[tuple] = [("side", s, cfg.variants, cfg.truth, shape) for s in seeds]
    jobs += [
        ("short", s, cfg.variants, cfg.truth, shape, short_side_s(s))
        for s in range(seeds.stop, seeds.stop + cfg.short_sides)
    ]
    jobs += [("scene", i, shape) for i in range(cfg.scenes)]
    if cfg.material_sides:
        kept = material_indices(cfg)  # a missing or empty manifest fails here, before any rendering
        labels = () if cfg.material_truth == "audible" else (cfg.material_truth,)  # keeps the cache keys of audible
        jobs += [("material", i, shape, str(cfg.material), *labels) for i in kept]
    elif cfg.exclude_packages:
        raise ConfigError("exclude_packages leaves material packages out: it needs material sides")
    work = partial(_example, base=base, cache=cache, base_sha=window_cnn_digest(base))
    bar = tqdm(total=len(jobs), desc="render sides and scenes", unit="file", disable=not progress)
    examples: list[tuple[np.ndarray, np.ndarray]] = []
    if cfg.workers > 1:
        with ProcessPoolExecutor(cfg.workers) as pool:
            for ex in pool.map(work, jobs, chunksize=4):
                examples += ex
                bar.update(1)
    else:
        for job in jobs:
            examples += work(job)
            bar.update(1)
    bar.close()
    return examples


def sampling_weights(cfg: ContextTrainConfig, n_examples: int) -> np.ndarray | None:
    """Per-example probabilities giving the material sides (the last examples of :func:`build_examples`)
    ``material_share`` of every batch between them; None where every file is equally likely (no share, or
    nothing but material)."""
    n_material = len(material_indices(cfg)) if cfg.material_share > 0.0 else 0
    if not 0 < n_material < n_examples:
        return None
    weights = np.full(n_examples, (1.0 - cfg.material_share) / (n_examples - n_material))
    weights[n_examples - n_material :] = cfg.material_share / n_material
    return weights


def _batch(
    rng: np.random.Generator,
    examples: list[tuple[np.ndarray, np.ndarray]],
    cfg: ContextTrainConfig,
    weights: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch of random (cropped) files, drawn with ``weights`` (None: uniformly); padding has NaN
    targets so the loss ignores it."""
    picks = (
        rng.integers(0, len(examples), cfg.batch)
        if weights is None
        else rng.choice(len(examples), cfg.batch, p=weights)
    )
    crops = []
    for i in picks:
        f, y = examples[int(i)]
        a = int(rng.integers(0, max(1, len(f) - cfg.crop_windows + 1)))
        crops.append((f[a : a + cfg.crop_windows], y[a : a + cfg.crop_windows]))
    n = max(len(f) for f, _ in crops)
    feats = np.zeros((cfg.batch, n, crops[0][0].shape[1]), np.float32)
    targets = np.full((cfg.batch, n), np.nan, np.float32)
    for b, (f, y) in enumerate(crops):
        feats[b, : len(f)], targets[b, : len(y)] = f, y
    return torch.from_numpy(feats), torch.from_numpy(targets)


def train_context(
    cfg: ContextTrainConfig,
    out_dir: str | Path,
    base: str | None = None,
    command: str = "",
    progress: bool = True,
    examples: list[tuple[np.ndarray, np.ndarray]] | None = None,
    cache: str | None = None,
) -> dict:
    """Fit the context stage over the window CNN in ``base`` (None: shipped) and save both to ``out_dir``.

    ``examples`` (from :func:`build_examples` with the same config and base) skips the rendering; ``cache``
    is passed on to it.
    """
    if cfg.init not in ("fresh", "base"):
        raise ConfigError(f"unknown init {cfg.init!r} for the context stage: choose fresh or base")
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed)
    window_model, doc = load_model(base)
    mcfg = ModelConfig.from_dict(
        {**window_model.cfg.to_dict(), "context": cfg.context.to_dict(), "context_members": []}
    )
    model = NoiseCNN(mcfg)
    window_state = {k: v for k, v in window_model.state_dict().items() if not k.startswith("context.")}
    missing, unexpected = model.load_state_dict(window_state, strict=False)
    assert not unexpected and all(k.startswith("context.") for k in missing)  # a fresh stage on the same CNN
    if cfg.init == "base":
        if window_model.cfg.context_members:
            raise ConfigError("init=base needs a base checkpoint with one context stage, not an ensemble")
        if window_model.context is None or window_model.cfg.context != mcfg.context:
            raise ConfigError("init=base needs a base checkpoint whose context stage has this run's shape")
        assert model.context is not None
        model.context.load_state_dict(window_model.context.state_dict())
    t0 = time.time()
    examples = examples if examples is not None else build_examples(cfg, base, progress, cache)
    render_s = time.time() - t0
    for p in model.parameters():
        p.requires_grad_(False)
    net = model.context
    assert net is not None  # mcfg has a context stage
    net.train()
    for p in net.parameters():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = rng_for(cfg.seed, CONTEXT_STREAM, "batches")
    weights = sampling_weights(cfg, len(examples))
    losses = []
    for step in tqdm(range(cfg.steps), desc="train context", unit="step", disable=not progress):
        for g in opt.param_groups:
            g["lr"] = cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / cfg.steps)))
        feats, y = _batch(rng, examples, cfg, weights)
        loss = masked_loss(net(feats), y, cfg.music_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        losses.append(float(loss.detach()))
    meta = dict(doc.get("meta", {}))
    train_s = time.time() - t0 - render_s
    meta["context_train"] = {
        "command": command,
        **{k: v for k, v in asdict(cfg).items() if k != "context"},
        "render_seconds": round(render_s, 1),
        "train_seconds": round(train_s, 1),
        "first_loss": float(np.mean(losses[:20])),
        "final_loss": float(np.mean(losses[-50:])),
        "parameters": count_parameters(net),
    }
    meta["logit_bias"] = math.log(cfg.music_weight)
    save_checkpoint(model.eval(), out_dir, meta)
    return meta["context_train"]
