"""Harvest throughput against the loopback archive (served by another process), and the per-file cost
of a rerun over already-verified files.

    python benchmarks/harvest.py                      # 100 items of 3 s stereo FLAC; 10 000-file rerun
    python benchmarks/harvest.py --items 50 --rerun-files 2000

Prints items/s and MB/s with 1, 4 and 16 jobs (no rate limit: this measures the machinery, not the
politeness; the default --rate 8 caps a real harvest near 2.7 items/s), then the rerun cost per file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noisekit.datadir import DataDir  # noqa: E402
from noisekit.pipelines.harvest import HarvestOptions, harvest  # noqa: E402


def serve(items: int, seconds: float, channels: int) -> tuple[subprocess.Popen, str]:
    """Start tests/fake_archive.py in its own process; returns it and its URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "fake_archive.py"),
            "--items",
            str(items),
            "--seconds",
            str(seconds),
            "--channels",
            str(channels),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError("the loopback archive did not start")
    return proc, url


def run(url: str, data: Path, jobs: int) -> tuple[float, object]:
    """One harvest into `data`; returns (seconds, result)."""
    start = time.perf_counter()
    result = harvest(DataDir(data), HarvestOptions(endpoint=url, jobs=jobs, rate=None, progress=False))
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rerun-files", type=int, default=10000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noisekit-bench-harvest-"))
    try:
        proc, url = serve(args.items, args.seconds, channels=2)
        try:
            for jobs in (1, 4, 16):
                elapsed, result = run(url, work / f"jobs{jobs}", jobs)
                assert result.ok == args.items, result.summary()
                print(
                    f"jobs={jobs:2d}: {args.items / elapsed:7.1f} items/s  {result.bytes / 1e6 / elapsed:7.1f} MB/s"
                    f"  ({args.items} items, {result.bytes / 1e6:.1f} MB, {elapsed:.2f} s)",
                    flush=True,
                )
        finally:
            proc.kill()
            proc.stdout.close()
        proc, url = serve(args.rerun_files, 0.05, channels=1)
        try:
            elapsed, result = run(url, work / "rerun", 16)
            assert result.ok == args.rerun_files, result.summary()
            print(
                f"first run of {args.rerun_files} small items, 16 jobs: {args.rerun_files / elapsed:.0f} items/s",
                flush=True,
            )
            timings = []
            for _ in range(3):
                elapsed, result = run(url, work / "rerun", 16)
                assert result.skipped == args.rerun_files and result.ok == 0, result.summary()
                timings.append(elapsed)
            best = min(timings)
            print(
                f"rerun over {args.rerun_files} verified files: {best:.2f} s, {best / args.rerun_files * 1e3:.3f} ms "
                f"per file (best of 3; search included)",
                flush=True,
            )
        finally:
            proc.kill()
            proc.stdout.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
