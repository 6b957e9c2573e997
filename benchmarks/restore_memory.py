"""Peak memory of `noisekit restore` against the length of the side: does it stay flat?

Writes a synthetic stereo 44.1-kHz 16-bit side (notes in hiss with clicks, tiled to the length asked) and runs
the real command on it in a child process, reading the child's peak RSS (ru_maxrss) after it exits. Usage:
``python benchmarks/restore_memory.py --minutes 3 30 120 --steps declick,inpaint``; prints one JSON line per side.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks


def write_side(path: Path, minutes: float) -> None:
    """A stereo side of ``minutes``: 60 s of clicky notes in hiss, repeated, written block by block."""
    clean = notes(60.0, seed=61)
    x = plant_clicks(add_noise(clean, coloured_noise(len(clean), "white", seed=62), 20.0), 600, seed=63)[0]
    minute = np.stack([x, x[::-1]]).T * 0.5
    with sf.SoundFile(str(path), "w", SR, 2, "PCM_16") as handle:
        whole, rest = divmod(int(minutes * 60 * SR), len(minute))
        for _ in range(whole):
            handle.write(minute)
        handle.write(minute[:rest])


def peak_rss_gb(args: list[str]) -> tuple[float, float]:
    """Run ``noisekit`` with ``args`` in a child; its peak resident memory in GB and its wall seconds."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "noisekit", *args], check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[3.0, 30.0])
    parser.add_argument("--steps", default="declick,inpaint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:  # ascending: ru_maxrss of children is the largest so far
            side = Path(tmp) / f"side_{minutes:g}min.wav"
            write_side(side, minutes)
            gb, wall = peak_rss_gb(["restore", str(side), "--out", str(Path(tmp) / "out"), "--steps", args.steps])
            side.unlink()
            row = {"minutes": minutes, "steps": args.steps, "peak_rss_gb": round(gb, 3), "wall_s": round(wall)}
            print(json.dumps(row))


if __name__ == "__main__":
    main()
