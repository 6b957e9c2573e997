"""Build clean.parquet from a folder of clean music: one row per file with duration and a grouped split.

A *group* is the folder a file sits in (relative to the scanned folder; files directly in it form
their own group each), so that the movements of one work, or the takes of one session, never straddle
the training and test splits. Splits are drawn by a stable hash of the group (CleanOptions' fractions by default).
Files outside the data directory are hard-linked (or copied) into ``D/clean/<folder name>/`` because
manifest paths are relative to the data directory. A scan replaces what clean.parquet held under that
folder: after it, ``D/clean/<folder name>/`` and its rows mirror the folder scanned, and a file of an
earlier import (another folder of the same name, or an older version) is replaced or removed, and said so.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from noisekit.audio import audio_info
from noisekit.datadir import DataDir
from noisekit.discovery import expand_inputs
from noisekit.errors import AudioError, NoisekitError
from noisekit.fsutil import atomic_path, check_safe_name
from noisekit.manifests import read_manifest, to_table, write_manifest
from noisekit.pipelines.options import CleanOptions
from noisekit.seeding import unit_interval


def assign_split(
    group: str, valid: float = CleanOptions.valid, test: float = CleanOptions.test, seed: int = CleanOptions.seed
) -> str:
    """The split of a group by a stable hash: ``test`` and ``valid`` fractions, the rest ``train``."""
    u = unit_interval("clean-split", seed, group)
    return "test" if u < test else ("valid" if u < test + valid else "train")


def _import(src: Path, dst: Path) -> bool:
    """Hard-link ``src`` to ``dst`` (same file system), else copy it atomically; a different file already at
    ``dst`` (an earlier import) is replaced. Returns whether one was."""
    replaced = dst.exists()
    if replaced and (os.path.samefile(src, dst) or filecmp.cmp(src, dst, shallow=False)):
        return False
    if replaced:
        dst.unlink()  # a kill before the link below leaves the file missing, and the next scan imports it
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
    return replaced


def _replace_rows(data: DataDir, base: Path, rows: list[dict], owned: bool) -> tuple[pa.Table, int]:
    """clean.parquet with its rows under ``base`` replaced by ``rows``; when the data directory ``owned`` the
    files there (imports), those no row names are deleted. Returns the table and how many rows went."""
    prefix = data.relative(base) + "/"
    old = read_manifest(data, "clean")
    under = pc.starts_with(old.column("path"), prefix)
    new = to_table(rows, "clean")
    gone = set(old.filter(under).column("path").to_pylist()) - set(new.column("path").to_pylist())
    table = write_manifest(data, "clean", pa.concat_tables([old.filter(pc.invert(under)), new]))
    if owned:  # after the table, so a kill in between leaves unreferenced files, never rows without files
        kept = {data.resolve(p) for p in new.column("path").to_pylist()}
        for stale in [p for p in base.rglob("*") if p.is_file() and p not in kept]:
            stale.unlink()
    return table, len(gone)


def balance_splits(groups: dict[str, str]) -> dict[str, str]:
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
    folder: str | Path,
    data: DataDir,
    valid: float = CleanOptions.valid,
    test: float = CleanOptions.test,
    seed: int = CleanOptions.seed,
    progress: bool = CleanOptions.progress,
) -> pa.Table:
    """Scan ``folder`` for audio, import it under the data directory if needed, write clean.parquet."""
    folder = data.refuse_as_input(folder)  # the data directory's noise is not clean music
    if not folder.is_dir():
        raise NoisekitError(f"{folder}: not a folder of clean music")
    files = expand_inputs([folder])
    inside = data.root == folder or data.root in folder.parents
    if not inside:
        check_safe_name(folder.name)
    base = folder if inside else data.root / "clean" / folder.name
    rows: list[dict[str, Any]] = []
    failed, replaced = [], 0
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
            target = base / rel_in
            replaced += _import(path, target)
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
    splits = balance_splits({g: assign_split(g, valid, test, seed) for g in {r["group"] for r in rows}})
    for row in rows:
        row["split"] = splits[row["group"]]
    table, gone = _replace_rows(data, base, rows, owned=not inside)
    if replaced or gone:
        tqdm.write(
            f"{data.relative(base)}/ now holds the {len(rows)} file(s) of {folder}: {replaced} file(s) of an earlier "
            f"scan replaced and {gone} row(s) removed (their files are gone, unreadable or from another folder)"
        )
    if failed:
        tqdm.write(f"skipped {len(failed)} unreadable file(s), e.g. {failed[0]}")
    return table
