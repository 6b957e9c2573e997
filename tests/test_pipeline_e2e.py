"""The real stages chained by the runner on a miniature synthetic archive; a second run skips them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from noisekit.datadir import DataDir
from noisekit.manifests import read_manifest
from noisekit.pipelines import stages  # noqa: F401  (registers the stage types)
from noisekit.pipelines.demo_archive import read_ground_truth
from noisekit.pipelines.extract_eval import score_manifest
from noisekit.pipelines.runner import load_pipeline, run_pipeline

WEIGHTS = Path(__file__).resolve().parent.parent / "classifier" / "weights"

CONFIG = """
[pipeline]
name = "mini"
[[stage]]
name = "archive"
uses = "demo-archive"
params = { out = "data:archive", sides = 2, duration_s = 40.0 }
[[stage]]
name = "harvest"
uses = "harvest"
params = { source_dir = "data:archive", jobs = 1 }
[[stage]]
name = "extract"
uses = "extract"
params = { jobs = 1 }
[[stage]]
name = "tape-bundle"
uses = "demo-tape-bundle"
params = { out = "data:contributions/t.zip", speeds = [7.5] }
[[stage]]
name = "ingest-tape"
uses = "ingest-tape"
params = { bundles = ["data:contributions/t.zip"] }
[[stage]]
name = "report"
uses = "report"
"""


@pytest.mark.skipif(not any(WEIGHTS.glob("*.safetensors")), reason="classifier weights not shipped")
def test_mini_pipeline_runs_then_skips(tmp_path):
    config = tmp_path / "mini.toml"
    config.write_text(CONFIG)
    data = DataDir(tmp_path / "data")
    first = run_pipeline(load_pipeline(config), data, echo=lambda s: None)
    assert [o.status for o in first] == ["ran"] * 6

    recordings = read_manifest(data, "recordings")
    assert recordings.num_rows == 2 and set(recordings.column("status").to_pylist()) == {"ok"}
    noise = read_manifest(data, "noise")
    assert noise.num_rows > 0 and set(noise.column("kind").to_pylist()) == {"gramophone"}
    truth = {k: v["audible_intervals"] for k, v in read_ground_truth(data.root / "archive").items()}
    pooled, _ = score_manifest(noise, truth)
    assert pooled.purity >= 0.98
    assert read_manifest(data, "tape").num_rows >= 2
    assert (data.root / "report" / "index.html").is_file()

    second = run_pipeline(load_pipeline(config), data, echo=lambda s: None)
    assert [o.status for o in second] == ["skipped"] * 6
