"""extract on four real edited disc transfers (../shared/real): no fade or near-silence is cut, the run-in is."""

from __future__ import annotations

from pathlib import Path

import pytest

from noisekit.audio import SAMPLE_RATE, iter_blocks
from noisekit.classifier.checkpoint import checkpoint_paths
from noisekit.datadir import DataDir
from noisekit.pipelines.cut_checks import CutRules, FloorMeter, measure_cut
from noisekit.pipelines.extract import extract
from noisekit.pipelines.extract_cut import LOCAL_LICENCE, read_span

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
FILES = ("Air_Bach.ogg", "Enrico_Caruso_Donna_non_vidi_mai.ogg", "No_Pagliaccio_non_son.ogg", "Vesti_La_Giubba.ogg")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """noise.parquet of `extract` with the shipped classifier and default settings over the four files."""
    if not all((REAL / name).is_file() for name in FILES):
        pytest.skip(f"the real transfers are not at {REAL} (CI keeps them at ../shared/real beside the clone)")
    if not checkpoint_paths()[0].exists():
        pytest.skip("the shipped classifier weights are not there")
    result = extract(DataDir(tmp_path_factory.mktemp("real")), inputs=[REAL], jobs=1, progress=False)
    assert result.failed == 0 and result.done == len(FILES)
    return result.table.to_pylist()


def _floor(path: str, percentile: float) -> float:
    meter = FloorMeter(SAMPLE_RATE)
    for block in iter_blocks(path, sr=SAMPLE_RATE, mono=True):
        meter.feed(block[0])
    return meter.floor_db(percentile)


def test_no_ok_cut_is_a_fade_or_far_under_the_files_noise_floor(table) -> None:
    rules = CutRules()
    for row in (r for r in table if r["status"] == "ok"):
        floor = _floor(row["source"], 10.0)  # the higher of the floors one might take: the stricter test
        cut = read_span(row["source"], round(row["start_s"] * SAMPLE_RATE), round(row["end_s"] * SAMPLE_RATE))
        levels = measure_cut(cut, SAMPLE_RATE, floor, rules)
        assert levels.median_db >= floor - 12.0, (row, floor, levels)
        assert abs(levels.drift_db) <= rules.max_drift_db and levels.quiet_fraction == 0, (row, levels)


def test_only_the_run_in_of_air_bach_is_cut(table) -> None:
    """The README of ../shared/real: the first ~4.8 s of Air_Bach.ogg is the only noise-only stretch."""
    ok = [r for r in table if r["status"] == "ok"]
    assert [Path(r["source"]).name for r in ok] == ["Air_Bach.ogg"], ok
    run_in = ok[0]
    assert run_in["start_s"] < 0.5 and run_in["end_s"] > 4.0
    assert run_in["rms_dbfs"] == pytest.approx(-38, abs=2)
    assert run_in["license"] == LOCAL_LICENCE


def test_the_edited_ends_are_refused_with_a_reason(table) -> None:
    refused = [r for r in table if r["status"] == "refused"]
    caruso = {Path(r["source"]).name for r in refused}
    assert caruso == set(FILES[1:]), refused
    for row in refused:
        assert row["error"].startswith(("near silence", "fade", "gated", "digital silence")), row
        assert row["path"] is None and row["raw_path"] is None
