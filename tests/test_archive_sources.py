"""The two item sources: the archive over HTTP (through the package) and an `ia download` folder."""

import pytest
from fake_archive import FakeArchive, fast_policy, sample_item

from noisekit.archive.download import DownloadError
from noisekit.archive.layout import write_archive_dir
from noisekit.archive.metadata import parse_item_metadata
from noisekit.archive.sources import LocalSource, RemoteSource


def test_local_source_filters_collection_and_limits(tmp_path):
    items = [sample_item(i) for i in range(4)] + [sample_item(7, collections=("otherstuff",))]
    write_archive_dir(tmp_path, items)
    source = LocalSource(tmp_path)
    assert list(source.identifiers("georgeblood", None, None)) == sorted(i.identifier for i in items[:4])
    assert list(source.identifiers("otherstuff", None, None)) == [items[4].identifier]
    assert len(list(source.identifiers(None, None, 2))) == 2
    with pytest.raises(ValueError, match="--query"):
        source.identifiers("georgeblood", "year:1920", None)
    with pytest.raises(NotADirectoryError):
        LocalSource(tmp_path / "missing")


def test_local_fetch_refuses_names_outside_the_folder(tmp_path):
    item = sample_item(1)
    write_archive_dir(tmp_path / "src", [item])
    source = LocalSource(tmp_path / "src")
    info = parse_item_metadata(item.identifier, source.metadata(item.identifier))
    dest = tmp_path / "out" / info.files[0].name
    source.fetch(item.identifier, None, info.files[0], dest, lambda n: None)
    assert dest.read_bytes() == item.files[0].content
    with pytest.raises(DownloadError, match="cannot copy"):
        source.fetch(
            item.identifier,
            None,
            info.files[0].__class__("missing.flac", "original", "Flac", "0" * 32, 1, None),
            tmp_path / "out" / "m",
            print,
        )


def test_remote_source_counts_requests_and_fetches(tmp_path):
    item = sample_item(2)
    fake = FakeArchive([item]).start()
    try:
        source = RemoteSource(fake.url, jobs=2, rate=None, policy=fast_policy())
        assert list(source.identifiers("georgeblood", None, None)) == [item.identifier]
        metadata = source.metadata(item.identifier)
        info = parse_item_metadata(item.identifier, metadata)
        got = []
        source.fetch(item.identifier, metadata, info.files[0], tmp_path / "f.flac", got.append)
    finally:
        fake.stop()
    assert (tmp_path / "f.flac").read_bytes() == item.files[0].content and sum(got) == len(item.files[0].content)
    assert source.requests_sent == 4  # search, metadata, download (302), data node
