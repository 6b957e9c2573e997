"""A small data directory made the way `make demo` makes one: sides in recordings/ extracted (with the stand-in
energy finder), blank-tape segments with decks and speeds, and clean music; for the API tests and docs/api.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from denoiser_helpers import make_datadir
from extract_fakes import EnergyFinder, write_fake_side

from noisekit.datadir import DataDir
from noisekit.fsutil import md5_file
from noisekit.manifests import merge_manifest, read_manifest, write_manifest
from noisekit.pipelines.extract import extract

SIDES = [("78_blues_gbia1", 1, 2, 1928, "Okeh"), ("78_waltz_gbia2", 2, 1, 1934, "Victor")]


def make_demo_like(root: Path) -> DataDir:
    """Clean tones and noise (denoiser_helpers.make_datadir), two harvested sides with their extracted noise,
    and the tape rows given speeds (7.5 and 15 ips); the sides' splits are train and test."""
    data = make_datadir(root, clean_seconds=3.0)
    rows = []
    for ident, seed, channels, year, label in SIDES:
        path = data.recordings / ident / "side.flac"
        write_fake_side(path, seed=seed, channels=channels)
        rows.append(
            {
                "identifier": ident,
                "file": "side.flac",
                "path": data.relative(path),
                "title": ident,
                "year": year,
                "label": label,
                "md5": md5_file(path),
                "status": "ok",
                "harvested_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
    write_manifest(data, "recordings", rows)
    extract(data, finder=EnergyFinder(), jobs=1, progress=False, splits=(0.5, 0.0, 0.5))
    tape = read_manifest(data, "tape").to_pylist()
    merge_manifest(data, "tape", [{**r, "speed_ips": 7.5 if i % 2 else 15.0} for i, r in enumerate(tape)])
    return data
