"""Picture of one side's end: spectrogram, music level against the noise, both truths and what was extracted.

    python benchmarks/side_truth_figure.py [--seed 500019] [--seconds 30] [--out docs/img/side-truths.png]

Renders a tuning side (``noisekit.classifier.evaluate.TUNE_SEED_START`` on, never training or evaluation seeds),
runs the shipped classifier and segmenter on it and draws its last ``--seconds``: the mixture's
spectrogram, the music's and the noise's level (50-ms RMS, dBFS), and three bars: the exact truth (music
is 0.0), the audible truth (no programme within 30 dB of the noise in any band) and the extracted segments.
Prints the seconds of each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from noisekit.classifier.checkpoint import load_classifier  # noqa: E402
from noisekit.classifier.evaluate import TUNE_SEED_START  # noqa: E402
from noisekit.classifier.metrics import intersect, total_s  # noqa: E402
from noisekit.classifier.segmenter import find_noise_segments  # noqa: E402
from noisekit.fsutil import atomic_path  # noqa: E402
from noisekit.pipelines.report_figures import spectrogram_image  # noqa: E402
from noisekit.signal import power_db  # noqa: E402
from noisekit.synth.side import synth_side  # noqa: E402


def _rms_db(x: np.ndarray, sr: int, step_s: float = 0.05) -> np.ndarray:
    hop = int(step_s * sr)
    n = len(x) // hop
    return power_db(np.mean(x[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))


def main() -> None:
    """Render the side, classify it, print the seconds of each truth and draw the figure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=TUNE_SEED_START + 19)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the side's end that is drawn")
    ap.add_argument("--out", default="docs/img/side-truths.png")
    args = ap.parse_args()
    torch.set_num_threads(1)
    side = synth_side(args.seed)
    mono = side.audio.mean(axis=0)
    segs = [(s.start_s, s.end_s) for s in find_noise_segments(mono, side.sr, load_classifier())]
    t0 = max(0.0, side.duration_s - args.seconds)
    view = [(t0, side.duration_s)]
    rows = {"exact truth": side.truth("exact"), "audible truth": side.truth("audible"), "extracted": segs}
    for name, iv in rows.items():
        print(f"{name}: {total_s(intersect(iv, view)):.2f} s of the last {args.seconds:g} s")

    a = int(t0 * side.sr)
    fig, (ax_spec, ax_lvl, ax_bar) = plt.subplots(
        3, 1, figsize=(8, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.2]}
    )
    ax_spec.imshow(
        spectrogram_image(mono[a:], side.sr), aspect="auto", cmap="magma", extent=(t0, side.duration_s, 0, 1)
    )
    ax_spec.set_yticks([])
    ax_spec.set_ylabel("40 Hz – 16 kHz\n(log)", fontsize=8)
    ax_spec.set_title(f"synthetic side {args.seed}: the end of its programme and its run-out", fontsize=10)
    for label, x, colour in (
        ("music", side.music.mean(axis=0)[a:], "#4a6fa5"),
        ("surface noise", side.noise.mean(axis=0)[a:], "#a5674a"),
    ):
        lvl = _rms_db(x, side.sr)
        ax_lvl.plot(t0 + 0.05 * np.arange(len(lvl)), np.maximum(lvl, -120), label=label, color=colour, lw=1)
    ax_lvl.set_ylabel("dBFS (50 ms)", fontsize=8)
    ax_lvl.legend(fontsize=7, loc="lower left")
    for k, iv in enumerate(rows.values()):
        for s, e in intersect(iv, view):
            ax_bar.barh(k, e - s, left=s, color=("#999999", "#5b9a5b", "#222222")[k], height=0.6)
    ax_bar.set_yticks(range(len(rows)), list(rows), fontsize=8)
    ax_bar.invert_yaxis()
    ax_bar.set_xlabel("seconds", fontsize=9)
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=96)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
