"""The dataset report: counts, charts, gallery entries, and a real browser that loads and checks the page."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading

import numpy as np
import pytest

from noisekit.audio import write_audio
from noisekit.datadir import DataDir
from noisekit.manifests import merge_manifest
from noisekit.pipelines.report import build_report, find_evaluation


def _dataset(tmp_path, n_gram: int = 5, n_tape: int = 2) -> DataDir:
    data = DataDir(tmp_path / "data").ensure()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_gram + n_tape):
        kind = "gramophone" if i < n_gram else "tape"
        folder = data.noise_gramophone if kind == "gramophone" else data.noise_tape
        path = write_audio(folder / f"seg {i}#.flac", 0.05 * rng.standard_normal((2, 44100)), 44100)
        rows.append(
            {
                "segment_id": f"s{i}",
                "kind": kind,
                "source": f"disc{i % 3}",
                "source_path": "x.flac",
                "start_s": float(i),
                "end_s": float(i) + 3.0,
                "path": data.relative(path),
                "duration_s": 5.0,
                "p_noise": 0.99 - 0.1 * i,
                "year": 1920 + 7 * i if kind == "gramophone" else None,
                "label": "Victor" if i % 2 else "Columbia",
                "split": "train",
                "status": "ok",
                "device": "Revox A77" if kind == "tape" else None,
                "speed_ips": 7.5 if kind == "tape" else None,
            }
        )
    rows.append(
        {
            "segment_id": "bad",
            "kind": "gramophone",
            "source": "broken",
            "source_path": "b.flac",
            "status": "failed",
            "error": "truncated",
        }
    )
    merge_manifest(data, "noise", [r for r in rows if r["kind"] == "gramophone"])
    merge_manifest(data, "tape", [r for r in rows if r["kind"] == "tape"])
    return data


def _embedded_segments(page: str) -> list[dict]:
    match = re.search(r'<script id="segments" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_report_lists_every_ok_segment_with_thumbnail_and_charts(tmp_path):
    data = _dataset(tmp_path)
    result = build_report(data, progress=False)
    page = result.path.read_text()
    segments = _embedded_segments(page)
    assert result.segments == 7 and len(segments) == 7
    assert result.minutes == pytest.approx(7 * 5 / 60)
    assert {s["kind"] for s in segments} == {"gramophone", "tape"}
    for seg in segments:
        assert (result.path.parent / seg["thumb"]).is_file()
        assert seg["mime"] == "audio/flac" and "%20" in seg["audio"] and "%23" in seg["audio"]
    assert page.count("data:image/png;base64,") >= 5  # kind, split, decade, label, device, p histogram
    assert "1920s" in page and "Revox A77 @ 7.5 ips" in page and "No evaluation yet" in page
    assert "http://" not in page and "https://" not in page  # offline: nothing fetched from elsewhere


def test_evaluation_summary_is_embedded(tmp_path):
    data = _dataset(tmp_path, 1, 0)
    run = data.runs / "eval-small"
    run.mkdir(parents=True)
    (run / "evaluation.md").write_text("# Evaluation\n\n| method | ΔSNR |\n|---|---|\n| model | 7.1 |\n")
    assert find_evaluation(data) == run / "evaluation.md"
    page = build_report(data, progress=False).path.read_text()
    assert "<td>model</td><td>7.1</td>" in page


def test_page_in_headless_chromium(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    data = _dataset(tmp_path, n_gram=60, n_tape=3)
    build_report(data, progress=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(data.root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/report/index.html"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    try:
        dom = subprocess.run(
            [browser, *flags, "--virtual-time-budget=15000", "--dump-dom", url + "#selftest"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        shot = tmp_path / "report.png"
        subprocess.run(
            [browser, *flags, "--window-size=1280,1600", f"--screenshot={shot}", url], capture_output=True, timeout=120
        )
    finally:
        server.shutdown()
    result = json.loads(re.search(r'<pre id="selftest-result">(.*?)</pre>', dom, re.S).group(1))
    assert result["shown"] == result["total"] == 63
    assert len(result["audio"]) == 63
    assert all(a["status"] == 200 and a["play"] in ("probably", "maybe") for a in result["audio"])
    assert shot.stat().st_size > 10_000


def test_refused_cuts_are_listed_with_their_reason_and_not_in_the_gallery(tmp_path):
    data = _dataset(tmp_path, 2, 0)
    reason = "near silence: the cut's level -86.5 dBFS lies 40.5 dB under the file's noise floor (-46.0 dBFS)"
    refused = {"segment_id": "r1", "kind": "gramophone", "source": "caruso<1>", "source_path": "c.ogg"}
    merge_manifest(data, "noise", [{**refused, "start_s": 168.0, "end_s": 173.5, "status": "refused", "error": reason}])
    page = build_report(data, progress=False).path.read_text()
    assert len(_embedded_segments(page)) == 2
    assert "caruso&lt;1&gt;" in page and "168.0–173.5 s" in page and "40.5 dB under the file&#x27;s noise floor" in page
