"""Licence provenance: the archive's `licenseurl` and `rights` go from its metadata to every noise row and card."""

from __future__ import annotations

import pytest
from extract_fakes import EnergyFinder
from fake_archive import SAMPLE_LICENSE_URL, SAMPLE_RIGHTS, FakeArchive, fast_policy, sample_item

from noisekit.archive.metadata import NONE_STATED, NOT_RECORDED, licence_statement, parse_item_metadata
from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines.dataset_card import render_dataset_card
from noisekit.pipelines.export import export
from noisekit.pipelines.extract import extract
from noisekit.pipelines.harvest import HarvestOptions, harvest

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_metadata_gives_the_licence_and_rights_as_stated() -> None:
    data = {
        "metadata": {"identifier": "x1", "licenseurl": [CC_BY], "rights": ["Public domain.", "", "Ask first."]},
        "files": [],
    }
    info = parse_item_metadata("x1", data)
    assert (info.license_url, info.rights) == (CC_BY, "Public domain.; Ask first.")
    bare = parse_item_metadata("x1", {"metadata": {"identifier": "x1"}, "files": []})
    assert bare.license_url is None and bare.rights is None


@pytest.mark.parametrize(
    ("url", "rights", "expected"),
    [
        (CC_BY, "Public domain.", f"licenseurl {CC_BY}; rights: Public domain."),
        ("", "Public domain.", "rights: Public domain."),
        (CC_BY, "", f"licenseurl {CC_BY}"),
        ("", "", NONE_STATED),
        (None, None, NOT_RECORDED),
    ],
)
def test_licence_statement(url, rights, expected) -> None:
    assert licence_statement(url, rights) == expected


@pytest.fixture
def harvested(tmp_path) -> DataDir:
    """Three items from the loopback archive: the usual licence fields, a licence URL only, and none."""
    items = [
        sample_item(1, seconds=4.0),
        sample_item(2, seconds=4.0, licenseurl=CC_BY, rights=None),
        sample_item(3, seconds=4.0, licenseurl=None, rights=None),
    ]
    archive = FakeArchive(items).start()
    try:
        data = DataDir(tmp_path / "data")
        options = HarvestOptions(endpoint=archive.url, rate=None, progress=False, jobs=2, policy=fast_policy())
        assert harvest(data, options).ok == 3
    finally:
        archive.stop()
    return data


def test_licences_go_from_the_archive_to_the_rows_and_cards(harvested: DataDir, tmp_path) -> None:
    recordings = {r["identifier"][8:13]: r for r in read_manifest(harvested, "recordings").to_pylist()}
    assert (recordings["00001"]["license"], recordings["00001"]["rights"]) == (SAMPLE_LICENSE_URL, SAMPLE_RIGHTS)
    assert (recordings["00002"]["license"], recordings["00002"]["rights"]) == (CC_BY, "")
    assert (recordings["00003"]["license"], recordings["00003"]["rights"]) == ("", "")

    # white noise at -20 dBFS: the whole of each 4-s side is one steady cut at its own floor
    result = extract(harvested, finder=EnergyFinder(threshold_db=-10.0), jobs=1, progress=False)
    rows = {r["source"][8:13]: r for r in result.table.to_pylist()}
    assert all(r["status"] == "ok" for r in rows.values()), rows
    stated = f"licenseurl {SAMPLE_LICENSE_URL}; rights: {SAMPLE_RIGHTS}"
    assert rows["00001"]["license"] == stated
    assert rows["00002"]["license"] == f"licenseurl {CC_BY}"
    assert rows["00003"]["license"] == NONE_STATED

    card = render_dataset_card(harvested)
    assert f"| {stated} | 1 | 0.1 |" in card and f"| {NONE_STATED} | 1 | 0.1 |" in card
    assert NOT_RECORDED not in card

    out = tmp_path / "hf"
    export(harvested, out, "hf", progress=False)
    readme = (out / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("| 78_song-00001"))
    assert stated in line and NOT_RECORDED not in readme.split("## Licence and provenance")[1].split("| source")[1]
