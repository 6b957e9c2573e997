"""Sides built from real programme (a material manifest) under a chosen noise model, with audible truth.

Unlike :mod:`noisekit.synth.side`, the programme here is real recorded music, speech and sound effects
(``manifests/material.parquet``, written by ``noisekit.pipelines.material``), and the noise comes from one of
:data:`noisekit.classifier.noise_models.NOISE_MODELS`. A side is laid out as a run-in, two to four pieces with
pauses of 0.5 to 8 s between them (half of them 2 to 5 s), and a run-out. A piece may start with a slow
dB-linear fade-in and end in an abrupt stop ringing into a reverberation tail, a fade-out, or as the
excerpt ends. All programme of a side comes from one package, so that scores can be given per source.

The truth is computed from the two components (:mod:`noisekit.synth.audibility`): ``truth`` is the noise-only
a listener hears (no programme within 30 dB of the noise in any band), ``truth20`` also counts as noise
programme more than 20 dB under the noise in every band. ``regions`` names the planned gaps (run-in,
pause, run-out) and the parts of pieces (fade-in, tail, fade-out), to say where a detector fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from noisekit.audio import SAMPLE_RATE, load_audio, resample
from noisekit.classifier.noise_models import (
    draw_independent,
    independent_noise,
    project_noise,
    real_noise,
    real_noise_clip,
    wow_warp,
)
from noisekit.errors import NoisekitError
from noisekit.seeding import rng_for
from noisekit.synth import dsp
from noisekit.synth.audibility import inaudible_intervals
from noisekit.synth.rooms import apply_reverb, draw_room_params, render_rir
from noisekit.synth.side import zero_runs

STREAM = "material-side"
BANDS = {"full": (None, None), "acoustic": (250.0, 3500.0), "lowpass": (None, 5000.0)}
EDGE_S = 0.005  # ramp at a piece's plain start or end, so it does not click


@dataclass(frozen=True)
class Clip:
    """One decoded material file: where it is, what it is and how long it plays."""

    path: Path
    package: str
    kind: str
    duration_s: float


@dataclass(frozen=True)
class Recipe:
    """The ranges a side is drawn from (tests narrow them to get known answers)."""

    run_in_s: tuple[float, float] = (2.0, 8.0)
    run_out_s: tuple[float, float] = (3.0, 15.0)
    pieces: tuple[int, int] = (2, 4)
    pause_s: tuple[float, float] = (0.5, 8.0)
    short_pause_s: tuple[float, float] = (2.0, 5.0)  # half of the pauses are drawn from here
    music_s: tuple[float, float] = (10.0, 35.0)
    other_s: tuple[float, float] = (4.0, 18.0)  # speech and effects: clips strung with short gaps
    gap_s: tuple[float, float] = (0.05, 0.6)
    p_fade_in: float = 0.3
    p_tail: float = 0.35
    p_fade_out: float = 0.25
    fade_s: tuple[float, float] = (2.0, 7.0)
    rt60_s: tuple[float, float] = (1.0, 3.5)
    snr_db: tuple[float, float] = (3.0, 30.0)
    noise_dbfs: tuple[float, float] = (-50.0, -28.0)


@dataclass
class MaterialSide:
    """A rendered side: mixture and components (channels, n) at 44.1 kHz, truths, regions and what made it."""

    audio: np.ndarray
    music: np.ndarray
    noise: np.ndarray
    sr: int
    truth: list[tuple[float, float]]
    truth20: list[tuple[float, float]]
    regions: list[tuple[float, float, str]] = field(default_factory=list)
    params: dict = field(default_factory=dict)


def programme_pool(rows: list[dict], root: Path, splits: tuple[str, ...]) -> dict[str, list[Clip]]:
    """Clips of the ok material rows in ``splits``, by package (sorted, so that draws are reproducible)."""
    pool: dict[str, list[Clip]] = {}
    for row in sorted(rows, key=lambda r: r["path"]):
        if row["status"] == "ok" and row["split"] in splits and (row["duration_s"] or 0.0) >= 0.3:
            clip = Clip(root / row["path"], row["package"], row["kind"], float(row["duration_s"]))
            pool.setdefault(row["package"], []).append(clip)
    if not pool:
        raise NoisekitError(f"{root}: no ok material rows in split(s) {', '.join(splits)}")
    return pool


def _u(rng: np.random.Generator, span: tuple[float, float]) -> float:
    return float(rng.uniform(*span))


def _read(clip: Clip, rng: np.random.Generator, seconds: float | None, sr: int) -> np.ndarray:
    """(2, n) float64 at ``sr``: the whole clip, or a random excerpt of ``seconds``; mono is duplicated."""
    if seconds is None:
        audio, _ = load_audio(clip.path, sr=sr)
    else:  # read only the excerpt: music files run for minutes
        with sf.SoundFile(str(clip.path)) as fh:
            want = min(fh.frames, int(seconds * fh.samplerate))
            fh.seek(int(rng.integers(0, fh.frames - want + 1)))
            audio = resample(fh.read(want, dtype="float32", always_2d=True).T, fh.samplerate, sr)
    audio = audio[:2] if audio.shape[0] >= 2 else np.repeat(audio, 2, axis=0)
    return audio.astype(np.float64)


def _active_rms(x: np.ndarray, sr: int) -> float:
    """RMS over the 50-ms frames within 40 dB of the loudest (what plays, not its silences)."""
    hop = max(1, int(0.05 * sr))
    frames = np.square(x).mean(axis=0)[: x.shape[1] // hop * hop].reshape(-1, hop).mean(axis=1)
    if frames.size == 0 or frames.max() <= 0:
        return 0.0
    return float(np.sqrt(frames[frames > frames.max() * 1e-4].mean()))


def _programme(clips: list[Clip], rng: np.random.Generator, recipe: Recipe, sr: int) -> np.ndarray:
    """One piece's raw programme (2, n): an excerpt of music, or clips of speech or effects with short gaps."""
    if clips[0].kind == "music":
        return _read(clips[int(rng.integers(len(clips)))], rng, _u(rng, recipe.music_s), sr)
    target, total = _u(rng, recipe.other_s), 0
    parts: list[np.ndarray] = []
    while total < target * sr and len(parts) < 24:
        x = _read(clips[int(rng.integers(len(clips)))], rng, None, sr)
        parts += [x, np.zeros((2, int(_u(rng, recipe.gap_s) * sr)))]
        total += x.shape[1] + parts[-1].shape[1]
    return np.concatenate(parts[:-1], axis=1)


def _shape_piece(x: np.ndarray, rng: np.random.Generator, recipe: Recipe, sr: int) -> tuple[np.ndarray, dict]:
    """Start and end shapes of a piece: fade-in or plain start; reverberant stop, fade-out or plain end."""
    n = x.shape[1]
    edge = min(int(EDGE_S * sr), n // 4)
    info: dict = {"fade_in_s": 0.0, "fade_out_s": 0.0, "tail_s": 0.0, "dry_s": n / sr}
    if rng.random() < recipe.p_fade_in:
        m = min(int(_u(rng, recipe.fade_s) * sr), n // 2)
        x[:, :m] *= dsp.fade_curve(m, "exp")
        info["fade_in_s"] = m / sr
    else:
        x[:, :edge] *= np.linspace(0.0, 1.0, edge)
    end = rng.random()
    if end < recipe.p_tail:  # the music stops dead and the hall rings on
        x[:, n - edge :] *= np.linspace(1.0, 0.0, edge)
        room = draw_room_params(rng, rt60_s=_u(rng, recipe.rt60_s), wet_db=float(rng.uniform(-10.0, -2.0)))
        x = apply_reverb(x, render_rir(room, sr, rng), keep_tail=True).astype(np.float64)
        info["tail_s"] = (x.shape[1] - n) / sr
    elif end < recipe.p_tail + recipe.p_fade_out:
        m = min(int(_u(rng, recipe.fade_s) * sr), n // 2)
        x[:, n - m :] *= dsp.fade_curve(m, "exp")[::-1]
        info["fade_out_s"] = m / sr
    else:
        x[:, n - edge :] *= np.linspace(1.0, 0.0, edge)
    return x, info


def _noise(
    model: str, rng: np.random.Generator, n: int, sr: int, channels: int, level: float
) -> tuple[np.ndarray, dict]:
    """The side's surface noise from ``model`` and what the model drew (wow parameters for the warp)."""
    if model == "project":
        return project_noise(rng, n, sr, channels, level), {}
    if model == "independent":
        p = draw_independent(rng)
        wow = {"rpm": p.rpm, "depth": p.wow_depth, "phase": float(rng.uniform(0, 2 * np.pi))}
        return independent_noise(rng, n, sr, channels, level, p), wow
    if model == "real":
        return real_noise(rng, n, channels, level, real_noise_clip(sr=sr), sr), {}
    raise NoisekitError(f"unknown noise model {model!r}")


def build_side(
    seed: int,
    clips: list[Clip],
    noise_model: str = "project",
    channels: int = 2,
    band: str = "full",
    recipe: Recipe | None = None,
    sr: int = SAMPLE_RATE,
) -> MaterialSide:
    """Side ``seed`` (deterministic) from ``clips`` (one package) under ``noise_model``, ``channels`` wide,
    through the playback ``band`` (a key of :data:`BANDS`, applied to programme and noise alike)."""
    if not clips:
        raise NoisekitError("build_side: no programme clips")
    if band not in BANDS:
        raise NoisekitError(f"unknown band {band!r}: choose one of {', '.join(BANDS)}")
    r = recipe or Recipe()
    rng = rng_for(seed, STREAM, clips[0].package, noise_model)
    count = int(rng.integers(r.pieces[0], r.pieces[1] + 1))
    pieces = [_shape_piece(_programme(clips, rng, r, sr), rng, r, sr) for _ in range(count)]
    pauses = [_u(rng, r.short_pause_s if rng.random() < 0.5 else r.pause_s) for _ in range(count - 1)]
    run_in, run_out = _u(rng, r.run_in_s), _u(rng, r.run_out_s)
    starts, t = [], run_in
    for (x, _), pause in zip(pieces, pauses + [run_out], strict=True):
        starts.append(t)
        t += x.shape[1] / sr + pause
    n = int(round(t * sr))
    music = np.zeros((2, n))
    regions = [(0.0, run_in, "run-in")]
    for i, ((x, info), start) in enumerate(zip(pieces, starts, strict=True)):
        a = int(round(start * sr))
        gain = 10.0 ** (rng.uniform(-4.0, 4.0) / 20.0) / max(_active_rms(x, sr), 1e-9)
        music[:, a : a + x.shape[1]] += x[:, : n - a] * gain
        end = start + x.shape[1] / sr
        regions += _piece_regions(start, end, info)
        regions.append((end, starts[i + 1] if i + 1 < count else t, "pause" if i + 1 < count else "run-out"))
    level, snr = _u(rng, r.noise_dbfs), _u(rng, r.snr_db)
    noise, wow = _noise(noise_model, rng, n, sr, channels, level)
    music = music.mean(axis=0, keepdims=True) if channels == 1 else music
    music *= 10.0 ** ((level + snr) / 20.0) / max(_active_rms(music, sr), 1e-12)
    if wow:  # the disc's speed wobbles under programme and noise alike
        music, noise = (wow_warp(c, sr, **wow).astype(np.float64) for c in (music, noise))
    sos = dsp.band_sos(*BANDS[band], sr)
    music, noise = dsp.apply_sos(music, sos), dsp.apply_sos(noise, sos)
    music[np.abs(music) < 1e-30] = 0.0  # keep exact zeros exact after the filters
    peak = float(np.max(np.abs(music + noise)))
    scale = min(1.0, 0.99 / max(peak, 1e-12))
    music, noise = (music * scale).astype(np.float32), (noise * scale).astype(np.float32)
    exact = zero_runs(music, sr)
    return MaterialSide(
        audio=music + noise,
        music=music,
        noise=noise,
        sr=sr,
        truth=inaudible_intervals(music, noise, sr, 30.0, exact=exact),
        truth20=inaudible_intervals(music, noise, sr, 20.0, exact=exact),
        regions=regions,
        params={
            "seed": seed,
            "package": clips[0].package,
            "kind": clips[0].kind,
            "noise_model": noise_model,
            "channels": channels,
            "band": band,
            "noise_dbfs": level + 20.0 * np.log10(scale),
            "snr_db": snr,
            "wow": wow,
            "pieces": [info for _, info in pieces],
            "starts_s": starts,
        },
    )


def _piece_regions(start: float, end: float, info: dict) -> list[tuple[float, float, str]]:
    """A piece's parts: fade-in, body, and its ending (tail after an abrupt stop, or fade-out)."""
    dry_end = start + info["dry_s"]
    out = []
    if info["fade_in_s"]:
        out.append((start, start + info["fade_in_s"], "fade-in"))
    body_start = start + info["fade_in_s"]
    if info["fade_out_s"]:
        out += [(body_start, dry_end - info["fade_out_s"], "body"), (dry_end - info["fade_out_s"], dry_end, "fade-out")]
    else:
        out.append((body_start, dry_end, "body"))
    if info["tail_s"]:
        out.append((dry_end, end, "tail"))
    return out
