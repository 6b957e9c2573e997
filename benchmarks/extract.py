"""End-to-end extract throughput (× real time) and peak memory on one long stereo side.

    python benchmarks/extract.py [--minutes 60] [--rate 44100] [--jobs 1] [--threads 2]

Builds a long synthetic side as 16-bit stereo FLAC (synthetic 60-s sides from noisekit.synth, cycled),
then runs, each in a fresh process so that its peak resident memory (ru_maxrss) is its own:
  1. decode only: the streamed mono mix at 44.1 kHz (`iter_blocks`);
  2. decode + classify: the shipped classifier's streaming window probabilities;
  3. the whole stage: `extract(..., inputs=[side])`: decode, resample, classify, cut, loop, write, manifest.
Prints one line per step: wall seconds, × real time, CPU seconds (user + system, which the load of a
shared machine does not inflate) and peak RSS. The figures go into docs/extract.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noisekit.audio import SAMPLE_RATE  # noqa: E402

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import torch
torch.set_num_threads({threads})
step, path, data = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
out = {{}}
if step == "decode":
    from noisekit.audio import SAMPLE_RATE, iter_blocks
    n = sum(b.shape[1] for b in iter_blocks(path, block_s=30.0, sr=SAMPLE_RATE, mono=True))
    out["audio_s"] = n / SAMPLE_RATE
elif step == "classify":
    from noisekit.classifier import load_classifier
    from noisekit.audio import SAMPLE_RATE, iter_blocks
    clf = load_classifier({model!r})
    blocks = iter_blocks(path, block_s=30.0, sr=SAMPLE_RATE, mono=True)
    wp = clf.window_probs_stream((b[0] for b in blocks), SAMPLE_RATE)
    out["audio_s"] = wp.duration_s
else:
    from noisekit.datadir import DataDir
    from noisekit.pipelines.extract import extract
    r = extract(DataDir(data), inputs=[path], model={model!r}, jobs={jobs}, progress=False)
    out.update(audio_s=r.audio_s, segments=r.segments, noise_min=r.noise_s / 60, failed=r.failed)
out["seconds"] = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
out["peak_rss_mb"] = usage.ru_maxrss / 1024
out["cpu_s"] = usage.ru_utime + usage.ru_stime
print(json.dumps(out))
"""


def make_side(path: Path, minutes: float, rate: int, seed: int = 90_000) -> None:
    """Write a `minutes`-long stereo 16-bit FLAC at `rate` by cycling a few distinct synthetic 60-s sides."""
    from noisekit.audio import resample

    try:
        from noisekit.synth.side import synth_side
    except ImportError:  # the synthetic side generator is not there: surface noise with tone passages
        synth_side = None
    chunks, k = [], 0
    while len(chunks) < 4:
        k += 1
        if synth_side is not None:
            try:
                side = synth_side(seed + k, duration_s=60.0, channels=2)
            except ValueError as exc:  # a generator bug on one seed should not stop the benchmark
                print(f"synth_side({seed + k}) failed ({exc}); next seed")
                continue
            audio, sr = side.audio, side.sr
        else:
            rng = np.random.default_rng(seed + k)
            sr = SAMPLE_RATE
            audio = (0.01 * rng.standard_normal((2, 60 * sr))).astype(np.float32)
            t = np.arange(40 * sr) / sr
            audio[:, 10 * sr : 50 * sr] += (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        chunks.append(np.clip(resample(audio, sr, rate), -1, 1).T)
    with sf.SoundFile(str(path), "w", rate, 2, subtype="PCM_16", format="FLAC") as handle:
        written, k = 0, 0
        while written < minutes * 60 * rate:
            chunk = chunks[k % len(chunks)][: int(minutes * 60 * rate) - written]
            handle.write(chunk)
            written += len(chunk)
            k += 1


def run_step(step: str, side: Path, data: Path, jobs: int, threads: int, model: str | None) -> dict:
    """Run one step in a fresh interpreter and return its measurements."""
    code = _CHILD.format(root=str(ROOT), threads=threads, jobs=jobs, model=model)
    proc = subprocess.run(
        [sys.executable, "-c", code, step, str(side), str(data)], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse options, build the side, run the three steps and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=int, default=SAMPLE_RATE, help="sample rate of the side file (44100, 48000, 96000)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--steps", default="decode,classify,extract")
    ap.add_argument("--model", default=None, help="classifier checkpoint (default: the shipped weights)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        side = Path(tmp) / "side.flac"
        t0 = time.perf_counter()
        make_side(side, args.minutes, args.rate)
        print(
            f"side: {args.minutes:g} min stereo 16-bit FLAC at {args.rate} Hz, "
            f"{side.stat().st_size / 1e6:.0f} MB, built in {time.perf_counter() - t0:.0f} s; "
            f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}"
        )
        for step in args.steps.split(","):
            r = run_step(step, side, Path(tmp) / "data", args.jobs, args.threads, args.model)
            extra = "".join(
                f", {k}={v:.1f}" if isinstance(v, float) else f", {k}={v}"
                for k, v in r.items()
                if k not in ("seconds", "audio_s", "peak_rss_mb", "cpu_s")
            )
            print(
                f"{step:9s} {r['seconds']:7.1f} s  {r['audio_s'] / r['seconds']:6.0f}x real time  "
                f"CPU {r['cpu_s']:6.1f} s ({r['audio_s'] / r['cpu_s']:4.0f}x per CPU-second)  "
                f"peak RSS {r['peak_rss_mb']:6.0f} MB{extra}"
            )


if __name__ == "__main__":
    main()
