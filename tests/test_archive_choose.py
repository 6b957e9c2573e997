"""File choice in Great 78 items: main-track originals, stylus transfers, MP3 derivatives."""

import pytest
from fake_archive import sample_item

from noisekit.archive.choose import choose_files, is_stylus_transfer
from noisekit.archive.metadata import parse_item_metadata


def _info(**kw):
    item = sample_item(5, **kw)
    return parse_item_metadata(item.identifier, item.metadata_json())


def test_transfer_names():
    assert is_stylus_transfer("_78_the-prisoners-song_vernon-dalhart_gbia0001837b_01_2.3_CT_EQ.flac")
    assert is_stylus_transfer("_78_x_gbia0001837b_02_3.8_ST_EQ.flac")
    assert not is_stylus_transfer("The Prisoner's Song - Vernon Dalhart.flac")
    assert not is_stylus_transfer("_78_x_gbia0001837b_itemimage.jpg")


def test_default_is_main_track_lossless_only():
    assert [f.name for f in choose_files(_info())] == ["Song 5 - Artist.flac"]


def test_all_transfers_adds_stylus_transfers():
    names = [f.name for f in choose_files(_info(transfers=3), files="all-transfers")]
    assert names[0] == "Song 5 - Artist.flac" and len(names) == 4
    assert all(is_stylus_transfer(n) for n in names[1:])


def test_mp3_takes_the_derivative_instead():
    chosen = choose_files(_info(), fmt="mp3")
    assert [f.name for f in chosen] == ["Song 5 - Artist.mp3"]
    assert chosen[0].source == "derivative" and chosen[0].original == "Song 5 - Artist.flac"
    assert choose_files(_info(mp3=False), fmt="mp3") == []


def test_bad_choice_is_refused():
    with pytest.raises(ValueError):
        choose_files(_info(), files="everything")
