"""Re-choose segmenter thresholds on cross-source sides: tuned on the material's valid split, scored on its test split.

    python benchmarks/cross_source_tune.py [--material DIR] [--sides 36] [--model PATH] [--floor 0.99]
        [--floor-all 0.97] [--cache F.npz]

The sides are those of benchmarks/extract_cross_source.py (same plan, formats and builder), drawn once from
the valid split and once from the test split of material.parquet. Each written file is decoded as extract
decodes it (mono, 44.1 kHz) and its window probabilities are computed once; every point of
benchmarks/segmenter_tune.py's grid is then scored on pooled purity (all programme) and recall of
noise-only runs >= 2 s. The best recall at purity >= --floor on the valid sides is reported with its test
figures, beside the shipped defaults on both. No classifier weights change. Besides that grid's thresholds and
trims, the shortest kept segment and the margin are searched too (``EXTRA``): short pauses between pieces can
only be recalled by shorter segments. ``--cache`` keeps the scored sides (an .npz), so another grid costs seconds.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from extract_cross_source import FORMATS, plan, write_side  # noqa: E402
from segmenter_tune import GRID  # noqa: E402

from noisekit.audio import SAMPLE_RATE, load_audio  # noqa: E402
from noisekit.classifier.checkpoint import load_classifier  # noqa: E402
from noisekit.classifier.inference import WindowProbs  # noqa: E402
from noisekit.classifier.material_sides import build_side, programme_pool  # noqa: E402
from noisekit.classifier.metrics import SegmentCounts, segment_counts  # noqa: E402
from noisekit.classifier.segmenter import SegmenterParams, segments_from_probs  # noqa: E402
from noisekit.datadir import DataDir  # noqa: E402
from noisekit.errors import AudioError  # noqa: E402
from noisekit.fsutil import atomic_path  # noqa: E402
from noisekit.manifests import read_manifest  # noqa: E402


def scored_sides(clf, rows: list[dict], root: Path, split: str, n: int, seed: int, tmp: Path) -> list[tuple]:
    """(window probabilities, audible truth, truth ignoring programme > 20 dB under) of ``n`` sides drawn from
    ``split``, decoded as extract decodes them."""
    pool = programme_pool(rows, root, (split,))
    out = []
    for i, (package, model, fmt) in enumerate(plan(n, sorted(pool), seed)):
        channels, _, container, _, band = FORMATS[fmt]
        side = build_side(seed * 1_000_003 + i, pool[package], model, channels, band)
        path = write_side(side, fmt, tmp / f"{split}{i:03d}.{container.lower()}")
        try:
            audio, sr = load_audio(path, sr=SAMPLE_RATE, mono=True)
        except AudioError as exc:  # extract refuses it too (a failed row): nothing to tune on
            print(f"{split} side {i}: {fmt} not scored: {exc}", flush=True)
            continue
        out.append((clf.window_probs(audio[0], sr), side.truth, side.truth20))
        print(f"{split} side {i}: {package}, {model}, {fmt}", flush=True)
    return out


def save_scored(path: Path, valid: list[tuple], test: list[tuple]) -> None:
    """Keep the scored sides as plain arrays (an .npz that loading cannot run code from)."""
    arrays: dict[str, np.ndarray] = {}
    for split, sides in (("valid", valid), ("test", test)):
        for i, (wp, truth, truth20) in enumerate(sides):
            key = f"{split}{i:03d}"
            silent = wp.silent if wp.silent is not None else np.zeros(len(wp), dtype=bool)
            arrays |= {f"{key}_probs": wp.probs, f"{key}_starts": wp.starts, f"{key}_silent": silent}
            arrays[f"{key}_times"] = np.array([wp.window_s, wp.hop_s, wp.duration_s])
            arrays[f"{key}_truth"] = np.asarray(truth, dtype=np.float64).reshape(-1, 2)
            arrays[f"{key}_truth20"] = np.asarray(truth20, dtype=np.float64).reshape(-1, 2)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def load_scored(path: Path) -> tuple[list[tuple], list[tuple]]:
    """The scored sides kept by :func:`save_scored`."""
    with np.load(path, allow_pickle=False) as z:
        keys = sorted({name.rsplit("_", 1)[0] for name in z.files})
        out: dict[str, list[tuple]] = {"valid": [], "test": []}
        for key in keys:
            window_s, hop_s, duration_s = z[f"{key}_times"]
            wp = WindowProbs(z[f"{key}_probs"], window_s, hop_s, z[f"{key}_starts"], duration_s, z[f"{key}_silent"])
            truths = [[tuple(r) for r in z[f"{key}_{name}"]] for name in ("truth", "truth20")]
            out[key.rstrip("0123456789")].append((wp, *truths))
    return out["valid"], out["test"]


EXTRA = dict(min_run_s=(1.0, 1.5, 2.0), margin_s=(0.1, 0.25))


def pooled(scored: list[tuple], params: SegmenterParams) -> tuple[SegmentCounts, SegmentCounts]:
    """Purity/recall seconds of ``params`` over the scored sides: against all programme, and ignoring
    programme more than 20 dB under the noise."""
    every, loud = SegmentCounts(), SegmentCounts()
    for probs, truth, truth20 in scored:
        cuts = [(s.start_s, s.end_s) for s in segments_from_probs(probs, params)]
        every, loud = every + segment_counts(cuts, truth), loud + segment_counts(cuts, truth20)
    return every, loud


def main() -> None:
    """Score the grid on valid sides, pick the best recall at the purity floor, report it on test sides."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--material", type=Path, default=Path("/work/realdata"))
    ap.add_argument("--sides", type=int, default=36, help="sides per split")
    ap.add_argument("--seed", type=int, default=1, help="plan seed (the harness's default is 0)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--floor", type=float, default=0.99, help="purity floor ignoring programme > 20 dB under")
    ap.add_argument("--floor-all", type=float, default=0.97, help="purity floor counting all programme")
    ap.add_argument("--cache", type=Path, help="file keeping the scored sides (read if it exists, else written)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cache and args.cache.exists():
        valid, test = load_scored(args.cache)
    else:
        clf = load_classifier(args.model)
        rows = read_manifest(DataDir(args.material), "material").to_pylist()
        with tempfile.TemporaryDirectory(prefix="cross-tune-") as tmp:
            valid = scored_sides(clf, rows, args.material, "valid", args.sides, args.seed, Path(tmp))
            test = scored_sides(clf, rows, args.material, "test", args.sides, args.seed, Path(tmp))
        if args.cache:
            save_scored(args.cache, valid, test)
    grid = []
    space = {**GRID, **EXTRA}
    for values in itertools.product(*space.values()):
        kw = dict(zip(space, values, strict=True))
        if kw["low"] <= kw["high"]:
            params = SegmenterParams(**kw)
            grid.append((pooled(valid, params), params))
    ok = [(c, p) for c, p in grid if c[0].purity >= args.floor_all and c[1].purity >= args.floor]
    print(
        f"{len(grid)} grid points; {len(ok)} reach purity >= {args.floor_all} (all programme) and >= {args.floor} "
        "(ignoring programme > 20 dB under) on the valid sides"
    )
    rows_out = [("shipped defaults", SegmenterParams())]
    if ok:
        rows_out.append(("best recall within both floors on valid", max(ok, key=lambda cp: cp[0][0].recall)[1]))
    rows_out.append(("best valid purity", max(grid, key=lambda cp: (cp[0][0].purity, cp[0][0].recall))[1]))
    for name, params in rows_out:
        print(f"{name}: {params}")
        for split, sides in (("valid", valid), ("test", test)):
            every, loud = pooled(sides, params)
            print(
                f"  {split}: purity {100 * every.purity:.1f} % ({100 * loud.purity:.1f} % ignoring programme "
                f"> 20 dB under), recall {100 * every.recall:.1f} %"
            )


if __name__ == "__main__":
    main()
