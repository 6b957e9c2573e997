"""Stationary in, stationary out? How far a denoiser's output level above 8 kHz rises over its median.

    python benchmarks/denoiser_stationarity.py --model shipped=denoiser/weights/small.safetensors \
        [--model new=RUN/last.pt] [--seconds 20] [--chunk-s 10]

Steady tones (220, 660, 1760, 5000 Hz) under white noise at -40, -30 and -20 dBFS and pink noise at -30 dBFS
are denoised by `denoise_array` (the path of `noisekit denoise`); the level above 8 kHz in 6-ms windows is
compared with its median. A model that lets hiss through now and then shows a high 99th percentile; ΔSNR
hardly sees it. Prints the 99th percentile, 99.9th percentile and maximum rise per model and input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.denoiser.checkpoint import load_model  # noqa: E402
from noisekit.denoiser.inference import denoise_array, wave_fn  # noqa: E402
from noisekit.denoiser.metrics import high_band_levels_db  # noqa: E402

SR = 44100
TONES = ((0.1, 220.0), (0.05, 660.0), (0.03, 1760.0), (0.01, 5e3))
#: Paul Kellet's pink-noise filter (about -3 dB per octave), as b, a
PINK = ([0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400])


def inputs(seconds: float) -> dict[str, np.ndarray]:
    """The stationary test signals by name."""
    t = np.arange(int(seconds * SR)) / SR
    tones = sum(a * np.sin(2 * np.pi * f * t) for a, f in TONES)
    white = np.random.default_rng(0).standard_normal(t.size)
    pink = lfilter(*PINK, white)
    pink /= pink.std()
    out = {f"white noise at {db} dBFS": 10 ** (db / 20) * white + tones for db in (-40, -30, -20)}
    out["pink noise at -30 dBFS"] = 10 ** (-30 / 20) * pink + tones
    return {k: v.astype(np.float32) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="LABEL=PATH (.pt or .safetensors)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--chunk-s", type=float, default=10.0)
    args = ap.parse_args()
    models = {label: wave_fn(load_model(path).model) for label, path in (m.split("=", 1) for m in args.model)}
    print("| input | " + " | ".join(f"{label}: 99th pct / 99.9th pct / max rise" for label in models) + " |")
    print("|---|" + "---|" * len(models))
    for name, x in inputs(args.seconds).items():
        cells = []
        for model in models.values():
            levels = high_band_levels_db(denoise_array(x, SR, model, chunk_s=args.chunk_s), SR)
            rise = levels - np.median(levels)
            cells.append(f"{np.percentile(rise, 99):.1f} / {np.percentile(rise, 99.9):.1f} / {rise.max():.1f} dB")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
