"""Objective evaluation of the denoiser against classical baselines on fixed test mixtures.

Test mixtures are built once from the test splits of clean.parquet and the noise manifests, at fixed
input SNRs, and cached under ``runs/eval-cache/<key>/`` (the key hashes the settings and the file
lists, so the same data and seed always give the same mixtures). For every noise kind and example the
clean crop and noise are the same at every SNR, so the SNRs are compared on paired material. Each
method denoises every mixture; the scores are ΔSNR, ΔSI-SDR, the MR-STFT distance and ViSQOL.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from noisekit.audio import SAMPLE_RATE, load_audio, write_audio
from noisekit.datadir import DataDir
from noisekit.denoiser.classical import BASELINES
from noisekit.denoiser.data import (
    MIX_PRESETS,
    Clip,
    MixConfig,
    apply_mix,
    clean_clips,
    draw_mix_params,
    looped,
    noise_clips,
)
from noisekit.denoiser.data import read_span as _read_span
from noisekit.denoiser.inference import denoise_array, wave_fn
from noisekit.denoiser.metrics import (
    delta_si_sdr,
    delta_snr,
    mean_ci,
    mr_stft_distance,
    snr_db,
    visqol_available,
    visqol_mos,
)
from noisekit.errors import NoisekitError
from noisekit.fsutil import atomic_write, sha256_file
from noisekit.pipelines.options import EvaluateOptions
from noisekit.seeding import rng_for, stable_hash

Method = Callable[[np.ndarray, int], np.ndarray]
MODEL_METHOD = "unet"
KINDS = ("gramophone", "tape")
_MIN_CLEAN_RMS = 1e-3  # a crop quieter than -60 dBFS is redrawn: SNR is meaningless on near-silence


@dataclass(frozen=True)
class EvalConfig:
    """Which mixtures to build: input SNRs, examples per noise kind, clip length, seed, split and kinds."""

    snrs: tuple[float, ...] = EvaluateOptions.snr  # the defaults are the evaluate stage's (one home)
    examples: int = EvaluateOptions.examples
    clip_s: float = EvaluateOptions.clip_s
    seed: int = EvaluateOptions.seed
    split: str = EvaluateOptions.split
    kinds: tuple[str, ...] = EvaluateOptions.kinds

    def key(self, clean: list[Clip], noise: dict[str, list[Clip]]) -> str:
        """A short hash of the settings and the exact input files: the cache folder name."""
        files = [(c.path, c.frames) for c in clean] + [(k, c.path, c.frames) for k in noise for c in noise[k]]
        return f"{stable_hash(json.dumps(asdict(self), sort_keys=True), files, bits=64):016x}"


@dataclass(frozen=True)
class Mixture:
    """One cached test example: its noisy and clean files (mono, 44.1 kHz) and what was drawn."""

    id: str
    kind: str
    snr_db: float
    example: int
    noisy: str
    clean: str
    params: dict = field(default_factory=dict)


def _draw_clean(clean: list[Clip], noise: list[Clip], cfg: EvalConfig, kind: str, i: int):
    """Draw the crop and noise of example ``i``; crops that are near-silent are redrawn (up to 20 times)."""
    mix_cfg = MixConfig(crop_s=cfg.clip_s, snr_db=(0.0, 0.0), gain_db=MIX_PRESETS[kind].gain_db)
    for attempt in range(20):
        p = draw_mix_params(rng_for(cfg.seed, "eval", kind, i, attempt), clean, noise, mix_cfg)
        y = _read_span(clean[p.clean_index], p.clean_start, mix_cfg.crop, p.clean_channel)
        if np.sqrt(np.mean(y.astype(np.float64) ** 2)) >= _MIN_CLEAN_RMS:
            return p, y
    raise NoisekitError(f"clean test split: 20 draws for {kind} example {i} were all near-silent")


def build_mixtures(data: DataDir, cfg: EvalConfig = EvalConfig()) -> tuple[list[Mixture], Path]:
    """The test mixtures of ``cfg``: read from the cache if complete, else built once and cached."""
    clean = clean_clips(data, cfg.split)
    if not clean:
        raise NoisekitError(
            f"{data.manifest_path('clean')}: no clean music in split '{cfg.split}' "
            "(run `noisekit manifest clean` first)"
        )
    noise = {k: clips for k in cfg.kinds if (clips := noise_clips(data, cfg.split, (k,)))}
    if not noise:
        raise NoisekitError(
            f"no noise segments of kind {list(cfg.kinds)} in split '{cfg.split}' of "
            f"{data.manifest_path('noise')} / {data.manifest_path('tape')}"
        )
    folder = data.runs / "eval-cache" / cfg.key(clean, noise)
    index = folder / "index.json"
    if index.is_file():
        return [Mixture(**m) for m in json.loads(index.read_text())["mixtures"]], folder
    mixtures = []
    total = len(noise) * cfg.examples
    with tqdm(total=total, desc="building test mixtures", unit="example", leave=False) as bar:
        for kind, clips in noise.items():
            for i in range(cfg.examples):
                p, y = _draw_clean(clean, clips, cfg, kind, i)
                n = looped(clips[p.noise_index], p.noise_start, len(y), p.noise_channel)
                for snr in cfg.snrs:
                    q = replace(p, snr_db=float(snr))
                    x, y_scaled = apply_mix(y, n, q)
                    mid = f"{kind}-{i:03d}-snr{snr:g}"
                    write_audio(folder / f"{mid}_noisy.wav", x, SAMPLE_RATE, subtype="FLOAT")
                    write_audio(folder / f"{mid}_clean.wav", y_scaled, SAMPLE_RATE, subtype="FLOAT")
                    rec = {
                        **asdict(q),
                        "clean_path": clean[q.clean_index].path,
                        "noise_path": clips[q.noise_index].path,
                    }
                    mixtures.append(Mixture(mid, kind, float(snr), i, f"{mid}_noisy.wav", f"{mid}_clean.wav", rec))
                bar.update()
    with atomic_write(index, "w") as handle:
        json.dump({"config": asdict(cfg), "mixtures": [asdict(m) for m in mixtures]}, handle, indent=1)
    return mixtures, folder


def model_method(checkpoint: str | Path, device: str = "cpu") -> Method:
    """A method ``(signal, sr) -> signal`` running the two-stage U-Net of a checkpoint with chunked inference."""
    from noisekit.denoiser.checkpoint import load_model

    loaded = load_model(checkpoint, map_location=device)
    fn = wave_fn(loaded.model.to(device), device)

    def run(x: np.ndarray, sr: int) -> np.ndarray:
        return denoise_array(x[None, :], sr, fn)[0]

    return run


def select_methods(names: list[str] | None, checkpoint: str | Path | None) -> dict[str, Method]:
    """The methods to run by name (default: the model if a checkpoint is given, then every baseline)."""
    known = ([MODEL_METHOD] if checkpoint else []) + list(BASELINES)
    names = list(names) if names else known
    unknown = [n for n in names if n not in known]
    if unknown:
        hint = " (the model needs --checkpoint)" if MODEL_METHOD in unknown else ""
        raise NoisekitError(f"unknown method(s) {unknown}{hint}; choose from {known}")
    return {n: (model_method(checkpoint) if n == MODEL_METHOD and checkpoint else BASELINES[n]) for n in names}


def score(clean: np.ndarray, noisy: np.ndarray, out: np.ndarray, sr: int, visqol: bool) -> dict[str, float]:
    """All scores of one output: ΔSNR, ΔSI-SDR, output SNR, MR-STFT distance, ViSQOL MOS (NaN if off)."""
    return {
        "delta_snr": delta_snr(clean, noisy, out),
        "delta_si_sdr": delta_si_sdr(clean, noisy, out),
        "snr_out": snr_db(clean, out),
        "mrstft": mr_stft_distance(clean, out),
        "visqol": visqol_mos(clean, out, sr) if visqol else math.nan,
    }


@dataclass
class EvalResult:
    """Per-example rows, the summary table, and where the outputs were written."""

    rows: list[dict]
    summary: list[dict]
    config: EvalConfig
    methods: list[str]
    perceptual: str
    cache: Path
    examples: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # for spectrogram plots


def _run_one(name: str, method: Method, noisy: np.ndarray, mid: str) -> tuple[np.ndarray, float]:
    """One method on one mixture: its output (checked) and the seconds it took."""
    start = time.perf_counter()
    out = np.asarray(method(noisy, SAMPLE_RATE), dtype=np.float32)
    elapsed = time.perf_counter() - start
    if out.shape != noisy.shape or not np.isfinite(out).all():
        raise NoisekitError(
            f"method '{name}' returned shape {out.shape} or non-finite samples for {mid} (expected {noisy.shape})"
        )
    return out, elapsed


def _denoiser_imports(path: Path) -> set[Path]:
    """The files of the ``noisekit.denoiser`` package that a module imports, followed transitively."""
    package = Path(__file__).resolve().parent
    seen: set[Path] = set()
    todo = [path]
    while todo:
        current = todo.pop()
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        for node in ast.walk(ast.parse(current.read_text(encoding="utf-8"))):
            names = (
                [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name == "noisekit.denoiser" or name.startswith("noisekit.denoiser."):
                    base = package.joinpath(*name.split(".")[2:])
                    todo.append(base / "__init__.py" if base.is_dir() else base.with_suffix(".py"))
    return seen


def _code_hash(paths: set[Path], *extra: str) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(paths)]
    return f"{stable_hash(*texts, *extra, bits=64):016x}"


def method_fingerprints(names: list[str], checkpoint: str | Path | None) -> dict[str, str]:
    """A hash per method of everything its scores depend on, so cached scores are reused only while nothing
    changed: the scoring code, the method's module and the denoiser modules it imports (for a function
    defined in a package ``__init__``, its own source), and for the model the weights file."""
    here = Path(__file__).resolve().parent
    scoring = {here / "metrics.py", here / "validation.py"}  # the two files that compute the scores
    out = {}
    for name in names:
        if name == MODEL_METHOD:
            code = scoring | _denoiser_imports(here / "inference.py") | _denoiser_imports(here / "checkpoint.py")
            out[name] = _code_hash(code) + sha256_file(checkpoint)[:16]  # type: ignore[arg-type]
            continue
        fn = BASELINES[name]
        source = Path(inspect.getsourcefile(fn) or "")
        if source.name == "__init__.py":
            out[name] = _code_hash(scoring, inspect.getsource(fn))
        else:
            out[name] = _code_hash(scoring | _denoiser_imports(source))
    return out


def evaluate(
    data: DataDir,
    methods: dict[str, Method],
    cfg: EvalConfig = EvalConfig(),
    visqol: bool = True,
    keep_outputs: Path | None = None,
    progress: bool = True,
    fingerprints: dict[str, str] | None = None,
) -> EvalResult:
    """Run every method on every cached test mixture and score it; optionally keep the outputs as WAV.

    With ``fingerprints`` (see :func:`method_fingerprints`) the scores of each method are cached beside
    the mixtures and reused by later runs, so evaluating a new checkpoint only runs the model.
    """
    if visqol and not visqol_available():
        raise NoisekitError("ViSQOL is not installed (pip install visqol-python); or pass --no-visqol")
    mixtures, folder = build_mixtures(data, cfg)
    shown = {
        next(m.id for m in mixtures if m.kind == k and m.snr_db == min(cfg.snrs))
        for k in KINDS
        if any(m.kind == k for m in mixtures)
    }
    audio = {m.id: (load_audio(folder / m.noisy)[0][0], load_audio(folder / m.clean)[0][0]) for m in mixtures}
    examples = {mid: {"noisy": audio[mid][0], "clean": audio[mid][1]} for mid in shown}
    rows = []
    with tqdm(total=len(mixtures) * len(methods), desc="evaluating", unit="run", disable=not progress) as bar:
        for name, method in methods.items():
            fp = (fingerprints or {}).get(name)
            cache = folder / "scores" / f"{name}-{fp}-{'visqol' if visqol else 'novisqol'}.json" if fp else None
            if cache is not None and cache.is_file() and keep_outputs is None:
                rows += json.loads(cache.read_text())
                for mid in shown:  # the plots need these outputs; scoring is what is cached
                    examples[mid][name] = _run_one(name, method, audio[mid][0], mid)[0]
                bar.update(len(mixtures))
                continue
            mine = []
            for m in mixtures:
                noisy, clean = audio[m.id]
                out, elapsed = _run_one(name, method, noisy, m.id)
                if m.id in shown:
                    examples[m.id][name] = out
                if keep_outputs is not None:
                    write_audio(keep_outputs / name / f"{m.id}.wav", out, SAMPLE_RATE, subtype="FLOAT")
                mine.append(
                    {
                        "method": name,
                        "kind": m.kind,
                        "snr_db": m.snr_db,
                        "example": m.example,
                        "id": m.id,
                        "seconds": elapsed,
                        **score(clean, noisy, out, SAMPLE_RATE, visqol),
                    }
                )
                bar.update()
            if cache is not None:
                with atomic_write(cache, "w") as handle:
                    json.dump(mine, handle)
            rows += mine
    perceptual = "ViSQOL v3 audio mode (visqol-python), MOS-LQO 1-5" if visqol else "none (ViSQOL off)"
    return EvalResult(rows, summarize(rows), cfg, list(methods), perceptual, folder, examples)


METRICS = ("delta_snr", "delta_si_sdr", "mrstft", "visqol")


def summarize(rows: list[dict]) -> list[dict]:
    """Mean and 95 % interval of each metric per (method, kind, input SNR), plus 'all' SNRs per kind."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["method"], r["kind"], r["snr_db"]), []).append(r)
        groups.setdefault((r["method"], r["kind"], "all"), []).append(r)
    out = []
    for (method, kind, snr), members in groups.items():
        entry = {
            "method": method,
            "kind": kind,
            "snr_db": snr,
            "n": len(members),
            "seconds": float(np.mean([r["seconds"] for r in members])),
        }
        for metric in METRICS:
            mean, low, high = mean_ci([r[metric] for r in members])
            entry[metric] = {"mean": mean, "low": low, "high": high}
        out.append(entry)
    return out
