"""Evaluation end to end on a tiny generated data directory: cached mixtures, every method, the scores."""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from eval_helpers import SR, make_datadir, tiny_checkpoint

from noisekit.datadir import DataDir
from noisekit.denoiser.classical import BASELINES
from noisekit.denoiser.evaluate import (
    MODEL_METHOD,
    EvalConfig,
    _denoiser_imports,
    build_mixtures,
    evaluate,
    method_fingerprints,
    select_methods,
    summarize,
)
from noisekit.errors import NoisekitError


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_datadir(tmp_path_factory.mktemp("evaldata"))


CFG = EvalConfig(snrs=(3.0, 10.0), examples=2, clip_s=1.0, seed=7)


def test_mixtures_are_built_once_deterministic_and_at_the_right_snr(data):
    mixtures, folder = build_mixtures(data, CFG)
    assert len(mixtures) == 2 * 2 * 2  # kinds × examples × SNRs
    assert folder.parent == data.runs / "eval-cache"
    stamp = (folder / "index.json").stat().st_mtime_ns
    again, folder2 = build_mixtures(data, CFG)
    assert again == mixtures and folder2 == folder and (folder / "index.json").stat().st_mtime_ns == stamp
    for m in mixtures:
        noisy, sr = sf.read(str(folder / m.noisy))
        clean, _ = sf.read(str(folder / m.clean))
        assert sr == SR and noisy.shape == clean.shape == (SR,)
        snr = 10 * np.log10(np.sum(clean**2) / np.sum((noisy - clean) ** 2))
        assert snr == pytest.approx(m.snr_db, abs=0.01)
    # the same crop and noise at each SNR of one example (paired design)
    a, b = (m for m in mixtures if m.kind == "tape" and m.example == 1)
    assert {k: v for k, v in a.params.items() if k not in ("snr_db",)} == {
        k: v for k, v in b.params.items() if k not in ("snr_db",)
    }
    # another seed gives other mixtures in another cache folder
    other, folder3 = build_mixtures(data, EvalConfig(snrs=(3.0, 10.0), examples=2, clip_s=1.0, seed=8))
    assert folder3 != folder and [m.params for m in other] != [m.params for m in mixtures]


def test_missing_test_split_is_a_clear_error(tmp_path):
    data = DataDir(tmp_path).ensure()
    with pytest.raises(NoisekitError, match="clean.parquet.*split 'test'"):
        build_mixtures(data, CFG)


def test_every_method_runs_and_input_scores_zero(data, tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "model.pt")
    methods = select_methods(None, ckpt)
    assert list(methods) == [MODEL_METHOD, *BASELINES]
    cfg = EvalConfig(snrs=(3.0,), examples=2, clip_s=1.0, seed=7)
    result = evaluate(data, methods, cfg, visqol=False, keep_outputs=tmp_path / "outs", progress=False)
    assert len(result.rows) == 4 * len(methods)
    for r in result.rows:
        assert math.isfinite(r["delta_snr"]) and math.isfinite(r["mrstft"]) and math.isnan(r["visqol"])
        if r["method"] == "input":
            assert r["delta_snr"] == pytest.approx(0.0, abs=1e-9) and r["delta_si_sdr"] == pytest.approx(0.0, abs=1e-9)
    assert (tmp_path / "outs" / "wiener" / "tape-000-snr3.wav").is_file()
    # at 3 dB, Wiener filtering of white-ish noise must help on average
    wiener = [r["delta_snr"] for r in result.rows if r["method"] == "wiener" and r["snr_db"] == 3.0]
    assert np.mean(wiener) > 0
    assert set(result.examples) == {"gramophone-000-snr3", "tape-000-snr3"}
    assert set(result.examples["tape-000-snr3"]) == {"clean", "noisy", *methods}


def test_scores_are_cached_per_method_fingerprint(data):
    calls = []

    def halve(x, sr):
        calls.append(len(x))
        return 0.5 * x

    cfg = EvalConfig(snrs=(3.0, 10.0), examples=2, clip_s=1.0, seed=11)
    first = evaluate(data, {"halve": halve}, cfg, visqol=False, progress=False, fingerprints={"halve": "v1"})
    assert len(calls) == 8
    again = evaluate(data, {"halve": halve}, cfg, visqol=False, progress=False, fingerprints={"halve": "v1"})
    assert len(calls) == 8 + 2  # only the two spectrogram examples are rerun
    assert [r["delta_snr"] for r in again.rows] == [r["delta_snr"] for r in first.rows]
    evaluate(data, {"halve": halve}, cfg, visqol=False, progress=False, fingerprints={"halve": "v2"})
    assert len(calls) == 8 + 2 + 8  # another fingerprint: computed afresh
    for r in first.rows:  # halving: SNR(clean, x/2) - SNR(clean, x), same for ΔSI-SDR = 0
        assert r["delta_si_sdr"] == pytest.approx(0.0, abs=1e-6)


def test_fingerprints_follow_code_and_weights(tmp_path):
    a = tiny_checkpoint(tmp_path / "a.pt")
    fp = method_fingerprints(["unet", "wiener", "lsa", "noisereduce-stationary", "noisereduce-nonstationary"], a)
    assert fp["noisereduce-stationary"] == fp["noisereduce-nonstationary"]  # one module
    assert len({fp["unet"], fp["wiener"], fp["lsa"], fp["noisereduce-stationary"]}) == 4
    chain = {p.name for p in _denoiser_imports(Path(inspect.getsourcefile(BASELINES["classical-chain"])))}
    assert {"chain.py", "declick.py", "lpc.py", "lsa.py"} <= chain
    b = tmp_path / "b.pt"
    b.write_bytes(a.read_bytes() + b"changed")
    assert method_fingerprints(["unet"], b)["unet"] != fp["unet"]


def test_unknown_method_and_model_without_checkpoint_are_refused():
    with pytest.raises(NoisekitError, match="unknown method.*needs --checkpoint"):
        select_methods([MODEL_METHOD], None)
    with pytest.raises(NoisekitError, match="unknown method"):
        select_methods(["magic"], None)


def test_summary_groups_by_method_kind_snr_and_all():
    rows = [
        {
            "method": "m",
            "kind": "tape",
            "snr_db": s,
            "seconds": 1.0,
            "delta_snr": d,
            "delta_si_sdr": d,
            "mrstft": 0.5,
            "visqol": math.nan,
        }
        for s, d in ((3.0, 1.0), (3.0, 3.0), (10.0, 5.0))
    ]
    table = {(e["method"], e["kind"], e["snr_db"]): e for e in summarize(rows)}
    assert table[("m", "tape", 3.0)]["delta_snr"]["mean"] == pytest.approx(2.0)
    assert table[("m", "tape", 3.0)]["n"] == 2
    assert table[("m", "tape", "all")]["delta_snr"]["mean"] == pytest.approx(3.0)
    assert math.isnan(table[("m", "tape", 10.0)]["delta_snr"]["low"])  # one value: no interval
    assert math.isnan(table[("m", "tape", "all")]["visqol"]["mean"])


def test_visqol_scores_when_installed(data):
    from noisekit.denoiser.metrics import visqol_available

    if not visqol_available():
        pytest.skip("visqol-python is not installed")
    cfg = EvalConfig(snrs=(10.0,), examples=1, clip_s=1.0, seed=7, kinds=("tape",))
    result = evaluate(data, select_methods(["input", "wiener"], None), cfg, visqol=True, progress=False)
    assert all(1.0 <= r["visqol"] <= 5.0 for r in result.rows)
    json.dumps(result.summary)  # plain data
