"""Score the classifier and the energy rule on held-out synthetic audio or on a labels file.

Held-out audio is (a) whole synthetic sides from ``noisekit.synth.side.synth_side`` with seeds from
``EVAL_SEED_START`` on, and (b) 60-s scenes of each hard case drawn from a seed stream that training never
uses (``EVAL_STREAM``). Training uses ``noisekit.classifier.train.TRAIN_STREAM`` and never calls ``synth_side``
with a seed at or above ``EVAL_SEED_START`` (it does not call it at all), so the two are disjoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from noisekit.audio import load_audio
from noisekit.classifier.baseline import EnergyParams, energy_segments, energy_window_scores
from noisekit.classifier.inference import NoiseClassifier
from noisekit.classifier.labels import read_labels
from noisekit.classifier.metrics import (
    SegmentCounts,
    intersect,
    merge_intervals,
    segment_counts,
    window_labels,
    window_scores,
)
from noisekit.classifier.scenes import AMBIGUOUS, CASES, FRAME_S, draw_scene
from noisekit.classifier.segmenter import SegmenterParams, segments_from_probs
from noisekit.seeding import rng_for
from noisekit.signal import runs

EVAL_SEED_START = 1_000_000  # synthetic sides: seeds EVAL_SEED_START .. EVAL_SEED_START + n - 1
EVAL_STREAM = "classifier-eval"
#: segmenter operating points (high, low, margin_s, tail_s, lead_s) for the purity/recall curve
THRESHOLDS = ((0.5, 0.35), (0.6, 0.45), (0.7, 0.55), (0.75, 0.62), (0.8, 0.65), (0.85, 0.7), (0.9, 0.8), (0.95, 0.9))
GUARDS = ((0.25, 0.75, 0.25), (0.25, 1.5, 0.5), (0.25, 2.5, 0.5), (0.25, 0.4, 0.1), (0.25, 0.0, 0.0), (0.0, 0.0, 0.0))
SWEEP = tuple((*t, *g) for g in GUARDS for t in THRESHOLDS)
TUNE_SEED_START = 500_000  # sides for choosing segmenter defaults: disjoint from the evaluation seeds


@dataclass
class EvalItem:
    """One scored signal: mono audio, its true noise-only intervals, and named regions for the breakdown."""

    name: str
    audio: np.ndarray
    sr: int
    truth: list[tuple[float, float]]
    regions: dict[str, list[tuple[float, float]]]  # "all" plus per-case regions
    ignore: list[tuple[float, float]] = field(default_factory=list)  # windows touching these are not scored


@dataclass
class Tally:
    """Pooled window scores/labels and segment counts of one region, for the model and the baseline."""

    scores: list[np.ndarray] = field(default_factory=list)
    energy: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    model: SegmentCounts = field(default_factory=SegmentCounts)
    base: SegmentCounts = field(default_factory=SegmentCounts)
    sweep: dict[tuple[float, ...], SegmentCounts] = field(default_factory=dict)
    seconds: float = 0.0


def side_items(
    n: int, seed_start: int = EVAL_SEED_START, duration_s: float | None = None, truth: str = "audible"
) -> Iterator[EvalItem]:
    """Held-out synthetic sides (seeds from ``seed_start``) scored against their ``truth`` ("audible" or
    "exact", see ``SyntheticSide.truth``); hard-case regions widened by 5 s each side."""
    from noisekit.synth.side import synth_side

    for seed in range(seed_start, seed_start + n):
        s = synth_side(seed, duration_s=duration_s)
        audio = np.asarray(s.audio, dtype=np.float32)
        audio = audio.mean(axis=0) if audio.ndim == 2 else audio
        dur = len(audio) / s.sr
        regions: dict[str, list[tuple[float, float]]] = {"all": [(0.0, dur)], "sides": [(0.0, dur)]}
        for a, b, kind in getattr(s, "hard_cases", []) or []:
            regions.setdefault(str(kind), []).append((max(0.0, a - 5.0), min(dur, b + 5.0)))
        yield EvalItem(
            f"side {seed}",
            audio,
            s.sr,
            [(a, b) for a, b in s.truth(truth)],
            {k: merge_intervals(v) for k, v in regions.items()},
        )


def scene_items(per_case: int, duration_s: float = 60.0, cases: tuple[str, ...] = CASES) -> Iterator[EvalItem]:
    """Held-out scenes of every case (normal, noise-only and each hard case); region = the case."""
    for case in cases:
        for i in range(per_case):
            sc = draw_scene(rng_for(0, EVAL_STREAM, case, i), duration_s, case)
            ignore = [(a * FRAME_S, b * FRAME_S) for a, b in runs(sc.frame_state == AMBIGUOUS).tolist()]
            yield EvalItem(
                f"scene {case} {i}",
                sc.audio,
                sc.sr,
                sc.noise_intervals(),
                {
                    "all": [(0.0, sc.duration_s)],
                    "scenes": [(0.0, sc.duration_s)],
                    f"scene:{case}": [(0.0, sc.duration_s)],
                },
                ignore,
            )


def label_items(path: str | Path) -> Iterator[EvalItem]:
    """Labelled real files: truth = noise labels, scored only inside labelled stretches."""
    by_file: dict[Path, list] = {}
    for r in read_labels(path):
        by_file.setdefault(r.path, []).append(r)
    for f, rows in by_file.items():
        audio, sr = load_audio(f, mono=True)
        dur = audio.shape[1] / sr
        known = merge_intervals([(r.start_s, r.end_s) for r in rows])
        gaps = [
            (a, b) for a, b in zip([0.0] + [k[1] for k in known], [k[0] for k in known] + [dur], strict=True) if b > a
        ]
        yield EvalItem(
            str(f), audio[0], sr, merge_intervals([(r.start_s, r.end_s) for r in rows if r.noise]), {"all": known}, gaps
        )


def _touching(starts: np.ndarray, window_s: float, spans: list[tuple[float, float]]) -> np.ndarray:
    bad = np.zeros(len(starts), dtype=bool)
    for a, b in spans:
        bad |= (starts < b) & (starts + window_s > a)
    return bad


def score_item(
    item: EvalItem, clf: NoiseClassifier, params: SegmenterParams, energy: EnergyParams, tallies: dict[str, Tally]
) -> None:
    """Run model and baseline on one item and add its figures to the per-region tallies."""
    wp = clf.window_probs(item.audio, item.sr)
    labels = window_labels(wp.starts, wp.window_s, item.truth).astype(np.float32)
    labels[_touching(wp.starts, wp.window_s, item.ignore)] = np.nan
    e_scores = energy_window_scores(item.audio, item.sr, wp.starts, wp.window_s, energy)
    model_segs = [(s.start_s, s.end_s) for s in segments_from_probs(wp, params)]
    base_segs = [(s.start_s, s.end_s) for s in energy_segments(item.audio, item.sr, energy)]
    sweep = {
        pt: [
            (s.start_s, s.end_s)
            for s in segments_from_probs(
                wp, SegmenterParams(params.smooth_windows, pt[0], pt[1], params.min_run_s, *pt[2:])
            )
        ]
        for pt in SWEEP
    }
    for name, region in item.regions.items():
        t = tallies.setdefault(name, Tally())
        inside = ~_touching(wp.starts, wp.window_s, _complement(region, item.audio.shape[-1] / item.sr))
        keep = inside & ~np.isnan(labels)
        t.scores.append(wp.probs[keep])
        t.energy.append(e_scores[keep])
        t.labels.append(labels[keep] > 0.5)
        truth = intersect(item.truth, region)
        t.model += segment_counts(intersect(model_segs, region), truth)
        t.base += segment_counts(intersect(base_segs, region), truth)
        for h, segs in sweep.items():
            t.sweep[h] = t.sweep.get(h, SegmentCounts()) + segment_counts(intersect(segs, region), truth)
        t.seconds += sum(b - a for a, b in region)


def _complement(region: list[tuple[float, float]], dur: float) -> list[tuple[float, float]]:
    edges = [0.0] + [x for ab in merge_intervals(region) for x in ab] + [dur]
    return [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b > a]


def summarise(t: Tally, energy: EnergyParams) -> dict:
    """Figures of one region: window P/R/F1/AUC and segment purity/recall, model vs energy rule."""
    s, e, y = (np.concatenate(v) if v else np.zeros(0) for v in (t.scores, t.energy, t.labels))
    y = y.astype(bool)
    wm, wb = window_scores(s, y, 0.5), window_scores(e, y, -energy.within_db)
    at_base = [c for c in t.sweep.values() if c.recall >= t.base.recall - 1e-9]
    return {
        "seconds": round(t.seconds, 1),
        "windows": int(len(y)),
        "noise_windows": int(y.sum()),
        "model": {
            "window": vars(wm),
            "purity": t.model.purity,
            "recall": t.model.recall,
            "leaked_s": t.model.leaked_s,
            "extracted_s": t.model.extracted_s,
        },
        "energy": {
            "window": vars(wb),
            "purity": t.base.purity,
            "recall": t.base.recall,
            "leaked_s": t.base.leaked_s,
            "extracted_s": t.base.extracted_s,
        },
        "model_purity_at_energy_recall": max((c.purity for c in at_base), default=float("nan")),
        "sweep": [
            {"high": h, "low": lo, "margin_s": m, "tail_s": ta, "lead_s": le, "purity": c.purity, "recall": c.recall}
            for (h, lo, m, ta, le), c in t.sweep.items()
        ],
    }


def evaluate(
    clf: NoiseClassifier,
    items: Iterator[EvalItem],
    total: int | None = None,
    params: SegmenterParams | None = None,
    energy: EnergyParams | None = None,
    progress: bool = True,
) -> dict[str, dict]:
    """Figures per region ('all', 'sides', 'scenes' first, then each hard case) over all items."""
    params, energy = params or SegmenterParams(), energy or EnergyParams()
    tallies: dict[str, Tally] = {}
    for item in tqdm(items, total=total, desc="evaluate classifier", unit="file", disable=not progress):
        score_item(item, clf, params, energy, tallies)
    first = [k for k in ("all", "sides", "scenes") if k in tallies]
    order = first + sorted(k for k in tallies if k not in first)
    return {k: summarise(tallies[k], energy) for k in order if k in tallies}


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f}"


def format_report(results: dict[str, dict]) -> str:
    """A Markdown table of the figures: per region, model vs energy rule."""
    head = (
        "| region | windows (noise) | model P / R / F1 / AUC | energy P / R / F1 / AUC "
        "| model purity / recall | energy purity / recall | model purity at energy recall |"
    )
    lines = [head, "|" + "---|" * 7]
    for name, r in results.items():
        wm, we = r["model"]["window"], r["energy"]["window"]
        lines.append(
            f"| {name} | {r['windows']} ({r['noise_windows']}) "
            f"| {_pct(wm['precision'])} / {_pct(wm['recall'])} / {_pct(wm['f1'])} / {_pct(wm['auc'])} "
            f"| {_pct(we['precision'])} / {_pct(we['recall'])} / {_pct(we['f1'])} / {_pct(we['auc'])} "
            f"| {_pct(r['model']['purity'])} / {_pct(r['model']['recall'])} "
            f"| {_pct(r['energy']['purity'])} / {_pct(r['energy']['recall'])} "
            f"| {_pct(r['model_purity_at_energy_recall'])} |"
        )
    return "\n".join(lines)
