"""Streaming item search and metadata fetches through the `internetarchive` package (scrape API with
cursor paging: one page in memory at a time however many items match)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import requests

from noisekit.archive.session import NoisekitArchiveSession, RetryPolicy
from noisekit.errors import ConfigError, NoisekitError


class SearchError(NoisekitError):
    """The search itself failed (the harvest cannot know which items to take)."""


def build_query(collection: str | None, query: str | None) -> str:
    """The Lucene query: `collection:<c>`, AND-ed with the user's clause when given."""
    clauses = []
    if collection:
        clauses.append(f"collection:{collection}")
    if query:
        clauses.append(f"({query})")
    if not clauses:
        raise ConfigError("a search needs a collection or a query")
    return " AND ".join(clauses)


def iter_identifiers(
    session: NoisekitArchiveSession, query: str, policy: RetryPolicy, limit: int | None = None
) -> Iterator[str]:
    """Identifiers matching `query`, sorted by identifier, streamed page by page; raises SearchError."""
    search = session.search_items(
        query,
        fields=["identifier"],
        sorts=["identifier asc"],
        request_kwargs={"timeout": policy.timeout},
        max_retries=0,
    )
    count = 0
    results = iter(search)
    while limit is None or count < limit:
        try:
            result = next(results)
        except StopIteration:
            return
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise SearchError(f"search {query!r} failed: {exc}") from exc
        if not isinstance(result, dict) or "error" in result or not isinstance(result.get("identifier"), str):
            raise SearchError(f"search {query!r} failed: the server answered {result!r:.200}")
        count += 1
        yield result["identifier"]


def fetch_metadata(session: NoisekitArchiveSession, identifier: str, policy: RetryPolicy) -> Any:
    """The item's metadata JSON (any JSON value: the caller checks its shape).

    Status retries happen in the session's adapter; a metadata body cut off mid-way is retried here.
    Raises NoisekitError with the reason when the metadata cannot be had or is not JSON.
    """
    attempt = 0
    while True:
        try:
            return session.get_metadata(identifier, request_kwargs={"timeout": policy.timeout})
        except requests.exceptions.JSONDecodeError as exc:
            raise NoisekitError(f"item {identifier!r}: metadata is not JSON ({exc})") from exc
        except requests.HTTPError as exc:
            raise NoisekitError(f"item {identifier!r}: {exc}") from exc
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            attempt += 1
            if attempt >= policy.tries:
                raise NoisekitError(f"item {identifier!r}: metadata fetch failed: {exc}") from exc
            time.sleep(policy.backoff(attempt - 1))
        except requests.RequestException as exc:  # too many redirects, invalid URL...: this item fails
            raise NoisekitError(f"item {identifier!r}: metadata fetch failed: {exc}") from exc
