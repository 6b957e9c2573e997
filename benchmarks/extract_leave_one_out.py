"""Leave-one-source-out for the classifier's real-programme training: one fold per material package.

    python benchmarks/extract_leave_one_out.py --base V1.2.0_DIR --runs DIR [--material DIR] [--cache DIR]
        [--packages A,B] [--sides 60] [--reference SHIPPED.json] [--jobs 1]

The shipped context stage (v1.4.0) was fine-tuned from v1.2.0's on sides of real programme from the
train split of *every* material package, so the cross-source harness (`extract_cross_source.py`), which
scores held-out tracks of those same packages, measures unseen recordings but not unseen sources. Each fold
here repeats the shipped recipe (the model card's command) from ``--base`` with one package left out
(`noisekit classifier train-context --exclude-package P`) and scores that fold's model on the harness sides
of P alone (`extract_cross_source.py --packages P`, the same sides as in the full plan). Folds already in
``--runs`` are read back, so an interrupted run resumes. Prints one row per package and the worst, beside
the shipped model's row for the same sides when ``--reference`` (the harness's ``--json`` of the shipped
model, same ``--sides`` and seed) is given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECIPE = ["--sides", "1200", "--variants", "3", "--scenes", "480", "--material-sides", "288", "--init", "base"]
RECIPE += ["--material-share", "0.5", "--lr", "3e-4", "--steps", "4000"]  # the shipped recipe (MODEL_CARD.md)


def run_fold(package: str, args: argparse.Namespace) -> dict:
    """Train the fold leaving ``package`` out (unless its weights exist) and score it on ``package``'s sides."""
    fold = args.runs / package
    scores = fold / "cross.json"
    if not (fold / "noise_cnn.safetensors").exists():
        train = [sys.executable, "-m", "noisekit", "classifier", "train-context", *RECIPE, "--model", str(args.base)]
        train += ["--material", str(args.material), "--exclude-package", package, "--out", str(fold)]
        train += ["--workers", str(args.jobs)] + (["--cache", str(args.cache)] if args.cache else [])
        subprocess.run(train, check=True)
    if not scores.exists():
        harness = [sys.executable, str(HERE / "extract_cross_source.py"), "--material", str(args.material)]
        harness += ["--sides", str(args.sides), "--packages", package, "--model", str(fold), "--jobs", str(args.jobs)]
        subprocess.run(harness + ["--json", str(scores)], check=True)
    return json.loads(scores.read_text())["summary"]["all"]["all"]


def figures(group: dict) -> tuple[float, float, float]:
    """Purity (all programme), purity ignoring programme > 20 dB under, recall of runs >= 2 s, in %, as the
    harness computed them."""
    return 100 * group["purity"], 100 * group["purity20"], 100 * group["recall"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, required=True, help="the checkpoint the shipped stage was tuned from")
    ap.add_argument("--runs", type=Path, required=True, help="one folder per fold is kept here")
    ap.add_argument("--material", type=Path, default=Path("/work/realdata"))
    ap.add_argument("--cache", type=Path, default=None, help="train-context's feature cache")
    ap.add_argument("--packages", default=None, help="folds to run (default: every material package)")
    ap.add_argument("--sides", type=int, default=60, help="the harness plan's size (its sides cycle packages)")
    ap.add_argument("--reference", type=Path, default=None, help="the shipped model's harness JSON")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent))
    from noisekit.datadir import DataDir
    from noisekit.manifests import read_manifest

    every = sorted({r["package"] for r in read_manifest(DataDir(args.material), "material").to_pylist()})
    packages = args.packages.split(",") if args.packages else every
    shipped = json.loads(args.reference.read_text())["summary"]["package"] if args.reference else {}
    print("| left out and scored | sides | purity | purity (prog. >20 dB under excluded) | recall | shipped |")
    print("|---|---|---|---|---|---|")
    rows = {}
    for package in packages:
        group = run_fold(package, args)
        rows[package] = figures(group)
        ref = " / ".join(f"{v:.1f}" for v in figures(shipped[package])) + " %" if package in shipped else "-"
        purity, purity20, recall = rows[package]
        print(
            f"| {package} | {group['sides']} | {purity:.1f} % | {purity20:.1f} % | {recall:.1f} % | {ref} |", flush=True
        )
    worst_purity = min(rows, key=lambda p: rows[p][0])
    worst_recall = min(rows, key=lambda p: rows[p][2])
    print(
        f"worst purity: {worst_purity} ({rows[worst_purity][0]:.1f} %); "
        f"worst recall: {worst_recall} ({rows[worst_recall][2]:.1f} %)"
    )


if __name__ == "__main__":
    main()
