"""The evaluation report: Markdown cells, strict JSON, plots; and `noisekit evaluate` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from eval_helpers import make_datadir, tiny_checkpoint

from noisekit.cli import main
from noisekit.denoiser.eval_report import markdown, metric_table, write_report
from noisekit.denoiser.evaluate import EvalConfig, EvalResult, summarize


def _result() -> EvalResult:
    rows = []
    for method, gain in (("input", 0.0), ("wiener", 2.0)):
        for kind in ("gramophone", "tape"):
            for snr in (3.0, 10.0):
                for ex, jitter in enumerate((-0.5, 0.5)):
                    rows.append(
                        {
                            "method": method,
                            "kind": kind,
                            "snr_db": snr,
                            "example": ex,
                            "id": f"{kind}-{ex}",
                            "seconds": 0.1,
                            "delta_snr": gain + (jitter if gain else 0.0),
                            "delta_si_sdr": gain,
                            "snr_out": snr + gain,
                            "mrstft": 1.0,
                            "visqol": math.nan,
                        }
                    )
    sig = np.sin(np.arange(8192) / 10.0).astype(np.float32)
    examples = {"tape-000-snr3": {"clean": sig, "noisy": sig + 0.1, "input": sig + 0.1, "wiener": sig}}
    cfg = EvalConfig(snrs=(3.0, 10.0), examples=2, clip_s=1.0)
    return EvalResult(rows, summarize(rows), cfg, ["input", "wiener"], "none (ViSQOL off)", Path("cache/abc"), examples)


def test_metric_table_cells_hold_mean_and_interval():
    table = metric_table(_result(), "tape", "delta_snr")
    lines = table.splitlines()
    assert lines[0] == "| method | 3 dB | 10 dB | all SNRs |"
    # wiener at 3 dB: values 1.5 and 2.5 -> mean 2, s = 0.7071, t(0.975, 1) = 12.706 -> half width 6.35
    assert lines[3].startswith("| wiener | 2.00 [-4.35, 8.35] |")
    assert lines[2].startswith("| input | 0.00 [0.00, 0.00] |")


def test_markdown_leaves_out_visqol_when_off():
    text = markdown(_result(), "T")
    assert text.startswith("# T") and "## tape noise" in text and "## gramophone noise" in text
    assert "ViSQOL MOS" not in text and "ΔSI-SDR" in text and "MR-STFT" in text


def test_write_report_outputs(tmp_path):
    paths = write_report(_result(), tmp_path / "rep")
    doc = json.loads(paths["json"].read_text())  # strict JSON: NaN became null
    assert doc["rows"][0]["visqol"] is None and doc["methods"] == ["input", "wiener"]
    for key in ("delta_snr_plot", "spectrograms"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_command_end_to_end(tmp_path, monkeypatch):
    import noisekit.denoiser.checkpoint

    data = make_datadir(tmp_path / "data")
    ckpt = tiny_checkpoint(tmp_path / "tiny.pt")
    args = [
        "evaluate",
        "--data",
        str(data.root),
        "--checkpoint",
        str(ckpt),
        "--snr",
        "5",
        "--examples",
        "1",
        "--clip-s",
        "1",
        "--methods",
        "unet,input,wiener",
        "--no-visqol",
        "--no-progress",
        "--threads",
        "1",
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    out = data.runs / "eval" / "tiny"
    assert "best mean ΔSNR" in res.output and (out / "results.md").is_file()
    doc = json.loads((out / "results.json").read_text())
    assert {r["method"] for r in doc["rows"]} == {"unet", "input", "wiener"}
    assert {r["kind"] for r in doc["rows"]} == {"gramophone", "tape"}
    monkeypatch.setattr(noisekit.denoiser.checkpoint, "shipped_model_path", lambda name="small": None)
    bad = CliRunner().invoke(main, ["evaluate", "--data", str(data.root), "--methods", "unet", "--no-visqol"])
    assert bad.exit_code == 2 and "needs --checkpoint" in bad.output
