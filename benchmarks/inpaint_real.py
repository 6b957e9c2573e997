"""Gap filling on real music: mean SNR of the refilled stretch for each inpaint method and gap length.

    python benchmarks/inpaint_real.py --music DIR [DIR ...] [--clips 4] [--gaps-ms 3 20 50]

From each folder (one per source, e.g. the Debian music packages of `pipelines/material.toml`), ``--clips``
tracks spread over the sorted files give a 10-s mono clip each; in each clip, gaps of digital silence are cut
at 30, 40, 50, 60 and 70 % of its length (one at a time) and refilled by `inpaint` with every method.
Gaps in near-silence (under -60 dBFS RMS) are skipped: their SNR says nothing. Prints one JSON line per
gap length with the mean and median SNR and the CPU seconds per gap of each method, and the worst source.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from noisekit.denoiser.classical.inpaint import METHODS, InpaintParams, inpaint
from noisekit.signal import snr_db

SUFFIXES = (".flac", ".ogg", ".wav", ".opus")


def clips(folder: Path, count: int, seconds: float) -> list[tuple[np.ndarray, int]]:
    """``count`` mono clips of ``seconds`` from tracks spread over the sorted audio files under ``folder``."""
    tracks = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    out = []
    for path in [tracks[int(i)] for i in np.linspace(0, len(tracks) - 1, min(count, len(tracks)))]:
        info = sf.info(str(path))
        n = int(seconds * info.samplerate)
        x, sr = sf.read(str(path), start=max(0, int(0.4 * info.frames) - n // 2), frames=n, always_2d=True)
        if len(x) == n:
            out.append((np.ascontiguousarray(x[:, 0]), sr))
    return out


def score(folders: list[Path], count: int, gap_s: float) -> dict:
    """Every method on every gap of every clip: SNR per source and CPU time."""
    snrs: dict[str, dict[str, list[float]]] = {m: {} for m in METHODS}
    cpu = dict.fromkeys(METHODS, 0.0)
    for folder in folders:
        for x, sr in clips(folder, count, 10.0):
            length = int(round(gap_s * sr))
            for start in (int(len(x) * f) for f in (0.3, 0.4, 0.5, 0.6, 0.7)):
                truth = x[start : start + length]
                if np.sqrt(np.mean(truth**2)) < 1e-3:
                    continue
                holed = x.copy()
                holed[start : start + length] = 0.0
                for method in METHODS:
                    t0 = time.process_time()
                    params = InpaintParams(method=method, blend_from_s=0.0)  # the blend itself, at every length
                    y = inpaint(holed, sr, params, gaps=[(start, start + length, "silence")])
                    cpu[method] += time.process_time() - t0
                    snrs[method].setdefault(folder.name, []).append(snr_db(truth, y.audio[start : start + length]))
    row: dict = {"gap_ms": gap_s * 1000}
    for method, per_source in snrs.items():
        every = [v for values in per_source.values() for v in values]
        worst = min(per_source, key=lambda s: np.mean(per_source[s]))
        row[method] = {
            "mean_db": round(float(np.mean(every)), 2),
            "median_db": round(float(np.median(every)), 2),
            "gaps": len(every),
            "cpu_s_per_gap": round(cpu[method] / len(every), 3),
            "worst_source": f"{worst} {np.mean(per_source[worst]):.2f} dB",
        }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--music", type=Path, nargs="+", required=True, help="one folder per source")
    parser.add_argument("--clips", type=int, default=4, help="clips per source")
    parser.add_argument("--gaps-ms", type=float, nargs="+", default=[3.0, 20.0, 50.0])
    args = parser.parse_args()
    for gap_ms in args.gaps_ms:
        print(json.dumps(score(args.music, args.clips, gap_ms / 1000)), flush=True)


if __name__ == "__main__":
    main()
