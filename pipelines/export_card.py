"""The README.md dataset card of a Hugging Face export: YAML metadata, how it was made, provenance per recording."""

from __future__ import annotations

from collections import defaultdict

from noisekit.archive.metadata import NOT_RECORDED

_FEATURES = [
    ("segment_id", "string"),
    ("source", "string"),
    ("source_path", "string"),
    ("title", "string"),
    ("creator", "string"),
    ("year", "int32"),
    ("label", "string"),
    ("start_s", "float64"),
    ("end_s", "float64"),
    ("duration_s", "float64"),
    ("p_noise", "float32"),
    ("rms_dbfs", "float32"),
    ("channels", "int16"),
    ("license", "string"),
]


def _cell(value: object) -> str:
    """A Markdown table cell: no pipes or line breaks from metadata can break the table."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _front_matter(split_counts: dict[str, tuple[int, int]]) -> list[str]:
    lines = [
        "---",
        "license: other",
        "license_name: per-recording",
        "pretty_name: Gramophone record surface noise (noisekit)",
        "task_categories:",
        "- audio-to-audio",
        "tags:",
        "- audio-restoration",
        "- noise",
        "- gramophone",
        "- 78rpm",
        "configs:",
        "- config_name: default",
        "  data_files:",
    ]
    for split in split_counts:
        lines += [f"  - split: {split}", f"    path: data/{split}-*"]
    lines += ["dataset_info:", "  features:", "  - name: audio", "    dtype: audio"]
    for name, dtype in _FEATURES:
        lines += [f"  - name: {name}", f"    dtype: {dtype}"]
    lines += ["  splits:"]
    for split, (n, size) in split_counts.items():
        lines += [f"  - name: {split}", f"    num_bytes: {size}", f"    num_examples: {n}"]
    return [*lines, "---", ""]


def _recordings(rows: list[dict], prov: dict[tuple[str, str], dict]) -> list[dict]:
    """One provenance entry per source file: where it came from, its checksum, licence and what was cut."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        grouped[(r["source"], r["source_path"])].append(r)
    out = []
    for (source, source_path), segs in sorted(grouped.items()):
        rec = prov.get((source, source_path))
        licences = sorted({s["license"] for s in segs if s.get("license")})
        out.append(
            {
                "source": source,
                "origin": f"https://archive.org/details/{source}" if rec else "local file",
                "file": rec["file"] if rec else source_path,
                "checksum": f"md5 {rec['md5']}"
                if rec and rec.get("md5")
                else (f"sha256 {segs[0]['source_sha256']}" if segs[0].get("source_sha256") else ""),
                "title": rec.get("title") if rec else None,
                "creator": rec.get("creator") if rec else None,
                "year": segs[0].get("year"),
                "label": segs[0].get("label"),
                "license": "; ".join(licences) if licences else NOT_RECORDED,
                "segments": len(segs),
                "seconds": sum(s["duration_s"] for s in segs),
                "split": segs[0]["split"],
            }
        )
    return out


def dataset_card(
    rows: list[dict],
    prov: dict[tuple[str, str], dict],
    split_counts: dict[str, tuple[int, int]],
    audio: str,
    version: str,
) -> str:
    """The whole README.md: metadata, description, columns, and the provenance table of every recording.

    `split_counts` maps each split to (examples, bytes of its Parquet shards).
    """
    recs = _recordings(rows, prov)
    minutes = sum(r["duration_s"] for r in rows) / 60
    lines = _front_matter(split_counts)
    lines += [
        "# Gramophone record surface noise",
        "",
        f"{len(rows)} noise-only segments ({minutes:.1f} min before looping) cut from {len(recs)} recordings by "
        f"`noisekit extract` (noisekit {version}): a CNN classifier marks the noise-only stretches of each disc "
        "transfer (lead-in, lead-out, pauses), and each stretch is cut with all its channels at 44.1 kHz.",
        "",
        (
            "The `audio` column holds the **5-s loops**: a cut of 5 s or more is trimmed; a shorter cut is repeated "
            "by a whole number of disc revolutions with a 0.5-s equal-power crossfade, so once-per-revolution "
            "clicks stay periodic."
            if audio == "loop"
            else "The `audio` column holds the **raw cuts** (variable length, before looping)."
        ),
        "",
        "Splits are assigned per source recording (80/10/10 by a stable hash of the identifier), so segments "
        "of one disc never straddle train and test. Split sizes: "
        + ", ".join(f"{s} {n}" for s, (n, _) in split_counts.items())
        + ".",
        "",
        "## Columns",
        "",
        "- `audio`: the segment, FLAC bytes with their file name (`datasets` Audio feature)",
        "- `segment_id`: stable id from the source file's checksum and the cut's sample span",
        "- `source`, `source_path`: the archive identifier (or input path) and the file the cut comes from",
        "- `title`, `creator`, `year`, `label`: from the recording's metadata when known",
        "- `start_s`, `end_s`, `duration_s`: the cut within the source file, seconds",
        "- `p_noise`: the classifier's mean p(noise only) over the cut; `rms_dbfs`: the cut's level",
        "- `license`: the recording's licence or rights as its archive metadata states them",
        "",
        "## Licence and provenance",
        "",
        "Each segment keeps the licence of the recording it was cut from, as the Internet Archive item's "
        'metadata states it (`licenseurl`, `rights`), or "none stated in the item metadata". Local files '
        'say "unknown (local file)"; recordings harvested before licences were kept say '
        f'"{NOT_RECORDED}".',
        "",
        "| source | origin | file | checksum | title | creator | year | label | licence | split | segments | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in recs:
        cells = [
            r["source"],
            r["origin"],
            r["file"],
            r["checksum"],
            r["title"],
            r["creator"],
            r["year"],
            r["label"],
            r["license"],
            r["split"],
            r["segments"],
            f"{r['seconds']:.2f}",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
