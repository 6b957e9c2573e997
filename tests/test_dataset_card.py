"""DATASET.md: minutes per device and speed, contributors and licences, from the manifests only."""

from __future__ import annotations

from noisekit.datadir import DataDir
from noisekit.manifests import write_manifest
from noisekit.pipelines.dataset_card import render_dataset_card, write_dataset_card


def _row(i: int, capture: str, device: str, speed: float, who: str, lic: str, status: str = "ok") -> dict:
    return {
        "segment_id": f"{capture}-{i}",
        "kind": "tape",
        "source": capture,
        "source_path": capture,
        "source_sha256": capture,
        "duration_s": 5.0,
        "status": status,
        "device": device,
        "speed_ips": speed,
        "format": "open-reel",
        "noise_reduction": "none",
        "contributor": who,
        "license": lic,
        "split": "train",
    }


def test_card_sums_minutes_per_device_speed_contributor_and_licence(tmp_path):
    data = DataDir(tmp_path).ensure()
    rows = [_row(i, "c1", "Revox C-36", 7.5, "Archive A", "CC-BY-4.0") for i in range(12)]
    rows += [_row(i, "c2", "Revox C-36", 3.75, "Archive B", "CC0-1.0") for i in range(6)]
    rows += [_row(i, "c3", "Revox C-36", 7.5, "Archive A", "CC-BY-4.0") for i in range(12)]
    rows += [_row(0, "bad", "Revox C-36", 7.5, "Archive C", "CC0-1.0", status="failed")]
    write_manifest(data, "tape", rows)
    text = render_dataset_card(data)
    assert "3 capture(s), 30 segments of 5 s, 2.5 minutes in all." in text
    assert "| Revox C-36 | open-reel | 7.5 | none | 2 | 2.0 | train |" in text
    assert "| Revox C-36 | open-reel | 3.75 | none | 1 | 0.5 | train |" in text
    assert "| Archive A | 2 | 2.0 | CC-BY-4.0 |" in text and "| CC0-1.0 | 0.5 |" in text
    assert "Archive C" not in text  # refused captures are not part of the dataset
    path = write_dataset_card(data)
    assert path == data.root / "DATASET.md" and path.read_text() == text


def test_empty_data_dir_gets_a_card_that_says_so(tmp_path):
    text = render_dataset_card(DataDir(tmp_path))
    assert "No blank-tape captures yet" in text and "0 segments, 0.0 minutes." in text
