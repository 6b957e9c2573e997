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
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from noisekit.denoiser.classical.declick import DeclickParams, declick
from noisekit.denoiser.classical.gate import GateModel, gate_stretches
from noisekit.denoiser.classical.inpaint import InpaintParams, detect_gaps, inpaint
from tqdm import tqdm

from noisekit.audio import audio_info, load_audio, write_audio
from noisekit.errors import ConfigError, NoisekitError
from noisekit.fsutil import atomic_write
from noisekit.signal import fade_in, runs

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

    audio: np.ndarray
    residual: np.ndarray
    clicks: list[tuple[int, int, int]]
    report: dict
    click_kinds: list[str] = field(default_factory=list)  # per click: how it was repaired (lsar or refill)


def fade_weights(active: np.ndarray, fade: int) -> np.ndarray:
    """1 on active samples, 0 elsewhere, with sin² ramps of ``fade`` samples inside each active run's edges."""
    w = active.astype(np.float32)
    for start, stop in runs(active):
        ramp = min(fade, (stop - start) // 2)
        if ramp < 1:
            continue
        up = fade_in(ramp)
        if start > 0:
            w[start : start + ramp] = up
        if stop < len(active):
            w[stop - ramp : stop] = up[::-1]
    return w


def _gate(x: np.ndarray, sr: int, options: RestoreOptions) -> tuple[np.ndarray, dict]:
    """The mask of samples to process and the gate's part of the report."""
    n = x.shape[1]
    if "gate" not in options.steps:
        return np.ones(n, dtype=bool), {"ran": False}
    stretches = gate_stretches(x, sr, options.gate_model, options.stretch_s)
    active = np.zeros(n, dtype=bool)
    for s in stretches:
        active[s.start : s.stop] = s.noisy
    noisy_s = float(active.sum() / sr)
    return active, {
        "ran": True,
        "recording_noisy": bool(active.any()),
        "noisy_s": noisy_s,
        "clean_s": float(n / sr - noisy_s),
        "stretches": [
            {
                "start_s": s.start / sr,
                "stop_s": s.stop / sr,
                "p_noisy": None if np.isnan(s.p_noisy) else round(s.p_noisy, 4),
                "noisy": s.noisy,
            }
            for s in stretches
        ],
    }


SEGMENT_S = 15.0  # declick pieces and denoise segments: the memory of a step is that of one segment
MARGIN_S = 1.0


def pieces(spans: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Cut ``[start, stop)`` spans into consecutive pieces of at most ``size`` samples."""
    return [(a, min(a + size, int(stop))) for start, stop in spans for a in range(int(start), int(stop), size)]


def segmented(
    fn: DenoiseFn, audio: np.ndarray, sr: int, segment_s: float = SEGMENT_S, margin_s: float = MARGIN_S
) -> np.ndarray:
    """``fn`` over overlapping segments of a long (ch, n) signal, cross-faded: bounded memory for any denoiser.

    Each ``segment_s`` core is processed with ``margin_s`` of context on both sides; neighbours are blended
    with sin² ramps over the middle half of their overlap, so the edge effects of either side (the start-up
    of a recursive estimator, a model's first chunk) fall in the discarded quarter. Where both agree the
    samples are kept exactly.
    """
    n = audio.shape[1]
    seg, margin = int(segment_s * sr), int(margin_s * sr)
    if n <= seg + 2 * margin:
        return np.asarray(fn(audio, sr), dtype=np.float32)
    half = margin // 2
    ramp = fade_in(2 * half)[None, :].astype(np.float32)
    out = np.empty_like(audio, dtype=np.float32)
    tail = None
    for b in range(0, n, seg):
        e = min(b + seg, n)
        lo, hi = max(0, b - margin), min(n, e + margin)
        y = np.asarray(fn(audio[:, lo:hi], sr), dtype=np.float32)
        first = 0 if b == 0 else b + half
        last = n if e == n else e - half
        out[:, first:last] = y[:, first - lo : last - lo]
        if tail is not None:
            mine = y[:, b - half - lo : b + half - lo]
            out[:, b - half : b + half] = np.where(mine == tail, mine, ramp * mine + (1 - ramp) * tail)
        tail = y[:, e - half - lo : e + half - lo] if e < n else None
    return out


def _gaps_near(gaps: list[tuple[int, int, str]], n: int, margin: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for start, stop, _ in gaps:
        mask[max(0, start - margin) : stop + margin] = True
    return mask


def restore_array(
    audio: np.ndarray,
    sr: int,
    denoise_fn: DenoiseFn | None = None,
    options: RestoreOptions | None = None,
    on_step: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Run the chosen steps on (channels, n) or 1-D audio; ``on_step(name)`` after each (for progress)."""
    options = options or RestoreOptions()
    options.validate()
    x = np.asarray(audio, dtype=np.float32)
    x = x[None, :] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"restore needs non-empty (channels, samples) audio, got shape {np.shape(audio)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("restore input contains NaN or infinite samples")
    if "denoise" in options.steps and denoise_fn is None:
        raise ValueError("the denoise step needs a denoiser (a checkpoint, or the classical LSA)")
    n, channels = x.shape[1], x.shape[0]
    out = x.copy()
    report: dict = {"sample_rate": sr, "channels": channels, "duration_s": n / sr, "steps": list(options.steps)}
    timing: dict[str, float] = {}
    cpu0 = time.process_time()

    def done(step: str, since: float) -> None:
        timing[step] = time.perf_counter() - since
        if on_step is not None:
            on_step(step)

    t0 = time.perf_counter()
    active, report["gate"] = _gate(x, sr, options)
    done("gate", t0)
    want_gaps = "inpaint" in options.steps
    gaps = [detect_gaps(x[c], sr, options.inpaint) if want_gaps else [] for c in range(channels)]

    clicks: list[tuple[int, int, int]] = []
    kinds: list[str] = []
    if "declick" in options.steps:
        t0 = time.perf_counter()
        margin = options.declick.order + int(options.declick.dilate_s * sr) + 2
        context = int(options.declick.block_s * sr)
        for c in range(channels):
            ignore = ~active | _gaps_near(gaps[c], n, margin)
            for start, stop in pieces(runs(active), int(SEGMENT_S * sr)):  # noisy stretches, with context
                lo, hi = max(0, start - context), min(n, stop + context)
                keep = ignore[lo:hi].copy()
                keep[: start - lo] = True
                keep[stop - lo :] = True
                result = declick(out[c, lo:hi], sr, options.declick, ignore=keep)
                out[c, lo:hi] = result.audio
                clicks += [(c, int(s) + lo, int(e) + lo) for s, e in result.clicks]
                kinds += result.kinds
        done("declick", t0)
        report["declick"] = {
            "clicks": len(clicks),
            "samples_replaced": int(sum(e - s for _, s, e in clicks)),
            "clicks_per_s": len(clicks) / max(active.sum() / sr, 1e-9) / channels,
            "params": asdict(options.declick),
        }

    if "denoise" in options.steps:
        t0 = time.perf_counter()
        w = fade_weights(active, int(options.fade_s * sr))
        for start, stop in runs(active):
            segment = out[:, start:stop]
            denoised = segmented(denoise_fn, segment, sr).reshape(segment.shape)
            ramp = np.flatnonzero(w[start:stop] < 1.0)  # only the fades are blended (a few ms, not the run)
            weight = w[start:stop][ramp][None, :]
            blend = (weight * denoised[:, ramp] + (1 - weight) * segment[:, ramp]).astype(np.float32)
            out[:, start:stop] = denoised
            out[:, start + ramp] = blend
        done("denoise", t0)
        report["denoise"] = {
            "denoiser": options.denoiser_name or getattr(denoise_fn, "__name__", "callable"),
            "seconds_processed": float(active.sum() / sr),
            "fade_s": options.fade_s,
        }

    if want_gaps:
        t0 = time.perf_counter()
        listed = []
        for c in range(channels):
            inside = [g for g in gaps[c] if active[g[0] : g[1]].all()]
            skipped = [g for g in gaps[c] if not active[g[0] : g[1]].all()]
            result = inpaint(out[c], sr, options.inpaint, gaps=inside)
            out[c] = result.audio
            listed += [{"channel": c, **g.as_dict(sr)} for g in result.gaps]
            listed += [
                {
                    "channel": c,
                    "start": s,
                    "stop": e,
                    "kind": k,
                    "status": "skipped_clean",
                    "start_s": s / sr,
                    "duration_s": (e - s) / sr,
                }
                for s, e, k in skipped
            ]
        done("inpaint", t0)
        report["inpaint"] = {
            "gaps": len(listed),
            "filled": sum(g["status"] == "filled" for g in listed),
            "too_long": sum(g["status"] == "too_long" for g in listed),
            "params": asdict(options.inpaint),
            "list": listed,
        }

    report["seconds"] = {k: round(v, 3) for k, v in timing.items()}
    total = sum(timing.values())
    report["x_realtime"] = round(n / sr / total, 2) if total > 0 else None
    cpu = time.process_time() - cpu0
    report["cpu_seconds"] = round(cpu, 3)
    report["x_realtime_cpu"] = round(n / sr / cpu, 2) if cpu > 0 else None
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


def write_click_map(path: Path, clicks: list[tuple[int, int, int]], sr: int, kinds: list[str] | None = None) -> None:
    """CSV of the replaced sample ranges: channel, start, stop (samples, stop exclusive), seconds and repair kind."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["channel", "start", "stop", "start_s", "duration_ms", "kind"])
    for i, (c, s, e) in enumerate(clicks):
        kind = kinds[i] if kinds else ""
        writer.writerow([c, s, e, f"{s / sr:.6f}", f"{(e - s) / sr * 1000:.3f}", kind])
    with atomic_write(path, "w") as handle:
        handle.write(buf.getvalue())


def restore_file(
    in_path: str | Path,
    out_dir: str | Path,
    denoise_fn: DenoiseFn | None = None,
    options: RestoreOptions | None = None,
    on_step: Callable[[str], None] | None = None,
    stem: str | None = None,
) -> RestoreResult:
    """Restore one file at its own rate and channels; writes the four outputs of :func:`output_paths`."""
    info = audio_info(in_path)
    audio, sr = load_audio(in_path, sr=None)
    result = restore_array(audio, sr, denoise_fn, options, on_step)
    paths = output_paths(in_path, out_dir, stem)
    subtype = "PCM_24" if info.subtype in ("PCM_16", "PCM_24") else "FLOAT"  # both keep clean input exact
    peak = max(float(np.abs(result.audio).max()), float(np.abs(result.residual).max()))
    if peak > 1.0:
        subtype = "FLOAT"
    write_audio(paths["restored"], result.audio, sr, subtype=subtype)
    write_audio(paths["residual"], result.residual, sr, subtype=subtype)
    write_click_map(paths["clicks"], result.clicks, sr, result.click_kinds)
    result.report["input"] = str(in_path)
    result.report["outputs"] = {k: str(v) for k, v in paths.items()}
    with atomic_write(paths["report"], "w") as handle:
        json.dump(result.report, handle, indent=1)
    return result


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
        try:
            results.append(
                restore_file(
                    path,
                    out_dir,
                    denoise_fn,
                    options,
                    lambda step, bar=steps: bar.set_postfix_str(step) or bar.update(),
                    stem=(stems or {}).get(path),
                )
            )
        except NoisekitError as exc:
            failed[str(path)] = str(exc)
        except ValueError as exc:
            failed[str(path)] = f"{path}: {exc}"
        finally:
            steps.close()
    return results, failed
