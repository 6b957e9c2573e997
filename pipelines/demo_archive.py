"""A miniature Great-78-like archive of synthetic sides, on disk in the layout `ia download` leaves.

The offline demo harvests it with `--source-dir`. Each side's exact noise-only intervals are kept in
`ground_truth.json` beside the items, so the extracted noise can be scored (purity and recall).
Seeds start at DemoArchiveOptions.seed_start, a range that neither the classifier's training nor its evaluation uses.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from noisekit.archive.layout import great78_item, write_archive_dir
from noisekit.audio import write_audio
from noisekit.fsutil import atomic_write
from noisekit.pipelines.options import DemoArchiveOptions
from noisekit.seeding import rng_for
from noisekit.synth.side import synth_side

GROUND_TRUTH = "ground_truth.json"

_TITLES = [
    "Moonlight Serenade",
    "Down Home Rag",
    "Ave Maria",
    "Tiger Rag",
    "Song of India",
    "Dardanella",
    "The Japanese Sandman",
    "Whispering",
    "St. Louis Blues",
    "Valse Triste",
    "Humoresque",
    "Kashmiri Song",
]
_ARTISTS = [
    "Paul Whiteman and His Orchestra",
    "Enrico Caruso",
    "Fritz Kreisler",
    "Original Dixieland Jass Band",
    "Ada Jones & Billy Murray",
    "Sousa's Band",
    "Marian Anderson",
    "Victor Salon Orchestra",
]
_LABELS = ["Victor", "Columbia", "Brunswick", "Okeh", "Decca", "Edison", "Bluebird", "Gennett"]


@dataclass(frozen=True)
class DemoSide:
    identifier: str
    file: str
    year: int
    noise_intervals: list[tuple[float, float]]  # exact: no programme sample at all
    audible_intervals: list[tuple[float, float]]  # as a listener hears it (SyntheticSide.truth("audible"))


def _describe(seed: int, era: str) -> tuple[str, str, str, int, str]:
    rng = rng_for(seed, "demo-archive-metadata")
    title = str(rng.choice(_TITLES))
    artist = str(rng.choice(_ARTISTS))
    label = str(rng.choice(_LABELS))
    year = int(rng.integers(1906, 1925) if era == "acoustic" else rng.integers(1926, 1955))
    slug = "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())
    identifier = f"78_{slug}_gbia{seed % 10_000_000:07d}"
    return title, artist, label, year, identifier


def build_demo_archive(
    root: str | Path,
    sides: int = DemoArchiveOptions.sides,
    duration_s: float | None = DemoArchiveOptions.duration_s,
    seed_start: int = DemoArchiveOptions.seed_start,
) -> list[DemoSide]:
    """Write `sides` synthetic Great 78 items (main-track FLAC plus the files real items carry) under `root`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    made, items = [], []
    with tempfile.TemporaryDirectory(prefix="noisekit-demo-archive-") as tmp:
        for seed in range(seed_start, seed_start + sides):
            side = synth_side(seed, duration_s=duration_s)
            era_params = side.params.get("era") or {}
            era = str(era_params.get("era", "electrical") if isinstance(era_params, dict) else era_params)
            title, artist, label, year, identifier = _describe(seed, era)
            name = f"{title} - {artist}.flac"
            audio_path = write_audio(Path(tmp) / f"{seed}.flac", side.audio, side.sr)
            items.append(
                great78_item(
                    identifier,
                    audio_path,
                    name=name,
                    title=title,
                    creator=[artist],
                    date=f"{year}",
                    label=label,
                    length_s=side.duration_s,
                )
            )
            made.append(
                DemoSide(identifier, name, year, [(a, b) for a, b in side.noise_intervals], side.truth("audible"))
            )
        write_archive_dir(root, items)
    truth = {
        s.identifier: {
            "file": s.file,
            "year": s.year,
            "noise_intervals": s.noise_intervals,
            "audible_intervals": s.audible_intervals,
        }
        for s in made
    }
    with atomic_write(root / GROUND_TRUTH, "w") as handle:
        json.dump(truth, handle, indent=1)
    return made


def read_ground_truth(root: str | Path) -> dict[str, dict]:
    """The ground truth written beside a demo archive: {identifier: {file, year, noise_intervals,
    audible_intervals}} (the exact and the audible noise-only truth of each side)."""
    return json.loads((Path(root) / GROUND_TRUTH).read_text(encoding="utf-8"))
