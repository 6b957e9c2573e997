"""A loopback Internet Archive for tests and benchmarks, answering what the `internetarchive` package asks:

- `POST /services/search/v1/scrape?q=&count=&fields=&sorts=&cursor=`: cursor-paged results, the last page
  without `cursor` (as the package expects); `q` understands `collection:X`, `field:value`,
  `year:[A TO B]` clauses joined by AND, in optional parentheses;
- `GET /metadata/<identifier>`: the item in the real JSON shape (every file value a string);
- `GET /download/<identifier>/<file>`: a 302 to a data-node path `/<n>/items/<identifier>/<file>` that
  serves the bytes with Range support (206 + Content-Range), 403 for private files.

Faults on demand, per route and item/file, consumed in order (`times=None` keeps one for ever):
'503' and '429' (with Retry-After), '500', 'reset' (connection reset mid-body), 'truncate' (body cut
short, connection closed), 'slow' (first byte after `slow_s`), 'nonjson' (metadata only). Items whose
stated md5 differs from their bytes, private files and hostile metadata are set up through the items
themselves (`LayoutFile.stated_md5`, `.private`) and `raw_metadata`.

Run as a script to serve synthetic items from another process (benchmarks):
`python tests/fake_archive.py --items 200 --size-kb 256` prints the endpoint URL, then serves.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from noisekit.archive.layout import LayoutItem, great78_item  # noqa: E402
from noisekit.archive.session import RetryPolicy  # noqa: E402

_RANGE_RE = re.compile(r"bytes=(\d+)-(\d*)$")
SAMPLE_LICENSE_URL = "https://creativecommons.org/publicdomain/mark/1.0/"
SAMPLE_RIGHTS = "Public domain in the USA; rights elsewhere belong to the rights holders."


def flac_bytes(seed: int, seconds: float = 0.25, sr: int = 44100, channels: int = 1, fmt: str = "FLAC") -> bytes:
    """A small, valid FLAC (or MP3) file of noise (distinct per seed)."""
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal((int(seconds * sr), channels)) * 0.1).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format=fmt)
    return buf.getvalue()


def sample_item(
    index: int, seconds: float = 0.25, transfers: int = 2, mp3: bool = True, name: str | None = None, **meta
) -> LayoutItem:
    """A Great-78-like item with a FLAC main track, `transfers` stylus transfers and an MP3 derivative, and the
    licence fields items carry (`licenseurl`, `rights`; pass None to leave one out)."""
    identifier = f"78_song-{index:05d}_artist_gbia{index:07d}a"
    stated = {"licenseurl": meta.pop("licenseurl", SAMPLE_LICENSE_URL), "rights": meta.pop("rights", SAMPLE_RIGHTS)}
    slug = identifier[3:]
    audio = flac_bytes(index, seconds)
    item = great78_item(
        identifier,
        audio,
        name=name or f"Song {index} - Artist.flac",
        title=f"Song {index}",
        creator=meta.pop("creator", [f"Artist {index}", "Orchestra"]),
        date=meta.pop("date", f"{1920 + index % 10}-05-01"),
        year=meta.pop("year", None),
        label=meta.pop("label", "Victor"),
        length_s=seconds,
        transfers=[
            (f"_78_{slug}_01_{mil}_CT_EQ.flac", flac_bytes(index * 100 + t, seconds))
            for t, mil in enumerate(["2.3", "2.8", "3.3", "3.8"][:transfers])
        ],
        mp3=flac_bytes(index, seconds, fmt="MP3") if mp3 else None,
        **meta,
    )
    item.metadata.update({k: v for k, v in stated.items() if v is not None})
    return item


class FakeArchive:
    """The archive's state: items, faults, the request log. Thread-safe; `start()` serves it."""

    def __init__(
        self,
        items: list[LayoutItem] = (),
        page_size: int = 100,
        retry_after: int = 0,
        slow_s: float = 0.5,
        datanode_host: str | None = None,
        chunk: int = 1 << 16,
        pace_s: float = 0.0,
    ) -> None:
        self.items: dict[str, LayoutItem] = {}
        self.raw_metadata: dict[str, bytes] = {}  # identifier -> exact metadata body (hostile tests)
        self.search_extra: list[str] = []  # identifiers the search returns beyond the items (hostile ones)
        self.page_size = page_size
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.datanode_host = datanode_host
        self.chunk = chunk
        self.pace_s = pace_s  # pause between chunks of a file body (to catch a run mid-download)
        self.lock = threading.Lock()
        self.faults: dict[tuple, list] = defaultdict(list)
        self.log: list[tuple[str, str, str, str]] = []  # (route, identifier, file, Range header)
        self.user_agents: Counter[str] = Counter()
        self.authorizations: Counter[str] = Counter()
        self._metadata_cache: dict[str, bytes] = {}
        self.server: _QuietServer | None = None
        for item in items:
            self.add(item)

    def add(self, item: LayoutItem) -> None:
        """Serve `item`."""
        with self.lock:
            self.items[item.identifier] = item
            self._metadata_cache.pop(item.identifier, None)

    def fault(self, route: str, fault: str, identifier: str = "", file: str = "", times: int | None = 1) -> None:
        """Inject `fault` on `route` ('search'|'metadata'|'download'|'data') for an item/file (or all)."""
        with self.lock:
            self.faults[(route, identifier, file)].append([fault, times])

    def take_fault(self, route: str, identifier: str = "", file: str = "") -> str | None:
        with self.lock:
            for key in ((route, identifier, file), (route, identifier, ""), (route, "", "")):
                queue = self.faults.get(key)
                if queue:
                    fault, times = queue[0]
                    if times is not None:
                        queue[0][1] -= 1
                        if queue[0][1] <= 0:
                            queue.pop(0)
                    return fault
        return None

    def count(self, route: str, identifier: str | None = None, file: str | None = None) -> int:
        """How many requests hit `route` (for an identifier / file when given)."""
        with self.lock:
            return sum(1 for r, i, f, _ in self.log if r == route and identifier in (None, i) and file in (None, f))

    def metadata_body(self, identifier: str) -> bytes | None:
        with self.lock:
            if identifier in self.raw_metadata:
                return self.raw_metadata[identifier]
            if identifier not in self._metadata_cache:
                item = self.items.get(identifier)
                self._metadata_cache[identifier] = json.dumps(item.metadata_json() if item else {}).encode()
            return self._metadata_cache[identifier]

    def matches(self, query: str) -> list[str]:
        """Identifiers matching a simple Lucene query (AND of field clauses), sorted."""
        clauses = [c.strip().strip("()").strip() for c in re.split(r"\s+AND\s+", query)]
        out = []
        for identifier, item in self.items.items():
            meta = {"identifier": identifier, **item.metadata}
            if all(_clause_matches(c, meta) for c in clauses if c):
                out.append(identifier)
        return sorted(out + self.search_extra)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeArchive:
        """Serve on an ephemeral 127.0.0.1 port in a daemon thread."""
        handler = type("Handler", (_Handler,), {"archive": self})
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (timeouts, by design in tests) is not an error worth printing."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _clause_matches(clause: str, meta: dict) -> bool:
    field, _, value = clause.partition(":")
    raw = meta.get(field.strip())
    if field.strip() == "year" and raw is None and isinstance(meta.get("date"), str):
        raw = meta["date"][:4]
    values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v is not None]
    span = re.fullmatch(r"\[(\S+) TO (\S+)\]", value.strip())
    if span:
        lo, hi = span.groups()
        return any(v[:4].isdigit() and lo <= v[:4] <= hi for v in values)
    return value.strip().strip('"') in values


class _Handler(BaseHTTPRequestHandler):
    archive: FakeArchive
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, *args) -> None:  # quiet
        pass

    def _record(self, route: str, identifier: str = "", file: str = "") -> None:
        with self.archive.lock:
            self.archive.log.append((route, identifier, file, self.headers.get("Range", "")))
            self.archive.user_agents[self.headers.get("User-Agent", "")] += 1
            self.archive.authorizations[self.headers.get("Authorization", "")] += 1

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json", headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _status_fault(self, fault: str | None) -> bool:
        """Answer a status fault; True if the request was answered."""
        if fault in ("503", "429", "500"):
            extra = [("Retry-After", str(self.archive.retry_after))] if fault != "500" else []
            self._send(int(fault), b'{"error": "fault"}', headers=extra)
            return True
        if fault == "slow":
            time.sleep(self.archive.slow_s)
        return False

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path != "/services/search/v1/scrape":
            return self._send(404, b'{"error": "not found"}')
        self._record("search")
        if self._status_fault(self.archive.take_fault("search")):
            return None
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if "q" not in params:
            return self._send(400, b'{"error": "missing q"}')
        if any(":" not in c for c in re.split(r"\s+AND\s+", params["q"])):
            return self._send(400, json.dumps({"error": f"cannot parse query {params['q']!r}"}).encode())
        found = self.archive.matches(params["q"])
        if params.get("total_only") == "true":
            return self._send(200, json.dumps({"total": len(found)}).encode())
        start = int(base64.urlsafe_b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
        size = min(int(params.get("count", 10000)), self.archive.page_size)
        page = found[start : start + size]
        body: dict = {"items": [{"identifier": i} for i in page], "count": len(page), "total": len(found)}
        if start + size < len(found):
            body["cursor"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return self._send(200, json.dumps(body).encode())

    def do_GET(self) -> None:  # noqa: N802
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/metadata/"):
            return self._metadata(path[len("/metadata/") :])
        if path.startswith("/download/"):
            identifier, _, name = path[len("/download/") :].partition("/")
            return self._download(identifier, name)
        match = re.match(r"/(\d+)/items/([^/]+)/(.+)$", path)
        if match:
            return self._data(match.group(2), match.group(3))
        return self._send(404, b"not found", "text/plain")

    def _metadata(self, identifier: str) -> None:
        self._record("metadata", identifier)
        fault = self.archive.take_fault("metadata", identifier)
        if self._status_fault(fault):
            return
        if fault == "nonjson":
            return self._send(200, b"<html>Service unavailable</html>", "text/html")
        body = self.archive.metadata_body(identifier) or b"{}"
        if fault in ("reset", "truncate"):
            return self._broken(body, fault)
        self._send(200, body)

    def _download(self, identifier: str, name: str) -> None:
        self._record("download", identifier, name)
        if self._status_fault(self.archive.take_fault("download", identifier, name)):
            return
        host = self.archive.datanode_host or self.headers.get("Host", "127.0.0.1")
        scheme = "https" if self.archive.datanode_host else "http"
        location = f"{scheme}://{host}/0/items/{identifier}/{quote(name)}"
        self._send(302, b"", "text/html", headers=[("Location", location)])

    def _data(self, identifier: str, name: str) -> None:
        self._record("data", identifier, name)
        fault = self.archive.take_fault("data", identifier, name)
        if self._status_fault(fault):
            return None
        item = self.archive.items.get(identifier)
        found = next((f for f in item.files if f.name == name), None) if item else None
        if found is None:
            return self._send(404, b"not found", "text/plain")
        if found.private:
            return self._send(403, b"forbidden", "text/plain")
        body = found.content
        start, status, extra = 0, 200, [("Accept-Ranges", "bytes")]
        match = _RANGE_RE.match(self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(body) - 1
            if start >= len(body):
                return self._send(416, b"", "text/plain", headers=[("Content-Range", f"bytes */{len(body)}")])
            body = body[start : end + 1]
            status = 206
            extra.append(("Content-Range", f"bytes {start}-{start + len(body) - 1}/{len(found.content)}"))
        if fault in ("reset", "truncate"):
            return self._broken(body, fault, status, extra)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        view = memoryview(body)
        for offset in range(0, len(body), self.archive.chunk):
            self.wfile.write(view[offset : offset + self.archive.chunk])
            if self.archive.pace_s:
                time.sleep(self.archive.pace_s)
        return None

    def _broken(self, body: bytes, fault: str, status: int = 200, extra=()) -> None:
        """Promise the whole body, send half, then reset ('reset') or close ('truncate') the connection."""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body[: max(1, len(body) // 2)])
        self.wfile.flush()
        self.close_connection = True
        if fault == "reset":
            time.sleep(0.1)  # let what was sent arrive: the reset comes mid-body, not before it
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def fast_policy(**overrides) -> RetryPolicy:
    """A retry policy with millisecond backoff and short timeouts, for tests."""
    values = {
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "backoff_base_s": 0.005,
        "backoff_cap_s": 0.02,
        "max_retry_after_s": 5.0,
    }
    values.update(overrides)
    return RetryPolicy(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1.0, help="audio length of each main track")
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--distinct", type=int, default=20, help="distinct audio files, reused across items")
    args = parser.parse_args()
    sides = [flac_bytes(seed, args.seconds, channels=args.channels) for seed in range(args.distinct)]
    items = [
        great78_item(
            f"78_bench-{i:06d}_gbia{i:07d}a",
            sides[i % args.distinct],
            name=f"Side {i}.flac",
            title=f"Side {i}",
            creator="Bench",
            date="1925",
            length_s=args.seconds,
        )
        for i in range(args.items)
    ]
    archive = FakeArchive(items, page_size=10000).start()
    print(archive.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        archive.stop()


if __name__ == "__main__":
    main()
