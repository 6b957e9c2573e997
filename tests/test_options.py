"""Stage options: configs with unknown keys, wrong types or unsafe stage names are refused before anything runs,
and the command line's defaults are the options types' own."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from noisekit.pipelines import stages  # noqa: F401  (registers the stage types)
from noisekit.pipelines.options import EvaluateOptions, ExtractOptions, HarvestOptions, TrainOptions
from noisekit.pipelines.params import check_params
from noisekit.pipelines.runner import STAGE_TYPES, PipelineError, load_pipeline

from noisekit.cli import main


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


def test_every_stage_type_has_an_options_type_that_accepts_its_defaults():
    for name, kind in STAGE_TYPES.items():
        if name.startswith("test-"):
            continue
        required = {"folder": "music"} if name == "clean-manifest" else {}
        assert check_params(name, kind.options, required) == [], name


def _default(command: click.Command, name: str):
    return next(p for p in command.params if p.name == name).default


@pytest.mark.parametrize(
    "command, options, names",
    [
        (("extract",), ExtractOptions, ["model", "jobs", "scheduler", "rpm", "splits"]),
        (("harvest",), HarvestOptions, ["collection", "query", "limit", "jobs", "rate", "endpoint", "files"]),
        (("evaluate",), EvaluateOptions, ["examples", "clip_s", "seed", "split", "visqol"]),
        (("train",), TrainOptions, ["preset", "seed", "noise", "threads", "device"]),
    ],
)
def test_command_line_defaults_are_the_options_defaults(command, options, names):
    cmd = main.commands[command[0]]
    for name in names:
        assert _default(cmd, name) is getattr(options, name), name


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
