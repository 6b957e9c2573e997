"""Real programme material from outside the project's generators: Debian packages of music, speech and
sound effects, fetched by name, decoded to FLAC and indexed with each source's licence.

Layout: ``D/material/<kind>/<package>/<track>/<track>.flac`` (a folder per track, so `noisekit manifest
clean D/material/music` groups by track), and ``manifests/material.parquet`` with one row per decoded
member: its package and version, the member's path in the package, the licence the package states, and a
split drawn per track and balanced within each package, so that a part of every source is kept out of
training (and a source can be left out whole for leave-one-source-out validation).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from noisekit.audio import load_audio, write_audio
from noisekit.datadir import DataDir
from noisekit.errors import AudioError, NoisekitError
from noisekit.manifests import merge_manifest, read_manifest
from noisekit.pipelines.clean import assign_split, balance_splits
from noisekit.pipelines.debian import expand_containers, matches, obtain_deb, read_licence, unpack_deb
from noisekit.pipelines.options import MaterialOptions, MaterialSource

HEADROOM = 0.999  # decoded lossy audio can overshoot full scale; such a track is scaled to this peak


@dataclass
class MaterialResult:
    """What a fetch did, for the one-line summary."""

    packages: int = 0
    files: int = 0
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"material: {self.files} files ({self.seconds / 60:.1f} min) from {self.packages} package(s), "
            f"{len(self.failed)} failed"
        )


def _track_name(member: str) -> str:
    """A safe, stable folder name for a member: its stem, plus a short hash of its path against collisions."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(member).stem).strip("._-")[:60] or "track"
    return f"{stem}-{hashlib.sha256(member.encode()).hexdigest()[:8]}"


def _members(root: Path, include: tuple[str, ...]) -> list[str]:
    """Paths (relative to the unpacked package) of its files matching any pattern, documentation excluded."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if matches(rel, include) and path.is_file() and not rel.startswith("usr/share/doc/"):
            found.append(rel)
    return sorted(found)


def _decode(root: Path, member: str, target: Path) -> dict:
    """Decode one member to 24-bit FLAC at its own rate, scaled down (never up) to fit full scale."""
    audio, sr = load_audio(root / member)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    gain = HEADROOM / peak if peak > HEADROOM else 1.0
    write_audio(target, audio * np.float32(gain), sr, subtype="PCM_24")
    seconds = audio.shape[1] / sr
    return {"duration_s": seconds, "sample_rate": sr, "channels": audio.shape[0], "gain_db": 20 * np.log10(gain)}


def fetch_source(data: DataDir, source: MaterialSource, options: MaterialOptions) -> list[dict]:
    """Fetch, unpack and decode one package; returns its material rows (failed members are rows too)."""
    cache = options.cache or data.root / "material" / ".debs"
    deb = obtain_deb(source.package, Path(cache))
    version = deb.stem.split("_")[1] if deb.stem.count("_") >= 2 else ""
    done = {r["member"]: r for r in read_manifest(data, "material").to_pylist() if r["package"] == source.package}
    staging = data.root / "material" / f".unpack-{source.package}"
    shutil.rmtree(staging, ignore_errors=True)  # a killed run's leftover
    rows: list[dict] = []
    try:
        root = expand_containers(unpack_deb(deb, staging), source.include)
        members = _members(root, source.include)[: source.max_files]
        if not members:
            raise NoisekitError(f"{source.package}: no member matches {', '.join(source.include)}")
        for member in tqdm(members, desc=source.package, unit="file", disable=not options.progress):
            track = _track_name(member)
            target = data.root / "material" / source.kind / source.package / track / f"{track}.flac"
            row: dict[str, Any] = {
                "path": data.relative(target),
                "package": source.package,
                "version": version,
                "member": member,
                "kind": source.kind,
                "group": f"{source.package}/{track}",
            }
            old = done.get(member)
            if old and old["status"] == "ok" and target.is_file() and old["version"] == version:
                rows.append(old)
                continue
            licence = read_licence(root, source.package, member)
            row.update(licence=licence.name, copyright=licence.copyright)
            try:
                row.update(status="ok", error=None, **_decode(root, member, target))
            except AudioError as exc:
                row.update(status="failed", error=exc.reason)
            rows.append(row)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    splits = balance_splits({r["group"]: assign_split(r["group"], options.valid, options.test) for r in rows})
    for row in rows:
        row["split"] = splits[row["group"]]
    return rows


def fetch_material(data: DataDir, options: MaterialOptions) -> MaterialResult:
    """Fetch every source of `options` into the data directory and merge their rows into material.parquet.

    One package that cannot be had (not in the apt sources, not a package) is reported and the rest go on;
    a rerun skips the members already decoded from the same package version.
    """
    if not options.sources:
        raise NoisekitError("material: the recipe names no sources")
    data.ensure()
    result = MaterialResult()
    for source in options.sources:
        try:
            rows = fetch_source(data, source, options)
        except NoisekitError as exc:
            result.failed.append(str(exc))
            continue
        merge_manifest(data, "material", rows)
        result.packages += 1
        ok = [r for r in rows if r["status"] == "ok"]
        result.files += len(ok)
        result.seconds += sum(r["duration_s"] for r in ok)
        result.failed += [f"{source.package}:{r['member']}: {r['error']}" for r in rows if r["status"] != "ok"]
    return result
