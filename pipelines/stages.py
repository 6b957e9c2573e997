"""The stage types that pipeline configs (`uses = "..."`) can name: thin adapters over each stage's function.

A stage's `params` are the fields of its options type (noisekit.pipelines.options), checked before anything
runs; path parameters are relative to the config file, or to the data directory when written `data:REL`.
Each returns the items that failed, each named with its reason (`noisekit run` exits 1 when there are any).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.pipelines.options import (
    CleanOptions,
    DemoArchiveOptions,
    DemoMusicOptions,
    DemoTapeBundleOptions,
    EvaluateOptions,
    ExportOptions,
    ExtractOptions,
    HarvestOptions,
    IngestTapeOptions,
    MaterialOptions,
    ReportOptions,
    TrainOptions,
)
from noisekit.pipelines.runner import resolve_path, stage_type

log = logging.getLogger("noisekit.stages")


@stage_type(
    "demo-archive",
    DemoArchiveOptions,
    out_params=("out",),
    outputs=lambda data, o: [resolve_path(data, o.out) / "ground_truth.json"],
)
def demo_archive_stage(data: DataDir, options: DemoArchiveOptions) -> list[str]:
    """Build the miniature Great-78-like archive of synthetic sides (`ia download` layout)."""
    from noisekit.pipelines.demo_archive import build_demo_archive

    sides = build_demo_archive(resolve_path(data, options.out), options.sides, options.duration_s, options.seed_start)
    log.info("demo archive: %d synthetic sides", len(sides))
    return []


@stage_type("harvest", HarvestOptions, writes=("recordings",), path_params=("source_dir", "identifiers_file"))
def harvest_stage(data: DataDir, options: HarvestOptions) -> list[str]:
    """Harvest from the Internet Archive (or a mirror, or an `ia download` folder with `source_dir`)."""
    from noisekit.pipelines.harvest import harvest

    if options.source_dir is not None:
        options = replace(options, source_dir=resolve_path(data, options.source_dir))
    if options.identifiers_file is not None:
        options = replace(options, identifiers_file=str(resolve_path(data, options.identifiers_file)))
    result = harvest(data, options)
    log.info(result.summary())
    search = [f"the search broke off: {result.search_error}"] if result.search_error else []
    return [*result.errors, *search]


@stage_type("extract", ExtractOptions, reads=("recordings",), writes=("noise",), path_params=("inputs", "model"))
def extract_stage(data: DataDir, options: ExtractOptions) -> list[str]:
    """Cut the noise-only segments of every side (or of `inputs`) and loop them to 5 s (scheduler: a Dask
    address; segmenter: overrides of the segmenter's parameters, e.g. { margin_s = 0.5 })."""
    from noisekit.pipelines.extract import extract

    inputs = tuple(str(resolve_path(data, p)) for p in options.inputs)
    model = str(resolve_path(data, options.model)) if options.model else None
    result = extract(data, replace(options, inputs=inputs, model=model))
    log.info(
        "extract: %d recordings done, %d failed, %d segments, %.1f min of noise",
        result.done,
        result.failed,
        result.segments,
        result.noise_s / 60.0,
    )
    return list(result.errors)


@stage_type(
    "demo-tape-bundle",
    DemoTapeBundleOptions,
    out_params=("out",),
    outputs=lambda data, o: [resolve_path(data, o.out)],
)
def demo_tape_bundle_stage(data: DataDir, options: DemoTapeBundleOptions) -> list[str]:
    """Build a contribution bundle of synthetic blank-tape captures, as an archive would send one."""
    from noisekit.pipelines.tape_demo import make_demo_bundle

    out = resolve_path(data, options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    make_demo_bundle(out, seed=options.seed, speeds=options.speeds)
    return []


def run_ingest_tape(data: DataDir, options: IngestTapeOptions) -> list:
    """Ingest the bundles, then the files of one deck and speed; the TapeIngestResult of each (command and stage)."""
    from noisekit.pipelines.bundle_ingest import ingest_bundle
    from noisekit.pipelines.tape import CaptureMeta, ingest_files

    meta = None
    if options.files:
        if not options.device or options.speed_ips is None:
            raise NoisekitError("capture files need their deck and speed: give 'device' and 'speed_ips'")
        meta = CaptureMeta(options.device, options.speed_ips, **options.details())
    classifier = None
    if options.model:
        from noisekit.classifier import load_classifier

        classifier = load_classifier(options.model)
    kw: dict[str, Any] = {"classifier": classifier, "new_device": options.new_device, "progress": options.progress}
    results = [ingest_bundle(data, bundle, **kw) for bundle in options.bundles]
    if meta is not None:
        results.append(ingest_files(data, list(options.files), meta, **kw))
    return results


@stage_type("ingest-tape", IngestTapeOptions, writes=("tape",), path_params=("bundles", "files", "model"))
def ingest_tape_stage(data: DataDir, options: IngestTapeOptions) -> list[str]:
    """Ingest contribution bundles (all-or-nothing each), or capture files of one deck and speed."""
    options = replace(
        options,
        bundles=tuple(str(resolve_path(data, b)) for b in options.bundles),
        files=tuple(str(resolve_path(data, f)) for f in options.files),
        model=str(resolve_path(data, options.model)) if options.model else None,
    )
    failed = []
    for result in run_ingest_tape(data, options):
        log.info(result.summary())
        failed += [f"{name}: {reason}" for name, reason in result.refused]
    return failed


@stage_type(
    "demo-music",
    DemoMusicOptions,
    out_params=("out",),
    outputs=lambda data, o: [resolve_path(data, o.out)],
)
def demo_music_stage(data: DataDir, options: DemoMusicOptions) -> list[str]:
    """Render synthetic clean music for the demo's training and evaluation mixtures."""
    from noisekit.pipelines.demo_music import write_demo_music

    write_demo_music(resolve_path(data, options.out), options.pieces, options.duration_s, options.seed)
    return []


@stage_type("clean-manifest", CleanOptions, writes=("clean",), path_params=("folder",))
def clean_manifest_stage(data: DataDir, options: CleanOptions) -> list[str]:
    """Build clean.parquet from a folder of clean music, grouped splits by sub-folder."""
    from noisekit.pipelines.clean import build_clean_manifest

    table = build_clean_manifest(
        resolve_path(data, options.folder),
        data,
        valid=options.valid,
        test=options.test,
        seed=options.seed,
        progress=options.progress,
    )
    log.info("clean manifest: %d files", table.num_rows)
    return []


@stage_type(
    "report",
    ReportOptions,
    reads=("noise", "tape"),
    path_params=("evaluations",),
    outputs=lambda data, o: [data.root / "report" / "index.html"],
)
def report_stage(data: DataDir, options: ReportOptions) -> list[str]:
    """Write DIR/report/index.html (`evaluations`: the folder of evaluation results it shows, so that a new
    evaluation also refreshes the page)."""
    from noisekit.pipelines.report import build_report

    result = build_report(data, options.title)
    log.info("report: %d segments -> %s", result.segments, result.path)
    return []


@stage_type(
    "export",
    ExportOptions,
    reads=("noise",),
    out_params=("out",),
    outputs=lambda data, o: [resolve_path(data, o.out)],
)
def export_stage(data: DataDir, options: ExportOptions) -> list[str]:
    """Export the ok noise segments as `format` (moliner or hf) to `out`, built aside and renamed into place
    (`overwrite = true` lets a rerun replace the earlier export)."""
    from noisekit.pipelines.export import export

    out = resolve_path(data, options.out)
    result = export(data, out, options.format, options.audio, options.overwrite, options.progress)
    log.info(result.summary())
    return []


@stage_type("material", MaterialOptions, writes=("material",), path_params=("cache",))
def material_stage(data: DataDir, options: MaterialOptions) -> list[str]:
    """Fetch real programme from Debian packages (`sources`: tables { package, kind, include, max_files }),
    decode it to FLAC under DIR/material/ and index it in material.parquet with each package's licence."""
    from noisekit.pipelines.material import fetch_material

    result = fetch_material(data, replace(options, cache=resolve_path(data, options.cache) if options.cache else None))
    log.info(result.summary())
    return result.failed


def run_train(data: DataDir, out: Path, options: TrainOptions, resume: bool):
    """Train with `options` (the preset's TrainConfig with the options' overrides) into `out`; command and stage."""
    import torch

    from noisekit.denoiser.train import initial_weights, train, train_config

    if options.threads:
        torch.set_num_threads(options.threads)
    cfg = train_config(options.preset, **options.overrides())
    init = initial_weights(options.init, options.preset)
    return train(data, out, cfg, resume=resume, device=options.device, init=init)


@stage_type(
    "train",
    TrainOptions,
    reads=("clean", "noise", "tape"),
    out_params=("out",),
    outputs=lambda data, o: [resolve_path(data, o.out) / "last.pt"],
)
def train_stage(data: DataDir, options: TrainOptions) -> list[str]:
    """Train the two-stage U-Net (resuming a run that was stopped); `max_minutes` bounds the wall time and
    `init` ("shipped" or a checkpoint) starts from trained weights."""
    if options.init not in (None, "shipped"):
        options = replace(options, init=str(resolve_path(data, options.init)))
    result = run_train(data, resolve_path(data, options.out), options, resume=True)
    log.info("trained to step %d, loss %.4f, validation %s", result.step, result.last_loss, result.val)
    return []


def run_evaluate(data: DataDir, options: EvaluateOptions) -> tuple:
    """Score the model and the baselines as `options` say; (result, report paths). Command and stage."""
    import torch

    from noisekit.denoiser.eval_report import evaluate_to_folder
    from noisekit.denoiser.evaluate import EvalConfig

    if options.threads:
        torch.set_num_threads(options.threads)
    cfg = EvalConfig(options.snr, options.examples, options.clip_s, options.seed, options.split, options.kinds)
    methods = list(options.methods) if options.methods else None
    return evaluate_to_folder(
        data,
        options.checkpoint,
        cfg,
        options.out_dir(data.runs),
        methods,
        visqol=options.visqol,
        keep_audio=options.keep_audio,
        progress=options.progress,
    )


def _eval_out(data: DataDir, options: EvaluateOptions) -> Path:
    return options.out_dir(data.runs) if options.out is None else resolve_path(data, options.out)


@stage_type(
    "evaluate",
    EvaluateOptions,
    reads=("clean", "noise", "tape"),
    path_params=("checkpoint",),
    out_params=("out",),
    outputs=lambda data, o: [_eval_out(data, o) / "results.json"],
)
def evaluate_stage(data: DataDir, options: EvaluateOptions) -> list[str]:
    """Score the model (`checkpoint`; none: the baselines only) and the classical baselines on the cached test
    mixtures."""
    checkpoint = str(resolve_path(data, options.checkpoint)) if options.checkpoint else None
    _, paths = run_evaluate(data, replace(options, checkpoint=checkpoint, out=str(_eval_out(data, options))))
    log.info("evaluation written to %s", paths["markdown"])
    return []
