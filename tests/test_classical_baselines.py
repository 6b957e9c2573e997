import numpy as np
import pytest

from noisekit.denoiser.classical import BASELINES
from noisekit.denoiser.classical.signals import SR, add_noise, coloured_noise, notes
from noisekit.denoiser.classical.spectral import analyse, quietest_frames_psd, synthesise
from noisekit.denoiser.classical.spectral_gate import quietest_clip
from noisekit.signal import snr_db

METHODS = [name for name in BASELINES if name != "input"]
MIN_GAIN_DB = 2.0  # every baseline must raise the SNR of a 5-dB mixture by at least this much


@pytest.fixture(scope="module")
def clean():
    return notes(2.5, seed=7)


@pytest.mark.parametrize("kind", ["white", "pink"])
@pytest.mark.parametrize("method", METHODS)
def test_baseline_improves_snr_at_5_db(method, kind, clean):
    noisy = add_noise(clean, coloured_noise(len(clean), kind, seed=3), 5.0)
    out = BASELINES[method](noisy, SR)
    assert out.shape == noisy.shape and out.dtype == noisy.dtype and np.all(np.isfinite(out))
    assert snr_db(clean, out) >= snr_db(clean, noisy) + MIN_GAIN_DB


def test_input_method_is_an_identical_copy(clean):
    out = BASELINES["input"](clean, SR)
    np.testing.assert_array_equal(out, clean)
    assert out is not clean


@pytest.mark.parametrize("method", METHODS)
def test_baselines_refuse_multichannel_arrays(method):
    with pytest.raises(ValueError, match="1-D"):
        BASELINES[method](np.zeros((2, SR), np.float32), SR)


def test_logmmse_import_leaves_numpy_error_state_alone():
    import noisekit.denoiser.classical.logmmse  # noqa: F401

    assert np.geterr()["under"] != "raise"


def test_stft_round_trip_is_exact():
    x = np.random.default_rng(0).standard_normal(12345)
    np.testing.assert_allclose(synthesise(analyse(x, SR), SR, len(x)), x, atol=1e-9)


def test_quietest_frames_psd_picks_the_quiet_frames():
    power = np.ones((4, 10))
    power[:, :9] = 100.0
    np.testing.assert_allclose(quietest_frames_psd(power, 0.1), 1.0)


def test_quietest_clip_keeps_quiet_windows():
    x = np.concatenate([np.full(4410, 0.5), np.full(2205, 0.01), np.full(4410, 0.5)]).astype(np.float32)
    clip = quietest_clip(x, SR, fraction=0.1, window_s=0.05)
    assert np.allclose(clip, 0.01)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "logmmse"])
def test_signals_shorter_than_a_frame_keep_their_length(method):
    x = np.random.default_rng(1).standard_normal(300).astype(np.float32) * 0.1
    out = BASELINES[method](x, SR)
    assert out.shape == x.shape and np.all(np.isfinite(out))


def test_logmmse_says_when_a_signal_is_too_short():
    with pytest.raises(ValueError, match="logmmse needs at least"):
        BASELINES["logmmse"](np.zeros(300, np.float32), SR)
