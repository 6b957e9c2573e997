"""Speed and memory of `noisekit denoise`: × real time of the `small` and `paper` presets, and peak memory
of streaming a long file.

    python benchmarks/denoise.py [--seconds 20] [--presets small paper] [--device cpu] [--threads 2]
                                 [--long-minutes 60] [--model-long-minutes 0] [--seams]

Speed: a randomly initialised model of each preset (speed does not depend on the weights) denoises
``--seconds`` of stereo audio with the chunked inference of `noisekit denoise`; the figure is seconds of
audio per second of work (stereo counts once, as a listener hears it). ``--seams`` also times the scheme
used before seam-free chunks (2048-sample overlap, no discarded context, no grid) on the same audio.
Memory: a child process streams a ``--long-minutes`` mono file through `denoise_file` with a cheap
stand-in model, and another does the same for a 1-minute file; equal peak RSS means the pipeline's
memory does not grow with the length. ``--model-long-minutes`` does the same with the `small` model.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.audio import SAMPLE_RATE  # noqa: E402
from noisekit.denoiser.inference import OVERLAP, denoise_array, denoise_file, wave_fn  # noqa: E402
from noisekit.denoiser.model import build_model  # noqa: E402


def speed(preset: str, seconds: float, device: str, chunk_s: float, batch_size: int, seams: bool = True) -> dict:
    """× real time of one preset on ``seconds`` of stereo noise-like audio (one warm-up chunk first).

    ``seams=False`` times the old scheme: a plain function carries no context or grid, with a 2048-sample overlap.
    """
    torch.manual_seed(0)
    model = build_model(preset).to(device)
    wrapped = wave_fn(model, device)
    fn, overlap = (wrapped, OVERLAP) if seams else ((lambda w: wrapped(w)), 2048)
    x = (0.1 * np.random.default_rng(0).standard_normal((2, int(seconds * SAMPLE_RATE)))).astype(np.float32)
    denoise_array(x[:, : int(chunk_s * SAMPLE_RATE)], SAMPLE_RATE, fn, chunk_s, overlap, batch_size)  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start, cpu = time.perf_counter(), time.process_time()
    denoise_array(x, SAMPLE_RATE, fn, chunk_s, overlap, batch_size)
    cpu = time.process_time() - cpu
    if device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    out = {
        "preset": preset,
        "scheme": "seam-free" if seams else "old (2048-sample overlap)",
        "device": device,
        "audio_s": seconds,
        "elapsed_s": round(elapsed, 2),
        "x_real_time": round(seconds / elapsed, 3),
        "cpu_s": round(cpu, 2),  # unlike the wall time, hardly affected by other jobs on a shared machine
        "params": sum(p.numel() for p in model.parameters()),
    }
    if device == "cuda":
        out["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return out


def write_long_file(path: Path, minutes: float) -> Path:
    """A mono 44.1-kHz 16-bit file of ``minutes`` of noise, written in blocks (never held in memory)."""
    rng = np.random.default_rng(1)
    with sf.SoundFile(str(path), "w", samplerate=SAMPLE_RATE, channels=1, subtype="PCM_16") as handle:
        for _ in range(int(minutes * 2)):
            handle.write((0.1 * rng.standard_normal(22050 * 60)).astype(np.float32))
    return path


def _peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: str, out_dir: str, model: str) -> None:
    """Run in a fresh process: stream one file and print its peak RSS (MiB) and × real time as JSON."""
    torch.set_num_threads(1)
    fn = (lambda w: 0.5 * w) if model == "gain" else wave_fn(build_model(model))
    base = _peak_rss_mib()
    result = denoise_file(path, out_dir, fn)
    peak = _peak_rss_mib()
    print(
        json.dumps(
            {
                "peak_rss_mib": round(peak),
                "rss_before_mib": round(base),
                "minutes": result.duration_s / 60,
                "x_real_time": round(result.speed, 2),
            }
        )
    )


def memory(minutes: float, model: str, tmp: Path) -> dict:
    """Peak RSS of a child process streaming a file of ``minutes`` minutes through the given model."""
    path = write_long_file(tmp / f"long-{minutes:g}.wav", minutes)
    code = (
        f"import sys; sys.argv=['x']; from benchmarks.denoise import _child; _child({str(path)!r}, "
        f"{str(tmp / 'out')!r}, {model!r})"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    path.unlink()
    for f in (tmp / "out").glob("*"):
        f.unlink()
    return {"model": model, **json.loads(proc.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--presets", nargs="*", default=["small", "paper"])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-s", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument("--model-long-minutes", type=float, default=0.0)
    parser.add_argument("--seams", action="store_true", help="also time the old scheme, with seams")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    machine = (
        torch.cuda.get_device_name()
        if args.device == "cuda"
        else f"{platform.processor() or 'cpu'}, {args.threads} torch thread(s)"
    )
    print(f"# machine: {machine}; torch {torch.__version__}")
    for preset in args.presets:
        for seam_free in (True, False) if args.seams else (True,):
            print(json.dumps(speed(preset, args.seconds, args.device, args.chunk_s, args.batch_size, seam_free)))
    with tempfile.TemporaryDirectory() as tmp:
        if args.long_minutes > 0:
            for minutes in (1.0, args.long_minutes):
                print(json.dumps({"memory": memory(minutes, "gain", Path(tmp))}), flush=True)
        if args.model_long_minutes > 0:
            for minutes in (0.5, args.model_long_minutes):
                print(json.dumps({"memory": memory(minutes, "small", Path(tmp))}), flush=True)


if __name__ == "__main__":
    main()
