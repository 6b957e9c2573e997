"""Stage options: configs with unknown keys, wrong types or unsafe stage names are refused before anything runs,
and the command line's defaults are the options types' own."""

from __future__ import annotations

import dataclasses
import inspect
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from noisekit.cli import main
from noisekit.pipelines import stages  # noqa: F401  (registers the stage types)
from noisekit.pipelines.options import (
    CaptureDetails,
    CleanOptions,
    ContributeOptions,
    DemoArchiveOptions,
    DemoMusicOptions,
    DemoTapeBundleOptions,
    EvaluateOptions,
    ExportOptions,
    ExtractOptions,
    HarvestOptions,
    IngestTapeOptions,
    MaterialSource,
    ReportOptions,
    TrainOptions,
)
from noisekit.pipelines.params import check_params
from noisekit.pipelines.runner import STAGE_TYPES, PipelineError, load_pipeline


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text('[pipeline]\nname = "t"\n' + body)
    return path


EXTRACT = '[[stage]]\nname = "extract"\nuses = "extract"\nparams = {{ {} }}\n'


def test_misspelt_key_is_refused_with_a_close_match_and_the_allowed_names(tmp_path):
    with pytest.raises(PipelineError) as err:
        load_pipeline(_config(tmp_path, EXTRACT.format('rmp = 45, titel = "x"')))
    text = str(err.value)
    assert "stage 'extract'" in text and "unknown key 'rmp' (did you mean 'rpm'?)" in text
    assert "unknown key 'titel'" in text  # every problem at once
    assert "allowed: force, inputs, jobs, model" in text


def test_unknown_top_level_and_stage_keys_are_refused(tmp_path):
    body = '[pipline]\nx = 1\n[[stage]]\nname = "e"\nuses = "extract"\nparam = { jobs = 1 }\n'
    with pytest.raises(PipelineError) as err:
        load_pipeline(_config(tmp_path, body))
    assert "unknown key 'pipline' (did you mean 'pipeline'?)" in str(err.value)
    assert "unknown key 'param' (did you mean 'params'?)" in str(err.value)


@pytest.mark.parametrize(
    "params, words",
    [
        ('jobs = "two"', "'jobs' = 'two' is not an integer"),
        ("splits = 0.8", "'splits' = 0.8 is not a list of number"),
        ('inputs = "a.wav"', "'inputs' = 'a.wav' is not a list of text"),
        ("force = 1", "'force' = 1 is not true or false"),
        ('segmenter = "margin_s=1"', "is not a table"),
    ],
)
def test_values_of_the_wrong_type_are_refused_naming_stage_and_key(tmp_path, params, words):
    with pytest.raises(PipelineError, match="stage 'extract'") as err:
        load_pipeline(_config(tmp_path, EXTRACT.format(params)))
    assert words in str(err.value)


def test_values_are_built_into_the_options_type(tmp_path):
    pipeline = load_pipeline(_config(tmp_path, EXTRACT.format("jobs = 2, splits = [0.6, 0.2, 0.2], rpm = 45")))
    options = pipeline.stages[0].options
    assert options == ExtractOptions(jobs=2, splits=(0.6, 0.2, 0.2), rpm=45)


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ""])
def test_stage_names_must_be_plain(tmp_path, name):
    with pytest.raises(PipelineError, match="plain name|needs both"):
        load_pipeline(_config(tmp_path, f'[[stage]]\nname = "{name}"\nuses = "report"\n'))


def test_missing_required_key_is_refused(tmp_path):
    with pytest.raises(PipelineError, match="'folder' is required"):
        load_pipeline(_config(tmp_path, '[[stage]]\nname = "c"\nuses = "clean-manifest"\n'))


def test_run_exits_2_before_any_stage_runs(tmp_path):
    """The first stage is valid and would write the report; the second's typo must stop the run first."""
    body = '[[stage]]\nname = "report"\nuses = "report"\n' + EXTRACT.format("inputs = [], rmp = 45")
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", str(_config(tmp_path, body)), "--data", str(data)])
    assert result.exit_code == 2, result.output
    assert "unknown key 'rmp'" in result.output and "did you mean 'rpm'" in result.output
    assert not (data / "report").exists() and not (data / "logs").exists()


REQUIRED = {
    "clean-manifest": {"folder": "music"},
    "export": {"format": "hf", "out": "export"},
    "material": {"sources": [{"package": "ufoai-sound", "kind": "effects"}]},
}


def test_every_stage_type_has_an_options_type_that_accepts_its_defaults():
    for name, kind in STAGE_TYPES.items():
        if name.startswith("test-"):
            continue
        assert check_params(name, kind.options, REQUIRED.get(name, {})) == [], name


def _default(command: click.Command, name: str):
    return next(p for p in command.params if p.name == name).default


CAPTURE = ["tape_stock", ("fmt", "format"), "noise_reduction", "chain", "contributor", ("license_", "license")]


@pytest.mark.parametrize(
    "command, options, names",
    [
        (("extract",), ExtractOptions, ["model", "jobs", "scheduler", "rpm", "splits"]),
        (("harvest",), HarvestOptions, ["collection", "query", "limit", "jobs", "rate", "endpoint", "files"]),
        (("evaluate",), EvaluateOptions, ["examples", "clip_s", "seed", "split", "visqol"]),
        (("train",), TrainOptions, ["preset", "seed", "noise", "threads", "device"]),
        (("report",), ReportOptions, ["title"]),
        (("manifest", "clean"), CleanOptions, ["valid", "test", "seed"]),
        (("export",), ExportOptions, ["audio", "overwrite", "progress"]),
        (
            ("ingest-tape",),
            IngestTapeOptions,
            ["device", ("speed", "speed_ips"), "new_device", "model", "progress", *CAPTURE],
        ),
        (("contribute",), ContributeOptions, ["date", "notes", "new_device", "model", *CAPTURE]),
    ],
)
def test_command_line_defaults_are_the_options_defaults(command, options, names):
    cmd = main
    for word in command:
        cmd = cmd.commands[word]
    for name in names:
        flag, field = name if isinstance(name, tuple) else (name, name)
        assert _default(cmd, flag) is getattr(options, field), name


def test_library_defaults_are_the_options_defaults():
    """The library functions behind the demo and clean stages take their defaults from the options types."""
    from noisekit.pipelines.clean import assign_split, build_clean_manifest
    from noisekit.pipelines.demo_archive import build_demo_archive
    from noisekit.pipelines.demo_music import write_demo_music
    from noisekit.pipelines.tape_demo import make_demo_bundle

    cases = [
        (build_clean_manifest, CleanOptions, ["valid", "test", "seed", "progress"]),
        (assign_split, CleanOptions, ["valid", "test", "seed"]),
        (build_demo_archive, DemoArchiveOptions, ["sides", "duration_s", "seed_start"]),
        (write_demo_music, DemoMusicOptions, ["pieces", "duration_s", "seed"]),
        (make_demo_bundle, DemoTapeBundleOptions, ["seed", "speeds"]),
    ]
    for func, options, names in cases:
        params = inspect.signature(func).parameters
        for name in names:
            assert params[name].default is getattr(options, name), f"{func.__name__}({name})"


def test_capture_metadata_has_one_home():
    """CaptureMeta, IngestTapeOptions and ContributeOptions share CaptureDetails' fields, not copies of them."""
    from noisekit.pipelines.tape import CaptureMeta

    names = {f.name for f in dataclasses.fields(CaptureDetails)}
    for cls in (CaptureMeta, IngestTapeOptions, ContributeOptions):
        assert names <= {f.name for f in dataclasses.fields(cls)}, cls
        assert not names & set(vars(cls).get("__annotations__", {})), f"{cls.__name__} redeclares capture metadata"
    options = IngestTapeOptions(device="Revox A77", speed_ips=7.5, chain="line out", license="CC0-1.0")
    meta = CaptureMeta("Revox A77", 7.5, **options.details())
    assert (meta.chain, meta.license, meta.noise_reduction) == ("line out", "CC0-1.0", "none")


MATERIAL = '[[stage]]\nname = "m"\nuses = "material"\nparams = {{ sources = [{}] }}\n'


def test_material_stage_builds_its_sources_from_tables(tmp_path):
    body = MATERIAL.format('{ package = "ufoai-sound", kind = "effects", max_files = 3, include = ["*.wav"] }')
    options = load_pipeline(_config(tmp_path, body)).stages[0].options
    assert options.sources == (MaterialSource("ufoai-sound", "effects", ("*.wav",), 3),)
    assert (options.valid, options.test, options.cache) == (0.1, 0.2, None)


@pytest.mark.parametrize(
    "source, words",
    [
        ('{ package = "a-b", kind = "music", max_file = 3 }', "sources[2]: unknown key 'max_file' (did you mean"),
        ('{ package = "a-b", kind = "noise" }', "sources[2]: 'kind' = 'noise' is not one of 'music'"),
        ('{ package = "a-b" }', "sources[2]: 'kind' is required"),
        ('{ package = "a-b", kind = "music", max_files = "all" }', "'max_files' = 'all' is not an integer"),
        ('{ package = "--yes", kind = "music" }', "'--yes': not a Debian package name"),
        ('"a-b"', "'sources' = ['ufoai-sound', 'a-b'] is not a list of table"),
    ],
)
def test_material_sources_are_checked_before_anything_runs(tmp_path, source, words):
    first = '{ package = "ufoai-sound", kind = "effects" }' if source != '"a-b"' else '"ufoai-sound"'
    with pytest.raises(PipelineError, match="stage 'm'") as err:
        load_pipeline(_config(tmp_path, MATERIAL.format(f"{first}, {source}")))
    assert words in str(err.value)


def test_evaluation_defaults_have_one_home():
    from noisekit.denoiser.evaluate import EvalConfig

    assert _default(main.commands["evaluate"], "snrs") is EvaluateOptions.snr is EvalConfig.snrs
    assert EvalConfig.kinds is EvaluateOptions.kinds
    assert STAGE_TYPES["evaluate"].options is EvaluateOptions


def test_train_defaults_are_train_configs():
    """Options left at None take the preset's TrainConfig values; `small` is TrainConfig's own defaults."""
    from noisekit.denoiser.train import TrainConfig, train_config

    assert train_config("small", **TrainOptions().overrides()) == TrainConfig()
    paper = train_config("paper", **TrainOptions(steps=5, noise="tape").overrides())
    assert (paper.steps, paper.crop_s, paper.noise, paper.kinds) == (5, 5.0, "tape", ("tape",))
    assert TrainOptions(max_minutes=2.0).overrides()["max_seconds"] == 120.0


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is needed to build the package")
def test_material_stage_runs_from_a_local_cache_and_names_what_failed(tmp_path):
    """`noisekit run` with a material stage: a real .deb (built here) read from `cache`, decoded and indexed; its
    unreadable member is a failed item, so the run exits 1 naming it."""
    from noisekit.datadir import DataDir
    from noisekit.manifests import read_manifest
    from tests.test_material import build_deb

    build_deb(tmp_path / "debs")
    body = MATERIAL.format('{ package = "fake-music", kind = "music", max_files = 4 }').replace(
        " }\n", ', cache = "debs", progress = false }\n'
    )
    data = DataDir(tmp_path / "data")
    result = CliRunner().invoke(main, ["run", str(_config(tmp_path, body)), "--data", str(data.root)])
    assert result.exit_code == 1, result.output
    assert "failed: m: fake-music:usr/share/games/fake/data/music/broken.ogg" in result.stderr
    rows = read_manifest(data, "material").to_pylist()
    assert sorted(r["status"] for r in rows) == ["failed", "ok", "ok", "ok"]  # boom, broken, loud, track0
    assert all(data.resolve(r["path"]).is_file() for r in rows if r["status"] == "ok")
