"""Purity and recall of `noisekit extract` on held-out synthetic sides, computed from noise.parquet.

    python benchmarks/extract_quality.py [--sides 20] [--seed-start N] [--jobs 2] [--model PATH]

Renders the sides (noisekit.synth.side), runs the whole extract stage on them with the shipped (or given)
classifier, and scores the ok rows of noise.parquet against both truths of the sides (audible: no programme
within 30 dB of the noise in any band; exact: no programme sample at all):
purity = extracted seconds that are truly noise-only; recall = true noise-only seconds in runs >= 2 s
that were extracted. The figures go into docs/extract.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.datadir import DataDir  # noqa: E402
from noisekit.pipelines.extract import extract  # noqa: E402
from noisekit.pipelines.extract_eval import heldout_seeds, score_manifest, write_heldout_sides  # noqa: E402


def main() -> None:
    """Parse options, render the sides, extract, and print pooled and worst-side figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sides", type=int, default=20)
    ap.add_argument("--seed-start", type=int, default=None)
    ap.add_argument("--duration", type=float, default=None, help="seconds per side (default: as drawn)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--model", default=None)
    ap.add_argument(
        "--segmenter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="segmenter parameter override, as for `noisekit extract` (repeatable)",
    )
    args = ap.parse_args()
    seeds = heldout_seeds(args.sides, args.seed_start)
    with tempfile.TemporaryDirectory(prefix="extract-quality-") as tmp:
        t0 = time.perf_counter()
        truths = write_heldout_sides(Path(tmp) / "in", seeds, args.duration)
        print(
            f"{len(seeds)} held-out sides, seeds {seeds[0]}..{seeds[-1]}, rendered in {time.perf_counter() - t0:.0f} s"
        )
        overrides = dict(text.split("=", 1) for text in args.segmenter)
        result = extract(
            DataDir(Path(tmp) / "d"),
            inputs=sorted(truths["audible"]),
            model=args.model,
            jobs=args.jobs,
            segmenter=overrides or None,
        )
        print(result.summary())
    for kind, by_file in truths.items():
        pooled, per = score_manifest(result.table, by_file)
        worst = min(per.items(), key=lambda kv: kv[1].purity)
        print(
            f"{kind} truth: purity {pooled.purity:.4f} ({pooled.leaked_s:.2f} s leaked of "
            f"{pooled.extracted_s:.1f} s extracted); recall {pooled.recall:.4f} ({pooled.recalled_s:.1f} s of "
            f"{pooled.true_long_s:.1f} s noise-only in runs >= 2 s); worst side purity {worst[1].purity:.4f} "
            f"({Path(worst[0]).name}); sides with nothing extracted: "
            f"{sum(1 for c in per.values() if c.extracted_s == 0)}"
        )


if __name__ == "__main__":
    main()
