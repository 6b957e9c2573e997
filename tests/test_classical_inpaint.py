import numpy as np
import pytest

from noisekit.denoiser.classical.inpaint import InpaintParams, detect_gaps, inpaint
from noisekit.denoiser.classical.signals import SR, sinusoids
from noisekit.signal import snr_db

GAP_SNR_DB = 30.0  # stated threshold for refilled gaps of up to 20 ms in a sum of sinusoids


@pytest.mark.parametrize("gap_s", [0.002, 0.01, 0.02])
def test_gap_in_sinusoids_is_refilled_above_threshold(gap_s):
    clean = sinusoids(1.0, hiss=0.001, seed=1)
    x = clean.copy()
    start, stop = 20000, 20000 + int(gap_s * SR)
    x[start:stop] = 0.0
    result = inpaint(x, SR)
    assert [(g.start, g.stop, g.status) for g in result.gaps] == [(start, stop, "filled")]
    assert snr_db(clean[start:stop], result.audio[start:stop]) > GAP_SNR_DB
    np.testing.assert_array_equal(result.audio[:start], x[:start])
    np.testing.assert_array_equal(result.audio[stop:], x[stop:])


def test_overlong_gap_is_reported_and_left_alone():
    x = sinusoids(1.0, seed=2)
    x[10000 : 10000 + int(0.2 * SR)] = 0.0
    result = inpaint(x, SR, InpaintParams(max_gap_s=0.1))
    assert [g.status for g in result.gaps] == ["too_long"]
    np.testing.assert_array_equal(result.audio, x)


def test_gaps_at_the_edges_are_not_invented():
    x = sinusoids(0.5, seed=3)
    x[:500] = 0.0
    x[-300:] = 0.0
    result = inpaint(x, SR)
    assert [g.status for g in result.gaps] == ["edge", "edge"]
    np.testing.assert_array_equal(result.audio, x)


def test_dropout_without_digital_silence_is_detected():
    x = sinusoids(1.0, seed=4)
    x[15000:15441] *= 1e-3
    kinds = [kind for start, stop, kind in detect_gaps(x, SR) if start <= 15100 and stop >= 15300]
    assert kinds == ["dropout"]


def test_clean_signal_has_no_gaps_and_is_unchanged():
    x = sinusoids(1.0, seed=5)
    result = inpaint(x, SR)
    assert result.gaps == []
    np.testing.assert_array_equal(result.audio, x)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="1-D"):
        inpaint(np.zeros((2, 100)), SR)
    with pytest.raises(ValueError, match="max_gap_s"):
        inpaint(np.zeros(100), SR, InpaintParams(max_gap_s=0))


def test_a_20_ms_gap_in_harmonic_notes_is_refilled_above_10_db():
    from noisekit.denoiser.classical.signals import notes

    clean = notes(3.0, seed=6, lead_s=0.0) + sinusoids(3.0, hiss=0.0, seed=6) * 0.1
    x = clean.copy()
    start, stop = 70000, 70000 + int(0.02 * SR)
    x[start:stop] = 0.0
    result = inpaint(x, SR)
    assert [(g.start, g.stop, g.status) for g in result.gaps] == [(start, stop, "filled")]
    assert snr_db(clean[start:stop], result.audio[start:stop]) >= 10.0
    assert snr_db(clean[start:stop], x[start:stop]) == 0.0  # the hole itself scores 0 dB


def test_blend_refills_a_repeating_texture_that_ar_cannot_predict():
    loop = np.random.default_rng(3).standard_normal(int(0.41 * SR)) * 0.1
    clean = np.tile(loop, 10)[: 4 * SR] + sinusoids(4.0, hiss=0.0, seed=3) * 0.05
    start, stop = 2 * SR, 2 * SR + int(0.02 * SR)
    x = clean.copy()
    x[start:stop] = 0.0
    ar_only = inpaint(x, SR, InpaintParams(method="burg")).audio
    blend = inpaint(x, SR).audio
    ar_db, blend_db = snr_db(clean[start:stop], ar_only[start:stop]), snr_db(clean[start:stop], blend[start:stop])
    assert ar_db < 6.0 and blend_db > 15.0 and blend_db > ar_db + 10.0  # the tones do not repeat with the loop


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        inpaint(np.zeros(100), SR, InpaintParams(method="magic"))


def test_gaps_shorter_than_blend_from_s_keep_the_ar_prediction_alone():
    loop = np.random.default_rng(4).standard_normal(int(0.41 * SR)) * 0.1
    x = np.tile(loop, 10)[: 4 * SR]
    gaps = [(2 * SR, 2 * SR + int(0.003 * SR), "silence")]
    x[2 * SR : 2 * SR + int(0.003 * SR)] = 0.0
    ar_only = inpaint(x, SR, InpaintParams(method="burg"), gaps=gaps).audio
    np.testing.assert_array_equal(inpaint(x, SR, gaps=gaps).audio, ar_only)
    assert not np.array_equal(inpaint(x, SR, InpaintParams(blend_from_s=0.001), gaps=gaps).audio, ar_only)
