"""Export the noise as lhotse manifests: what `lhotse.load_manifest` reads and `CutSet.mix` mixes in.

`lhotse`: `audio/<recording>/<segment_id>.flac` (the 5-s loops by default), and per split (train, valid,
test) `recordings_<split>.jsonl.gz` (a RecordingSet: one Recording per segment, id = segment_id) and
`cuts_<split>.jsonl.gz` (a CutSet: one MonoCut per channel, id = <segment_id>-<channel>, whose `custom`
holds the segment's manifest row: kind, split, source, year, label, p_noise, licence...). The manifests
are written here without lhotse (a test reads them with it). lhotse resolves a relative audio path against
the working directory, not the manifest, so the paths are absolute: they name the export where it was
written; after moving it, rebase them with ``RecordingSet.with_path_prefix`` or re-export.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

from tqdm import tqdm

from noisekit.audio import audio_info
from noisekit.datadir import DataDir

SPLITS = ("train", "valid", "test")
#: the manifest columns a cut's `custom` carries (the file paths, status and timestamps stay behind)
CUSTOM = (
    "segment_id",
    "kind",
    "split",
    "source",
    "source_path",
    "start_s",
    "end_s",
    "year",
    "label",
    "p_noise",
    "rms_dbfs",
    "device",
    "speed_ips",
    "tape_stock",
    "license",
)


def recording_dict(rec_id: str, path: Path, sr: int, frames: int, channels: int) -> dict:
    """A lhotse Recording as its to_dict() writes it: one audio file holding every channel."""
    ids = list(range(channels))
    return {
        "id": rec_id,
        "sources": [{"type": "file", "channels": ids, "source": str(path)}],
        "sampling_rate": sr,
        "num_samples": frames,
        "duration": frames / sr,
        "channel_ids": ids,
    }


def cut_dicts(recording: dict, custom: dict) -> list[dict]:
    """One lhotse MonoCut per channel of a recording, spanning all of it, each with the row as `custom`."""
    return [
        {
            "id": f"{recording['id']}-{c}",
            "start": 0,
            "duration": recording["duration"],
            "channel": c,
            "supervisions": [],
            "recording": recording,
            "custom": custom,
            "type": "MonoCut",
        }
        for c in recording["channel_ids"]
    ]


def write_jsonl_gz(path: Path, items: list[dict]) -> None:
    """JSON lines, gzip-compressed with no timestamp (the same rows give the same bytes)."""
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def write_lhotse(
    datadir: DataDir, rows: list[dict], key: str, names: dict[str, str], tmp: Path, final: Path, progress: bool
) -> tuple[int, float]:
    """Copy each row's audio into ``tmp/audio`` and write the manifests naming it under ``final`` (where ``tmp``
    will be renamed to); returns (files written, seconds of audio)."""
    recordings: dict[str, list[dict]] = {s: [] for s in SPLITS}
    cuts: dict[str, list[dict]] = {s: [] for s in SPLITS}
    seconds = 0.0
    for r in tqdm(rows, unit="seg", desc="export", disable=not progress):
        src = datadir.resolve(r[key])
        rel = Path("audio") / names[r["source"]] / f"{r['segment_id']}{src.suffix}"
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, tmp / rel)
        info = audio_info(tmp / rel)
        split = r["split"] or "train"
        rec = recording_dict(r["segment_id"], final / rel, info.sample_rate, info.frames, info.channels)
        recordings[split].append(rec)
        cuts[split].extend(cut_dicts(rec, {k: r.get(k) for k in CUSTOM} | {"split": split}))
        seconds += info.duration_s
    files = len(rows)
    for split in SPLITS:
        if recordings[split]:
            write_jsonl_gz(tmp / f"recordings_{split}.jsonl.gz", recordings[split])
            write_jsonl_gz(tmp / f"cuts_{split}.jsonl.gz", cuts[split])
            files += 2
    return files, seconds
