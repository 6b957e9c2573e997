"""Export: the official code's layout (info.csv + folders) and the Hugging Face folder with its card."""

from __future__ import annotations

import ast
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
import yaml
from click.testing import CliRunner
from extract_fakes import EnergyFinder, write_fake_side

from noisekit.cli import main
from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import md5_file
from noisekit.manifests import write_manifest
from noisekit.pipelines.export import export, plan_shards, recording_name
from noisekit.pipelines.extract import extract

SR = 44100


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    """Two archive recordings (one mono, with a '|' in its title) and one local input, extracted."""
    root = tmp_path_factory.mktemp("export")
    data = DataDir(root / "d").ensure()
    rows = []
    for ident, seed, channels, title in [("78_one_gbia1", 1, 2, "Blues | Stomp"), ("78_two_gbia2", 2, 1, "Waltz")]:
        path = data.recordings / ident / "side.flac"
        write_fake_side(path, seed=seed, channels=channels)
        rows.append(
            {
                "identifier": ident,
                "file": "side.flac",
                "path": data.relative(path),
                "title": title,
                "creator": "Orchestra",
                "year": 1928,
                "label": "Okeh",
                "md5": md5_file(path),
                "status": "ok",
                "harvested_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
    write_manifest(data, "recordings", rows)
    extract(data, finder=EnergyFinder(), jobs=1, progress=False)
    local = root / "local" / "my disc.flac"
    write_fake_side(local, seed=3)
    extract(data, inputs=[local], finder=EnergyFinder(), jobs=1, progress=False)
    return data


def _official_reader(info_file: Path, split: str) -> list[tuple[str, object]]:
    """What the official loader does with info.csv: pandas, the split filter, ast.literal_eval, sf.read."""
    head = info_file.parent
    table = pd.read_csv(info_file)
    table = table.loc[table["split"] == split].reset_index(drop=True)
    out = []
    for i in range(len(table)):
        segments = ast.literal_eval(table.loc[i, "segments"])
        for seg in [*segments, table["largest_segment"].loc[i]]:
            audio, fs = sf.read(head / table["recording"].loc[i] / seg)
            out.append((seg, audio, fs))
    return out


def test_moliner_layout_reads_like_the_official_code(data: DataDir, tmp_path: Path) -> None:
    result = export(data, tmp_path / "moliner", "moliner", progress=False)
    info = pd.read_csv(tmp_path / "moliner" / "info.csv")
    assert list(info.columns) == ["split", "recording", "segments", "largest_segment"]
    assert len(info) == 3 and result.recordings == 3 and result.segments == 6
    assert set(info["split"]) <= {"train", "validation", "test"}
    assert "78_one_gbia1" in set(info["recording"]) and "78_two_gbia2" in set(info["recording"])
    seen = []
    for split in ("train", "validation", "test"):
        for name, audio, fs in _official_reader(tmp_path / "moliner" / "info.csv", split):
            assert fs == SR and audio.ndim == 2 and audio.shape[1] == 2  # stereo, even from the mono disc
            assert audio.mean(axis=1).shape == (audio.shape[0],)  # the loader's stereo-to-mono mix works
            seen.append(name)
    assert len(set(seen)) == 6
    for _, row in info.iterrows():
        segs = ast.literal_eval(row["segments"])
        lengths = [sf.info(str(tmp_path / "moliner" / row["recording"] / s)).frames for s in segs]
        assert row["largest_segment"] == segs[lengths.index(max(lengths))]
        assert 2.0 * SR <= max(lengths) < 5 * SR  # raw cuts by default


def test_moliner_with_loops(data: DataDir, tmp_path: Path) -> None:
    export(data, tmp_path / "m", "moliner", audio="loop", progress=False)
    files = list((tmp_path / "m").rglob("*.wav"))
    assert len(files) == 6 and all(sf.info(str(f)).frames == 5 * SR for f in files)


def test_hf_folder(data: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "hf"
    result = export(data, out, "hf", progress=False)
    shards = sorted((out / "data").glob("*.parquet"))
    assert shards and all(s.name.split("-")[0] in ("train", "validation", "test") for s in shards)
    assert all(s.name.endswith("-00000-of-00001.parquet") for s in shards)
    rows = [r for s in shards for r in pq.read_table(s).to_pylist()]
    assert len(rows) == result.segments == 6
    schema = pq.read_schema(shards[0])
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert features["audio"] == {"_type": "Audio"} and features["segment_id"]["dtype"] == "string"
    for r in rows:
        audio, fs = sf.read(io.BytesIO(r["audio"]["bytes"]))
        assert fs == SR and audio.shape[0] == 5 * SR
        assert r["audio"]["path"] == f"{r['segment_id']}.flac"
    titled = [r for r in rows if r["source"] == "78_one_gbia1"]
    assert titled and all(r["title"] == "Blues | Stomp" and r["year"] == 1928 for r in titled)

    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---")[1])
    for cfg in meta["configs"][0]["data_files"]:
        assert list(out.glob(cfg["path"])), cfg
    assert sum(s["num_examples"] for s in meta["dataset_info"]["splits"]) == 6
    assert meta["license"] == "other"
    table = [line for line in card.splitlines() if line.startswith("| ")][1:]
    assert len(table) == 3  # one provenance row per recording
    one = next(line for line in table if line.startswith("| 78_one_gbia1 "))
    assert "https://archive.org/details/78_one_gbia1" in one and "Blues \\| Stomp" in one
    assert f"md5 {md5_file(data.recordings / '78_one_gbia1' / 'side.flac')}" in one
    assert one.count(" | ") == 11  # the escaped pipe did not add a column
    local = next(line for line in table if "my disc.flac" in line)
    assert "local file" in local and "sha256 " in local and "unknown (local file)" in local


def test_out_is_replaced_only_with_overwrite(data: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "o"
    export(data, out, "hf", progress=False)
    with pytest.raises(NoisekitError, match="already exists"):
        export(data, out, "moliner", progress=False)
    export(data, out, "moliner", overwrite=True, progress=False)
    assert (out / "info.csv").is_file() and not (out / "data").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["o"]  # no temporary folders left


def test_nothing_to_export_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoisekitError, match="noise"):
        export(DataDir(tmp_path / "empty"), tmp_path / "x", "hf", progress=False)
    assert not (tmp_path / "x").exists()


def test_recording_names_are_safe() -> None:
    assert recording_name("78_abc_gbia0001") == "78_abc_gbia0001"
    for hostile in ["../../etc", "a/b/c.flac", "/abs/path x.wav", "..", "näme"]:
        name = recording_name(hostile)
        assert "/" not in name and ".." not in name and name


def test_plan_shards() -> None:
    assert plan_shards([5, 5, 5], max_bytes=10) == [(0, 2), (2, 3)]
    assert plan_shards([50, 1], max_bytes=10) == [(0, 1), (1, 2)]  # an oversized row gets a shard of its own
    assert plan_shards([1] * 4, max_bytes=100) == [(0, 4)]


def test_cli(data: DataDir, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main, ["export", "--data", str(data.root), "--format", "moliner", "--out", str(tmp_path / "c"), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert "6 segments from 3 recordings" in res.output
    res = CliRunner().invoke(
        main, ["export", "--data", str(data.root), "--format", "moliner", "--out", str(tmp_path / "c"), "--no-progress"]
    )
    assert res.exit_code == 2 and "already exists" in res.output


@pytest.mark.parametrize("where", ["data", "manifests", "parent"])
def test_out_overlapping_the_data_directory_is_refused_and_nothing_is_touched(
    data: DataDir, tmp_path: Path, where: str
) -> None:
    """`--out` that is, lies inside or contains the data directory would delete it on --overwrite."""
    out = {"data": data.root, "manifests": data.manifests, "parent": data.root.parent}[where]
    before = sorted(str(p) for p in data.root.rglob("*"))
    beside = sorted(p.name for p in data.root.parent.iterdir())
    res = CliRunner().invoke(
        main,
        ["export", "--data", str(data.root), "--format", "moliner", "--out", str(out), "--overwrite", "--no-progress"],
    )
    assert res.exit_code == 2 and "data directory" in res.output, res.output
    assert sorted(str(p) for p in data.root.rglob("*")) == before
    assert sorted(p.name for p in data.root.parent.iterdir()) == beside


def test_export_folder_is_not_private(data: DataDir, tmp_path: Path) -> None:
    out = export(data, tmp_path / "shared", "moliner", progress=False).out
    assert out.stat().st_mode & 0o055 == 0o055 & ~_umask()


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
