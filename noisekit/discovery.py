"""Audio file discovery: one suffix set and one rule for folders, shared by every command that takes inputs.

A folder is searched recursively and its files are sorted; hidden names are skipped, which also skips the
temporaries that ``noisekit.fsutil.atomic_path`` (and a killed writer) leaves, since those are hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from noisekit.errors import NoisekitError

AUDIO_SUFFIXES = frozenset({".flac", ".wav", ".w64", ".aif", ".aiff", ".aifc", ".caf", ".mp3", ".ogg", ".oga", ".opus"})
"""Suffixes of the containers libsndfile reads that noisekit accepts as input, lower case."""


def is_hidden(path: Path, root: Path) -> bool:
    """Whether any part of ``path`` below ``root`` starts with a dot (hidden files, folders and temporaries)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def audio_files(folder: str | Path) -> list[Path]:
    """The audio files under ``folder`` (recursive, sorted), by suffix, skipping hidden names."""
    root = Path(folder)
    found = (p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and not is_hidden(p, root))
    return sorted(p for p in found if p.is_file())


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given and the audio files of any folder given, in order; a missing input or a folder without
    audio is refused, naming it."""
    files: list[Path] = []
    for given in map(Path, inputs):
        if given.is_dir():
            found = audio_files(given)
            if not found:
                raise NoisekitError(f"{given}: no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) found")
            files += found
        elif given.exists():
            files.append(given)
        else:
            raise NoisekitError(f"{given}: input not found")
    return files
