"""Output names of the commands that write files per input (denoise, restore): one name per input, never its
neighbour's, and never inside what the command reads.

A file found in a folder keeps its place below that folder (``music/a/x.wav`` -> ``a/x``); a file given by
itself goes to the top. Names that still coincide (``x.wav`` beside ``x.flac``, or ``a/x.wav`` and ``b/x.wav``
given as files or found in two folders) keep the whole file name (``x.wav``, ``x.flac``), then add a hash of the
full path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from noisekit.discovery import expand_inputs
from noisekit.fsutil import refuse_overlap
from noisekit.seeding import stable_hash

Namer = Callable[[Path, PurePosixPath], PurePosixPath]

_NAMERS: tuple[Namer, ...] = (  # applied in turn to the names that still coincide
    lambda file, stem: stem.with_name(file.name),
    lambda file, stem: stem.with_name(f"{file.name}-{stable_hash('output', file.resolve(), bits=32):08x}"),
)


def _place(file: Path, folders: Sequence[Path]) -> PurePosixPath:
    """The output stem of `file`: its place below the first given folder holding it, else its own stem."""
    resolved = file.resolve()
    for folder in folders:
        if resolved.is_relative_to(folder):
            inner = resolved.relative_to(folder)
            return PurePosixPath(*inner.parent.parts, inner.stem)
    return PurePosixPath(file.stem or "audio")


def output_stems(inputs: Sequence[str | Path], out_dir: str | Path) -> dict[Path, str]:
    """Each audio file of `inputs` (files, folders searched recursively; one file reached twice counts once)
    -> its own output stem relative to `out_dir`, unique regardless of case.

    An `out_dir` that is, contains or lies inside an input folder is refused first: a rerun would read back
    its own outputs.
    """
    folders = [Path(p).resolve() for p in inputs if Path(p).is_dir()]
    for folder in folders:
        refuse_overlap(out_dir, {"the input folder": folder})
    files: dict[Path, Path] = {}
    for f in expand_inputs(inputs):
        files.setdefault(f.resolve(), f)
    stems = {f: _place(f, folders) for f in files.values()}
    for namer in _NAMERS:
        groups: dict[str, list[Path]] = defaultdict(list)
        for f, stem in stems.items():
            groups[stem.as_posix().lower()].append(f)
        clashes = [f for group in groups.values() if len(group) > 1 for f in group]
        if not clashes:
            break
        for f in clashes:
            stems[f] = namer(f, _place(f, folders))
    return {f: stem.as_posix() for f, stem in stems.items()}
