"""Tests for noisekit.synth.music and score: determinism, bounds, hard cases, dynamics, serialisable params."""

import json

import numpy as np
import pytest

from noisekit.signal import rms_dbfs
from noisekit.synth import score
from noisekit.synth.music import STYLES, draw_music_params, hard_cases, render_music

SR = 22050


def _piece(seed: int, dur: float = 4.0, **kw) -> tuple[np.ndarray, object]:
    rng = np.random.default_rng(seed)
    p = draw_music_params(rng, **kw)
    return render_music(p, dur, SR, rng), p


def test_same_seed_same_music_different_seed_differs() -> None:
    a, _ = _piece(1)
    b, _ = _piece(1)
    c, _ = _piece(2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == (4 * SR,)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_renders_bounded_and_ends_at_zero(style: str) -> None:
    x, p = _piece(3, 3.0, style=style)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 0.99
    assert x[-1] == 0.0 and abs(float(x[0])) < 1e-3
    assert rms_dbfs(x) > -70.0
    json.dumps(p.to_dict())


def test_pp_passage_is_very_soft() -> None:
    x, p = _piece(
        4,
        12.0,
        style="piano_solo",
        pp_passage=[0.5, 3.0, -55.0],
        crescendo=None,
        fade_in_s=0.0,
        fade_out_s=0.0,
        sustained=None,
        swell_db=0.5,
    )
    ((s, e, _),) = [c for c in hard_cases(p, 12.0) if c[2] == "pp_passage"]
    inner = x[int((s + 0.8) * SR) : int((e - 0.8) * SR)]
    loud = x[: int(max(s - 0.5, 0.5) * SR)]
    assert rms_dbfs(inner) < -40.0 and rms_dbfs(loud) - rms_dbfs(inner) > 15.0


def test_fade_in_and_out() -> None:
    x, p = _piece(5, 10.0, style="organ", fade_in_s=3.0, fade_out_s=3.0, pp_passage=None, crescendo=None)
    kinds = {c[2] for c in hard_cases(p, 10.0)}
    assert {"fade_in", "fade_out"} <= kinds
    assert rms_dbfs(x[: int(0.5 * SR)]) < rms_dbfs(x[int(4 * SR) : int(6 * SR)]) - 20.0
    assert rms_dbfs(x[-int(0.5 * SR) :]) < rms_dbfs(x[int(4 * SR) : int(6 * SR)]) - 20.0


def test_hard_cases_lie_inside_the_piece() -> None:
    for seed in range(30):
        rng = np.random.default_rng(seed)
        p = draw_music_params(rng)
        for s, e, kind in hard_cases(p, 20.0):
            assert 0.0 <= s <= e <= 20.0, (kind, s, e)


def test_unknown_style_or_field_is_refused() -> None:
    with pytest.raises(ValueError, match="style"):
        draw_music_params(np.random.default_rng(0), style="bebop")
    with pytest.raises(ValueError, match="unknown parameter"):
        draw_music_params(np.random.default_rng(0), loudness=3)


def _rms_at(x: np.ndarray, a: float, b: float) -> float:
    return rms_dbfs(x[int(a * SR) : int(b * SR)])


_PLAIN = {
    "pp_passage": None,
    "crescendo": None,
    "fade_in_s": 0.0,
    "fade_out_s": 0.0,
    "sustained": None,
    "long_tail_s": 0.0,
    "swell_db": 0.3,
}


def test_crescendo_rises_and_diminuendo_falls() -> None:
    x, p = _piece(20, 12.0, style="strings", **{**_PLAIN, "crescendo": [0.4, 4.0, 20.0]})
    ((s, e, kind),) = [c for c in hard_cases(p, 12.0) if c[2] in ("crescendo", "diminuendo")]
    assert kind == "crescendo" and _rms_at(x, e - 1.0, e) - _rms_at(x, s, s + 1.0) > 10.0
    y, q = _piece(20, 12.0, style="strings", **{**_PLAIN, "crescendo": [0.4, 4.0, -20.0]})
    ((s, e, kind),) = [c for c in hard_cases(q, 12.0) if c[2] in ("crescendo", "diminuendo")]
    assert kind == "diminuendo" and _rms_at(y, s, s + 1.0) - _rms_at(y, e - 1.0, e) > 10.0


def test_sustained_note_is_one_pitch() -> None:
    from noisekit.synth.rooms import RoomParams

    dry = RoomParams(rt60_s=0.2, wet_db=-40.0)
    x, p = _piece(
        21, 12.0, style="piano_solo", room=dry, **{**_PLAIN, "sustained": [0.5, 5.0], "sustain_instrument": "clarinet"}
    )
    ((s, e, _),) = [c for c in hard_cases(p, 12.0) if c[2] == "sustained_note"]
    seg = x[int((s + 1.5) * SR) : int((e - 0.5) * SR)].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
    f = np.fft.rfftfreq(seg.size, 1 / SR)
    lo, hi = 50, 89  # clarinet range
    midi = score.scale_pitch(p.tonic, p.mode, 0) + 12 * int(np.clip(round(((lo + hi) / 2 - p.tonic) / 12), -2, 2))
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    assert f[np.argmax(spec)] == pytest.approx(f0, rel=0.02)
    assert np.sum(spec[np.abs(f - f0) < 0.03 * f0] ** 2) > 0.5 * np.sum(spec[f < 1.5 * f0] ** 2)


def test_long_tail_decays_into_the_end() -> None:
    x, p = _piece(22, 12.0, style="organ", **{**_PLAIN, "long_tail_s": 4.0})
    assert p.room.rt60_s >= 1.5  # a long tail comes with a reverberant room
    ((s, e, _),) = [c for c in hard_cases(p, 12.0) if c[2] == "long_tail"]
    levels = [_rms_at(x, t, t + 0.5) for t in np.arange(s + 0.3, e - 0.5, 0.5)]
    assert levels[0] - levels[-1] > 20.0
    assert np.all(np.diff(levels) < 1.0)  # decaying (no new notes)


def test_noisy_onsets_override_steers_the_timbres() -> None:
    p = draw_music_params(np.random.default_rng(23), style="piano_solo", noisy_onsets=True)
    assert p.noisy_onsets and all(part.timbre["hammer_db"] >= -12.0 for part in p.parts)


def test_ritardando_slows_the_last_bars() -> None:
    from noisekit.synth import music as m

    p = draw_music_params(np.random.default_rng(24), tempo_bpm=120.0, tempo_drift=0.0, ritardando=0.5)
    lay = m._layout(p, 30.0)
    beats = np.diff(m._tempo_map(p, lay, 80, np.random.default_rng(0)))
    assert beats[0] == pytest.approx(0.5)
    end_beat = int(np.searchsorted(np.cumsum(beats), lay.body_end))
    assert beats[end_beat - 1] > 1.25 * beats[0]  # clearly slower by the final chord
    assert np.all(np.diff(beats[:end_beat]) >= -1e-12)  # and only ever slowing down
