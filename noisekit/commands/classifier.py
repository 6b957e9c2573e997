"""`noisekit classifier train|train-context|combine-context|evaluate|find`: train the noise/no-noise CNN and its
side-context stage, average stages, score them against the energy rule, and find noise in files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from noisekit.commands.common import LibraryDefault, given, summary

#: the kinds of noisekit.synth.side.TRUTHS, spelt out so that `--help` does not import the synthesisers
TRUTH_CHOICES = ("audible", "exact")
#: noisekit.classifier.context_train.MATERIAL_TRUTHS, spelt out for the same reason
MATERIAL_TRUTH_CHOICES = ("audible", "audible20")


def _train_defaults():  # noqa: ANN202 (its type lives in the torch module that `--help` must not import)
    """The window CNN's training defaults (TrainConfig), imported only when needed."""
    from noisekit.classifier.train import TrainConfig

    return TrainConfig()


def _context_defaults():  # noqa: ANN202
    """The context stage's training defaults (ContextTrainConfig), imported only when needed."""
    from noisekit.classifier.context_train import ContextTrainConfig

    return ContextTrainConfig()


def _defaulted(defaults: Callable[[], object], flag: str, kind: Any, help_text: str) -> Callable:
    """A flag whose default is the field of the same name of the config that ``defaults`` builds (shown by
    ``--help`` only, so the CLI starts without importing torch)."""
    name = flag.lstrip("-").replace("-", "_")
    return click.option(
        flag, type=kind, cls=LibraryDefault, library_default=lambda: getattr(defaults(), name), help=help_text
    )


MODEL_OPTION = click.option(
    "--model",
    "model",
    type=click.Path(exists=True),
    default=None,
    help="Checkpoint folder or file (default: the shipped weights).",
)


@click.group("classifier")
def classifier_group() -> None:
    """The CNN that finds noise-only stretches in recordings: train it, evaluate it."""


@classifier_group.command("train")
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Labels Parquet (path, start_s, end_s, label): mixed in and fine-tunes the shipped weights.",
)
@_defaulted(_train_defaults, "--steps", int, "Optimiser steps (at most).")
@click.option(
    "--max-minutes",
    type=float,
    default=None,
    help="Wall-clock budget; the learning-rate schedule follows whichever of steps/time runs out first.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="runs/classifier",
    show_default=True,
    help="Folder for noise_cnn.safetensors + noise_cnn.json.",
)
@_defaulted(_train_defaults, "--batch", int, "Scenes per step.")
@_defaulted(_train_defaults, "--scene-s", float, "Seconds per training scene.")
@_defaulted(_train_defaults, "--lr", float, "Peak learning rate (cosine decay).")
@_defaulted(_train_defaults, "--seed", int, "Seed of the training stream.")
@_defaulted(_train_defaults, "--workers", int, "Data-generation processes.")
@_defaulted(_train_defaults, "--threads", int, "Torch threads.")
@click.option(
    "--init",
    type=click.Path(exists=True),
    default=None,
    help="Checkpoint to start from (default: shipped weights with --labels, else from scratch).",
)
@click.option("--from-scratch", is_flag=True, help="With --labels, do not start from the shipped weights.")
@_defaulted(
    _train_defaults,
    "--pool-tracks",
    int,
    "Rendered programme tracks kept for re-mixing (smaller starts faster, less diverse).",
)
def train_cmd(
    labels: str | None,
    steps: int | None,
    max_minutes: float | None,
    out: str,
    batch: int | None,
    scene_s: float | None,
    lr: float | None,
    seed: int | None,
    workers: int | None,
    threads: int | None,
    init: str | None,
    from_scratch: bool,
    pool_tracks: int | None,
) -> None:
    """Train on synthetic scenes streamed on the fly (plus --labels), write the checkpoint to --out.

    This trains the window CNN. A side-context stage in the starting checkpoint is carried over unchanged;
    refit it on the result with `noisekit classifier train-context --model OUT`.
    """
    from noisekit.classifier.checkpoint import WEIGHTS_DIR
    from noisekit.classifier.train import TrainConfig, train

    if labels and not init and not from_scratch:
        init = str(WEIGHTS_DIR)
    cfg = TrainConfig(
        **given(steps=steps, batch=batch, scene_s=scene_s, lr=lr, seed=seed, workers=workers, threads=threads),
        **given(labels=labels, init=init, pool_tracks=pool_tracks, max_minutes=max_minutes),
    )
    res = train(cfg, out, command="noisekit " + " ".join(sys.argv[1:]))
    summary(
        f"trained {res.steps} steps in {res.seconds / 60:.1f} min: loss {res.first_loss:.3f} → "
        f"{res.last_loss:.3f}; weights in {Path(out) / 'noise_cnn.safetensors'}"
    )


@classifier_group.command("evaluate")
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Score on a labels Parquet instead of held-out synthetic audio.",
)
@click.option(
    "--sides",
    type=int,
    default=12,
    show_default=True,
    help="Held-out synthetic sides (seeds from noisekit.classifier.evaluate.EVAL_SEED_START).",
)
@click.option(
    "--seed-start",
    type=int,
    default=None,
    help="First side seed (default noisekit.classifier.evaluate.EVAL_SEED_START; TUNE_SEED_START for tuning).",
)
@click.option(
    "--scenes",
    type=int,
    default=4,
    show_default=True,
    help="Held-out 60-s scenes per case (normal, noise-only and each hard case).",
)
@MODEL_OPTION
@click.option(
    "--truth",
    type=click.Choice(TRUTH_CHOICES),
    default="audible",
    show_default=True,
    help="Noise-only truth of the sides: audible (no programme within 30 dB of the noise in any band) or "
    "exact (no programme sample at all, however far below the noise).",
)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Also write the figures as JSON here."
)
@click.option("--threads", type=int, default=1, show_default=True, help="Torch threads.")
def evaluate_cmd(
    labels: str | None,
    sides: int,
    seed_start: int | None,
    scenes: int,
    model: str | None,
    truth: str,
    json_out: str | None,
    threads: int,
) -> None:
    """Window P/R/F1/AUC and segment purity/recall by hard case, for the model and the energy rule."""
    import itertools
    import json

    import torch

    from noisekit.classifier.checkpoint import load_classifier
    from noisekit.classifier.evaluate import (
        EVAL_SEED_START,
        evaluate,
        format_report,
        label_items,
        scene_items,
        side_items,
    )
    from noisekit.fsutil import atomic_write

    torch.set_num_threads(max(1, threads))
    clf = load_classifier(model)
    if labels:
        items, total = label_items(labels), None
    else:
        start = EVAL_SEED_START if seed_start is None else seed_start
        items = itertools.chain(side_items(sides, start, truth=truth), scene_items(scenes))
        total = sides + scenes * 7
    results = evaluate(clf, items, total=total)
    if not results:
        raise click.UsageError("nothing to evaluate: give --labels, or --sides/--scenes above 0")
    click.echo(format_report(results))
    if json_out:
        with atomic_write(json_out, "w") as fh:
            fh.write(json.dumps(results, indent=2, default=float) + "\n")
    r = results["all"]
    summary(
        f"model purity {100 * r['model']['purity']:.2f} % recall {100 * r['model']['recall']:.1f} % | "
        f"energy purity {100 * r['energy']['purity']:.2f} % recall {100 * r['energy']['recall']:.1f} % | "
        f"model purity at energy recall {100 * r['model_purity_at_energy_recall']:.2f} %"
    )


@classifier_group.command("train-context")
@click.option(
    "--model",
    "model",
    type=click.Path(exists=True),
    default=None,
    help="Window CNN to build on (default: the shipped weights); its weights are kept as they are.",
)
@_defaulted(_context_defaults, "--sides", int, "Synthetic training sides to render.")
@_defaulted(
    _context_defaults,
    "--short-sides",
    int,
    "More training sides (seeds after --sides) squeezed into 25-90 s each: short files' shapes.",
)
@_defaulted(_context_defaults, "--variants", int, "Random transfer chains and gains per rendered side.")
@_defaulted(
    _context_defaults,
    "--scenes",
    int,
    "Whole scene files (noise only and each hard case, 20-120 s) mixed in with the sides.",
)
@click.option(
    "--material",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Data directory whose material manifest's TRAIN split gives sides of real programme (--material-sides).",
)
@_defaulted(
    _context_defaults,
    "--material-sides",
    int,
    "Sides of real programme from --material, under the project's and the independent noise model.",
)
@click.option(
    "--exclude-package",
    "exclude_packages",
    multiple=True,
    help="Leave this material package out of training (repeatable): a leave-one-source-out fold, scored "
    "with `benchmarks/extract_cross_source.py --packages NAME`.",
)
@_defaulted(
    _context_defaults,
    "--material-share",
    float,
    "Share of every batch drawn from the material sides (0: every file equally likely, so a few real "
    "sides among thousands of synthetic ones are seldom seen).",
)
@_defaulted(
    _context_defaults,
    "--material-truth",
    click.Choice(MATERIAL_TRUTH_CHOICES),
    "Labels of the material sides: noise only where no programme comes within 30 dB (audible) or 20 dB "
    "(audible20) of the noise in any band.",
)
@_defaulted(
    _context_defaults,
    "--init",
    click.Choice(["fresh", "base"]),
    "Start the stage from scratch, or from the --model checkpoint's own stage (a fine-tune).",
)
@_defaulted(_context_defaults, "--lr", float, "Peak learning rate (cosine decay).")
@_defaulted(_context_defaults, "--steps", int, "Optimiser steps.")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="runs/classifier-context",
    show_default=True,
    help="Folder for the combined noise_cnn.safetensors + noise_cnn.json.",
)
@_defaulted(_context_defaults, "--seed", int, "Seed of the batch order.")
@_defaulted(
    _context_defaults,
    "--truth",
    click.Choice(TRUTH_CHOICES),
    "Window labels of the sides: audible (no programme within 30 dB of the noise in any band) "
    "or exact (no programme sample at all, however far below the noise).",
)
@_defaulted(
    _context_defaults,
    "--music-weight",
    float,
    "Loss weight of programme windows against noise windows: higher favours purity over recall.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep every rendered file's features here; a rerun (or an interrupted run) reads them back.",
)
@_defaulted(_context_defaults, "--workers", int, "Side-rendering processes.")
@_defaulted(_context_defaults, "--threads", int, "Torch threads.")
def train_context_cmd(
    model: str | None,
    sides: int | None,
    short_sides: int | None,
    variants: int | None,
    scenes: int | None,
    material: str | None,
    material_sides: int | None,
    exclude_packages: tuple[str, ...],
    material_share: float | None,
    material_truth: str | None,
    init: str | None,
    lr: float | None,
    steps: int | None,
    out: str,
    seed: int | None,
    truth: str | None,
    music_weight: float | None,
    cache: str | None,
    workers: int | None,
    threads: int | None,
) -> None:
    """Train the side-context stage (±32 s of context, levels against the file's noise floor) on whole sides."""
    from noisekit.classifier.context_train import ContextTrainConfig, train_context

    cfg = ContextTrainConfig(
        **given(sides=sides, short_sides=short_sides, variants=variants, scenes=scenes, material=material),
        **given(material_sides=material_sides, init=init, lr=lr, steps=steps, seed=seed, truth=truth),
        **given(music_weight=music_weight, workers=workers, threads=threads, material_share=material_share),
        **given(material_truth=material_truth),
        exclude_packages=tuple(exclude_packages),
    )
    res = train_context(cfg, out, base=model, command="noisekit " + " ".join(sys.argv[1:]), cache=cache)
    summary(
        f"context stage: {cfg.steps} steps on {cfg.sides} + {cfg.short_sides} short sides × {cfg.variants}, "
        f"{cfg.scenes} scenes and {cfg.material_sides} material sides"
        f"{' (less ' + ', '.join(cfg.exclude_packages) + ')' if cfg.exclude_packages else ''}: "
        f"loss {res['first_loss']:.3f} → {res['final_loss']:.3f}; weights in {Path(out) / 'noise_cnn.safetensors'}"
    )


@classifier_group.command("combine-context")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the combined checkpoint.")
def combine_context_cmd(runs: tuple[str, ...], out: str) -> None:
    """Average the context stages of two or more checkpoints over the same window CNN into one (an ensemble).

    Stages trained apart err apart; their mean costs next to nothing at inference (the window CNN runs once).
    Checkpoints over other window CNN weights, or trained with another --music-weight, are refused."""
    from noisekit.classifier.combine import combine_context

    meta = combine_context(runs, out)
    summary(
        f"context ensemble of {len(meta['context_ensemble'])} checkpoints; "
        f"weights in {Path(out) / 'noise_cnn.safetensors'}"
    )


@classifier_group.command("find")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@MODEL_OPTION
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the CSV here (default: standard output, before the summary line).",
)
@click.option("--threads", type=int, default=1, show_default=True, help="Torch threads.")
def find_cmd(inputs: tuple[str, ...], model: str | None, out: str | None, threads: int) -> None:
    """Noise-only stretches of audio files as CSV (file, start_s, end_s, p_noise): what extract cuts, before its
    margins and checks. A file that cannot be read is named on stderr and the others go on."""
    import csv
    import io

    import torch

    from noisekit.api.classify import load_classifier
    from noisekit.commands.common import finish
    from noisekit.errors import ConfigError, NoisekitError
    from noisekit.fsutil import atomic_write

    torch.set_num_threads(max(1, threads))
    finder = load_classifier(model)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "start_s", "end_s", "p_noise"])
    failures, found = [], 0
    for path in inputs:
        try:
            segments = finder.find_noise(path)
        except ConfigError:
            raise
        except NoisekitError as exc:
            failures.append(str(exc))
            continue
        writer.writerows([path, f"{s.start_s:.6f}", f"{s.end_s:.6f}", f"{s.p_noise:.6f}"] for s in segments)
        found += len(segments)
    if out:
        with atomic_write(out, "w") as handle:
            handle.write(buf.getvalue())
    else:
        click.echo(buf.getvalue(), nl=False)
    finish(
        f"{found} noise-only segment(s) in {len(inputs) - len(failures)} file(s)" + (f" -> {out}" if out else ""),
        failures,
    )
