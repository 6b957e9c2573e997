"""Measured figures of the classical restoration DSP (for docs/restore.md).

    nice -n 10 python benchmarks/restore_classical.py [--seeds 5]

1. Declick: clicks planted in a sum of sinusoids with a -50 dBFS hiss floor (60 clicks in 3 s, 1-11 samples,
   peak 0.05-0.5): recall, false-alarm runs per second and fraction of clean samples flagged, error reduction
   over the click samples; and on 78-rpm surface noise from ``noisekit.synth`` (its clicks are not labelled
   there, so only the count and speed); speed in x real time of one channel at 44.1 kHz, from CPU time (so
   the figure does not depend on what else the machine runs); detections per
   second on clean synthetic instrument music (false alarms), alone and under hiss.
2. Inpaint: SNR of the refilled gap versus gap length in a sum of sinusoids and in synthetic notes (with a
   -60 dBFS hiss), gaps cut at 5 places where the music sounds, given to the inpainter.
3. Baselines: mean output SNR gain on synthetic notes in white and pink noise at 5 dB input SNR.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from noisekit.denoiser.classical import BASELINES
from noisekit.denoiser.classical.declick import declick
from noisekit.denoiser.classical.inpaint import inpaint
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes, plant_clicks, sinusoids
from noisekit.signal import snr_db


def bench_declick(seeds: int) -> dict:
    """Recall, false alarms, error reduction and speed on planted clicks."""
    recall, fa_rate, fa_frac, gain, speed = [], [], [], [], []
    for seed in range(seeds):
        clean = sinusoids(3.0, seed=seed)
        noisy, planted = plant_clicks(clean, 60, seed=100 + seed)
        t0 = time.process_time()
        result = declick(noisy, SR)
        speed.append(3.0 / (time.process_time() - t0))
        truth = np.zeros(len(clean), dtype=bool)
        for s, e in planted:
            truth[s:e] = True
        recall.append(np.mean([result.mask[s:e].any() for s, e in planted]))
        fa_rate.append(sum(not truth[s:e].any() for s, e in result.clicks) / 3.0)
        fa_frac.append(np.sum(result.mask & ~truth) / np.sum(~truth))
        gain.append(snr_db(clean[truth], result.audio[truth]) - snr_db(clean[truth], noisy[truth]))
    long_x = sinusoids(30.0, seed=99)
    t0 = time.process_time()
    declick(long_x, SR)
    return {
        "recall": float(np.mean(recall)),
        "recall_min": float(np.min(recall)),
        "false_runs_per_s": float(np.mean(fa_rate)),
        "false_sample_fraction": float(np.mean(fa_frac)),
        "click_error_reduction_db": float(np.mean(gain)),
        "x_realtime_cpu_3s": float(np.median(speed)),
        "x_realtime_cpu_30s": 30.0 / (time.process_time() - t0),
    }


def bench_music_false_alarms(count: int = 12) -> dict:
    """Detections per second on clean synthetic instrument music (benchmarks/restore_gate.py's generator),
    alone and with white hiss at 20 dB SNR, and recall of planted clicks >= 10 hiss sigmas in the latter."""
    from restore_gate import synth_music

    from noisekit.seeding import rng_for

    clean_rate, hiss_rate, recall = [], [], []
    for i in range(count):
        music = synth_music(rng_for(500, "declick-fa", i))
        clean_rate.append(declick(music, SR).stats["clicks_per_s"])
        hissy = add_noise(music, coloured_noise(len(music), "white", seed=i), 20.0)
        hiss_rate.append(declick(hissy, SR).stats["clicks_per_s"])
        x, planted = plant_clicks(hissy, 30, seed=600 + i)
        sd = np.std(hissy - music)
        mask = declick(x, SR).mask
        strong = [(s, e) for s, e in planted if np.abs(x[s:e] - hissy[s:e]).max() >= 10 * sd]
        recall += [mask[s:e].any() for s, e in strong]
    return {
        "clean_music_detections_per_s_median": float(np.median(clean_rate)),
        "clean_music_detections_per_s_mean": float(np.mean(clean_rate)),
        "hiss20_detections_per_s_median": float(np.median(hiss_rate)),
        "hiss20_detections_per_s_mean": float(np.mean(hiss_rate)),
        "hiss20_strong_click_recall": float(np.mean(recall)),
        "strong_clicks": len(recall),
    }


def bench_gramophone() -> dict:
    """Clicks found and speed on 20 s of synthetic notes plus 78-rpm surface noise at 15 dB SNR."""
    from noisekit.seeding import rng_for
    from noisekit.synth import gramophone
    from noisekit.synth.mix import mix_at_snr

    rng = rng_for(7, "bench-declick")
    music = notes(20.0, seed=7)
    noise = gramophone.render_gramophone_noise(gramophone.draw_gramophone_params(rng), 20.0, SR, rng)[0]
    mixed, _ = mix_at_snr(music, noise[: len(music)], 15.0)
    t0 = time.process_time()
    result = declick(mixed.astype(np.float32), SR)
    return {
        "clicks_per_s": result.stats["clicks_per_s"],
        "samples_replaced_fraction": result.stats["samples_replaced"] / len(music),
        "x_realtime_cpu": 20.0 / (time.process_time() - t0),
    }


def bench_inpaint() -> dict:
    """Gap SNR (dB) versus gap length, averaged over 5 positions inside sounding music, two kinds of signal."""
    rows = {}
    hiss = np.random.default_rng(5).standard_normal(3 * SR).astype(np.float32) * 1e-3
    for name, signal in (("sinusoids", sinusoids(3.0, hiss=0.001, seed=3)), ("notes", notes(3.0, seed=4) + hiss)):
        level = np.convolve(signal.astype(np.float64) ** 2, np.ones(SR // 10) / (SR // 10), mode="same")
        for gap_ms in (1, 5, 10, 20, 50, 100):
            length = int(gap_ms * SR / 1000)
            sounding = np.flatnonzero(level[int(0.5 * SR) : int(2.4 * SR) - length] > 1e-3) + int(0.5 * SR)
            snrs = []
            for start in sounding[np.linspace(0, len(sounding) - 1, 5).astype(int)]:
                x = signal.copy()
                x[start : start + length] = 0.0
                y = inpaint(x, SR, gaps=[(int(start), int(start) + length, "cut")]).audio
                snrs.append(snr_db(signal[start : start + length], y[start : start + length]))
            rows[f"{name}_{gap_ms}ms"] = float(np.mean(snrs))
    return rows


def bench_baselines() -> dict:
    """Mean SNR gain (dB) of each baseline on 3 notes excerpts of 4 s at 5 dB input SNR."""
    rows: dict[str, float] = {}
    for kind in ("white", "pink"):
        for name, fn in BASELINES.items():
            gains, speed = [], []
            for seed in range(3):
                clean = notes(4.0, seed=200 + seed)
                noisy = add_noise(clean, coloured_noise(len(clean), kind, seed=300 + seed), 5.0)
                t0 = time.process_time()
                out = fn(noisy, SR)
                speed.append(4.0 / max(time.process_time() - t0, 1e-9))
                gains.append(snr_db(clean, out) - snr_db(clean, noisy))
            rows[f"{kind}/{name}"] = float(np.mean(gains))
            rows[f"x_realtime_cpu/{name}"] = float(np.median(speed))
    return rows


def main() -> None:
    """Run every benchmark and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=["declick", "inpaint", "baselines"], help="run one part")
    args = parser.parse_args()
    parts = {
        "declick": lambda: {
            "declick": bench_declick(args.seeds),
            "declick_gramophone": bench_gramophone(),
            "declick_music": bench_music_false_alarms(),
        },
        "inpaint": lambda: {"inpaint_snr_db": bench_inpaint()},
        "baselines": lambda: {"baselines_gain_db": bench_baselines()},
    }
    doc = {}
    for name, run in parts.items():
        if args.only in (None, name):
            doc.update(run())
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
