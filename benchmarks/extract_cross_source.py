"""Purity and recall of `noisekit extract` on sides the project never generated: real programme, other noise.

    python benchmarks/extract_cross_source.py [--material DIR] [--sides 48] [--seed 0] [--jobs 1]
        [--model PATH] [--segmenter NAME=VALUE] [--compare LABEL:NAME=VALUE,...] [--packages A,B] [--json OUT.json]

Sides come from `noisekit.classifier.material_sides`: real music, speech and effects from the valid and
test splits of DIR/manifests/material.parquet (never the train split), laid out as run-in, pieces with
pauses of 0.5-8 s, abrupt stops into reverberation tails, fade-ins and fade-outs, and a run-out, under one
of three noise models (the project's gramophone model, an independent one, and the real run-in of
../shared/real/Air_Bach.ogg looped). Each side is written in one transfer format (FLAC, WAV or MP3 at
several bitrates; mono or stereo; 44.1, 48 or 22.05 kHz; full band, acoustic-era band or a 5-kHz low-pass).
Sides cycle through the packages; noise model and format are drawn as a shuffled grid, deterministic by
--seed. The whole extract stage (noisekit.pipelines.extract) runs on the files and its noise.parquet is
scored against each side's audible truth: purity (all programme, and counting only programme within
20 dB of the noise), recall of noise-only runs of 2 s or more (pauses included), per package, kind,
noise model, format and gap role, with the worst of each named, and where the leaked seconds lie.
``--packages`` keeps only the planned sides of those packages (the same sides as in the full plan): the
scoring of a leave-one-source-out fold trained with `noisekit classifier train-context --exclude-package`.
``--compare`` runs extract again on the same rendered sides with other segmenter settings and prints one row
each beside the first: settings compared in one run, on the same audio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noisekit.audio import resample  # noqa: E402
from noisekit.classifier.material_sides import MaterialSide, build_side, programme_pool  # noqa: E402
from noisekit.classifier.metrics import intersect, merge_intervals, total_s  # noqa: E402
from noisekit.classifier.noise_models import NOISE_MODELS  # noqa: E402
from noisekit.datadir import DataDir  # noqa: E402
from noisekit.fsutil import atomic_path  # noqa: E402
from noisekit.manifests import read_manifest  # noqa: E402
from noisekit.pipelines.extract import extract  # noqa: E402
from noisekit.pipelines.extract_eval import score_manifest  # noqa: E402
from noisekit.seeding import rng_for  # noqa: E402

#: name: (channels, sample rate, container, MP3 compression level or None, band)
FORMATS = {
    "flac44-stereo": (2, 44100, "FLAC", None, "full"),
    "flac44-mono": (1, 44100, "FLAC", None, "full"),
    "flac48-stereo": (2, 48000, "FLAC", None, "full"),
    "wav22-mono": (1, 22050, "WAV", None, "full"),
    "mp3-320k-stereo": (2, 44100, "MP3", 0.0, "full"),
    "mp3-160k-mono": (1, 44100, "MP3", 0.5, "full"),
    "mp3-96k-mono": (1, 44100, "MP3", 0.75, "full"),
    "mp3-56k-stereo": (2, 44100, "MP3", 0.9, "full"),
    "flac44-acoustic-mono": (1, 44100, "FLAC", None, "acoustic"),
    "flac44-lowpass5k-stereo": (2, 44100, "FLAC", None, "lowpass"),
}
MIN_RUN_S = 2.0


def plan(n: int, packages: list[str], seed: int) -> list[tuple[str, str, str]]:
    """(package, noise model, format) of each side: packages in turn, models x formats as a shuffled grid."""
    grid = list(itertools.product(NOISE_MODELS, FORMATS))
    order = rng_for(seed, "cross-source", "grid").permutation(len(grid))
    return [(packages[i % len(packages)], *grid[order[i % len(grid)]]) for i in range(n)]


def write_side(side: MaterialSide, fmt: str, path: Path) -> Path:
    """Write ``side`` in transfer format ``fmt`` (rate, container, bitrate) and return the path."""
    _, rate, container, level, _ = FORMATS[fmt]
    audio = resample(np.clip(side.audio, -1.0, 1.0), side.sr, rate).T
    if container == "MP3":
        sf.write(str(path), audio, rate, format="MP3", compression_level=level, bitrate_mode="CONSTANT")
    else:
        sf.write(str(path), audio, rate, format=container, subtype="PCM_24" if container == "FLAC" else "PCM_16")
    return path


def _role(run: tuple[float, float], regions: list[tuple[float, float, str]]) -> str:
    """The planned gap a noise-only run lies in most ('pause 2-5 s' apart), or 'inside a piece'."""
    best, role = 0.0, "inside a piece"
    for a, b, what in regions:
        over = min(run[1], b) - max(run[0], a)
        if over > best and what in ("run-in", "pause", "run-out"):
            best, role = over, ("pause 2-5 s" if what == "pause" and 2.0 <= b - a <= 5.0 else what)
    return role


def side_rows(side: MaterialSide, cuts: list[tuple[float, float]]) -> tuple[dict, dict, dict]:
    """Per side: {score: seconds} for purity and recall, recall seconds by gap role, leaked seconds by region."""
    cuts, truth = merge_intervals(cuts), merge_intervals(side.truth)
    extracted = total_s(cuts)
    score = {
        "extracted": extracted,
        "clean": total_s(intersect(cuts, truth)),
        "clean20": total_s(intersect(cuts, side.truth20)),
    }
    runs = [r for r in truth if r[1] - r[0] >= MIN_RUN_S]
    score["true"], score["recalled"] = total_s(runs), total_s(intersect(cuts, runs))
    roles: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for run in runs:
        roles[_role(run, side.regions)][0] += run[1] - run[0]
        roles[_role(run, side.regions)][1] += total_s(intersect(cuts, [run]))
    leaks: dict[str, float] = defaultdict(float)
    clean_cuts = intersect(cuts, truth)
    for a, b, what in side.regions:
        leaks[what] += total_s(intersect(cuts, [(a, b)])) - total_s(intersect(clean_cuts, [(a, b)]))
    return score, dict(roles), dict(leaks)


def _table(title: str, groups: dict[str, dict]) -> list[str]:
    """Rows of purity/recall per group, the worst purity and worst recall named."""
    lines = [
        f"\n## by {title}",
        "| group | sides | min | extracted s | purity | purity (prog. >20 dB under excluded) | recall |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for name, g in sorted(groups.items()):
        pur = g["clean"] / g["extracted"] if g["extracted"] else float("nan")
        pur20 = g["clean20"] / g["extracted"] if g["extracted"] else float("nan")
        rec = g["recalled"] / g["true"] if g["true"] else float("nan")
        g.update(purity=pur, purity20=pur20, recall=rec)
        lines.append(
            f"| {name} | {g['sides']} | {g['minutes']:.1f} | {g['extracted']:.1f} | {100 * pur:.1f} % | "
            f"{100 * pur20:.1f} % | {100 * rec:.1f} % |"
        )
    scored = {k: v for k, v in groups.items() if v["extracted"]}
    if len(scored) > 1:
        wp = min(scored, key=lambda k: scored[k]["purity"])
        wr = min(groups, key=lambda k: groups[k]["recall"] if groups[k]["true"] else 2.0)
        lines.append(
            f"worst purity: {wp} ({100 * scored[wp]['purity']:.1f} %); worst recall: {wr} "
            f"({100 * groups[wr]['recall']:.1f} %)"
        )
    return lines


def report(records: list[dict]) -> tuple[str, dict]:
    """The printed tables and a JSON-able summary from the per-side records."""
    keys = ("extracted", "clean", "clean20", "true", "recalled")
    out, summary = [], {}
    for title, field in (
        ("all", None),
        ("package", "package"),
        ("kind", "kind"),
        ("noise model", "noise_model"),
        ("format", "format"),
    ):
        groups: dict[str, dict] = {}
        for r in records:
            g = groups.setdefault(
                "all" if field is None else r[field], {"sides": 0, "minutes": 0.0, **dict.fromkeys(keys, 0.0)}
            )
            g["sides"] += 1
            g["minutes"] += r["duration_s"] / 60
            for k in keys:
                g[k] += r["score"][k]
        out += _table(title, groups)
        summary[title] = groups
    roles: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    leaks: dict[str, float] = defaultdict(float)
    for r in records:
        for k, (t, got) in r["roles"].items():
            roles[k][0] += t
            roles[k][1] += got
        for k, v in r["leaks"].items():
            leaks[k] += v
    out.append("\n## recall of noise-only runs >= 2 s by where they lie")
    out += [f"- {k}: {100 * got / t:.1f} % of {t:.1f} s" for k, (t, got) in sorted(roles.items()) if t]
    out.append("\n## leaked seconds (extracted, not noise-only) by where they lie")
    out += [f"- {k}: {v:.1f} s" for k, v in sorted(leaks.items(), key=lambda kv: -kv[1]) if v > 0.005]
    summary["roles"], summary["leaks"] = dict(roles), dict(leaks)
    return "\n".join(out), summary


def extract_records(sides: dict, data: Path, args: argparse.Namespace, segmenter: dict | None) -> list[dict]:
    """Run the whole extract stage on the rendered ``sides`` into ``data`` and score each side's ok rows; failed
    files are named and left out (a refused file is no detector's miss)."""
    t0 = time.perf_counter()
    result = extract(
        DataDir(data), inputs=sorted(sides), model=args.model, jobs=args.jobs, segmenter=segmenter, progress=False
    )
    print(result.summary(), f"({time.perf_counter() - t0:.0f} s)")
    score_manifest(result.table, {p: s.truth for p, (s, _) in sides.items()})  # refuses rows without a truth
    cuts: dict[str, list] = defaultdict(list)
    failed = {}
    for row in result.table.to_pylist():
        if row["status"] == "ok":
            cuts[row["source"]].append((row["start_s"], row["end_s"]))
        elif row["start_s"] is None:  # the file failed; a refused cut (with its span) is only not extracted
            failed[row["source"]] = row["error"]
        else:
            span = f"{row['start_s']:.1f}-{row['end_s']:.1f} s"
            print(f"refused cut: {Path(row['source']).name} {span}: {row['error']}")
    for path, error in sorted(failed.items()):
        print(f"FAILED, not scored: {Path(path).name} ({sides[path][1]}): {error}")
    records = []
    for path, (side, fmt) in sorted(sides.items()):
        if path in failed:
            continue
        score, roles, leaks = side_rows(side, cuts[path])
        records.append(
            {
                "file": Path(path).name,
                "format": fmt,
                "duration_s": side.audio.shape[1] / side.sr,
                "score": score,
                "roles": roles,
                "leaks": leaks,
                **{k: side.params[k] for k in ("package", "kind", "noise_model", "snr_db", "noise_dbfs")},
            }
        )
    return records


def overrides(items: list[str]) -> dict | None:
    """Segmenter overrides from NAME=VALUE strings (None for the defaults)."""
    return dict(t.split("=", 1) for t in items) or None


def comparison(label: str, summary: dict) -> str:
    """One row of the comparison table: pooled figures, worst package, and recall of pauses of 2-5 s."""
    pooled, packages = summary["all"]["all"], summary["package"]
    worst = min((p for p in packages if packages[p]["extracted"]), key=lambda p: packages[p]["purity"])
    t, got = summary["roles"].get("pause 2-5 s", (0.0, 0.0))
    pauses = f"{100 * got / t:.1f} %" if t else "-"
    return (
        f"| {label} | {100 * pooled['purity']:.1f} % | {100 * pooled['purity20']:.1f} % | "
        f"{100 * pooled['recall']:.1f} % | {pauses} | {worst} {100 * packages[worst]['purity']:.1f} % |"
    )


def main() -> None:
    """Build the sides, run extract on them, score and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--material", type=Path, default=Path("/work/realdata"), help="data directory with material.parquet"
    )
    ap.add_argument("--sides", type=int, default=48)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", default="valid,test", help="material splits to draw programme from")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--model", default=None)
    ap.add_argument("--segmenter", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL:NAME=VALUE[,NAME=VALUE]",
        help="also run extract on the same sides with these segmenter overrides (repeatable); one row each",
    )
    ap.add_argument("--packages", default=None, help="score only the planned sides of these packages (A,B)")
    ap.add_argument("--json", type=Path, default=None, help="write the summary and per-side records here")
    args = ap.parse_args()
    compare = {}
    for item in args.compare:
        label, _, spec = item.partition(":")
        if not label or "=" not in spec:
            sys.exit(f"--compare: expected LABEL:NAME=VALUE[,NAME=VALUE], got {item!r}")
        compare[label] = overrides(spec.split(","))
    rows = read_manifest(DataDir(args.material), "material").to_pylist()
    pool = programme_pool(rows, args.material, tuple(args.splits.split(",")))
    keep = set(args.packages.split(",")) if args.packages else set(pool)
    if keep - set(pool):
        sys.exit(f"--packages: no such package in the material: {', '.join(sorted(keep - set(pool)))}")
    with tempfile.TemporaryDirectory(prefix="cross-source-") as tmp:
        t0 = time.perf_counter()
        folder = Path(tmp) / "in"
        folder.mkdir()
        sides = {}
        for i, (package, model, fmt) in enumerate(plan(args.sides, sorted(pool), args.seed)):
            if package not in keep:
                continue
            channels, _, container, _, band = FORMATS[fmt]
            side = build_side(args.seed * 1_000_003 + i, pool[package], model, channels, band)
            path = write_side(side, fmt, folder / f"side{i:03d}.{container.lower()}")
            sides[path.as_posix()] = (side, fmt)
        print(
            f"{len(sides)} sides ({sum(s.audio.shape[1] / s.sr for s, _ in sides.values()) / 60:.1f} min) "
            f"rendered in {time.perf_counter() - t0:.0f} s; packages: {', '.join(sorted(keep))}"
        )
        records = extract_records(sides, Path(tmp) / "d", args, overrides(args.segmenter))
        text, summary = report(records)
        print(text)
        compared = {}
        for k, (label, segmenter) in enumerate(compare.items()):
            print(f"\n# {label}: {segmenter}")
            compared[label] = report(extract_records(sides, Path(tmp) / f"d{k}", args, segmenter))[1]
    if compare:
        print("\n## segmenter settings on the same sides")
        print("| settings | purity | purity (prog. >20 dB under excluded) | recall | pauses 2-5 s | worst package |")
        print("|---|---|---|---|---|---|")
        print(comparison("as given" if args.segmenter else "defaults", summary))
        for label, other in compared.items():
            print(comparison(label, other))
    if args.json:
        doc = {"args": {k: str(v) for k, v in vars(args).items()}, "summary": summary, "sides": records}
        doc["compare"] = {label: {"segmenter": compare[label], "summary": s} for label, s in compared.items()}
        with atomic_path(args.json) as tmp:
            Path(tmp).write_text(json.dumps(doc, indent=1, default=float))


if __name__ == "__main__":
    main()
