"""Build clean.parquet from a folder of clean music: one row per file with duration and a grouped split.

A *group* is the folder a file sits in (relative to the scanned folder; files directly in it form
their own group each), so that the movements of one work, or the takes of one session, never straddle
the training and test splits. Splits are drawn by a stable hash of the group (80/10/10 by default).
Files outside the data directory are hard-linked (or copied) into ``D/clean/<folder name>/`` because
manifest paths are relative to the data directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
from noisekit.manifests import merge_manifest
from tqdm import tqdm

from noisekit.audio import audio_info
from noisekit.datadir import DataDir
from noisekit.discovery import expand_inputs
from noisekit.errors import AudioError, NoisekitError
from noisekit.fsutil import atomic_path, check_safe_name
from noisekit.seeding import unit_interval


def assign_split(group: str, valid: float = 0.1, test: float = 0.1, seed: int = 0) -> str:
    """The split of a group by a stable hash: ``test`` and ``valid`` fractions, the rest ``train``."""
    u = unit_interval("clean-split", seed, group)
    return "test" if u < test else ("valid" if u < test + valid else "train")


def _import(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (same file system), else copy it atomically."""
    if dst.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)


def _balance(groups: dict[str, str]) -> dict[str, str]:
    """With 3+ groups, make sure valid and test each get at least one (the train groups give them up)."""
    if len(groups) < 3:
        return groups
    for split in ("valid", "test"):
        if split not in groups.values():
            train = sorted(g for g, s in groups.items() if s == "train")
            if len(train) > 1:
                pick = min(train, key=lambda g: unit_interval("clean-balance", split, g))
                groups[pick] = split
    return groups


def build_clean_manifest(
    folder: str | Path, data: DataDir, valid: float = 0.1, test: float = 0.1, seed: int = 0, progress: bool = True
) -> pa.Table:
    """Scan ``folder`` for audio, import it under the data directory if needed, write clean.parquet."""
    folder = data.refuse_as_input(folder)  # the data directory's noise is not clean music
    if not folder.is_dir():
        raise NoisekitError(f"{folder}: not a folder of clean music")
    files = expand_inputs([folder])
    inside = data.root == folder or data.root in folder.parents
    if not inside:
        check_safe_name(folder.name)
    rows, failed = [], []
    for path in tqdm(files, desc="clean music", unit="file", disable=not progress):
        rel_in = path.relative_to(folder)
        try:
            info = audio_info(path)
        except AudioError as exc:
            failed.append(str(exc))
            continue
        if inside:
            stored = data.relative(path)
        else:
            target = data.root / "clean" / folder.name / rel_in
            _import(path, target)
            stored = data.relative(target)
        group = rel_in.parent.as_posix() if rel_in.parent != Path(".") else rel_in.stem
        rows.append(
            {
                "path": stored,
                "group": group,
                "duration_s": info.duration_s,
                "sample_rate": info.sample_rate,
                "channels": info.channels,
            }
        )
    if not rows:
        raise NoisekitError(f"{folder}: none of {len(files)} audio file(s) is readable: {failed[:3]}")
    splits = _balance({g: assign_split(g, valid, test, seed) for g in {r["group"] for r in rows}})
    for row in rows:
        row["split"] = splits[row["group"]]
    table = merge_manifest(data, "clean", rows)
    if failed:
        tqdm.write(f"skipped {len(failed)} unreadable file(s), e.g. {failed[0]}")
    return table
