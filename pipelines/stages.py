"""The stage types that pipeline configs (`uses = "..."`) can name: thin adapters over each stage's function.

Parameters come from the config's `params` table; path parameters are relative to the config file, or to
the data directory when written `data:REL`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from noisekit.pipelines.runner import resolve_path, stage_type

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError

log = logging.getLogger("noisekit.stages")


def _path(data: DataDir, params: dict, key: str, default: str) -> Path:
    return resolve_path(data, params.get(key, default))


@stage_type(
    "demo-archive",
    out_params=("out",),
    outputs=lambda data, p: [_path(data, p, "out", "data:demo-archive") / "ground_truth.json"],
)
def demo_archive_stage(data: DataDir, params: dict) -> None:
    """Build the miniature Great-78-like archive of synthetic sides (`ia download` layout)."""
    from noisekit.pipelines.demo_archive import DEMO_SEED_START, build_demo_archive

    sides = build_demo_archive(
        _path(data, params, "out", "data:demo-archive"),
        int(params.get("sides", 6)),
        params.get("duration_s", 60.0),
        int(params.get("seed_start", DEMO_SEED_START)),
    )
    log.info("demo archive: %d synthetic sides", len(sides))


@stage_type("harvest", writes=("recordings",), path_params=("source_dir", "identifiers_file"))
def harvest_stage(data: DataDir, params: dict) -> None:
    """Harvest from the Internet Archive (or a mirror, or an `ia download` folder with `source_dir`)."""
    from noisekit.pipelines.harvest import HarvestOptions, harvest

    identifiers = list(params.get("identifiers", []))
    if "identifiers_file" in params:
        text = resolve_path(data, params["identifiers_file"]).read_text(encoding="utf-8")
        identifiers += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    source_dir = resolve_path(data, params["source_dir"]) if "source_dir" in params else None
    options = HarvestOptions(
        collection=params.get("collection", None if source_dir else "georgeblood"),
        query=params.get("query"),
        limit=params.get("limit"),
        identifiers=identifiers,
        jobs=int(params.get("jobs", 4)),
        endpoint=params.get("endpoint"),
        source_dir=source_dir,
        files=params.get("files", "main"),
        format=params.get("format", "lossless"),
    )
    result = harvest(data, options)
    log.info(result.summary())
    if result.search_error:
        raise NoisekitError(f"harvest: the search failed: {result.search_error}")


@stage_type("extract", reads=("recordings",), writes=("noise",), path_params=("model",))
def extract_stage(data: DataDir, params: dict) -> None:
    """Cut the noise-only segments of every side and loop them to 5 s (scheduler: a Dask address; segmenter:
    overrides of the segmenter's parameters, e.g. { margin_s = 0.5 })."""
    from noisekit.pipelines.extract import extract

    result = extract(
        data,
        model=params.get("model"),
        jobs=params.get("jobs"),
        scheduler=params.get("scheduler"),
        rpm=params.get("rpm", 78.0),
        segmenter=params.get("segmenter"),
        fractions=tuple(params.get("splits", (0.8, 0.1, 0.1))),
    )
    log.info(
        "extract: %d recordings done, %d failed, %d segments, %.1f min of noise",
        result.done,
        result.failed,
        result.segments,
        result.noise_s / 60.0,
    )


@stage_type(
    "demo-tape-bundle",
    out_params=("out",),
    outputs=lambda data, p: [_path(data, p, "out", "data:contributions/demo-tape.zip")],
)
def demo_tape_bundle_stage(data: DataDir, params: dict) -> None:
    """Build a contribution bundle of synthetic blank-tape captures, as an archive would send one."""
    from noisekit.pipelines.tape_demo import make_demo_bundle

    out = _path(data, params, "out", "data:contributions/demo-tape.zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    make_demo_bundle(
        out, seed=int(params.get("seed", 0)), speeds=tuple(float(s) for s in params.get("speeds", (7.5, 15.0)))
    )


@stage_type("ingest-tape", writes=("tape",), path_params=("bundles", "files"))
def ingest_tape_stage(data: DataDir, params: dict) -> None:
    """Ingest contribution bundles (all-or-nothing each), or capture files of one deck and speed."""
    from noisekit.pipelines.bundle_ingest import ingest_bundle
    from noisekit.pipelines.tape import CaptureMeta, ingest_files

    for bundle in params.get("bundles", []):
        log.info(ingest_bundle(data, resolve_path(data, bundle)).summary())
    if params.get("files"):
        meta = CaptureMeta(
            params["device"],
            float(params["speed_ips"]),
            tape_stock=params.get("tape_stock"),
            format=params.get("format"),
            noise_reduction=params.get("noise_reduction", "none"),
            chain=params.get("chain"),
            contributor=params.get("contributor"),
            license=params.get("license"),
        )
        log.info(ingest_files(data, [resolve_path(data, f) for f in params["files"]], meta).summary())


@stage_type("demo-music", out_params=("out",), outputs=lambda data, p: [_path(data, p, "out", "data:demo-music")])
def demo_music_stage(data: DataDir, params: dict) -> None:
    """Render synthetic clean music for the demo's training and evaluation mixtures."""
    from noisekit.pipelines.demo_music import DEMO_MUSIC_SEED, write_demo_music

    write_demo_music(
        _path(data, params, "out", "data:demo-music"),
        int(params.get("pieces", 12)),
        float(params.get("duration_s", 20.0)),
        int(params.get("seed", DEMO_MUSIC_SEED)),
    )


@stage_type("clean-manifest", writes=("clean",), path_params=("folder",))
def clean_manifest_stage(data: DataDir, params: dict) -> None:
    """Build clean.parquet from a folder of clean music, grouped splits by sub-folder."""
    from noisekit.pipelines.clean import build_clean_manifest

    table = build_clean_manifest(
        resolve_path(data, params["folder"]),
        data,
        valid=float(params.get("valid", 0.1)),
        test=float(params.get("test", 0.1)),
    )
    log.info("clean manifest: %d files", table.num_rows)


@stage_type(
    "report",
    reads=("noise", "tape"),
    path_params=("evaluations",),
    outputs=lambda data, p: [data.root / "report" / "index.html"],
)
def report_stage(data: DataDir, params: dict) -> None:
    """Write DIR/report/index.html (`evaluations`: the folder of evaluation results it shows, so that a new
    evaluation also refreshes the page)."""
    from noisekit.pipelines.report import build_report

    result = build_report(data, params.get("title"))
    log.info("report: %d segments -> %s", result.segments, result.path)


@stage_type(
    "train",
    reads=("clean", "noise", "tape"),
    out_params=("out",),
    outputs=lambda data, p: [_path(data, p, "out", "data:runs/train") / "last.pt"],
)
def train_stage(data: DataDir, params: dict) -> None:
    """Train the two-stage U-Net (resuming a run that was stopped); `max_minutes` bounds the wall time and
    `init` ("shipped" or a checkpoint) starts from trained weights."""
    from noisekit.denoiser.train import initial_weights, train, train_config

    options = {
        k: params[k]
        for k in (
            "steps",
            "batch_size",
            "lr",
            "crop_s",
            "noise",
            "seed",
            "ckpt_every",
            "val_every",
            "val_examples",
            "workers",
        )
        if k in params
    }
    if "kinds" in params:
        options["kinds"] = tuple(params["kinds"])
    if "max_minutes" in params:
        options["max_seconds"] = float(params["max_minutes"]) * 60.0
    cfg = train_config(params.get("preset", "small"), **options)
    init = params.get("init")
    init = initial_weights(init if init in (None, "shipped") else resolve_path(data, init), cfg.preset)
    result = train(
        data,
        _path(data, params, "out", "data:runs/train"),
        cfg,
        resume=True,
        device=params.get("device", "auto"),
        init=init,
    )
    log.info("trained to step %d, loss %.4f, validation %s", result.step, result.last_loss, result.val)


@stage_type(
    "evaluate",
    reads=("clean", "noise", "tape"),
    path_params=("checkpoint",),
    out_params=("out",),
    outputs=lambda data, p: [_path(data, p, "out", "data:runs/eval/pipeline") / "results.json"],
)
def evaluate_stage(data: DataDir, params: dict) -> None:
    """Score the model (`checkpoint`) and the classical baselines on the cached test mixtures."""
    from noisekit.denoiser.eval_report import evaluate_to_folder
    from noisekit.denoiser.evaluate import EvalConfig

    checkpoint = resolve_path(data, params["checkpoint"]) if "checkpoint" in params else None
    cfg = EvalConfig(
        snrs=tuple(float(s) for s in params.get("snr", (3.0, 10.0, 16.0))),
        examples=int(params.get("examples", 8)),
        clip_s=float(params.get("clip_s", 5.0)),
        kinds=tuple(params.get("kinds", ("gramophone", "tape"))),
    )
    _, paths = evaluate_to_folder(
        data,
        checkpoint,
        cfg,
        _path(data, params, "out", "data:runs/eval/pipeline"),
        params.get("methods"),
        visqol=bool(params.get("visqol", True)),
    )
    log.info("evaluation written to %s", paths["markdown"])
