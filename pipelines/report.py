"""`noisekit report`: one offline HTML page to look at and listen through a noise dataset.

DIR/report/index.html embeds its charts; spectrogram thumbnails are PNG files in DIR/report/thumbs/ and
the players point at the segments in DIR/noise/, so the page works from a file:// URL or any static
server of DIR, and stays fast with thousands of segments (paged gallery, lazy images, no preloading).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import quote

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from noisekit import __version__
from noisekit.datadir import DataDir
from noisekit.fsutil import atomic_write
from noisekit.manifests import read_manifest
from noisekit.pipelines.report_figures import bar_chart, histogram, write_thumbnail

MIME = {".flac": "audio/flac", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}


@dataclass
class ReportResult:
    path: Path
    segments: int
    minutes: float


def _segments(data: DataDir) -> list[dict]:
    tables = [read_manifest(data, t) for t in ("noise", "tape")]
    table = pa.concat_tables(tables)
    rows = [r for r in table.to_pylist() if r["status"] == "ok" and r["path"]]
    return sorted(rows, key=lambda r: (r["kind"], r["source"], r["start_s"] or 0.0))


def _refused_table(data: DataDir, limit: int = 100) -> str:
    """Cuts extract refused as not surface noise (silence, fades, gating), each with its reason."""
    rows = [r for r in read_manifest(data, "noise").to_pylist() if r["status"] == "refused"]
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{html.escape(r['source'])}</td><td>{r['start_s']:.1f}–{r['end_s']:.1f} s</td>"
        f"<td>{html.escape(r['error'] or '')}</td></tr>"
        for r in sorted(rows, key=lambda r: (r["source"], r["start_s"]))[:limit]
    )
    more = f"<tr><td colspan=3 class=muted>… {len(rows) - limit} more</td></tr>" if len(rows) > limit else ""
    return f"<table><tr><th>refused cut</th><th>span</th><th>why it is not surface noise</th></tr>{body}{more}</table>"


def _minutes_by(rows: list[dict], key, by_label: bool = False) -> dict[str, float]:
    """Minutes of noise per group, largest first (or in label order, for decades)."""
    totals: dict[str, float] = {}
    for row in rows:
        label = key(row)
        totals[label] = totals.get(label, 0.0) + (row["duration_s"] or 0.0) / 60.0
    return dict(sorted(totals.items(), key=(lambda kv: kv[0]) if by_label else (lambda kv: -kv[1])))


def _decade(row: dict) -> str:
    return f"{row['year'] // 10 * 10}s" if row["year"] else "unknown year"


def _device(row: dict) -> str:
    speed = f" @ {row['speed_ips']:g} ips" if row["speed_ips"] else ""
    return f"{row['device']}{speed}"


def _html_table(title: str, values: dict[str, float], limit: int = 20) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.1f}</td></tr>" for k, v in list(values.items())[:limit])
    more = f"<tr><td colspan=2 class=muted>… {len(values) - limit} more</td></tr>" if len(values) > limit else ""
    return f"<table><tr><th>{html.escape(title)}</th><th>minutes</th></tr>{rows}{more}</table>"


def _markdown_to_html(text: str) -> str:
    """Enough Markdown for evaluation summaries: headings, pipe tables and paragraphs."""
    out, table = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                table.append(cells)
            continue
        if table:
            head, *body = table
            out.append(
                "<table><tr>"
                + "".join(f"<th>{html.escape(c)}</th>" for c in head)
                + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</table>"
            )
            table = []
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 1, 4)
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out)


def find_evaluation(data: DataDir) -> Path | None:
    """The newest evaluation summary (a Markdown file named *eval*.md) under DIR/runs/."""
    if not data.runs.exists():
        return None
    found = [p for p in data.runs.rglob("*.md") if "eval" in p.as_posix().lower()]
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None


def _evaluation_section(data: DataDir, report_dir: Path) -> str:
    summary = find_evaluation(data)
    if summary is None:
        return "<p class=muted>No evaluation yet: run <code>noisekit evaluate</code>.</p>"
    images = "".join(
        f'<figure><img src="{quote(Path("..", data.relative(p)).as_posix())}" alt="{html.escape(p.stem)}">'
        f"<figcaption>{html.escape(p.stem)}</figcaption></figure>"
        for p in sorted(summary.parent.glob("*.png"))
    )
    source = html.escape(data.relative(summary))
    return f"<p class=muted>From {source}</p>" + _markdown_to_html(summary.read_text(encoding="utf-8")) + images


def _segment_entry(row: dict, data: DataDir, thumb: Path) -> dict:
    audio = data.resolve(row["path"])
    extra = _device(row) if row["kind"] == "tape" else (row["label"] or "")
    return {
        "id": row["segment_id"],
        "kind": row["kind"],
        "split": row["split"] or "",
        "source": row["source"],
        "start_s": float(row["start_s"] or 0.0),
        "end_s": float(row["end_s"] or 0.0),
        "p_noise": float(row["p_noise"]) if row["p_noise"] is not None else 1.0,
        "extra": extra,
        "audio": quote(Path("..", row["path"]).as_posix()),
        "mime": MIME.get(audio.suffix.lower(), "audio/wav"),
        "thumb": quote(Path("thumbs", thumb.name).as_posix()),
    }


def _flag_below() -> float:
    """Segments whose mean p(noise) is below the segmenter's start threshold are shown in red."""
    from noisekit.classifier.segmenter import SegmenterParams

    return SegmenterParams().high


def build_report(data: DataDir, title: str | None = None, progress: bool = True) -> ReportResult:
    """Write DIR/report/index.html (charts, tables, segment gallery, latest evaluation); return its path."""
    report_dir = data.root / "report"
    rows = _segments(data)
    entries = []
    for row in tqdm(rows, desc="thumbnails", unit="seg", disable=not progress):
        thumb = report_dir / "thumbs" / f"{row['segment_id']}.png"
        write_thumbnail(data.resolve(row["path"]), thumb)
        entries.append(_segment_entry(row, data, thumb))

    minutes = sum((r["duration_s"] or 0.0) for r in rows) / 60.0
    by_kind = _minutes_by(rows, lambda r: r["kind"])
    gram = [r for r in rows if r["kind"] == "gramophone"]
    tape = [r for r in rows if r["kind"] == "tape"]
    groups = {"kind": by_kind, "split": _minutes_by(rows, lambda r: r["split"] or "none")}
    if gram:
        groups["decade"] = _minutes_by(gram, _decade, by_label=True)
        groups["label"] = _minutes_by(gram, lambda r: r["label"] or "unknown label")
    if tape:
        groups["device and speed"] = _minutes_by(tape, _device)
    charts = [bar_chart(v, f"minutes of noise by {k}") for k, v in groups.items() if v]
    p_values = np.array([r["p_noise"] for r in rows if r["p_noise"] is not None], dtype=float)
    if len(p_values):
        charts.append(histogram(p_values, "classifier confidence of the segments", "mean p(noise) over the cut"))
    sources = {(r["kind"], r["source"]) for r in rows}
    stats = [("segments", len(rows)), ("minutes of noise", f"{minutes:.1f}"), ("sources", len(sources))]
    stats += [(f"{k} segments", sum(r["kind"] == k for r in rows)) for k in by_kind]

    page = Template(resources.files("noisekit.pipelines").joinpath("report_template.html").read_text(encoding="utf-8"))
    text = page.substitute(
        title=html.escape(title or data.root.name),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        stats="".join(f'<div class="stat"><b>{v}</b>{html.escape(k)}</div>' for k, v in stats),
        tables="".join(_html_table(k, v) for k, v in groups.items() if v) + _refused_table(data),
        charts="".join(f'<img src="{uri}" alt="chart">' for uri in charts),
        kind_options="".join(f"<option>{html.escape(k)}</option>" for k in by_kind),
        evaluation=_evaluation_section(data, report_dir),
        segments_json=json.dumps(entries).replace("</", "<\\/"),
        flag_below=_flag_below(),
    )
    out = report_dir / "index.html"
    with atomic_write(out, "w") as handle:
        handle.write(text)
    return ReportResult(out, len(rows), minutes)
