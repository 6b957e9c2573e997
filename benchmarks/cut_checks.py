"""What the cut checks see: levels of extract's cuts against their file's noise floor, on synthetic and real sides.

    python benchmarks/cut_checks.py [--sides 20] [--real ../shared/real] [--jobs 1]

Runs every recording through the shipped classifier with checks that refuse nothing, then measures each
cut as noisekit.pipelines.cut_checks does (median 50-ms frame level, drift from first to last third,
share of frames far under the floor) against the file's floor at several percentiles. Synthetic sides
(tuning seeds, not the held-out sides of tests/test_extract_eval.py) have a truth: a cut is "noise" when
at least 95 % of it is truly noise-only; their true floor is the median frame level over the truth.
Prints the distributions, every real cut, and purity/recall of the synthetic sides with the default
rules and without them. The thresholds in CutRules and docs/extract.md come from this output.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.audio import SAMPLE_RATE, iter_blocks  # noqa: E402
from noisekit.classifier.metrics import segment_counts  # noqa: E402
from noisekit.datadir import DataDir  # noqa: E402
from noisekit.pipelines.cut_checks import CutRules, FloorMeter, frame_levels_db, measure_cut, refusal  # noqa: E402
from noisekit.pipelines.extract_cut import ClassifierFinder, ExtractConfig, extract_recording, read_span  # noqa: E402
from noisekit.pipelines.extract_eval import heldout_seeds, write_heldout_sides  # noqa: E402

PERCENTILES = (2.0, 5.0, 10.0, 20.0)
PERMISSIVE = CutRules(max_under_floor_db=math.inf, max_quiet_fraction=math.inf, max_drift_db=math.inf)


def floors(path: str) -> dict[float, float | None]:
    """The file's floor at each of PERCENTILES, measured as extract does."""
    meter = FloorMeter(SAMPLE_RATE)
    for block in iter_blocks(path, sr=SAMPLE_RATE, mono=True):
        meter.feed(block[0])
    return {q: meter.floor_db(q) for q in PERCENTILES}


def true_floor(path: str, truth: list[tuple[float, float]]) -> float | None:
    """Median frame level over a synthetic side's noise-only truth (its real surface-noise level)."""
    levels = []
    for a, b in truth:
        cut = read_span(path, int(a * SAMPLE_RATE), int(b * SAMPLE_RATE))
        levels.append(frame_levels_db(cut.mean(axis=0), int(0.05 * SAMPLE_RATE)))
    return float(np.median(np.concatenate(levels))) if levels else None


def overlap(a: float, b: float, truth: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(b, t1) - max(a, t0)) for t0, t1 in truth)


def cuts_of(path: str, root: Path, finder: ClassifierFinder) -> list[dict]:
    """The cuts extract makes of one file with checks that refuse nothing (silence still split off)."""
    from noisekit.pipelines.extract_cut import RecordingTask

    task = RecordingTask(source=path, source_path=path, abs_path=path, part=Path(path).stem)
    rows, _ = extract_recording(task, ExtractConfig(str(root), finder=finder, rules=PERMISSIVE))
    return [r for r in rows if r["status"] == "ok"]


def measure(path: str, cuts: list[dict], floor: dict[float, float | None], rules: CutRules) -> list[dict]:
    """Each cut's levels against the floor of `rules`, and the reason the default rules give."""
    out = []
    q = floor[rules.floor_percentile]
    for r in cuts:
        cut = read_span(path, round(r["start_s"] * SAMPLE_RATE), round(r["end_s"] * SAMPLE_RATE))
        lv = measure_cut(cut, SAMPLE_RATE, q, rules)
        under = {p: (f - lv.median_db if f is not None else math.nan) for p, f in floor.items()}
        out.append({**r, "levels": lv, "under": under, "reason": refusal(lv, q, r["duration_s"], rules)})
    return out


def quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    qs = np.percentile(values, [0, 5, 50, 95, 100])
    return "min {:.1f}  p5 {:.1f}  median {:.1f}  p95 {:.1f}  max {:.1f}".format(*qs)


def main() -> None:
    """Render tuning sides, cut them and the real files permissively, print the measurements."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sides", type=int, default=20)
    ap.add_argument("--real", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "real")
    args = ap.parse_args()
    rules, finder = CutRules(), ClassifierFinder(threads=1)
    seeds = heldout_seeds(args.sides, start=heldout_seeds(1)[0] + 1000)  # clear of the test's held-out sides
    with tempfile.TemporaryDirectory(prefix="cut-checks-") as tmp:
        root = DataDir(Path(tmp) / "d").ensure().root
        truths = write_heldout_sides(Path(tmp) / "in", seeds)["audible"]
        synth, offsets, counts = [], [], {"all": [], "checked": []}
        for path, truth in sorted(truths.items()):
            floor = floors(path)
            real = true_floor(path, truth)
            if real is not None:
                offsets.append({q: (f - real if f is not None else math.nan) for q, f in floor.items()})
            rows = measure(path, cuts_of(path, root, finder), floor, rules)
            for r in rows:
                r["noise"] = overlap(r["start_s"], r["end_s"], truth) >= 0.95 * r["duration_s"]
            synth += rows
            spans = [(r["start_s"], r["end_s"]) for r in rows]
            counts["all"].append(segment_counts(spans, truth, 2.0))
            kept = [(r["start_s"], r["end_s"]) for r in rows if r["reason"] is None]
            counts["checked"].append(segment_counts(kept, truth, 2.0))
        print(f"{len(truths)} synthetic tuning sides (seeds {seeds[0]}..{seeds[-1]}), {len(synth)} cuts")
        for q in PERCENTILES:
            print(f"  floor p{q:g} minus the true noise level (dB): {quantiles([o[q] for o in offsets])}")
        noise = [r for r in synth if r["noise"]]
        print(f"  {len(noise)} cuts >= 95 % noise-only:")
        for q in PERCENTILES:
            print(f"    dB under the p{q:g} floor: {quantiles([r['under'][q] for r in noise])}")
        print(f"    drift (dB): {quantiles([r['levels'].drift_db for r in noise])}")
        print(
            f"    frames under the floor - {rules.max_under_floor_db:g} dB: "
            f"{quantiles([r['levels'].quiet_fraction for r in noise])}"
        )
        for name, c in counts.items():
            pooled = sum(c[1:], c[0])
            print(
                f"  {name} cuts: purity {pooled.purity:.4f}, recall {pooled.recall:.4f} "
                f"({pooled.recalled_s:.1f} of {pooled.true_long_s:.1f} s)"
            )
        refused = [r for r in synth if r["reason"]]
        print(
            f"  refused by the default rules: {len(refused)} cuts, {sum(r['duration_s'] for r in refused):.1f} s "
            f"({sum(r['noise'] for r in refused)} of them >= 95 % noise-only)"
        )
        for r in refused:
            where = f"{Path(r['source']).name} {r['start_s']:.2f}-{r['end_s']:.2f} s"
            print(f"    {where} noise={r['noise']}: {r['reason']}")
        if args.real.is_dir():
            print(f"real transfers in {args.real}:")
            for path in sorted(str(p) for p in args.real.glob("*.ogg")):
                floor = floors(path)
                print(f"  {Path(path).name}: floor " + ", ".join(f"p{q:g} {f:.1f}" for q, f in floor.items()))
                for r in measure(path, cuts_of(path, root, finder), floor, rules):
                    lv = r["levels"]
                    print(
                        f"    {r['start_s']:.2f}-{r['end_s']:.2f} s: median {lv.median_db:.1f} dBFS, "
                        f"{r['under'][rules.floor_percentile]:.1f} dB under the floor, drift {lv.drift_db:+.1f} dB,"
                        f" quiet {lv.quiet_fraction:.0%} -> {r['reason'] or 'kept'}"
                    )


if __name__ == "__main__":
    main()
