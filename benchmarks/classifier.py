"""Classifier inference speed (features included) in × real time, whole-signal and streamed in 30-s blocks.

    python benchmarks/classifier.py [--minutes 10] [--threads 2] [--repeats 3]

Uses the shipped weights (speed does not depend on the values). Prints the best of ``--repeats`` runs, so
other work on a shared machine disturbs the figure as little as possible, and the CPU time beside the wall
time (on a busy shared machine the wall time measures the neighbours too); the figure goes in
classifier/weights/MODEL_CARD.md. One thread is the default: on two shared cores, two threads oversubscribe.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

# this script is itself named classifier.py: import the package from the repository root, not this file
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "benchmarks"]
from noisekit.audio import SAMPLE_RATE  # noqa: E402
from noisekit.classifier import load_classifier  # noqa: E402


def _signal(minutes: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    rng = np.random.default_rng(0)
    n = int(minutes * 60 * sr)
    x = rng.standard_normal(n).astype(np.float32) * 0.01
    t = np.arange(n, dtype=np.float32) / sr
    x += (0.1 * np.sin(2 * np.pi * 220.0 * t) * (np.sin(2 * np.pi * 0.05 * t) > 0)).astype(np.float32)
    return x


def main() -> None:
    """Measure and print the throughput figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clf = load_classifier()
    x = _signal(args.minutes)
    seconds = len(x) / SAMPLE_RATE
    clf.window_probs(x[: SAMPLE_RATE * 5], SAMPLE_RATE)  # warm-up
    block = 30 * SAMPLE_RATE
    results = {}
    for name, run in (
        ("whole", lambda: clf.window_probs(x, SAMPLE_RATE)),
        ("stream", lambda: clf.window_probs_stream((x[i : i + block] for i in range(0, len(x), block)), SAMPLE_RATE)),
    ):
        best, best_cpu = float("inf"), float("inf")
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            wp = run()
            best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
        results[name] = seconds / best
        print(
            f"{name:6s}: {seconds / 60:.1f} min of audio in {best:.2f} s = {seconds / best:.0f}x real time "
            f"(CPU time {best_cpu:.2f} s = {seconds / best_cpu:.0f}x per busy core; {len(wp)} windows, "
            f"{args.threads} thread(s))"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"classifier inference incl. features: {min(results.values()):.0f}x real time "
        f"(peak RSS {rss:.0f} MB incl. the {x.nbytes / 2**20:.0f} MB test signal)"
    )


if __name__ == "__main__":
    main()
