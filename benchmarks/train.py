"""Training speed and peak memory of a preset: steps/s and peak memory for one process.

    python benchmarks/train.py --preset small --device cpu --threads 1 --steps 10
    python benchmarks/train.py --preset paper --device cuda --steps 20

Random waveforms of the preset's crop length stand in for data (the cost does not depend on the audio),
so no data directory is needed; the step is the training loop's own (``Trainer.step``).
Prints the machine, the settings and the figures (for docs/denoiser.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from noisekit.audio import SAMPLE_RATE  # noqa: E402
from noisekit.denoiser.train import PRESET_RECIPES, Trainer, pick_device, train_config  # noqa: E402


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def run(preset: str, device: str, steps: int, warmup: int, batch: int | None, crop_s: float | None) -> dict:
    """Time ``steps`` optimisation steps after ``warmup`` ones; returns the figures."""
    cfg = train_config(preset, batch_size=batch, crop_s=crop_s)
    dev = pick_device(device)
    trainer = Trainer(cfg, dev)
    n = int(round(cfg.crop_s * SAMPLE_RATE))
    x = torch.randn(cfg.batch_size, n, device=dev) * 0.1
    y = x * 0.5
    rss_before = _rss_mib()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)

    for _ in range(warmup):
        trainer.step(x, y)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        trainer.step(x, y)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {
        "preset": preset,
        "device": str(dev),
        "batch": cfg.batch_size,
        "crop_s": cfg.crop_s,
        "steps_per_s": steps / wall,
        "cpu_s_per_step": cpu / steps,
        "audio_s_per_s": steps * cfg.batch_size * cfg.crop_s / wall,
        "peak_rss_mib": _rss_mib(),
        "rss_before_mib": rss_before,
    }
    if dev.type == "cuda":
        out["peak_gpu_mib"] = torch.cuda.max_memory_allocated(dev) / 2**20
        out["gpu"] = torch.cuda.get_device_name(dev)
    return out


def main() -> None:
    """Parse options, run, print."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="small", choices=sorted(PRESET_RECIPES))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--crop", type=float, help="crop length in seconds (preset default if omitted)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    r = run(args.preset, args.device, args.steps, args.warmup, args.batch_size, args.crop)
    print(
        f"machine: {_cpu_name()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}, "
        f"{args.threads} thread(s), load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"preset {r['preset']} on {r['device']}{' (' + r['gpu'] + ')' if 'gpu' in r else ''}: "
        f"batch {r['batch']} x {r['crop_s']} s"
    )
    print(
        f"  {r['steps_per_s']:.3f} steps/s ({r['audio_s_per_s']:.2f} s of audio per s), "
        f"{r['cpu_s_per_step']:.2f} CPU-s per step"
    )
    print(
        f"  peak RSS {r['peak_rss_mib']:.0f} MiB (after building the model: {r['rss_before_mib']:.0f} MiB)"
        + (f", peak GPU memory {r['peak_gpu_mib']:.0f} MiB" if "peak_gpu_mib" in r else "")
    )


if __name__ == "__main__":
    main()
