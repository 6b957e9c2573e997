"""Choose segmenter defaults on the tuning sides: the best recall at each purity floor over a parameter grid.

    python benchmarks/segmenter_tune.py [--sides 48] [--short-sides 24] [--seed-start 500000] [--model PATH]

The sides are `noisekit.synth.side` with seeds from noisekit.classifier.evaluate.TUNE_SEED_START (never the training
or evaluation seeds), whole and squeezed into 40 s, scored against their audible (default, `--truth`) or
exact noise-only truth. Window
probabilities are computed once per side; every grid point (smoothing, hysteresis thresholds, guards; the
0.25-s margin is fixed) is then scored on the pooled purity and recall of noise-only seconds in runs >= 2 s.
The shipped defaults are chosen from the rows at purity >= 99 %; the figures go into
classifier/weights/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from noisekit.classifier.checkpoint import load_classifier  # noqa: E402
from noisekit.classifier.evaluate import TUNE_SEED_START, side_items  # noqa: E402
from noisekit.classifier.metrics import SegmentCounts, segment_counts  # noqa: E402
from noisekit.classifier.segmenter import SegmenterParams, segments_from_probs  # noqa: E402
from noisekit.synth.side import TRUTHS  # noqa: E402

GRID = dict(
    smooth_windows=(1, 3),
    high=(0.5, 0.7, 0.8, 0.9, 0.95, 0.98),
    low=(0.3, 0.5, 0.7, 0.85),
    tail_s=(0.0, 0.25, 0.5, 1.0, 1.5, 2.5),
    lead_s=(0.0, 0.25, 0.5),
)
FLOORS = (0.97, 0.98, 0.99, 0.995, 1.0)


def main() -> None:
    """Score the grid on the tuning sides and print the best row per purity floor, and the current defaults."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sides", type=int, default=48)
    ap.add_argument("--seed-start", type=int, default=TUNE_SEED_START)
    ap.add_argument("--model", default=None, help="classifier checkpoint (default: the shipped weights)")
    ap.add_argument(
        "--short-sides",
        type=int,
        default=24,
        help="more tuning sides (the seeds after --sides) squeezed into 40 s each: short files' shapes",
    )
    ap.add_argument("--truth", choices=TRUTHS, default="audible", help="noise-only truth of the sides")
    args = ap.parse_args()
    torch.set_num_threads(1)
    clf = load_classifier(args.model)
    sides = itertools.chain(
        side_items(args.sides, args.seed_start, truth=args.truth),
        side_items(args.short_sides, args.seed_start + args.sides, 40.0, args.truth),
    )
    scored = [
        (clf.window_probs(it.audio, it.sr), it.truth)
        for it in tqdm(sides, total=args.sides + args.short_sides, desc="tuning sides")
    ]

    def pooled(params: SegmenterParams) -> SegmentCounts:
        total = SegmentCounts()
        for wp, truth in scored:
            total = total + segment_counts([(s.start_s, s.end_s) for s in segments_from_probs(wp, params)], truth)
        return total

    rows = []
    for values in itertools.product(*GRID.values()):
        kw = dict(zip(GRID, values, strict=True))
        if kw["low"] <= kw["high"]:
            params = SegmenterParams(**kw)
            rows.append((pooled(params), params))
    default = pooled(SegmenterParams())
    print(
        f"{args.sides} tuning sides from seed {args.seed_start} and {args.short_sides} squeezed into 40 s after "
        f"them, {args.truth} truth; {len(rows)} grid points"
    )
    print(f"defaults {SegmenterParams()}: purity {100 * default.purity:.2f} % recall {100 * default.recall:.1f} %")
    print("| purity floor | smoothing | purity | recall | parameters |\n|---|---|---|---|---|")
    for floor in FLOORS:
        for smooth in GRID["smooth_windows"]:
            ok = [(c, p) for c, p in rows if c.purity >= floor and p.smooth_windows == smooth]
            if ok:
                c, p = max(ok, key=lambda r: (r[0].recall, r[0].purity))
                print(
                    f"| {floor:.3f} | {smooth} | {100 * c.purity:.2f} % | {100 * c.recall:.1f} % | "
                    f"high {p.high} low {p.low} tail {p.tail_s} lead {p.lead_s} |"
                )


if __name__ == "__main__":
    main()
