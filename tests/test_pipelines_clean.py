"""Tests of clean.parquet building: durations, grouped splits, importing outside folders, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from denoiser_helpers import tone

from noisekit.audio import write_audio
from noisekit.cli import main
from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.manifests import read_manifest
from noisekit.pipelines.clean import assign_split, build_clean_manifest


def _music(root, groups: int = 6, per_group: int = 2) -> None:
    for g in range(groups):
        for k in range(per_group):
            write_audio(root / f"work{g}" / f"mov{k}.flac", tone(200 + 30 * g + k, 0.5, sr=22050), 22050)


def test_groups_never_straddle_splits_and_every_split_exists(tmp_path) -> None:
    src, data = tmp_path / "music", DataDir(tmp_path / "data")
    _music(src)
    table = build_clean_manifest(src, data, progress=False)
    rows = table.to_pylist()
    assert len(rows) == 12
    by_group: dict[str, set] = {}
    for r in rows:
        by_group.setdefault(r["group"], set()).add(r["split"])
        assert r["sample_rate"] == 22050 and r["channels"] == 1 and abs(r["duration_s"] - 0.5) < 1e-6
        assert data.resolve(r["path"]).is_file()  # imported under the data directory
    assert all(len(s) == 1 for s in by_group.values())
    assert {r["split"] for r in rows} == {"train", "valid", "test"}
    assert read_manifest(data, "clean").num_rows == 12


def test_split_is_stable_and_roughly_proportional() -> None:
    assert assign_split("work-a") == assign_split("work-a")
    splits = [assign_split(f"g{i}") for i in range(2000)]
    assert 0.07 < splits.count("test") / 2000 < 0.13 and 0.07 < splits.count("valid") / 2000 < 0.13


def test_folder_inside_the_data_dir_is_indexed_in_place(tmp_path) -> None:
    data = DataDir(tmp_path)
    _music(tmp_path / "clean" / "mine", groups=3, per_group=1)
    rows = build_clean_manifest(tmp_path / "clean" / "mine", data, progress=False).to_pylist()
    assert sorted(r["path"] for r in rows) == [f"clean/mine/work{g}/mov0.flac" for g in range(3)]


def test_unreadable_files_are_skipped_and_empty_folders_refused(tmp_path) -> None:
    src = tmp_path / "music"
    _music(src, groups=2, per_group=1)
    (src / "work0" / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    rows = build_clean_manifest(src, DataDir(tmp_path / "d"), progress=False).to_pylist()
    assert len(rows) == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoisekitError, match="no audio files"):
        build_clean_manifest(tmp_path / "empty", DataDir(tmp_path / "d"), progress=False)


def test_cli_command(tmp_path) -> None:
    src = tmp_path / "music"
    _music(src, groups=4, per_group=1)
    result = CliRunner().invoke(main, ["manifest", "clean", str(src), "--data", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "clean.parquet: 4 files" in result.output
    assert np.isclose(read_manifest(DataDir(tmp_path / "d"), "clean").column("duration_s").to_pylist()[0], 0.5)


def test_a_second_folder_of_the_same_name_replaces_the_first_import_and_says_so(tmp_path, capsys) -> None:
    data = DataDir(tmp_path / "d")
    a, b = tmp_path / "a" / "music", tmp_path / "b" / "music"
    write_audio(a / "w" / "same.flac", tone(220, 0.5, sr=22050), 22050)
    write_audio(a / "w" / "only_a.flac", tone(230, 0.5, sr=22050), 22050)
    write_audio(b / "w" / "same.flac", tone(440, 1.5, sr=22050), 22050)  # same name, other audio and length
    build_clean_manifest(a, data, progress=False)
    capsys.readouterr()
    rows = {r["path"]: r for r in build_clean_manifest(b, data, progress=False).to_pylist()}
    assert list(rows) == ["clean/music/w/same.flac"]  # a's other file left with its row
    assert abs(rows["clean/music/w/same.flac"]["duration_s"] - 1.5) < 1e-6
    stored = data.resolve("clean/music/w/same.flac")
    assert stored.read_bytes() == (b / "w" / "same.flac").read_bytes()  # b's audio under b's duration
    assert sorted(p.name for p in (data.root / "clean").rglob("*.flac")) == ["same.flac"]
    assert "1 file(s) of an earlier scan replaced and 1 row(s) removed" in capsys.readouterr().out
    again = build_clean_manifest(b, data, progress=False)  # a rescan changes nothing and says nothing
    assert again.equals(read_manifest(data, "clean")) and capsys.readouterr().out == ""
    write_audio(tmp_path / "other" / "x.flac", tone(300, 0.5, sr=22050), 22050)
    build_clean_manifest(tmp_path / "other", data, progress=False)  # another folder name: kept beside
    assert read_manifest(data, "clean").num_rows == 2


def test_the_data_directorys_noise_is_refused_as_clean_music(tmp_path) -> None:
    data = DataDir(tmp_path / "d").ensure()
    write_audio(data.noise_gramophone / "x" / "a.flac", tone(220, 0.5, sr=22050), 22050)
    for folder in (data.root, data.noise_gramophone):
        with pytest.raises(NoisekitError, match="the data directory's noise folder"):
            build_clean_manifest(folder, data, progress=False)
    assert not data.manifest_path("clean").exists()
