"""Writes an evaluation's results: a JSON file, a Markdown table per noise kind, and matplotlib plots."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from noisekit.audio import SAMPLE_RATE  # noqa: E402
from noisekit.datadir import DataDir  # noqa: E402
from noisekit.denoiser.evaluate import (  # noqa: E402
    MODEL_METHOD,
    EvalConfig,
    EvalResult,
    evaluate,
    method_fingerprints,
    select_methods,
)
from noisekit.denoiser.metrics import stft_magnitude  # noqa: E402
from noisekit.fsutil import atomic_path, atomic_write  # noqa: E402

LABELS = {
    "delta_snr": "ΔSNR (dB, higher is better)",
    "delta_si_sdr": "ΔSI-SDR (dB, higher is better)",
    "visqol": "ViSQOL MOS-LQO (1–5, higher is better)",
    "mrstft": "MR-STFT distance (lower is better)",
}


def _cell(stat: dict, digits: int = 2) -> str:
    """``mean [low, high]``; the interval is omitted when it is undefined (n < 2), '–' when no value."""
    mean, low, high = stat["mean"], stat["low"], stat["high"]
    if mean is None or math.isnan(mean):
        return "–"
    if low is None or math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _lookup(result: EvalResult) -> dict[tuple, dict]:
    return {(s["method"], s["kind"], s["snr_db"]): s for s in result.summary}


def metric_table(result: EvalResult, kind: str, metric: str) -> str:
    """A Markdown table of one metric for one noise kind: a row per method, a column per input SNR and 'all'."""
    stats = _lookup(result)
    snrs = list(result.config.snrs) + ["all"]
    head = ["method"] + [f"{s:g} dB" if s != "all" else "all SNRs" for s in snrs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method in result.methods:
        cells = [_cell(stats[(method, kind, s)][metric]) if (method, kind, s) in stats else "–" for s in snrs]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def kinds_of(result: EvalResult) -> list[str]:
    """The noise kinds present in the results, in a stable order."""
    return sorted({r["kind"] for r in result.rows})


def markdown(result: EvalResult, title: str = "Evaluation") -> str:
    """The whole report as Markdown: settings, then per noise kind a table for each metric."""
    cfg = result.config
    parts = [
        f"# {title}",
        "",
        f"Test mixtures: split `{cfg.split}`, {cfg.examples} examples per noise kind, {cfg.clip_s:g}-s clips, "
        f"input SNRs {', '.join(f'{s:g}' for s in cfg.snrs)} dB, seed {cfg.seed} (cache `{result.cache.name}`). "
        "Cells are the mean and its 95 % Student-t interval over examples.",
        f"Perceptual score: {result.perceptual}.",
        "",
    ]
    metrics = ["delta_snr", "delta_si_sdr", "visqol", "mrstft"]
    if all(math.isnan(r["visqol"]) for r in result.rows):
        metrics.remove("visqol")
    for kind in kinds_of(result):
        n = sum(1 for r in result.rows if r["kind"] == kind and r["method"] == result.methods[0])
        parts += [f"## {kind} noise ({n} mixtures)", ""]
        for metric in metrics:
            parts += [f"**{LABELS[metric]}**", "", metric_table(result, kind, metric), ""]
    seconds = {m: np.mean([r["seconds"] for r in result.rows if r["method"] == m]) for m in result.methods}
    parts += ["Mean processing time per clip: " + ", ".join(f"{m} {s:.2f} s" for m, s in seconds.items()) + ".", ""]
    return "\n".join(parts)


def plot_delta_snr(result: EvalResult, path: Path) -> Path:
    """Grouped bars of mean ΔSNR (with 95 % intervals) per method and input SNR, one panel per noise kind."""
    stats = _lookup(result)
    kinds = kinds_of(result)
    snrs = list(result.config.snrs)
    fig, axes = plt.subplots(1, len(kinds), figsize=(6.5 * len(kinds), 4.2), squeeze=False, sharey=True)
    width = 0.8 / max(len(result.methods), 1)
    for ax, kind in zip(axes[0], kinds, strict=True):
        for j, method in enumerate(result.methods):
            vals = [stats[(method, kind, s)]["delta_snr"] for s in snrs]
            means = np.array([v["mean"] for v in vals])
            err = np.array([[v["mean"] - v["low"], v["high"] - v["mean"]] for v in vals]).T
            err = np.nan_to_num(err)
            ax.bar(
                np.arange(len(snrs)) + (j - (len(result.methods) - 1) / 2) * width,
                means,
                width,
                yerr=err,
                capsize=2,
                label=method,
            )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(np.arange(len(snrs)), [f"{s:g} dB" for s in snrs])
        ax.set_xlabel("input SNR")
        ax.set_title(f"{kind} noise")
    axes[0][0].set_ylabel("ΔSNR (dB)")
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def _spec_db(x: np.ndarray) -> np.ndarray:
    """Magnitude spectrogram in dB, (bins, frames), 2048-point FFT with hop 512."""
    return 20 * np.log10(stft_magnitude(x, 2048).T + 1e-6)


def plot_spectrograms(result: EvalResult, path: Path, sr: int = SAMPLE_RATE) -> Path | None:
    """Spectrograms of clean, noisy, denoised and residual (noisy − denoised) for the kept examples."""
    if not result.examples:
        return None
    method = (
        MODEL_METHOD
        if MODEL_METHOD in result.methods
        else next((m for m in result.methods if m != "input"), result.methods[0])
    )
    ids = sorted(result.examples)
    fig, axes = plt.subplots(len(ids), 4, figsize=(16, 3.2 * len(ids)), squeeze=False)
    for row, mid in zip(axes, ids, strict=True):
        ex = result.examples[mid]
        panels = {
            "clean": ex["clean"],
            "noisy": ex["noisy"],
            f"denoised ({method})": ex[method],
            "residual (removed)": ex["noisy"] - ex[method],
        }
        top = _spec_db(ex["noisy"]).max()
        for ax, (name, sig) in zip(row, panels.items(), strict=True):
            ax.imshow(
                _spec_db(sig),
                origin="lower",
                aspect="auto",
                vmin=top - 90,
                vmax=top,
                cmap="magma",
                extent=(0, sig.size / sr, 0, sr / 2000),
            )
            ax.set_title(f"{mid}: {name}", fontsize=9)
            ax.set_xlabel("s")
            ax.set_ylabel("kHz")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return path


def _json_safe(value):
    """NaN and infinities become null so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_report(result: EvalResult, out_dir: str | Path, title: str = "Evaluation") -> dict[str, Path]:
    """Write ``results.json``, ``results.md``, ``delta_snr.png`` and ``spectrograms.png`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "markdown": out_dir / "results.md"}
    doc = {
        "config": asdict(result.config),
        "methods": result.methods,
        "perceptual": result.perceptual,
        "cache": str(result.cache),
        "summary": result.summary,
        "rows": result.rows,
    }
    with atomic_write(paths["json"], "w") as handle:
        json.dump(_json_safe(doc), handle, indent=1, allow_nan=False)
    with atomic_write(paths["markdown"], "w") as handle:
        handle.write(markdown(result, title))
    paths["delta_snr_plot"] = plot_delta_snr(result, out_dir / "delta_snr.png")
    spec = plot_spectrograms(result, out_dir / "spectrograms.png")
    if spec is not None:
        paths["spectrograms"] = spec
    return paths


def evaluate_to_folder(
    data: DataDir,
    checkpoint: str | Path | None,
    cfg: EvalConfig,
    out_dir: str | Path,
    methods: list[str] | None = None,
    visqol: bool = True,
    keep_audio: bool = False,
    progress: bool = True,
) -> tuple[EvalResult, dict[str, Path]]:
    """Evaluate the model of `checkpoint` (None: the baselines only) and the chosen baselines on the cached
    test mixtures, reusing cached scores, and write the report into `out_dir`. The one path shared by
    `noisekit evaluate` and the pipeline's evaluate stage."""
    out_dir = Path(out_dir)
    chosen = select_methods(methods, checkpoint)
    result = evaluate(
        data,
        chosen,
        cfg,
        visqol=visqol,
        keep_outputs=out_dir / "audio" if keep_audio else None,
        progress=progress,
        fingerprints=method_fingerprints(list(chosen), checkpoint),
    )
    title = f"Evaluation of {Path(checkpoint).name}" if checkpoint else "Evaluation of the baselines"
    return result, write_report(result, out_dir, title=title)
