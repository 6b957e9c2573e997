"""Streaming search through the package's scrape API, and metadata fetches with their failures."""

import pytest
from fake_archive import FakeArchive, fast_policy, sample_item

from noisekit.archive.search import SearchError, build_query, fetch_metadata, iter_identifiers
from noisekit.archive.session import make_session
from noisekit.errors import NoisekitError


@pytest.fixture
def archive():
    fake = FakeArchive([sample_item(i) for i in range(10)], page_size=3).start()
    yield fake
    fake.stop()


def _session(archive):
    return make_session(archive.url, rate=None, policy=fast_policy())


def test_cursor_paging_streams_all_sorted(archive):
    found = list(iter_identifiers(_session(archive), build_query("georgeblood", None), fast_policy()))
    assert found == sorted(archive.items) and len(found) == 10
    assert archive.count("search") == 4  # pages of 3: 3 + 3 + 3 + 1


def test_limit_stops_paging_early(archive):
    found = list(iter_identifiers(_session(archive), "collection:georgeblood", fast_policy(), limit=4))
    assert len(found) == 4 and archive.count("search") == 2


def test_query_clause_is_anded(archive):
    query = build_query("georgeblood", "year:[1921 TO 1922]")
    assert query == "collection:georgeblood AND (year:[1921 TO 1922])"
    found = list(iter_identifiers(_session(archive), query, fast_policy()))
    assert found == ["78_song-00001_artist_gbia0000001a", "78_song-00002_artist_gbia0000002a"]


def test_search_error_answer_is_a_search_error(archive):
    with pytest.raises(SearchError, match="cannot parse"):
        list(iter_identifiers(_session(archive), "bogus", fast_policy()))


def test_search_5xx_retried_then_search_error(archive):
    archive.fault("search", "503")
    assert len(list(iter_identifiers(_session(archive), "collection:georgeblood", fast_policy()))) == 10
    archive.fault("search", "500", times=None)
    with pytest.raises(SearchError):
        list(iter_identifiers(_session(archive), "collection:georgeblood", fast_policy(tries=2)))


def test_metadata_non_json_and_truncated(archive):
    session, ident = _session(archive), "78_song-00001_artist_gbia0000001a"
    archive.fault("metadata", "nonjson", ident)
    with pytest.raises(NoisekitError, match="not JSON"):
        fetch_metadata(session, ident, fast_policy())
    archive.fault("metadata", "truncate", ident)
    archive.fault("metadata", "reset", ident)
    assert fetch_metadata(session, ident, fast_policy())["metadata"]["identifier"] == ident
    assert archive.count("metadata", ident) == 4


def test_missing_item_gives_empty_metadata(archive):
    assert fetch_metadata(_session(archive), "nosuchitem", fast_policy()) == {}
