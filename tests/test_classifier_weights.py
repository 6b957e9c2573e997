"""The shipped weights: they load, and on fresh seeds they tell pure surface noise from music at 20 dB SNR."""

import numpy as np
import pytest
import torch

from noisekit.classifier import SegmenterParams, find_noise_segments, load_classifier
from noisekit.classifier.checkpoint import WEIGHTS_DIR, read_config
from noisekit.classifier.metrics import roc_auc
from noisekit.classifier.programme import render_programme
from noisekit.seeding import rng_for
from noisekit.synth import gramophone, tape
from noisekit.synth.mix import mix_at_snr

SR = 44100
SEED = 4242  # fresh: the training stream draws from rng_for(seed, "classifier-train", ...) keys only


@pytest.fixture(scope="module")
def clf():
    torch.set_num_threads(1)
    return load_classifier()


def _noise(i: int, seconds: float = 5.0) -> np.ndarray:
    rng = rng_for(SEED, "weights-test", "noise", i)
    if i % 3 == 2:
        return tape.render_tape_noise(tape.draw_tape_params(rng), seconds, SR, rng)[0]
    return gramophone.render_gramophone_noise(gramophone.draw_gramophone_params(rng), seconds, SR, rng)[0]


def test_shipped_weights_are_verified_and_documented():
    doc = read_config(None)
    assert doc["meta"]["version"] and doc["meta"]["command"].startswith("noisekit classifier train")
    assert (WEIGHTS_DIR / "MODEL_CARD.md").is_file()
    assert (WEIGHTS_DIR / "noise_cnn.safetensors").stat().st_size < 5 * 2**20


def test_pure_noise_versus_music_at_20_db(clf):
    noise_p, music_p = [], []
    for i in range(3):
        n = _noise(i)
        noise_p.append(clf.window_probs(n, SR).probs)
        kind = ("melody", "chords", "struck")[i]
        prog = render_programme(rng_for(SEED, "weights-test", "music", i), len(n), SR, kind)
        mixed, _ = mix_at_snr(prog, _noise(i + 10), 20.0)
        music_p.append(clf.window_probs(mixed * 0.1, SR).probs)
    noise_p, music_p = np.concatenate(noise_p), np.concatenate(music_p)
    seg = SegmenterParams()  # p is judged against the thresholds the segmenter applies
    assert np.median(noise_p) > seg.high and np.mean(noise_p >= seg.low) > 0.97
    assert np.median(music_p) < 0.05 and np.mean(music_p < seg.low) > 0.97
    assert roc_auc(np.concatenate([noise_p, music_p]), np.r_[np.ones(len(noise_p)), np.zeros(len(music_p))]) > 0.99


def test_segments_cover_the_noise_and_spare_the_music(clf):
    noise = _noise(20, 12.0)
    rng = rng_for(SEED, "weights-test", "side")
    prog = np.zeros_like(noise)
    prog[6 * SR :] = render_programme(rng, 6 * SR, SR, "chords")
    mixed = 0.01 * noise / np.sqrt(np.mean(noise**2)) + 0.1 * prog  # programme at 20 dB SNR
    segs = find_noise_segments(mixed.astype(np.float32), SR, classifier=clf)
    assert segs and all(s.end_s <= 6.0 for s in segs)
    assert sum(s.duration_s for s in segs) > 3.5
