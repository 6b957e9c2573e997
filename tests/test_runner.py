"""Pipeline runner: stages skip when inputs and parameters are unchanged, rerun when anything changes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from noisekit.cli import main
from noisekit.datadir import DataDir
from noisekit.manifests import merge_manifest, read_manifest, write_manifest
from noisekit.pipelines.runner import PipelineError, load_pipeline, run_pipeline, stage_type

CALLS: list[str] = []


@dataclass(frozen=True)
class LabelsOptions:
    n: int = 2
    source: str | None = None


@dataclass(frozen=True)
class NoOptions:
    pass


@stage_type("test-labels", LabelsOptions, writes=("labels",), path_params=("source",))
def _make_labels(data: DataDir, options: LabelsOptions) -> list[str]:
    CALLS.append("labels")
    n = options.n
    text = Path(options.source).read_text() if options.source else ""
    write_manifest(
        data, "labels", [{"path": f"{text}{i}.wav", "start_s": 0.0, "end_s": 1.0, "label": "noise"} for i in range(n)]
    )
    return []


@stage_type("test-count", NoOptions, reads=("labels",), writes=("clean",))
def _count(data: DataDir, options: NoOptions) -> list[str]:
    CALLS.append("count")
    n = read_manifest(data, "labels").num_rows
    merge_manifest(
        data,
        "clean",
        [{"path": "x", "group": "g", "duration_s": float(n), "sample_rate": 1, "channels": 1, "split": "train"}],
    )
    return []


def _config(tmp_path, n: int = 2) -> str:
    source = tmp_path / "source.txt"
    if not source.exists():
        source.write_text("s")
    path = tmp_path / "p.toml"
    path.write_text(f"""
[pipeline]
name = "t"
[[stage]]
name = "make"
uses = "test-labels"
params = {{ n = {n}, source = "source.txt" }}
[[stage]]
name = "count"
uses = "test-count"
""")
    return str(path)


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()


def _run(tmp_path, n=2, **kw):
    data = DataDir(tmp_path / "data")
    outcomes = run_pipeline(load_pipeline(_config(tmp_path, n)), data, echo=lambda s: None, **kw)
    return {o.name: o.status for o in outcomes}, data


def test_second_run_skips_every_stage(tmp_path):
    assert _run(tmp_path)[0] == {"make": "ran", "count": "ran"}
    assert _run(tmp_path)[0] == {"make": "skipped", "count": "skipped"}
    assert CALLS == ["labels", "count"]
    data = DataDir(tmp_path / "data")
    assert "stage make (test-labels)" in (data.logs / "make.log").read_text()


def test_changed_parameters_rerun_the_stage_and_its_dependents(tmp_path):
    _run(tmp_path, n=2)
    status, data = _run(tmp_path, n=3)
    assert status == {"make": "ran", "count": "ran"}
    assert read_manifest(data, "clean").column("duration_s").to_pylist() == [3.0]


def test_unchanged_output_does_not_rerun_dependents(tmp_path):
    _run(tmp_path)
    assert _run(tmp_path, force=("make",))[0] == {"make": "ran", "count": "skipped"}


def test_changed_input_file_or_tampered_output_reruns(tmp_path):
    _, data = _run(tmp_path)
    source = tmp_path / "source.txt"
    source.write_text("t")
    os.utime(source, ns=(1, 1))
    assert _run(tmp_path)[0] == {"make": "ran", "count": "ran"}
    data.manifest_path("clean").unlink()
    assert _run(tmp_path)[0] == {"make": "skipped", "count": "ran"}


def test_from_and_to_select_stages(tmp_path):
    assert _run(tmp_path, stop="make")[0] == {"make": "ran"}
    assert _run(tmp_path, start="count")[0] == {"count": "ran"}
    with pytest.raises(PipelineError, match="not a stage"):
        _run(tmp_path, start="nope")
    with pytest.raises(PipelineError, match="unknown stage"):
        _run(tmp_path, force=("nope",))


def test_bad_configs_are_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[stage]]\nname = "a"\nuses = "no-such-type"\n')
    with pytest.raises(PipelineError, match="unknown type 'no-such-type'"):
        load_pipeline(path)
    path.write_text('[[stage]]\nname = "a"\nuses = "test-count"\n[[stage]]\nname = "a"\nuses = "test-count"\n')
    with pytest.raises(PipelineError, match="duplicate stage name"):
        load_pipeline(path)
    path.write_text("[[stage]\n")
    with pytest.raises(PipelineError, match="cannot read"):
        load_pipeline(path)


def test_run_command_reports_ran_and_skipped(tmp_path):
    from click.testing import CliRunner

    from noisekit.cli import main

    args = ["run", _config(tmp_path), "--data", str(tmp_path / "data")]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "2 stage(s) ran, 0 skipped" in first.output
    second = CliRunner().invoke(main, args)
    assert "0 stage(s) ran, 2 skipped" in second.output and "up to date" in second.output
    bad = CliRunner().invoke(main, [*args, "--from", "nope"])
    assert bad.exit_code == 2 and "not a stage" in bad.output


def test_shipped_configs_load():
    from noisekit.pipelines import stages  # noqa: F401

    root = Path(__file__).resolve().parent.parent / "pipelines"
    for name in ("demo", "great78", "tape", "train"):
        pipeline = load_pipeline(root / f"{name}.toml")
        assert pipeline.stages and pipeline.name == name


@pytest.mark.parametrize(
    "config", sorted((Path(__file__).resolve().parents[1] / "pipelines").glob("*.toml")), ids=lambda p: p.name
)
def test_shipped_pipeline_configs_load(config: Path) -> None:
    """Every config under pipelines/ names known stage types and parses (a typo would fail at run time)."""
    import noisekit.pipelines.stages  # noqa: F401  (registers the stage types)

    pipeline = load_pipeline(config)
    assert pipeline.stages and pipeline.description


@dataclass(frozen=True)
class FailOptions:
    fail: tuple[str, ...] = ()


@stage_type("test-fails", FailOptions)
def _fails(data: DataDir, options: FailOptions) -> list[str]:
    CALLS.append("fails")
    return list(options.fail)


def _failing_config(tmp_path: Path, fail: str) -> str:
    path = tmp_path / "f.toml"
    path.write_text(f"""
[pipeline]
name = "f"
[[stage]]
name = "fails"
uses = "test-fails"
params = {{ fail = [{fail}] }}
[[stage]]
name = "make"
uses = "test-labels"
""")
    return str(path)


def test_failed_items_exit_1_named_and_the_stage_runs_again(tmp_path):
    """Items that failed in a stage do not stop the run; `noisekit run` names them, exits 1, and reruns that stage
    (only that one) until nothing fails."""
    data = tmp_path / "data"
    config = _failing_config(tmp_path, '"a.wav: unreadable", "b.wav: too short"')
    first = CliRunner().invoke(main, ["run", config, "--data", str(data)])
    assert first.exit_code == 1, first.output
    assert "failed: fails: a.wav: unreadable" in first.stderr and "failed: fails: b.wav: too short" in first.stderr
    assert "2 item(s) failed" in first.stdout
    assert CALLS == ["fails", "labels"]  # the next stage still ran
    assert "failed: a.wav: unreadable" in (data / "logs" / "fails.log").read_text()

    second = CliRunner().invoke(main, ["run", config, "--data", str(data)])
    assert second.exit_code == 1 and CALLS == ["fails", "labels", "fails"]  # 'make' was done, so skipped

    config = _failing_config(tmp_path, "")
    assert CliRunner().invoke(main, ["run", config, "--data", str(data)]).exit_code == 0
    assert CliRunner().invoke(main, ["run", config, "--data", str(data)]).exit_code == 0
    assert CALLS == ["fails", "labels", "fails", "fails"]  # done once nothing failed, then skipped
