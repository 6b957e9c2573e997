"""Extract's inputs: the same audio twice, parts that once collided, the data directory's own noise as input,
and settings changed between runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from extract_fakes import EnergyFinder, write_fake_side

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.manifests import part_names, parts_dir
from noisekit.pipelines.extract import extract


def _run(data: DataDir, inputs: list[Path], **kw):
    return extract(data, inputs=inputs, finder=EnergyFinder(), jobs=1, progress=False, **kw)


def _ok(table: pa.Table) -> pa.Table:
    return table.filter(pc.equal(table.column("status"), "ok"))


def _folders(data: DataDir) -> set[str]:
    return {p.name for p in data.noise_gramophone.iterdir()}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """a.flac, a byte-identical copy.flac, and b.flac."""
    folder = tmp_path / "in"
    write_fake_side(folder / "a.flac", seed=1)
    shutil.copy(folder / "a.flac", folder / "copy.flac")
    write_fake_side(folder / "b.flac", seed=2)
    return folder


def test_same_audio_twice_is_one_failed_row_naming_the_first(tmp_path: Path, src: Path) -> None:
    data = DataDir(tmp_path / "d")
    result = _run(data, [src])
    rows = result.table.to_pylist()
    assert (result.done, result.failed, result.segments) == (2, 1, 4)
    (dup,) = [r for r in rows if r["status"] == "failed"]
    assert dup["source_path"] == (src / "copy.flac").as_posix()
    assert (
        dup["error"] == f"{src / 'copy.flac'}: same audio as {src / 'a.flac'}, whose noise is kept once under its name"
    )
    assert result.errors == [dup["error"]]
    assert {r["source_path"] for r in rows if r["status"] == "ok"} == {
        (src / n).as_posix() for n in ("a.flac", "b.flac")
    }
    assert len(_folders(data)) == 2  # the copy's cuts were deleted
    again = _run(data, [src])
    assert (again.done, again.failed, again.skipped, again.errors) == (0, 0, 3, [])  # reported once
    assert again.table.equals(result.table)
    (src / "copy.flac").unlink()
    after = _run(data, [src], retry_failed=True)
    assert _ok(after.table).num_rows == 4


def test_one_file_by_two_paths_is_one_task(tmp_path: Path, src: Path) -> None:
    data = DataDir(tmp_path / "d")
    result = _run(data, [src / "b.flac", (src / "b.flac").resolve(), src / ".." / "in" / "b.flac"])
    assert (result.done, result.failed, result.table.num_rows) == (1, 0, 2)
    later = _run(data, [src])  # b again under another name as given: the same audio, refused once
    assert later.failed == 1 and _ok(later.table).num_rows == 4


def test_parts_that_collided_before_are_settled_by_the_next_run(tmp_path: Path, src: Path) -> None:
    """A data directory wedged by an earlier version (two parts holding the same segment ids) recovers."""
    data = DataDir(tmp_path / "d")
    (src / "copy.flac").unlink()
    first = _run(data, [src])
    folder = parts_dir(data, "noise")
    (name,) = [n for n in part_names(data, "noise") if n.startswith("a-")]
    table = pq.read_table(folder / f"{name}.parquet")
    twin = table.set_column(table.schema.get_field_index("source_path"), "source_path", [["zz/a.flac"] * 2])
    pq.write_table(twin, folder / "zz-0000000000000000.parquet")
    (data.noise_gramophone / "zz-0000000000000000").mkdir()
    again = _run(data, [src])
    failed = [r for r in again.table.to_pylist() if r["status"] == "failed"]
    assert [r["error"] for r in failed] == [
        f"zz/a.flac: same audio as {src / 'a.flac'}, whose noise is kept once under its name"
    ]
    assert _ok(again.table).equals(first.table)
    assert not (data.noise_gramophone / "zz-0000000000000000").exists()


@pytest.mark.parametrize("inside", ["", "noise", "noise/gramophone", "runs/x"])
def test_the_data_directorys_own_output_is_refused_as_input(tmp_path: Path, src: Path, inside: str) -> None:
    data = DataDir(tmp_path / "d")
    _run(data, [src])
    (data.runs / "x").mkdir(parents=True, exist_ok=True)
    before = sorted(p for p in data.root.rglob("*"))
    given = data.root / inside if inside else data.root
    with pytest.raises(
        NoisekitError, match="the input (is|contains|lies inside) the data directory's (noise|runs) folder"
    ):
        _run(data, [given])
    assert sorted(p for p in data.root.rglob("*")) == before


def test_the_data_directorys_recordings_may_be_given_as_input(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "d")
    write_fake_side(data.recordings / "item" / "a.flac", seed=3)
    assert _run(data, [data.recordings]).done == 1


def test_changed_settings_replace_earlier_work_and_say_so(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "d")
    write_fake_side(tmp_path / "kA" / "a.flac", seed=1)
    write_fake_side(tmp_path / "kB" / "b.flac", seed=2)
    first = _run(data, [tmp_path / "kA"])
    assert first.notes == [] and first.segments == 2
    second = _run(data, [tmp_path / "kB"], rpm=45)
    (note,) = second.notes
    assert "rpm 78.0 -> 45.0" in note
    assert "1 of them are not among this run's recordings, so their rows and cuts are removed" in note
    assert {r["source"] for r in second.table.to_pylist()} == {(tmp_path / "kB" / "b.flac").as_posix()}
    assert len(_folders(data)) == 1 and next(iter(_folders(data))).startswith("b-")  # no orphaned cuts
    on_disk = {p.relative_to(data.root).as_posix() for p in data.noise_gramophone.rglob("*.flac")}
    in_table = {r[k] for r in second.table.to_pylist() for k in ("path", "raw_path")}
    assert on_disk == in_table
    both = _run(data, [tmp_path / "kA", tmp_path / "kB"], rpm=45)
    assert both.notes == [] and (both.done, both.skipped) == (1, 1)
    slower = _run(data, [tmp_path / "kA", tmp_path / "kB"], rpm="33 1/3")
    assert "rpm 45.0 -> 33.3" in slower.notes[0] and "all are redone with the new settings" in slower.notes[0]
    assert slower.done == 2 and slower.segments == 4


def test_manifest_check_reports_parts_that_do_not_merge_or_were_never_merged(tmp_path: Path, src: Path) -> None:
    from click.testing import CliRunner

    from noisekit.cli import main

    def check() -> tuple[int, str]:
        result = CliRunner().invoke(main, ["manifest", "check", "--data", str(data.root)])
        return result.exit_code, result.output

    data = DataDir(tmp_path / "d")
    assert check()[0] == 2 and "not a data directory" in check()[1]
    (src / "copy.flac").unlink()
    _run(data, [src])
    assert check() == (
        0,
        f"noise               4 rows  {data.manifest_path('noise')}\n1 manifest(s) valid in {data.root}\n",
    )
    folder = parts_dir(data, "noise")
    (name,) = [n for n in part_names(data, "noise") if n.startswith("a-")]
    shutil.copy(folder / f"{name}.parquet", folder / "zz-0000000000000000.parquet")  # what wedged extract before
    code, output = check()
    assert code == 2 and "table 'noise', column 'segment_id'" in output and "do not merge (2 duplicate key(s)" in output
    data.manifest_path("noise").unlink()
    code, output = check()
    assert code == 2 and "do not merge" in output
    _run(data, [src])  # settles them
    assert check()[0] == 0
    (folder / "zz-0000000000000000.parquet").unlink()
    data.manifest_path("noise").unlink()
    code, output = check()
    assert code == 2 and "2 finished part(s) but no table: a stopped run left them unmerged" in output
