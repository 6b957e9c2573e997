"""The restoration chain: gate, declick, denoise, inpaint, over a recording of any rate and channel count.

Each step is a library function (``noisekit.denoiser.classical.gate/declick/inpaint`` and a denoiser callable); this
module only decides where each one applies and records what it did. The gate cuts the recording into
stretches and marks each clean or noisy; clean stretches pass through every step bit-exact, and the
processed signal is faded in and out over ``fade_s`` *inside* the noisy stretches so no seam clicks. Gaps
are found on the input before anything changes it (a denoiser would fill digital silence with something
that no longer looks like a gap); the declicker leaves them and their edges alone, and the inpainter
refills them last from the restored context.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from tqdm import tqdm

from noisekit.audio import audio_info, iter_blocks, write_errors
from noisekit.denoiser.classical.declick import DeclickParams
from noisekit.denoiser.classical.gate import GateModel
from noisekit.denoiser.classical.inpaint import InpaintParams
from noisekit.errors import ConfigError, NoisekitError
from noisekit.fsutil import atomic_path, atomic_write
from noisekit.pipelines.restore_scan import span_weights
from noisekit.pipelines.restore_stream import CELL_S, run_chain
from noisekit.signal import runs

STEPS = ("gate", "declick", "denoise", "inpaint")
DenoiseFn = Callable[[np.ndarray, int], np.ndarray]
"""A denoiser on (channels, samples) float32 audio at a given rate, returning the same shape."""


@dataclass
class RestoreOptions:
    """Which steps run and their parameters."""

    steps: tuple[str, ...] = STEPS
    declick: DeclickParams = field(default_factory=DeclickParams)
    inpaint: InpaintParams = field(default_factory=InpaintParams)
    stretch_s: float = 10.0
    fade_s: float = 0.05
    gate_model: GateModel | None = None
    denoiser_name: str = ""

    def validate(self) -> None:
        """Raise ValueError for unknown steps or impossible durations."""
        unknown = [s for s in self.steps if s not in STEPS]
        if unknown:
            raise ConfigError(f"unknown restore step(s) {unknown}; choose from {', '.join(STEPS)}")
        if self.stretch_s <= 0 or self.fade_s < 0:
            raise ConfigError("restore stretch_s must be > 0 and fade_s >= 0")


@dataclass
class RestoreResult:
    """Restored audio and residual (channels, n), the click map and a JSON-ready report."""

    audio: np.ndarray | None  # None where restore_file streamed them to disk only (keep_audio=False)
    residual: np.ndarray | None
    clicks: list[tuple[int, int, int]]
    report: dict
    click_kinds: list[str] = field(default_factory=list)  # per click: how it was repaired (lsar or refill)


def fade_weights(active: np.ndarray, fade: int) -> np.ndarray:
    """1 on active samples, 0 elsewhere, with sin² ramps of ``fade`` samples inside each active run's edges."""
    return span_weights(map(tuple, runs(active)), len(active), 0, len(active), fade)


def _report(n: int, channels: int, sr: int, options: RestoreOptions, steps: dict, cpu: float) -> dict:
    """The JSON report: the recording, each step's part, seconds per step and speed (wall and CPU)."""
    report: dict[str, Any] = {
        "sample_rate": sr,
        "channels": channels,
        "duration_s": n / sr,
        "steps": list(options.steps),
    }
    report.update(steps)
    timing = report.pop("seconds")
    report["seconds"] = {k: round(v, 3) for k, v in timing.items()}
    total = sum(timing.values())
    report["x_realtime"] = round(n / sr / total, 2) if total > 0 else None
    report["cpu_seconds"] = round(cpu, 3)
    report["x_realtime_cpu"] = round(n / sr / cpu, 2) if cpu > 0 else None
    return report


def _check(options: RestoreOptions | None, denoise_fn: DenoiseFn | None) -> RestoreOptions:
    options = options or RestoreOptions()
    options.validate()
    if "denoise" in options.steps and denoise_fn is None:
        raise ConfigError("the denoise step needs a denoiser (a checkpoint, or the classical LSA)")
    return options


def restore_array(
    audio: np.ndarray,
    sr: int,
    denoise_fn: DenoiseFn | None = None,
    options: RestoreOptions | None = None,
    on_step: Callable[[str], None] | None = None,
    block_s: float = 30.0,
    cell_s: float = CELL_S,
) -> RestoreResult:
    """Run the chosen steps on (channels, n) or 1-D audio; ``on_step(name)`` after each (for progress).

    The audio is fed to the chain in blocks of ``block_s`` exactly as a file is streamed by
    :func:`restore_file`, so both give the same result."""
    options = _check(options, denoise_fn)
    x = np.asarray(audio, dtype=np.float32)
    x = x[None, :] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"restore needs non-empty (channels, samples) audio, got shape {np.shape(audio)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("restore input contains NaN or infinite samples")
    channels, n = x.shape
    step = max(1, int(block_s * sr))
    out = np.empty_like(x)
    done = 0
    clicks: list[tuple[int, int, int]] = []
    kinds: list[str] = []

    def emit(_inp: np.ndarray, y: np.ndarray) -> None:
        nonlocal done
        out[:, done : done + y.shape[1]] = y
        done += y.shape[1]

    def on_click(c: int, s: int, e: int, kind: str) -> None:
        clicks.append((c, s, e))
        kinds.append(kind)

    cpu0 = time.process_time()
    steps = run_chain(
        lambda: (x[:, i : i + step] for i in range(0, n, step)),
        n,
        channels,
        sr,
        denoise_fn,
        options,
        emit,
        on_click,
        on_step,
        cell_s,
    )
    report = _report(n, channels, sr, options, steps, time.process_time() - cpu0)
    order = sorted(range(len(clicks)), key=lambda i: clicks[i])
    clicks, kinds = [clicks[i] for i in order], [kinds[i] for i in order]
    report["bit_exact"] = bool(np.array_equal(out, x))
    return RestoreResult(out, x - out, clicks, report, kinds)


def output_paths(in_path: str | Path, out_dir: str | Path, stem: str | None = None) -> dict[str, Path]:
    """Where :func:`restore_file` writes: restored, residual, click map (CSV) and report (JSON); `stem` (which
    may hold folders, see noisekit.outputs) defaults to the input's own."""
    stem = stem or Path(in_path).stem
    out_dir = Path(out_dir)
    return {
        "restored": out_dir / f"{stem}_restored.wav",
        "residual": out_dir / f"{stem}_residual.wav",
        "clicks": out_dir / f"{stem}_clicks.csv",
        "report": out_dir / f"{stem}_restore.json",
    }


CLICK_COLUMNS = ["channel", "start", "stop", "start_s", "duration_ms", "kind"]


def click_row(c: int, s: int, e: int, sr: int, kind: str) -> list:
    """One row of the click map: channel, start, stop (samples, stop exclusive), seconds and repair kind."""
    return [c, s, e, f"{s / sr:.6f}", f"{(e - s) / sr * 1000:.3f}", kind]


def _transcode(path: Path, subtype: str, block_frames: int) -> None:
    """Rewrite a float WAV in ``subtype`` through a temporary beside it, block by block."""
    with (
        atomic_path(path) as tmp,
        write_errors(path),
        sf.SoundFile(str(path)) as src,
        sf.SoundFile(str(tmp), "w", src.samplerate, src.channels, subtype, format="WAV") as dst,
    ):
        for block in src.blocks(block_frames, dtype="float32", always_2d=True):
            dst.write(block)


def restore_file(
    in_path: str | Path,
    out_dir: str | Path,
    denoise_fn: DenoiseFn | None = None,
    options: RestoreOptions | None = None,
    on_step: Callable[[str], None] | None = None,
    stem: str | None = None,
    keep_audio: bool = True,
    block_s: float = 30.0,
) -> RestoreResult:
    """Restore one file at its own rate and channels, streaming it in blocks; writes the four outputs of
    :func:`output_paths`. With ``keep_audio`` False the result holds no audio and no click list (they are in
    the files), so memory does not grow with the file's length."""
    options = _check(options, denoise_fn)
    info = audio_info(in_path)
    n, channels, sr = info.frames, info.channels, info.sample_rate
    paths = output_paths(in_path, out_dir, stem)
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    clicks: list[tuple[int, int, int]] = []
    kinds: list[str] = []
    state = {"peak": 0.0, "exact": True}
    cpu0 = time.process_time()
    with (
        atomic_path(paths["restored"]) as restored_tmp,
        atomic_path(paths["residual"]) as residual_tmp,
        atomic_write(paths["clicks"], "w") as click_file,
        write_errors(paths["restored"]),
        sf.SoundFile(str(restored_tmp), "w", sr, channels, "FLOAT", format="WAV") as restored_out,
        sf.SoundFile(str(residual_tmp), "w", sr, channels, "FLOAT", format="WAV") as residual_out,
    ):
        writer = csv.writer(click_file)
        writer.writerow(CLICK_COLUMNS)

        def emit(inp: np.ndarray, y: np.ndarray) -> None:
            residual = inp - y
            restored_out.write(y.T)
            residual_out.write(residual.T)
            state["peak"] = max(state["peak"], float(np.abs(y).max()), float(np.abs(residual).max()))
            state["exact"] = state["exact"] and bool(np.array_equal(inp, y))
            if keep_audio:
                kept.append((y, residual))

        def on_click(c: int, s: int, e: int, kind: str) -> None:
            writer.writerow(click_row(c, s, e, sr, kind))
            if keep_audio:
                clicks.append((c, s, e))
                kinds.append(kind)

        blocks = lambda: iter_blocks(in_path, block_s)  # noqa: E731
        steps = run_chain(blocks, n, channels, sr, denoise_fn, options, emit, on_click, on_step)
        restored_out.close()
        residual_out.close()
        if info.subtype in ("PCM_16", "PCM_24") and state["peak"] <= 1.0:  # 24-bit keeps 16/24-bit input exact
            for tmp in (restored_tmp, residual_tmp):
                _transcode(tmp, "PCM_24", max(1, int(block_s * sr)))
    report = _report(n, channels, sr, options, steps, time.process_time() - cpu0)
    report["bit_exact"] = state["exact"]
    report["input"] = str(in_path)
    report["outputs"] = {k: str(v) for k, v in paths.items()}
    with atomic_write(paths["report"], "w") as handle:
        json.dump(report, handle, indent=1)
    order = sorted(range(len(clicks)), key=lambda i: clicks[i])
    audio = np.concatenate([y for y, _ in kept], axis=1) if kept else None
    residual = np.concatenate([r for _, r in kept], axis=1) if kept else None
    return RestoreResult(audio, residual, [clicks[i] for i in order], report, [kinds[i] for i in order])


def lsa_denoiser(audio: np.ndarray, sr: int) -> np.ndarray:
    """The classical denoiser: the Ephraim-Malah LSA estimator on each channel."""
    from noisekit.denoiser.classical.lsa import lsa

    return np.stack([lsa(channel, sr) for channel in np.asarray(audio, dtype=np.float32)])


def model_denoiser(checkpoint: str | Path) -> DenoiseFn:
    """The two-stage U-Net from a checkpoint or exported weights, run by the chunked overlap-add inference."""
    from noisekit.denoiser.checkpoint import load_model
    from noisekit.denoiser.inference import denoise_array

    model = load_model(checkpoint).model

    def run(audio: np.ndarray, sr: int) -> np.ndarray:
        return denoise_array(audio, sr, model)

    return run


def pick_denoiser(checkpoint: str | Path | None, kind: str = "auto") -> tuple[DenoiseFn, str]:
    """The denoiser for the chain and its name: a given checkpoint, else the shipped model, else (auto) LSA."""
    from noisekit.denoiser.checkpoint import find_model

    if kind not in ("auto", "model", "lsa"):
        raise ConfigError(f"unknown denoiser {kind!r}; choose auto, model or lsa")
    if kind == "lsa":
        return lsa_denoiser, "classical LSA (Ephraim-Malah)"
    path = find_model(checkpoint)
    if path is not None:
        return model_denoiser(path), f"two-stage U-Net ({Path(path).name})"
    if kind == "model":
        raise ConfigError(
            "no denoiser model: pass --checkpoint PATH (train one with `noisekit train`) or use --denoiser lsa"
        )
    return lsa_denoiser, "classical LSA (Ephraim-Malah): no --checkpoint given and no model shipped"


def restore_files(
    paths: list[Path],
    out_dir: Path,
    denoise_fn: DenoiseFn | None,
    options: RestoreOptions,
    stems: Mapping[Path, str] | None = None,
) -> tuple[list[RestoreResult], dict[str, str]]:
    """Restore several files in turn with a progress bar; a bad file is recorded (path: reason) and skipped.
    `stems` names each file's outputs (noisekit.outputs.output_stems), by default its own stem."""
    results, failed = [], {}
    for path in tqdm(paths, desc="restore", unit="file"):
        steps = tqdm(total=len(options.steps), desc=Path(path).name, unit="step", leave=False, position=1)

        def on_step(step: str, bar: tqdm = steps) -> None:
            bar.set_postfix_str(step)
            bar.update()

        try:
            results.append(
                restore_file(
                    path,
                    out_dir,
                    denoise_fn,
                    options,
                    on_step,
                    stem=(stems or {}).get(path),
                    keep_audio=False,
                )
            )
        except NoisekitError as exc:  # bad input; anything else is a bug and stops the run with its traceback
            failed[str(path)] = str(exc)
        except OSError as exc:
            failed[str(path)] = f"{path}: {exc}"
        finally:
            steps.close()
    return results, failed
