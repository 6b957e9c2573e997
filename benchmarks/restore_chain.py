"""End-to-end figures of `noisekit restore` on synthetic sides (for docs/restore.md).

    nice -n 10 python benchmarks/restore_chain.py [--seconds 30] [--checkpoint PATH]

Three stereo files at 44.1 kHz: clean synthetic notes; the same notes plus rendered 78-rpm surface noise at
15 dB SNR; and that noisy mixture with two 5-ms digital dropouts and one 300-ms one. Each goes through the
whole chain (gate, declick, denoise with the classical LSA or a given checkpoint, inpaint) via the library
function the command calls; prints whether the clean file came back bit-exact, the SNR before and after
against the clean notes, clicks removed, gaps filled/reported, and speed in x real time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from noisekit.denoiser.classical.signals import SR, notes
from noisekit.pipelines.restore import RestoreOptions, pick_denoiser, restore_file
from noisekit.seeding import rng_for
from noisekit.signal import snr_db
from noisekit.synth import gramophone
from noisekit.synth.mix import mix_at_snr


def sides(seconds: float) -> dict[str, np.ndarray]:
    """Clean, noisy and noisy-with-dropouts stereo sides (2, n) and the clean reference."""
    clean = np.stack([notes(seconds, seed=71), notes(seconds, seed=72)]) * 0.8
    rng = rng_for(71, "restore-bench")
    noise = gramophone.render_gramophone_noise(gramophone.draw_gramophone_params(rng), seconds, SR, rng, 2)
    noisy, _ = mix_at_snr(clean, noise[:, : clean.shape[1]], 15.0)
    holes = noisy.copy()
    for start, ms in ((int(4.1 * SR), 5), (int(9.3 * SR), 5), (int(14.2 * SR), 300)):
        holes[:, start : start + int(ms * SR / 1000)] = 0.0
    return {"clean": clean.astype(np.float32), "noisy": noisy.astype(np.float32), "dropouts": holes.astype(np.float32)}


def main() -> None:
    """Restore the three sides and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--checkpoint", type=Path)
    args = parser.parse_args()
    denoise_fn, name = pick_denoiser(args.checkpoint, "model" if args.checkpoint else "lsa")
    options = RestoreOptions(denoiser_name=name)
    data = sides(args.seconds)
    rows: dict = {"denoiser": name, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        for key, audio in data.items():
            path = Path(tmp) / f"{key}.wav"
            sf.write(path, audio.T, SR, subtype="FLOAT")
            result = restore_file(path, Path(tmp) / "out", denoise_fn, options)
            rep = result.report
            rows[key] = {
                "bit_exact": rep["bit_exact"],
                "noisy_s": rep["gate"]["noisy_s"],
                "snr_in_db": snr_db(data["clean"], audio) if key != "clean" else None,
                "snr_out_db": snr_db(data["clean"], result.audio) if key != "clean" else None,
                "clicks": rep["declick"]["clicks"],
                "gaps_filled": rep["inpaint"]["filled"],
                "gaps_too_long": rep["inpaint"]["too_long"],
                "step_seconds": rep["seconds"],
                "x_realtime": rep["x_realtime"],
                "x_realtime_cpu": rep["x_realtime_cpu"],
            }
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
