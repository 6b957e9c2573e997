"""Sides from real programme for cross-source evaluation: layout, truth, levels and noise models on known answers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from noisekit.classifier.material_sides import Clip, Recipe, build_side, programme_pool
from noisekit.classifier.metrics import intersect, total_s
from noisekit.classifier.noise_models import (
    REAL_NOISE_FILE,
    draw_independent,
    independent_noise,
    project_noise,
    real_noise,
    real_noise_clip,
    wow_warp,
)
from noisekit.errors import NoisekitError
from noisekit.seeding import rng_for

SR = 44100
# plain pieces: no fades, no tails, two pieces with a 3-s pause, fixed levels
PLAIN = Recipe(
    run_in_s=(4.0, 4.0),
    run_out_s=(5.0, 5.0),
    pieces=(2, 2),
    pause_s=(3.0, 3.0),
    short_pause_s=(3.0, 3.0),
    music_s=(2.5, 2.5),
    p_fade_in=0.0,
    p_tail=0.0,
    p_fade_out=0.0,
    snr_db=(20.0, 20.0),
    noise_dbfs=(-40.0, -40.0),
)


def _db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


@pytest.fixture(scope="module")
def tone_clips(tmp_path_factory) -> list[Clip]:
    """Two 3-s mono 1-kHz tones at 22.05 kHz (a real file path, read and resampled like material)."""
    root = tmp_path_factory.mktemp("material")
    clips = []
    for i, hz in enumerate((1000.0, 1500.0)):
        path = root / f"tone{i}.flac"
        t = np.arange(3 * 22050) / 22050
        sf.write(str(path), 0.3 * np.sin(2 * np.pi * hz * t), 22050, subtype="PCM_24")
        clips.append(Clip(path, "tones", "music", 3.0))
    return clips


def _of(side, what: str) -> list[tuple[float, float]]:
    return [(a, b) for a, b, w in side.regions if w == what]


def test_plain_side_truth_is_the_planned_gaps(tone_clips) -> None:
    side = build_side(1, tone_clips, "independent", channels=1, recipe=PLAIN)
    gaps = _of(side, "run-in") + _of(side, "pause") + _of(side, "run-out")
    assert [round(b - a, 2) for a, b in gaps] == [4.0, 3.0, 5.0]
    assert side.audio.shape == (1, int(round((4 + 2.5 + 3 + 2.5 + 5) * SR)))
    for a, b in gaps:  # each gap is noise-only to within a frame (46 ms) of its ends
        assert total_s(intersect(side.truth, [(a, b)])) > (b - a) - 0.1
    for a, b in _of(side, "body"):  # a steady tone 20 dB over the noise is never noise-only
        assert total_s(intersect(side.truth, [(a, b)])) < 0.1
        assert total_s(intersect(side.truth20, [(a, b)])) < 0.1


def test_programme_level_is_the_drawn_snr(tone_clips) -> None:
    side = build_side(2, tone_clips, "project", channels=1, recipe=PLAIN)
    bodies = np.concatenate([side.music[0, int(a * SR) : int(b * SR)] for a, b in _of(side, "body")])
    assert side.params["snr_db"] == 20.0
    assert _db(bodies) - _db(side.noise) == pytest.approx(20.0, abs=0.3)
    assert _db(side.noise) == pytest.approx(-40.0, abs=0.3)  # no peak scaling needed at this level
    assert np.array_equal(side.audio, side.music + side.noise)


def test_tails_ring_past_the_stop_and_fade_ins_start_under_the_noise(tone_clips) -> None:
    recipe = replace(PLAIN, p_tail=1.0, p_fade_in=1.0, fade_s=(1.2, 1.2), rt60_s=(2.0, 2.0))
    side = build_side(3, tone_clips, "independent", channels=2, recipe=recipe)
    tails, fades = _of(side, "tail"), _of(side, "fade-in")
    assert len(tails) == 2 and len(fades) == 2
    for a, _ in tails:  # the reverberation keeps the programme audible past the dry stop
        assert total_s(intersect(side.truth, [(a, a + 0.3)])) == 0.0
    for a, b in fades:  # a dB-linear fade from -60 dB begins under the noise: its start is noise-only
        assert total_s(intersect(side.truth, [(a, a + 0.3)])) > 0.05  # more than a frame
        assert total_s(intersect(side.truth, [(a, b)])) < b - a
    assert total_s(side.truth20) >= total_s(side.truth)  # a looser audibility bound finds more noise-only


def test_sides_are_deterministic_by_seed(tone_clips) -> None:
    a = build_side(7, tone_clips, "independent", channels=1)
    b = build_side(7, tone_clips, "independent", channels=1)
    c = build_side(8, tone_clips, "independent", channels=1)
    assert np.array_equal(a.audio, b.audio) and a.truth == b.truth
    assert a.audio.shape != c.audio.shape or not np.array_equal(a.audio, c.audio)


def test_bad_band_and_model_are_refused(tone_clips) -> None:
    with pytest.raises(NoisekitError, match="band"):
        build_side(1, tone_clips, "project", band="telephone")
    with pytest.raises(NoisekitError, match="noise model"):
        build_side(1, tone_clips, "pink", recipe=PLAIN)


def test_programme_pool_takes_ok_rows_of_the_asked_splits(tmp_path: Path) -> None:
    row = {"path": "material/music/p/t/t.flac", "package": "p", "kind": "music", "duration_s": 10.0}
    rows = [
        {**row, "status": "ok", "split": "valid"},
        {**row, "path": "b.flac", "status": "ok", "split": "train"},
        {**row, "path": "c.flac", "status": "failed", "split": "test", "duration_s": None},
    ]
    pool = programme_pool(rows, tmp_path, ("valid", "test"))
    assert [c.path for c in pool["p"]] == [tmp_path / row["path"]]
    with pytest.raises(NoisekitError, match="no ok material rows"):
        programme_pool(rows[1:], tmp_path, ("valid", "test"))


@pytest.mark.parametrize("model", ["project", "independent"])
def test_noise_models_render_at_the_asked_level(model: str) -> None:
    render = project_noise if model == "project" else independent_noise
    x = render(rng_for(0, "t", model), 5 * SR, SR, 2, -37.0)
    assert x.shape == (2, 5 * SR) and x.dtype == np.float32
    assert _db(x) == pytest.approx(-37.0, abs=0.01)


def test_independent_clicks_repeat_once_per_revolution() -> None:
    p = replace(draw_independent(rng_for(1, "t")), click_places=1, click_db=40.0, crackle_db=-40.0, rumble_db=-40.0)
    x = independent_noise(rng_for(1, "t", "render"), 10 * SR, SR, 1, -30.0, p)[0]
    loud = np.flatnonzero(np.abs(x) > 0.5 * np.abs(x).max())
    onsets = loud[np.concatenate([[True], np.diff(loud) > 0.01 * SR])]
    period = np.median(np.diff(onsets)) / SR
    assert period == pytest.approx(60.0 / p.rpm, abs=0.003)
    assert len(onsets) >= 0.6 * 10 / period  # most turns tick (amplitude jitter may drop a few under the bar)


def test_wow_moves_time_by_at_most_its_depth() -> None:
    t = np.arange(4 * SR) / SR
    ramp = t[None, :].astype(np.float32)  # a signal equal to its own time: the warp is read off directly
    assert np.allclose(wow_warp(ramp, SR, 78.0, 0.0, 0.3), ramp)
    warped = wow_warp(ramp, SR, 78.0, 0.004, 0.3)[0]
    w = 2 * np.pi * 78.0 / 60.0
    shift = warped - t
    assert np.max(np.abs(shift)) <= 2 * 0.004 / w + 1e-4
    assert np.max(np.abs(shift)) > 0.5 * 0.004 / w  # it does move


@pytest.mark.skipif(not REAL_NOISE_FILE.is_file(), reason="../shared/real/Air_Bach.ogg is not there")
def test_real_noise_loop_keeps_the_level_through_its_crossfades() -> None:
    clip = real_noise_clip()
    assert clip.size == pytest.approx(4.5 * SR, abs=2)
    assert -45.0 < _db(clip) < -30.0  # the disc's steady floor (about -38 dBFS), not programme
    x = real_noise(rng_for(0, "t"), 20 * SR, 2, -40.0, clip, SR)
    assert np.array_equal(x[0], x[1]) and _db(x) == pytest.approx(-40.0, abs=0.01)
    seconds = [_db(x[0, k * SR : (k + 1) * SR]) for k in range(20)]
    assert max(seconds) - min(seconds) < 4.0  # no dips or bumps where the loop joins
