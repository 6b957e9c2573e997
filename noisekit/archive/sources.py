"""Where a harvest takes items from: the archive over HTTP (or a mirror / loopback archive via
`endpoint`), or a folder in the layout `ia download` leaves. Both give identifiers, metadata in the API's
JSON shape, and verified copies of files."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from noisekit.archive.download import copy_verified, download_verified
from noisekit.archive.layout import list_item_dirs, read_item_dir
from noisekit.archive.metadata import ArchiveFileInfo, all_texts
from noisekit.archive.search import build_query, fetch_metadata, iter_identifiers
from noisekit.archive.session import RetryPolicy, make_session
from noisekit.errors import ConfigError, NoisekitError
from noisekit.fsutil import safe_join

OnBytes = Callable[[int], None]


class Source(Protocol):
    """A place items come from."""

    def identifiers(self, collection: str | None, query: str | None, limit: int | None) -> Iterator[str]:
        """Identifiers of the matching items, streamed."""
        ...

    def metadata(self, identifier: str) -> Any:
        """The item's metadata in the API's JSON shape (unchecked); raises NoisekitError."""
        ...

    def fetch(self, identifier: str, metadata: Any, file: ArchiveFileInfo, dest: Path, on_bytes: OnBytes) -> None:
        """Put the verified file at `dest`; raises DownloadError."""
        ...


class RemoteSource:
    """The Internet Archive (or `endpoint`) through the `internetarchive` package."""

    def __init__(
        self, endpoint: str | None = None, jobs: int = 4, rate: float | None = 8.0, policy: RetryPolicy | None = None
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.session = make_session(endpoint, jobs=jobs, rate=rate, policy=self.policy)

    def identifiers(self, collection: str | None, query: str | None, limit: int | None) -> Iterator[str]:
        """Search results (scrape API, cursor paging), sorted by identifier."""
        return iter_identifiers(self.session, build_query(collection, query), self.policy, limit)

    def metadata(self, identifier: str) -> Any:
        """GET /metadata/<identifier> through the package."""
        return fetch_metadata(self.session, identifier, self.policy)

    def fetch(self, identifier: str, metadata: Any, file: ArchiveFileInfo, dest: Path, on_bytes: OnBytes) -> None:
        """Download through the package's File URL (percent-encoded), verified against the md5."""
        url = self.session.get_item(identifier, item_metadata=metadata).get_file(file.name).url
        download_verified(self.session, url, dest, file.md5 or "", file.size, self.policy, on_bytes)

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (retries and redirects included)."""
        return self.session.router.requests_sent


class LocalSource:
    """Items already on disk as `ia download` leaves them: `<root>/<identifier>/<identifier>_meta.xml`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotADirectoryError(f"source folder {self.root} does not exist")

    def identifiers(self, collection: str | None, query: str | None, limit: int | None) -> Iterator[str]:
        """Item folders (sorted) whose metadata names `collection`; unreadable ones are kept, to fail."""
        if query:
            raise ConfigError("--query needs the archive's search; it cannot be used with --source-dir")
        matching = (i for i in list_item_dirs(self.root) if self._in_collection(i, collection))
        return itertools.islice(matching, limit)

    def _in_collection(self, identifier: str, collection: str | None) -> bool:
        if not collection:
            return True
        try:
            return collection in all_texts(read_item_dir(self.root, identifier)["metadata"].get("collection"))
        except (NoisekitError, OSError):  # unreadable or unsafe: let the harvest fail it with the reason
            return True

    def metadata(self, identifier: str) -> Any:
        """Read `_meta.xml` and `_files.xml` into the API's JSON shape."""
        return read_item_dir(self.root, identifier)

    def fetch(self, identifier: str, metadata: Any, file: ArchiveFileInfo, dest: Path, on_bytes: OnBytes) -> None:
        """Copy the file beside its partial name and rename it once its md5 matches."""
        source = safe_join(self.root, identifier, file.name, allow_subdirs=True)
        copy_verified(source, dest, file.md5 or "", on_bytes)
