"""Export the noise dataset: the layout the official code of seed 000 reads, or a Hugging Face datasets folder.

`moliner`: a folder per recording holding its segments as stereo 44.1-kHz WAV, and `info.csv` with the
columns split, recording, segments (a Python list literal of file names) and largest_segment, which is
what the official training code reads (with pandas and ast.literal_eval; split names train, validation,
test). The raw cuts are exported by default, since that code loops them itself by whole revolutions.

`hf`: `data/<split>-<i>-of-<n>.parquet` shards with the audio embedded as {bytes, path} structs (the
`datasets` Audio feature, declared in the Parquet metadata and the card), and a README.md dataset card
with the provenance and licence of every recording. The 5-s loops are exported by default.

`lhotse`: RecordingSet and CutSet manifests per split with the audio beside them
(noisekit.pipelines.export_lhotse). The 5-s loops are exported by default.

The whole export is built in a temporary folder beside OUT and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from noisekit import __version__
from noisekit.audio import load_audio, write_audio
from noisekit.datadir import DataDir
from noisekit.errors import ConfigError, NoisekitError
from noisekit.fsutil import pid_alive, refuse_overlap
from noisekit.manifests import read_manifest
from noisekit.seeding import stable_hash

FORMATS = ("moliner", "hf", "lhotse")
SPLIT_NAMES = {"train": "train", "valid": "validation", "test": "test"}  # ours -> the official / HF names
MAX_SHARD_BYTES = 256 << 20
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass
class ExportResult:
    """What an export wrote, for the one-line summary."""

    out: Path
    format: str
    recordings: int
    segments: int
    seconds: float
    files: int

    def summary(self) -> str:
        """The one-line summary printed at the end of an export."""
        return (
            f"export ({self.format}): {self.segments} segments from {self.recordings} recordings, "
            f"{self.seconds / 60:.1f} min of audio, {self.files} files in {self.out}"
        )


def recording_name(source: str) -> str:
    """The folder name of a source: the identifier itself when it is a plain safe name, else a slug + hash."""
    if _SAFE_NAME.fullmatch(source) and ".." not in source:
        return source
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(source).stem).strip("._-")[:60] or "rec"
    return f"{stem}-{stable_hash('export', source, bits=32):08x}"


def _segments(datadir: DataDir) -> list[dict]:
    """The ok rows of noise.parquet, ordered by source, file and time."""
    table = read_manifest(datadir, "noise", missing_ok=False)
    rows = [r for r in table.to_pylist() if r["status"] == "ok"]
    if not rows:
        raise NoisekitError(f"{datadir.manifest_path('noise')}: no ok segments to export; run extract first")
    return sorted(rows, key=lambda r: (r["source"], r["source_path"], r["start_s"], r["segment_id"]))


def _provenance(datadir: DataDir) -> dict[tuple[str, str], dict]:
    """recordings.parquet rows by (identifier, path), for titles, checksums and item pages."""
    table = read_manifest(datadir, "recordings")
    return {(r["identifier"], r["path"]): r for r in table.to_pylist() if r["path"]}


def _stage_pattern(out: Path) -> re.Pattern:
    """Names of the folders an export to `out` works in: `.OUT.HOST-PID.TOKEN.tmp` (being built) and
    `.OUT.HOST-PID.TOKEN.old` (the export it replaces, for the moment of the swap)."""
    return re.compile(rf"^\.{re.escape(out.name)}\.(?P<host>.+)-(?P<pid>\d+)\.[0-9a-f]{{8}}\.(?P<kind>tmp|old)$")


def remove_stale_staging(out: Path) -> int:
    """Remove what killed exports to `out` on this host left beside it; an export that was being swapped
    in when killed (OUT missing, its old folder present) is put back. Returns how many folders it handled."""
    pattern, host, count = _stage_pattern(out), socket.gethostname(), 0
    for entry in sorted(out.parent.iterdir()) if out.parent.is_dir() else ():
        match = pattern.match(entry.name)
        if not match or match["host"] != host or pid_alive(int(match["pid"])):
            continue
        if match["kind"] == "old" and not out.exists():
            os.replace(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        count += 1
    return count


@contextlib.contextmanager
def _staged(datadir: DataDir, out: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary folder beside `out`, renamed to `out` on success (replacing it only if `overwrite`).

    `out` may neither be, contain nor lie inside the data directory: replacing it would delete the data.
    The folder's name carries this host and pid, so the next export can tell a killed run's leftovers.
    """
    refuse_overlap(out, {"the data directory": datadir.root})
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    if out.exists() and not overwrite:
        raise NoisekitError(f"{out}: already exists; use --overwrite to replace it")
    stem = f".{out.name}.{socket.gethostname()}-{os.getpid()}.{secrets.token_hex(4)}"
    tmp = out.with_name(f"{stem}.tmp")
    tmp.mkdir(0o777)  # the umask applies: an export is meant to be shared
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.with_name(f"{stem}.old")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _audio_key(audio: str) -> str:
    if audio not in ("raw", "loop"):
        raise ConfigError(f"audio must be 'raw' or 'loop', got {audio!r}")
    return "raw_path" if audio == "raw" else "path"


def _stereo(audio: np.ndarray) -> np.ndarray:
    """Two channels, as the official loader expects: mono duplicated, more than two cut to the first two."""
    return np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio[:2]


def export_moliner(
    datadir: DataDir, out: str | Path, audio: str = "raw", overwrite: bool = False, progress: bool = True
) -> ExportResult:
    """Write the folder-per-recording layout with info.csv that the official training code reads."""
    key = _audio_key(audio)
    rows = _segments(datadir)
    by_source: dict[str, list[dict]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r)
    names = {s: recording_name(s) for s in by_source}
    if len(set(names.values())) != len(names):
        raise NoisekitError("two sources map to the same recording folder name; rename one input")
    out = Path(out)
    seconds = 0.0
    with _staged(datadir, out, overwrite) as tmp:
        records = []
        bar = tqdm(total=len(rows), unit="seg", desc="export", disable=not progress)
        for source, segs in by_source.items():
            name, files, lengths = names[source], [], []
            for i, r in enumerate(segs):
                data, sr = load_audio(datadir.resolve(r[key]))
                file = f"{name}_{i}.wav"
                write_audio(tmp / name / file, _stereo(data), sr)
                files.append(file)
                lengths.append(data.shape[1])
                seconds += data.shape[1] / sr
                bar.update(1)
            records.append(
                {
                    "split": SPLIT_NAMES[segs[0]["split"] or "train"],
                    "recording": name,
                    "segments": repr(files),
                    "largest_segment": files[int(np.argmax(lengths))],
                }
            )
        bar.close()
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=["split", "recording", "segments", "largest_segment"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(records)
        (tmp / "info.csv").write_text(buf.getvalue(), encoding="utf-8")
    return ExportResult(out, "moliner", len(by_source), len(rows), seconds, len(rows) + 1)


_HF_COLUMNS = [  # (name, arrow type, datasets dtype)
    ("segment_id", pa.string(), "string"),
    ("source", pa.string(), "string"),
    ("source_path", pa.string(), "string"),
    ("title", pa.string(), "string"),
    ("creator", pa.string(), "string"),
    ("year", pa.int32(), "int32"),
    ("label", pa.string(), "string"),
    ("start_s", pa.float64(), "float64"),
    ("end_s", pa.float64(), "float64"),
    ("duration_s", pa.float64(), "float64"),
    ("p_noise", pa.float32(), "float32"),
    ("rms_dbfs", pa.float32(), "float32"),
    ("channels", pa.int16(), "int16"),
    ("license", pa.string(), "string"),
]
_AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def _hf_schema() -> pa.Schema:
    features = {"audio": {"_type": "Audio"}}
    features.update({n: {"dtype": d, "_type": "Value"} for n, _, d in _HF_COLUMNS})
    meta = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema([("audio", _AUDIO_TYPE)] + [(n, t) for n, t, _ in _HF_COLUMNS], metadata=meta)


def _hf_row(datadir: DataDir, r: dict, key: str, prov: dict) -> dict:
    path = datadir.resolve(r[key])
    rec = prov.get((r["source"], r["source_path"]), {})
    row: dict[str, Any] = {"audio": {"bytes": path.read_bytes(), "path": f"{r['segment_id']}{path.suffix}"}}
    row.update({n: r.get(n) for n, _, _ in _HF_COLUMNS})
    row.update({"title": rec.get("title"), "creator": rec.get("creator")})
    return row


def plan_shards(sizes: list[int], max_bytes: int = MAX_SHARD_BYTES) -> list[tuple[int, int]]:
    """[start, end) row ranges whose audio stays under `max_bytes` per shard (at least one row each)."""
    bounds, start, size = [], 0, 0
    for i, n in enumerate(sizes):
        if i > start and size + n > max_bytes:
            bounds.append((start, i))
            start, size = i, 0
        size += n
    bounds.append((start, len(sizes)))
    return bounds


def _write_split(datadir: DataDir, folder: Path, split: str, rows: list[dict], key: str, prov: dict, bar: tqdm) -> int:
    """Write one split as <split>-<i>-of-<n>.parquet shards, reading each segment's bytes only when written."""
    schema = _hf_schema()
    shards = plan_shards([datadir.resolve(r[key]).stat().st_size for r in rows])
    for i, (a, b) in enumerate(shards):
        with pq.ParquetWriter(folder / f"{split}-{i:05d}-of-{len(shards):05d}.parquet", schema) as writer:
            for c in range(a, b, 64):
                batch = [_hf_row(datadir, r, key, prov) for r in rows[c : min(b, c + 64)]]
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                bar.update(len(batch))
    return len(shards)


def export_hf(
    datadir: DataDir, out: str | Path, audio: str = "loop", overwrite: bool = False, progress: bool = True
) -> ExportResult:
    """Write a Hugging Face datasets folder: data/<split>-*.parquet with embedded audio, and README.md."""
    from noisekit.pipelines.export_card import dataset_card

    key = _audio_key(audio)
    rows = _segments(datadir)
    prov = _provenance(datadir)
    by_split: dict[str, list[dict]] = {}
    for r in rows:
        by_split.setdefault(SPLIT_NAMES[r["split"] or "train"], []).append(r)
    by_split = {s: by_split[s] for s in SPLIT_NAMES.values() if s in by_split}  # train, validation, test
    out = Path(out)
    files = 0
    with _staged(datadir, out, overwrite) as tmp:
        (tmp / "data").mkdir()
        with tqdm(total=len(rows), unit="seg", desc="export", disable=not progress) as bar:
            for split, split_rows in by_split.items():
                files += _write_split(datadir, tmp / "data", split, split_rows, key, prov, bar)
        sizes = {s: sum(f.stat().st_size for f in (tmp / "data").glob(f"{s}-*.parquet")) for s in by_split}
        card = dataset_card(rows, prov, {s: (len(v), sizes[s]) for s, v in by_split.items()}, audio, __version__)
        (tmp / "README.md").write_text(card, encoding="utf-8")
    seconds = sum(r["duration_s"] if key == "raw_path" else 5.0 for r in rows)
    return ExportResult(out, "hf", len({r["source"] for r in rows}), len(rows), seconds, files + 1)


def export_lhotse(
    datadir: DataDir, out: str | Path, audio: str = "loop", overwrite: bool = False, progress: bool = True
) -> ExportResult:
    """Write lhotse RecordingSet and CutSet manifests per split, with the audio, to `out`."""
    from noisekit.pipelines.export_lhotse import write_lhotse

    key = _audio_key(audio)
    rows = _segments(datadir)
    names = {r["source"]: recording_name(r["source"]) for r in rows}
    out = Path(out)
    with _staged(datadir, out, overwrite) as tmp:
        files, seconds = write_lhotse(datadir, rows, key, names, tmp, out.resolve(), progress)
    return ExportResult(out, "lhotse", len(names), len(rows), seconds, files)


def export(
    datadir: DataDir,
    out: str | Path,
    fmt: str,
    audio: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> ExportResult:
    """Export the noise dataset as `fmt` ('moliner', 'hf' or 'lhotse') to `out`."""
    if fmt == "lhotse":
        return export_lhotse(datadir, out, audio or "loop", overwrite, progress)
    if fmt == "moliner":
        return export_moliner(datadir, out, audio or "raw", overwrite, progress)
    if fmt == "hf":
        return export_hf(datadir, out, audio or "loop", overwrite, progress)
    raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
