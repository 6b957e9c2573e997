"""The `ia download` layout: a miniature Great 78 archive written to disk reads back as the API's JSON."""

from fake_archive import flac_bytes, sample_item

from noisekit.archive.layout import great78_item, list_item_dirs, read_item_dir, write_archive_dir
from noisekit.archive.metadata import parse_item_metadata


def test_round_trip_of_metadata_and_files(tmp_path):
    items = [sample_item(i, name=f"Ça m'plaît (Part {i})? #2 100%, Vol.flac", creator=["A", "B"]) for i in range(3)]
    folders = write_archive_dir(tmp_path, items)
    assert list_item_dirs(tmp_path) == sorted(i.identifier for i in items)
    for item, folder in zip(items, folders, strict=True):
        assert (folder / f"{item.identifier}_meta.xml").is_file()
        assert (folder / f"{item.identifier}_files.xml").is_file()
        data = read_item_dir(tmp_path, item.identifier)
        assert data["metadata"]["creator"] == ["A", "B"]
        from_disk = parse_item_metadata(item.identifier, data)
        from_api = parse_item_metadata(item.identifier, item.metadata_json())
        assert from_disk == from_api
        for f in item.files:
            assert (folder / f.name).read_bytes() == f.content


def test_great78_item_from_audio_files(tmp_path):
    audio = tmp_path / "side.flac"
    audio.write_bytes(flac_bytes(1))
    item = great78_item(
        "78_demo_gbia0000001a",
        audio,
        name="Demo Song - Demo Band.flac",
        title="Demo Song",
        creator="Demo Band",
        year="1926",
        label="Okeh",
        length_s=0.25,
        transfers=[("_78_demo_gbia0000001a_01_2.3_CT_EQ.flac", audio)],
        mp3=b"ID3",
    )
    data = item.metadata_json()
    names = [f["name"] for f in data["files"]]
    assert names[:3] == [
        "Demo Song - Demo Band.flac",
        "_78_demo_gbia0000001a_01_2.3_CT_EQ.flac",
        "Demo Song - Demo Band.mp3",
    ]
    assert all(isinstance(v, str) for f in data["files"] for v in f.values())
    assert data["metadata"]["collection"] == ["georgeblood", "78rpm"]
    assert data["files"][2]["length"] == "00:00" and data["files"][2]["original"] == names[0]


def test_folders_without_meta_xml_are_not_items(tmp_path):
    (tmp_path / "stray").mkdir()
    write_archive_dir(tmp_path / "x", [sample_item(1)])
    assert list_item_dirs(tmp_path) == []
