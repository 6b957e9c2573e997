"""ΔSNR and ΔSI-SDR of denoisers on mixtures their training never saw: held-out music under held-out noise.

    python benchmarks/denoiser_cross_source.py --material D --model old=OLD.safetensors --model new=RUN/last.pt
        [--packages planetblupi-music-ogg singularity-music] [--excerpts 12] [--snr 3 10] [--seed 0]
        [--threads 2] [--json OUT.json] [--merge EARLIER.json]

Excerpts of 5 s of real music are drawn from whole packages of D/manifests/material.parquet (every split: the
packages are meant to be held out of training whole), mixed to mono at 44.1 kHz, none quieter than -40 dBFS.
Each is mixed at every input SNR with the same draw of four noise models of noisekit.classifier.noise_models:
``project`` (the model the training noise was extracted from; fresh draws), ``independent``,
``independent-crackle`` (the independent model with crackle 12-18 dB over the hiss at 100-300 impulses a
second: crackle-dominated) and ``real`` (the looped run-in of ../shared/real/Air_Bach.ogg). Every model denoises
the same mixtures with `denoise_array`, the path of `noisekit denoise` with no options. Prints the mean ΔSNR and
ΔSI-SDR of each model per noise model and SNR, per package, and the worst package and noise model. ``--merge``
adds the rows of an earlier run (same packages, excerpts and seed, hence the same mixtures) to the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.audio import SAMPLE_RATE, resample  # noqa: E402
from noisekit.classifier.material_sides import Clip, programme_pool  # noqa: E402
from noisekit.classifier.noise_models import (  # noqa: E402
    draw_independent,
    independent_noise,
    project_noise,
    real_noise,
    real_noise_clip,
)
from noisekit.datadir import DataDir  # noqa: E402
from noisekit.denoiser.checkpoint import load_model  # noqa: E402
from noisekit.denoiser.inference import denoise_array, wave_fn  # noqa: E402
from noisekit.denoiser.metrics import delta_si_sdr  # noqa: E402
from noisekit.denoiser.validation import delta_snr  # noqa: E402
from noisekit.errors import NoisekitError  # noqa: E402
from noisekit.fsutil import atomic_write  # noqa: E402
from noisekit.manifests import read_manifest  # noqa: E402
from noisekit.seeding import rng_for  # noqa: E402
from noisekit.signal import rms_dbfs  # noqa: E402
from noisekit.synth.mix import mix_at_snr  # noqa: E402

NOISES = ("project", "independent", "independent-crackle", "real")
EXCERPT_S = 5.0
MIN_DBFS = -40.0
HELD_OUT = ("planetblupi-music-ogg", "singularity-music")


def excerpt(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    """A random mono excerpt of EXCERPT_S seconds of ``clip`` at the model rate (float32)."""
    with sf.SoundFile(str(clip.path)) as fh:
        want = int(EXCERPT_S * fh.samplerate)
        fh.seek(int(rng.integers(0, max(fh.frames - want, 0) + 1)))
        audio = fh.read(want, dtype="float32", always_2d=True).mean(axis=1)
        return resample(audio[None, :], fh.samplerate, SAMPLE_RATE)[0].astype(np.float32)


def excerpts(clips: list[Clip], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` excerpts of full length and audible level, files drawn by duration."""
    clips = [c for c in clips if c.kind == "music" and c.duration_s >= EXCERPT_S + 1.0]
    if not clips:
        raise NoisekitError("no music file of a held-out package is long enough for an excerpt")
    weights = np.array([c.duration_s for c in clips])
    out: list[np.ndarray] = []
    for _ in range(50 * count):
        x = excerpt(clips[int(rng.choice(len(clips), p=weights / weights.sum()))], rng)
        if len(x) == int(EXCERPT_S * SAMPLE_RATE) and rms_dbfs(x) >= MIN_DBFS:
            out.append(x)
        if len(out) == count:
            return out
    raise NoisekitError(f"only {len(out)} of {count} excerpts reach {MIN_DBFS} dBFS")


def noise(name: str, rng: np.random.Generator, n: int, real_clip: np.ndarray) -> np.ndarray:
    """``n`` samples of one draw of a noise model, mono float32 (its level is set by the mix)."""
    if name == "project":
        return project_noise(rng, n, SAMPLE_RATE, 1, -30.0)[0]
    if name == "real":
        return real_noise(rng, n, 1, -30.0, real_clip, SAMPLE_RATE)[0]
    params = draw_independent(rng)
    if name == "independent-crackle":
        crackle = {"crackle_db": float(rng.uniform(12.0, 18.0)), "crackle_rate_hz": float(rng.uniform(100, 300))}
        params = replace(params, **crackle)
    return independent_noise(rng, n, SAMPLE_RATE, 1, -30.0, params=params)[0]


def score(models: dict, pool: dict[str, list[Clip]], args: argparse.Namespace) -> tuple[list[dict], dict]:
    """One row per (excerpt, noise model, SNR, model), and each model's seconds of work."""
    real_clip = real_noise_clip()
    rows, work = [], defaultdict(float)
    for package in args.packages:
        for i, clean in enumerate(excerpts(pool[package], args.excerpts, rng_for(args.seed, "dn-cross", package))):
            for name in NOISES:
                nz = noise(name, rng_for(args.seed, "dn-cross-noise", package, name, i), len(clean), real_clip)
                for snr in args.snr:
                    mix = mix_at_snr(clean, nz, snr)[0]
                    for label, fn in models.items():
                        t0 = time.perf_counter()
                        out = denoise_array(mix, SAMPLE_RATE, fn)
                        work[label] += time.perf_counter() - t0
                        rows.append(
                            {
                                "package": package,
                                "excerpt": i,
                                "noise": name,
                                "snr": snr,
                                "model": label,
                                "dsnr": delta_snr(clean, mix, out),
                                "dsisdr": delta_si_sdr(clean, mix, out),
                            }
                        )
    return rows, dict(work)


def mean_of(rows: list[dict], key: str, **where) -> float:
    """Mean of ``key`` over the rows matching every ``where`` item."""
    vals = [r[key] for r in rows if all(r[k] == v for k, v in where.items())]
    return float(np.mean(vals)) if vals else float("nan")


def table(rows: list[dict], labels: list[str], snrs: list[float], column: str, values: list[str]) -> list[str]:
    """Markdown rows of each model's mean ΔSNR and ΔSI-SDR per (value of ``column``, input SNR)."""
    head = " | ".join(f"{m} ΔSNR | {m} ΔSI-SDR" for m in labels)
    lines = [f"| {column} | input SNR | {head} |", "|---|---|" + "---|---|" * len(labels)]
    for value in values:
        for snr in snrs:
            where = {column: value, "snr": snr}
            cells = " | ".join(
                f"{mean_of(rows, 'dsnr', model=m, **where):+.2f} | {mean_of(rows, 'dsisdr', model=m, **where):+.2f}"
                for m in labels
            )
            lines.append(f"| {value} | {snr:g} dB | {cells} |")
    return lines


def report(rows: list[dict], labels: list[str], snrs: list[float]) -> list[str]:
    """Markdown: by noise model and SNR, by package and SNR, and each model's worst (package, noise) per SNR."""
    packages = sorted({r["package"] for r in rows})
    lines = table(rows, labels, snrs, "noise", list(NOISES)) + [""] + table(rows, labels, snrs, "package", packages)
    lines.append("")
    for m in labels:
        for snr in snrs:
            pairs = [(p, n) for p in packages for n in NOISES]
            worst = min((mean_of(rows, "dsnr", package=p, noise=n, snr=snr, model=m), p, n) for p, n in pairs)
            lines.append(f"- worst for {m} at {snr:g} dB: {worst[1]} under {worst[2]} noise, ΔSNR {worst[0]:+.2f} dB")
    return lines


def main() -> None:
    """Draw the mixtures, denoise them with every model, print the tables (and write the rows as JSON)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--material", required=True, help="data directory holding manifests/material.parquet")
    ap.add_argument("--model", action="append", required=True, help="LABEL=PATH (.pt or .safetensors)")
    ap.add_argument("--packages", nargs="+", default=list(HELD_OUT))
    ap.add_argument("--excerpts", type=int, default=12, help="excerpts per package")
    ap.add_argument("--snr", type=float, nargs="+", default=[3.0, 10.0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write every row here")
    ap.add_argument("--merge", type=Path, help="rows (--json) of an earlier run with the same draws, other models")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = DataDir(args.material)
    pool = programme_pool(read_manifest(data, "material").to_pylist(), data.root, ("train", "valid", "test"))
    missing = [p for p in args.packages if p not in pool]
    if missing:
        raise SystemExit(f"{data.root}: material.parquet has no package {', '.join(missing)}")
    models = {}
    for spec in args.model:
        label, _, path = spec.partition("=")
        models[label] = wave_fn(load_model(path).model)
    t0 = time.perf_counter()
    rows, work = score(models, pool, args)
    audio_s = len(rows) / len(models) * EXCERPT_S
    print(
        f"{args.excerpts} excerpts of {EXCERPT_S:g} s per package ({', '.join(args.packages)}), noise models "
        f"{', '.join(NOISES)}, seed {args.seed}; {time.perf_counter() - t0:.0f} s; "
        + ", ".join(f"{m} {audio_s / s:.1f}× real time" for m, s in work.items())
    )
    earlier = json.loads(args.merge.read_text()) if args.merge else []
    labels = list(dict.fromkeys([r["model"] for r in earlier] + list(models)))
    print("\n".join(report(earlier + rows, labels, args.snr)))
    if args.json:
        with atomic_write(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
