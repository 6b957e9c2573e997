"""Hand labels: validated reading, relative paths, window targets and training crops."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from noisekit.audio import write_audio
from noisekit.classifier.features import FeatureConfig
from noisekit.classifier.labels import LabelSource, labelled_window_targets, read_labels
from noisekit.errors import ManifestError


def write_labels(path, rows):
    """Write a labels Parquet with the table's columns (helper shared by the classifier tests)."""
    pq.write_table(
        pa.table({k: [r[i] for r in rows] for i, k in enumerate(["path", "start_s", "end_s", "label"])}), path
    )
    return path


@pytest.fixture
def labelled(tmp_path):
    rng = np.random.default_rng(0)
    write_audio(tmp_path / "a.wav", (rng.standard_normal(44100 * 8) * 0.01).astype(np.float32)[None], 44100)
    return write_labels(tmp_path / "labels.parquet", [("a.wav", 0.0, 4.0, "noise"), ("a.wav", 4.0, 8.0, "music")])


def test_read_labels_resolves_relative_paths(labelled):
    rows = read_labels(labelled)
    assert rows[0].path == labelled.parent / "a.wav" and rows[0].noise and not rows[1].noise


def test_bad_rows_are_refused(tmp_path):
    bad = write_labels(tmp_path / "bad.parquet", [("a.wav", 3.0, 1.0, "noise")])
    with pytest.raises(ManifestError, match="start_s < end_s"):
        read_labels(bad)
    wrong = write_labels(tmp_path / "wrong.parquet", [("a.wav", 0.0, 1.0, "silence")])
    with pytest.raises(ManifestError):
        read_labels(wrong)


def test_window_targets(labelled):
    y = labelled_window_targets(read_labels(labelled), np.array([0.0, 2.9, 3.0, 3.5, 5.0]), 1.0)
    assert y.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_crops_carry_their_labels(labelled):
    feat = FeatureConfig()
    starts = np.arange(9) * feat.hop_s
    src = LabelSource(labelled, int(3.0 * feat.sr), starts, feat)
    rng = np.random.default_rng(1)
    for _ in range(5):
        x, y = src.sample(rng)
        assert x.shape == (3 * 44100,) and y.shape == (9,)
        assert np.isin(y[~np.isnan(y)], [0.0, 1.0]).all()
