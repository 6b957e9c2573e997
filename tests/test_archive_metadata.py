"""Parsing untrusted item metadata: typed fields, and refusal of hostile identifiers and names."""

import pytest
from fake_archive import sample_item

from noisekit.archive.metadata import (
    MetadataError,
    check_identifier,
    first_text,
    parse_item_metadata,
    parse_length,
    parse_size,
    parse_year,
)
from noisekit.errors import UnsafePathError


def test_year_prefers_year_then_date_digits_then_none():
    assert parse_year("1925", "1930-01-01") == 1925
    assert parse_year(None, "1927-03-05") == 1927
    assert parse_year(["1928"], None) == 1928
    assert parse_year("unknown", "ca. 1931") == 1931
    assert parse_year(None, None) is None
    assert parse_year(None, "19xx") is None


def test_length_accepts_seconds_and_clock_forms():
    assert parse_length("185.33") == pytest.approx(185.33)
    assert parse_length("03:05") == 185
    assert parse_length("1:02:03") == 3723
    assert parse_length("n/a") is None and parse_length(None) is None and parse_length("-1") is None


def test_size_and_first_text():
    assert parse_size("12345") == 12345 and parse_size("12a") is None and parse_size(None) is None
    assert first_text(["", "Vernon Dalhart", "Carson Robison"]) == "Vernon Dalhart"
    assert first_text("  Victor ") == "Victor" and first_text([]) is None and first_text({"a": 1}) is None


@pytest.mark.parametrize("bad", ["../etc", "a/b", "/abs", "", "a\x00b", "tab\there", "..", "a b", "é78", 7])
def test_hostile_identifiers_are_refused(bad):
    with pytest.raises(UnsafePathError):
        check_identifier(bad)


def test_parse_real_shape():
    item = sample_item(3, creator=["First Artist", "Second"], date="1923-02-01", label="Columbia")
    info = parse_item_metadata(item.identifier, item.metadata_json())
    assert (info.title, info.creator, info.year, info.label) == ("Song 3", "First Artist", 1923, "Columbia")
    main = info.files[0]
    assert main.source == "original" and main.format == "Flac" and main.size == len(item.files[0].content)
    assert main.length_s == pytest.approx(0.25)
    assert "georgeblood" in info.collections


def test_item_without_date_or_year_has_null_year():
    item = sample_item(1, date=None)
    assert parse_item_metadata(item.identifier, item.metadata_json()).year is None


@pytest.mark.parametrize(
    "name", ["../../escape.flac", "/etc/passwd", "a\x00.flac", "a\x1b[31m.flac", "sub/../../x.flac", "back\\slash.flac"]
)
def test_hostile_file_names_fail_the_item(name):
    item = sample_item(2)
    data = item.metadata_json()
    data["files"][0]["name"] = name
    with pytest.raises(UnsafePathError):
        parse_item_metadata(item.identifier, data)


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda d: [d], "not a JSON object"),
        (lambda d: {}, "does not exist"),
        (lambda d: {**d, "files": "x"}, "'files' list"),
        (lambda d: {**d, "metadata": None}, "'metadata' object"),
        (lambda d: {**d, "metadata": {**d["metadata"], "identifier": "other"}}, "another identifier"),
        (lambda d: {**d, "files": [*d["files"], d["files"][0]]}, "twice"),
        (lambda d: {**d, "files": [{**d["files"][0], "md5": "zz"}]}, "malformed md5"),
        (lambda d: {**d, "files": [42]}, "not an object"),
    ],
)
def test_malformed_metadata_is_a_clear_error(mutate, reason):
    item = sample_item(4)
    with pytest.raises(MetadataError, match=reason):
        parse_item_metadata(item.identifier, mutate(item.metadata_json()))
