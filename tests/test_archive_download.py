"""Verified downloads: resume with Range after a break, bounded md5 retries, 403, local copies."""

import hashlib

import pytest
from fake_archive import FakeArchive, fast_policy, flac_bytes, sample_item

from noisekit.archive.download import DownloadError, copy_verified, download_verified, partial_path
from noisekit.archive.layout import LayoutFile
from noisekit.archive.session import make_session

BIG = flac_bytes(7, seconds=3.0, channels=2)  # ~1 MB: breaks keep whole 64 KiB chunks to resume from


@pytest.fixture
def archive():
    item = sample_item(1)
    item.files.append(LayoutFile("big one (1).flac", data=BIG))
    item.files.append(LayoutFile("lies.flac", data=b"x" * 1000, stated_md5="0" * 32))
    item.files.append(LayoutFile("secret.flac", data=b"y" * 1000, private=True))
    fake = FakeArchive([item]).start()
    fake.ident = item.identifier
    yield fake
    fake.stop()


def _get(archive, name, dest, policy=None):
    policy = policy or fast_policy()
    session = make_session(archive.url, rate=None, policy=policy)
    item = session.get_item(archive.ident)
    info = item.get_file(name)
    download_verified(session, info.url, dest, info.md5, info.size, policy)


@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_broken_body_resumes_with_range(archive, tmp_path, fault):
    archive.fault("data", fault, archive.ident, "big one (1).flac")
    dest = tmp_path / "big one (1).flac"
    _get(archive, "big one (1).flac", dest)
    assert dest.read_bytes() == BIG and not partial_path(dest).exists()
    ranges = [r for route, _, f, r in archive.log if route == "data" and f == "big one (1).flac"]
    assert len(ranges) == 2 and ranges[0] == "" and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"


def test_leftover_partial_is_resumed(archive, tmp_path):
    dest = tmp_path / "big one (1).flac"
    partial_path(dest).write_bytes(BIG[:300_000])
    _get(archive, "big one (1).flac", dest)
    assert dest.read_bytes() == BIG
    assert [r for route, *_, r in archive.log if route == "data"] == ["bytes=300000-"]


def test_corrupt_partial_is_discarded_and_refetched(archive, tmp_path):
    dest = tmp_path / "big one (1).flac"
    partial_path(dest).write_bytes(b"\0" * 300_000)
    _get(archive, "big one (1).flac", dest)
    assert dest.read_bytes() == BIG and archive.count("data") == 2


def test_persistent_md5_mismatch_fails_after_bounded_downloads(archive, tmp_path):
    dest = tmp_path / "lies.flac"
    with pytest.raises(DownloadError, match="md5 mismatch"):
        _get(archive, "lies.flac", dest, fast_policy(md5_tries=3))
    assert archive.count("data", file="lies.flac") == 3
    assert not dest.exists() and not partial_path(dest).exists()


def test_private_file_403_is_not_retried(archive, tmp_path):
    with pytest.raises(DownloadError, match="403"):
        _get(archive, "secret.flac", tmp_path / "secret.flac")
    assert archive.count("data", file="secret.flac") == 1
    assert not list(tmp_path.iterdir())


def test_body_that_keeps_breaking_is_given_up(archive, tmp_path):
    archive.fault("data", "truncate", archive.ident, "big one (1).flac", times=None)
    with pytest.raises(DownloadError, match="breaking off"):
        _get(archive, "big one (1).flac", tmp_path / "b.flac", fast_policy(body_tries=3))
    assert archive.count("data", file="big one (1).flac") == 3


def test_copy_verified(tmp_path):
    src = tmp_path / "src.flac"
    src.write_bytes(b"abc")
    copy_verified(src, tmp_path / "out" / "dst.flac", hashlib.md5(b"abc").hexdigest())
    assert (tmp_path / "out" / "dst.flac").read_bytes() == b"abc"
    with pytest.raises(DownloadError, match="md5 mismatch"):
        copy_verified(src, tmp_path / "out" / "bad.flac", "0" * 32)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dst.flac"]
    with pytest.raises(DownloadError, match="cannot copy"):
        copy_verified(tmp_path / "missing", tmp_path / "out" / "m.flac", "0" * 32)


def test_complete_partial_of_unknown_size_is_verified_after_416(archive, tmp_path):
    session = make_session(archive.url, rate=None, policy=fast_policy())
    info = session.get_item(archive.ident).get_file("big one (1).flac")
    dest = tmp_path / "big.flac"
    partial_path(dest).write_bytes(BIG)
    download_verified(session, info.url, dest, info.md5, None, fast_policy())
    assert dest.read_bytes() == BIG and [r for route, *_, r in archive.log if route == "data"] == [f"bytes={len(BIG)}-"]
