"""The HTTP side of the archive client: an `internetarchive` session whose every request is routed to the
chosen endpoint, rate-limited globally, bounded by timeouts and retried politely.

The package builds every URL on `https://archive.org` (it appends `.archive.org` to a configured host that
lacks it), so a mirror or a loopback test archive cannot be named through its config. Instead one
transport adapter serves every request of the session: it rewrites `archive.org` hosts (data nodes
included) to the endpoint, waits for the global rate limiter, sets the timeouts, and retries connection
errors, 5xx and 429 with exponential backoff and jitter, honouring Retry-After on 429 and 503.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from internetarchive import ArchiveSession
from requests.adapters import HTTPAdapter

from noisekit import PROJECT_URL, __version__
from noisekit.errors import ConfigError

DEFAULT_ENDPOINT = "https://archive.org"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts, retry counts and backoff shared by every request; tests shrink the delays."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    tries: int = 5  # attempts per request (status and connection errors)
    body_tries: int = 5  # attempts per download whose body breaks off (each resumes with Range)
    md5_tries: int = 3  # full downloads of a file whose md5 keeps mismatching before it is failed
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    max_retry_after_s: float = 300.0

    def backoff(self, attempt: int) -> float:
        """Exponential delay for retry `attempt` (0-based) with equal jitter: half fixed, half random."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * (2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) timeout given to every request."""
        return (self.connect_timeout_s, self.read_timeout_s)


class RateLimiter:
    """A thread-safe token bucket: at most `rate` requests per second over time, bursts up to `burst`."""

    def __init__(self, rate: float | None, burst: int = 1) -> None:
        self.rate = rate if rate and rate > 0 else None
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one request may be sent."""
        if self.rate is None:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


def retry_after_s(response: requests.Response) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_archive_host(host: str) -> bool:
    host = host.lower()
    return host == "archive.org" or host.endswith(".archive.org")


class EndpointAdapter(HTTPAdapter):
    """Routes archive.org URLs to `endpoint`; rate limit, timeouts and polite retries on every send."""

    def __init__(self, endpoint: str, policy: RetryPolicy, limiter: RateLimiter, pool_size: int = 10) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        parts = urlsplit(endpoint.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = parts
        self.policy = policy
        self.limiter = limiter
        self.requests_sent = 0

    def route(self, url: str) -> str:
        """The URL actually fetched: archive.org hosts are replaced by the endpoint (and its path prefix)."""
        parts = urlsplit(url)
        if not _is_archive_host(parts.hostname or ""):
            return url
        path = self.endpoint.path + parts.path
        return urlunsplit((self.endpoint.scheme, self.endpoint.netloc, path, parts.query, ""))

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        """Send with routing, rate limiting, our timeouts and retries; returns the final response."""
        request.url = self.route(request.url)
        attempt = 0
        while True:
            self.limiter.acquire()
            self.requests_sent += 1
            try:
                response = super().send(
                    request, stream=stream, timeout=self.policy.timeout, verify=verify, cert=cert, proxies=proxies
                )
            except (requests.ConnectionError, requests.Timeout):
                if attempt + 1 >= self.policy.tries:
                    raise
                time.sleep(self.policy.backoff(attempt))
                attempt += 1
                continue
            if response.status_code not in RETRY_STATUSES or attempt + 1 >= self.policy.tries:
                return response
            delay = self.policy.backoff(attempt)
            if response.status_code in (429, 503):
                asked = retry_after_s(response)
                if asked is not None:
                    delay = min(asked, self.policy.max_retry_after_s) + random.uniform(0, 0.1 * delay)
            response.close()
            time.sleep(delay)
            attempt += 1


class NoisekitArchiveSession(ArchiveSession):
    """The package's session, with one EndpointAdapter serving every URL (the package's own retry
    adapter, mounted for archive.org only, is bypassed so that all retries follow one policy)."""

    def __init__(self, adapter: EndpointAdapter, config: dict) -> None:
        self.router = adapter
        super().__init__(config=config)
        # The package asks for `Connection: close`; keep-alive is kinder to the server and faster.
        self.headers.pop("Connection", None)

    def get_adapter(self, url: str) -> HTTPAdapter:
        """Every request goes through the router, whatever its scheme and host."""
        return self.router


def user_agent_suffix() -> str:
    """The part of the User-Agent that names noisekit, its version and where to reach its authors."""
    return f"noisekit/{__version__} (+{PROJECT_URL})"


def make_session(
    endpoint: str | None = None, jobs: int = 4, rate: float | None = 8.0, policy: RetryPolicy | None = None
) -> NoisekitArchiveSession:
    """An archive session for `endpoint` (default https://archive.org) sized for `jobs` workers."""
    policy = policy or RetryPolicy()
    adapter = EndpointAdapter(
        endpoint or DEFAULT_ENDPOINT, policy, RateLimiter(rate, burst=max(1, jobs)), pool_size=max(10, jobs)
    )
    config = {"general": {"user_agent_suffix": user_agent_suffix()}}
    session = NoisekitArchiveSession(adapter, config)
    if not _is_archive_host(adapter.endpoint.hostname or ""):
        # Credentials from the user's ia.ini or IA_* variables are for archive.org, never for a mirror.
        session.access_key = session.secret_key = None  # type: ignore[assignment]
        session.cookies.clear()
        # (the package's User-Agent names the access key: build it again without)
        session.headers["User-Agent"] = f"{session._get_user_agent_string()} {user_agent_suffix()}"
    return session
