"""The data directory: one root holding recordings, noise segments, manifests, runs and logs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from noisekit.errors import UnsafePathError
from noisekit.fsutil import refuse_overlap, safe_join


@dataclass(frozen=True)
class DataDir:
    """Layout: recordings/<identifier>/<file>, noise/gramophone/, noise/tape/, manifests/, runs/, logs/."""

    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root).expanduser().resolve())

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def noise_gramophone(self) -> Path:
        return self.root / "noise" / "gramophone"

    @property
    def noise_tape(self) -> Path:
        return self.root / "noise" / "tape"

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def manifest_path(self, table: str) -> Path:
        """The Parquet file of a table, e.g. manifests/noise.parquet."""
        return self.manifests / f"{table}.parquet"

    def ensure(self) -> DataDir:
        """Create the standard folders (idempotent) and return self."""
        for folder in (self.recordings, self.noise_gramophone, self.noise_tape, self.manifests, self.runs):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def refuse_as_input(self, path: str | Path) -> Path:
        """`path` resolved, or a NoisekitError if it is, contains or lies inside a folder the pipeline writes
        audio to (noise/, runs/): reading that back would make noise of noise, or feed on a run's outputs."""
        own = {"the data directory's noise folder": self.root / "noise", "the data directory's runs folder": self.runs}
        return refuse_overlap(path, own, role="input")

    def relative(self, path: str | Path) -> str:
        """The POSIX path of `path` relative to the root, as stored in manifests."""
        resolved = Path(path).resolve()
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            raise UnsafePathError(str(path), f"is not inside the data directory {self.root}") from None

    def resolve(self, relative: str) -> Path:
        """The absolute path of a manifest path, refusing anything that escapes the data directory."""
        parts = PurePosixPath(relative).parts
        return safe_join(self.root, *parts, allow_subdirs=False) if parts else self.root
