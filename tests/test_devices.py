"""The deck registry: the seed paper's decks ship first, names normalise, families resolve by speed, additions."""

from __future__ import annotations

import pytest

from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines import devices as dv


def test_shipped_registry_starts_with_the_seed_papers_decks():
    shipped = dv.shipped_devices()
    assert [d.name for d in shipped[:6]] == [
        "Revox A77 (NS)",
        "Revox A77 (HS)",
        "Revox C-36",
        "Uher 4000 Report L",
        "Uher 4000 Report S",
        "Technics TR-575",
    ]
    by_id = {d.device_id: d for d in shipped}
    # Table 1 of the tape paper: every deck plays the speeds it was recorded at
    table1 = {
        "revox-a77-ns": (7.5, 3.75),
        "revox-a77-hs": (7.5, 15),
        "revox-c36": (7.5, 3.75),
        "uher-4000-report-l": (3.75, 1.875),
        "uher-4000-report-s": (3.75, 1.875),
        "technics-tr-575": (1.875,),
    }
    for device_id, speeds in table1.items():
        assert all(dv.plays_at(by_id[device_id], s) for s in speeds)
    assert by_id["technics-tr-575"].format == "cassette" and by_id["revox-c36"].format == "open-reel"
    assert len({d.device_id for d in shipped}) == len(shipped)


@pytest.mark.parametrize(
    "a, b",
    [
        ("revox a-77", "Revox A77"),
        ("Revox A-77 (HS)", "revox a77 hs"),
        ("UHER 4000 Report-L", "Uher 4000 Report L"),
        ("Révox C36", "revox c-36"),
    ],
)
def test_normalisation_makes_spellings_one_name(a, b):
    assert dv.normalise_name(a) == dv.normalise_name(b)
    assert dv.normalise_name("Revox A77 (NS)") != dv.normalise_name("Revox A77 (HS)")


def test_spellings_resolve_to_one_device():
    assert dv.resolve_device("revox a-77", speed_ips=15).device_id == "revox-a77-hs"
    assert dv.resolve_device("Revox A77", speed_ips=15).device_id == "revox-a77-hs"
    assert dv.resolve_device("revox a-77", speed_ips=3.75).device_id == "revox-a77-ns"
    assert dv.resolve_device("REVOX A-77 (NS)").device_id == "revox-a77-ns"
    assert dv.resolve_device("technics rs-tr575").device_id == "technics-tr-575"
    assert dv.resolve_device("uher-4000-report-s").device_id == "uher-4000-report-s"


def test_ambiguous_and_unknown_names_are_refused_with_help():
    with pytest.raises(dv.DeviceError, match=r"ambiguous at 7.5 ips.*Revox A77 \(NS\), Revox A77 \(HS\)"):
        dv.resolve_device("revox a77", speed_ips=7.5)
    with pytest.raises(dv.DeviceError, match="ambiguous"):
        dv.resolve_device("Uher 4000", speed_ips=3.75)
    with pytest.raises(dv.DeviceError, match=r"not in the registry; did you mean .*Revox.*--new-device"):
        dv.resolve_device("Revox A78")


def test_speed_and_format_are_checked_against_the_deck(tmp_path):
    data = DataDir(tmp_path)
    with pytest.raises(dv.DeviceError, match=r"plays at 3.75, 7.5 ips, not 15 ips"):
        dv.resolve_for_capture("Revox A77 (NS)", data, 15)
    with pytest.raises(dv.DeviceError, match="is a cassette deck, not open-reel"):
        dv.resolve_for_capture("Technics TR-575", data, 1.875, "open-reel")
    for bad in (0, -3.75, 60, "fast"):
        with pytest.raises(dv.DeviceError, match="tape speed"):
            dv.check_speed_value(bad)


def test_new_device_is_added_once_and_then_resolves(tmp_path):
    data = DataDir(tmp_path).ensure()
    dry = dv.resolve_for_capture("Studer A807", data, 7.5, "open-reel", new_device=True)
    assert dry.device_id == "studer-a807" and read_manifest(data, "devices").num_rows == 0
    added = dv.add_device(data, "Studer  A807", "open-reel", aliases=("Studer A-807 MkII",))
    assert added.name == "Studer A807"
    rows = read_manifest(data, "devices").to_pylist()
    assert [(r["device_id"], r["name"], r["aliases"], r["format"]) for r in rows] == [
        ("studer-a807", "Studer A807", ["Studer A-807 MkII"], "open-reel")
    ]
    assert dv.resolve_device("studer a-807", data).device_id == "studer-a807"
    assert dv.resolve_device("STUDER A807 MK II", data).device_id == "studer-a807"
    assert dv.resolve_for_capture("Studer A807", data, 30).device_id == "studer-a807"  # speeds not recorded
    with pytest.raises(dv.DeviceError, match="already registered as Studer A807"):
        dv.add_device(data, "studer a-807")
    with pytest.raises(dv.DeviceError, match="already registered as Revox A77"):
        dv.resolve_for_capture("revox a-77 (hs)", data, 7.5, new_device=True)
    with pytest.raises(dv.DeviceError, match="format"):
        dv.add_device(data, "Sony TC-D5M", "minidisc")


def test_device_ids_are_slugs():
    assert dv.device_id_for("Nakamichi  Dragon!") == "nakamichi-dragon"
    with pytest.raises(dv.DeviceError):
        dv.device_id_for("---")
