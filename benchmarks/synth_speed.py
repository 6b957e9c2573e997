"""Print how long the synthesisers take to render 10 s of audio on one core (best CPU time of N runs).

CPU time of this process, best of N, is the fairest single-core figure on a shared machine: contention
only ever adds to it (cache and memory-bandwidth sharing still do a little, so the load average is
printed with the table). Run with OPENBLAS_NUM_THREADS=1 to keep BLAS on one core.

    python benchmarks/synth_speed.py [--repeats 7] [--seeds 6]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

from noisekit.audio import SAMPLE_RATE as SR
from noisekit.synth import gramophone, music, speech, tape
from noisekit.synth.side import synth_side

DUR = 10.0


def _best(fn: Callable[[], object], repeats: int) -> float:
    """Best CPU time (ms) of this process over ``repeats`` runs: waiting for a busy core does not count."""
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best * 1000.0


def _row(name: str, times: list[float]) -> str:
    return f"| {name} | {np.median(times):.0f} | {np.max(times):.0f} |"


def main() -> None:
    """Measure every synthesiser over a few seeds and print a markdown table (ms per 10 s of audio)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args()
    seeds = range(args.seeds)
    rows = []

    def gram(ch: int) -> list[float]:
        out = []
        for s in seeds:
            p = gramophone.draw_gramophone_params(np.random.default_rng(s))
            out.append(
                _best(
                    lambda p=p: gramophone.render_gramophone_noise(p, DUR, SR, np.random.default_rng(0), ch),
                    args.repeats,
                )
            )
        return out

    rows.append(_row("gramophone noise, mono", gram(1)))
    rows.append(_row("gramophone noise, stereo", gram(2)))
    tp = [tape.draw_tape_params(np.random.default_rng(s)) for s in seeds]
    rows.append(
        _row(
            "tape noise, mono",
            [_best(lambda p=p: tape.render_tape_noise(p, DUR, SR, np.random.default_rng(0)), args.repeats) for p in tp],
        )
    )
    sp = [speech.draw_speech_params(np.random.default_rng(s)) for s in seeds]
    rows.append(
        _row(
            "speech / singing",
            [_best(lambda p=p: speech.render_speech(p, DUR, SR, np.random.default_rng(0)), args.repeats) for p in sp],
        )
    )
    mus = {}
    for s in range(3 * args.seeds):
        p = music.draw_music_params(np.random.default_rng(s))
        mus.setdefault(p.style, []).append(
            _best(lambda p=p: music.render_music(p, DUR, SR, np.random.default_rng(0)), max(2, args.repeats // 2))
        )
    rows.append(_row("music, all styles", [t for ts in mus.values() for t in ts]))
    rows.append(
        _row(
            "synthetic side (stereo, 10 s)",
            [_best(lambda s=s: synth_side(s, duration_s=DUR, sr=SR), max(2, args.repeats // 2)) for s in seeds],
        )
    )
    spec = (np.random.default_rng(0).standard_normal(220501) * 1j).astype(np.complex64)
    ref = _best(lambda: np.fft.irfft(spec, n=441000), args.repeats)
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; best CPU time of {args.repeats} runs; "
        f"reference kernel (float32 irfft of 441000 samples) {ref:.1f} ms (an idle core: about 2-3 ms)"
    )
    print("| render 10 s at 44.1 kHz | median CPU ms | worst CPU ms |\n|---|---|---|")
    print("\n".join(rows))
    print("music by style (median ms): " + ", ".join(f"{k} {np.median(v):.0f}" for k, v in sorted(mus.items())))


if __name__ == "__main__":
    main()
