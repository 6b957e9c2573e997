"""The tape content rule against the classifier: blank captures refused, music and speech under the hiss caught.

    python -m benchmarks.tape_content_rule [--model DIR] [--minutes 10] [--sr 44100] [--seeds 2] [--snrs=-5,-10]

Blank captures are synthetic blank tape at 1.875, 3.75, 7.5 and 15 ips (hum, dropouts and Dolby as drawn);
content cases put 3 s of synthetic music or speech into 12 s of blank tape at the given levels relative to the
hiss RMS. Each rule is "content = N consecutive windows with p(noise only) below T"; the shipped rule is marked.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from noisekit.audio import SAMPLE_RATE as SR
from noisekit.pipelines.tape_checks import CONTENT_MIN_WINDOWS, CONTENT_THRESHOLD
from noisekit.seeding import rng_for
from noisekit.synth.music import draw_music_params, render_music
from noisekit.synth.speech import draw_speech_params, render_speech
from noisekit.synth.tape import SPEEDS_IPS, draw_tape_params, render_tape_noise

RULES = [(0.5, 3), (0.3, 3), (0.2, 3), (0.1, 3), (0.2, 1)]


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for m in mask:
        run = run + 1 if m else 0
        best = max(best, run)
    return best


def _hits(probs: np.ndarray) -> dict[tuple[float, int], bool]:
    return {(t, k): _longest_run(probs < t) >= k for t, k in RULES}


def _content(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "music":
        x = render_music(draw_music_params(rng), 3.0, SR, rng)
    else:
        x = render_speech(draw_speech_params(rng), 3.0, SR, rng)
    x = np.asarray(x, dtype=np.float64)
    return (x.mean(axis=0) if x.ndim == 2 else x)[: 3 * SR]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sr", type=int, default=SR, help="rate of the blank captures")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--snrs", default="0,-5,-10,-15")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from noisekit.classifier import load_classifier

    clf = load_classifier(args.model)
    label = {
        r: f"{r[0]}/{r[1]}" + (" (shipped)" if r == (CONTENT_THRESHOLD, CONTENT_MIN_WINDOWS) else "") for r in RULES
    }
    refused = dict.fromkeys(RULES, 0)
    for speed in SPEEDS_IPS:
        for seed in range(args.seeds):
            rng = rng_for(seed, "content-rule-blank", speed)
            blank = render_tape_noise(draw_tape_params(rng, speed), args.minutes * 60, args.sr, rng, channels=2)
            for rule, hit in _hits(clf.window_probs(blank.mean(axis=0), args.sr).probs).items():
                refused[rule] += hit
    n = len(SPEEDS_IPS) * args.seeds
    print(
        f"blank {args.minutes:g}-min captures at {args.sr} Hz refused, of {n}: "
        + ", ".join(f"{label[r]}: {v}" for r, v in refused.items())
    )
    for kind in ("music", "speech"):
        for snr in (float(s) for s in args.snrs.split(",")):
            caught = dict.fromkeys(RULES, 0)
            for seed in range(8):
                rng = rng_for(seed, "content-rule", kind, snr)
                noise = render_tape_noise(draw_tape_params(rng, SPEEDS_IPS[seed % 4]), 12.0, SR, rng)[0]
                content = _content(kind, rng)
                gain = np.sqrt(np.mean(noise**2) / max(np.mean(content**2), 1e-24)) * 10 ** (snr / 20)
                noise[4 * SR : 4 * SR + len(content)] += (gain * content).astype(np.float32)
                for rule, hit in _hits(clf.window_probs(noise, SR).probs).items():
                    caught[rule] += hit
            print(
                f"3 s of {kind} at {snr:+g} dB re hiss, caught of 8: "
                + ", ".join(f"{label[r]}: {v}" for r, v in caught.items())
            )


if __name__ == "__main__":
    main()
