"""The demo's synthetic blank-tape captures and bundle: valid, deterministic, and ingestible."""

from __future__ import annotations

import zipfile

from tape_helpers import ToneDetectorClassifier

from noisekit.audio import audio_info, load_audio
from noisekit.datadir import DataDir
from noisekit.pipelines.bundle_ingest import ingest_bundle
from noisekit.pipelines.tape_checks import run_checks
from noisekit.pipelines.tape_demo import make_demo_bundle, synth_blank_capture


def test_synthetic_capture_is_deterministic_and_passes_validation(tmp_path):
    a = synth_blank_capture(tmp_path / "a.wav", seed=3, speed_ips=3.75, duration_s=10.5)
    b = synth_blank_capture(tmp_path / "b.wav", seed=3, speed_ips=3.75, duration_s=10.5)
    info = audio_info(a)
    assert (info.sample_rate, info.channels, info.frames) == (44100, 2, 463050)
    assert (load_audio(a)[0] == load_audio(b)[0]).all()
    assert run_checks(a, ToneDetectorClassifier()).ok


def test_demo_bundle_ingests(tmp_path):
    out = tmp_path / "demo.zip"
    contribution = make_demo_bundle(out, seed=1, duration_s=10.5, classifier=ToneDetectorClassifier())
    assert contribution.device == "Revox A77 (HS)" and contribution.speeds_ips == [7.5, 15.0]
    assert contribution.license == "CC0-1.0" and "synthetic" in contribution.notes.lower()
    assert len(zipfile.ZipFile(out).namelist()) == 5
    result = ingest_bundle(DataDir(tmp_path / "d"), out, classifier=ToneDetectorClassifier(), progress=False)
    assert result.accepted == ["demo_7.5ips", "demo_15ips"] and result.segments == 4
