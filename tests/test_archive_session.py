"""The session: routing to the endpoint, User-Agent, rate limit, timeouts and polite retries."""

import time

import pytest
import requests
from fake_archive import FakeArchive, fast_policy, sample_item

from noisekit import PROJECT_URL, __version__
from noisekit.archive.search import fetch_metadata
from noisekit.archive.session import EndpointAdapter, RateLimiter, RetryPolicy, make_session, retry_after_s


@pytest.fixture
def archive():
    fake = FakeArchive([sample_item(1)], retry_after=1, slow_s=0.6).start()
    yield fake
    fake.stop()


def test_route_rewrites_archive_hosts_only():
    adapter = EndpointAdapter("http://127.0.0.1:9/mirror", RetryPolicy(), RateLimiter(None))
    assert adapter.route("https://archive.org/metadata/x?a=1") == "http://127.0.0.1:9/mirror/metadata/x?a=1"
    assert (
        adapter.route("https://ia800201.us.archive.org/4/items/x/a%20b.flac")
        == "http://127.0.0.1:9/mirror/4/items/x/a%20b.flac"
    )
    assert adapter.route("https://example.org/x") == "https://example.org/x"
    assert adapter.route("https://notarchive.org/x") == "https://notarchive.org/x"
    with pytest.raises(ValueError):
        EndpointAdapter("ftp://host", RetryPolicy(), RateLimiter(None))


def test_user_agent_names_noisekit_and_keeps_the_package(archive):
    session = make_session(archive.url, rate=None, policy=fast_policy())
    fetch_metadata(session, "78_song-00001_artist_gbia0000001a", fast_policy())
    (agent,) = archive.user_agents
    assert f"noisekit/{__version__}" in agent and PROJECT_URL in agent and agent.startswith("internetarchive/")


def test_retry_after_is_honoured_on_503_and_429(archive):
    session = make_session(archive.url, rate=None, policy=fast_policy())
    archive.fault("metadata", "503")
    archive.fault("metadata", "429")
    start = time.monotonic()
    data = fetch_metadata(session, "78_song-00001_artist_gbia0000001a", fast_policy())
    assert data["metadata"]["identifier"] == "78_song-00001_artist_gbia0000001a"
    assert time.monotonic() - start >= 2.0  # two Retry-After: 1 waits
    assert archive.count("metadata") == 3


def test_http_date_retry_after():
    response = requests.Response()
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after_s(response) == 0.0
    response.headers["Retry-After"] = "7"
    assert retry_after_s(response) == 7.0


def test_5xx_gives_up_after_bounded_tries(archive):
    session = make_session(archive.url, rate=None, policy=fast_policy(tries=3))
    archive.fault("metadata", "500", times=None)
    with pytest.raises(Exception, match="500"):
        fetch_metadata(session, "78_song-00001_artist_gbia0000001a", fast_policy(tries=3))
    assert archive.count("metadata") == 3


def test_slow_first_byte_times_out_and_is_retried(archive):
    policy = fast_policy(read_timeout_s=0.3)
    session = make_session(archive.url, rate=None, policy=policy)
    archive.fault("metadata", "slow")
    assert fetch_metadata(session, "78_song-00001_artist_gbia0000001a", policy)["files"]
    assert archive.count("metadata") == 2


def test_connection_refused_is_retried_then_reported():
    policy = fast_policy(tries=3)
    session = make_session("http://127.0.0.1:1", rate=None, policy=policy)
    with pytest.raises(Exception, match="metadata fetch failed"):
        fetch_metadata(session, "x1", policy)
    assert session.router.requests_sent == 9  # 3 adapter tries x 3 fetch attempts


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(50.0, burst=1)
    start = time.monotonic()
    for _ in range(11):
        limiter.acquire()
    assert time.monotonic() - start >= 0.19
    unlimited = RateLimiter(None)
    start = time.monotonic()
    for _ in range(1000):
        unlimited.acquire()
    assert time.monotonic() - start < 0.1


def test_backoff_grows_with_jitter_and_cap():
    policy = RetryPolicy(backoff_base_s=1.0, backoff_cap_s=8.0)
    assert 0.5 <= policy.backoff(0) <= 1.0
    assert 2.0 <= policy.backoff(2) <= 4.0
    assert 4.0 <= policy.backoff(10) <= 8.0
    assert len({policy.backoff(3) for _ in range(20)}) > 1


def test_archive_credentials_never_go_to_another_endpoint(archive, monkeypatch):
    monkeypatch.setenv("IA_ACCESS_KEY_ID", "KEY")
    monkeypatch.setenv("IA_SECRET_ACCESS_KEY", "SECRET")
    assert make_session(None).access_key == "KEY"  # archive.org itself keeps the user's keys
    session = make_session(archive.url, rate=None, policy=fast_policy())
    fetch_metadata(session, "78_song-00001_artist_gbia0000001a", fast_policy())
    list(session.search_items("collection:georgeblood"))
    assert set(archive.authorizations) == {""}
    assert not any("KEY" in agent for agent in archive.user_agents) and len(archive.user_agents) == 1
