"""Each validation check, with a synthetic capture that fails exactly that check (and a clean one passing all)."""

from __future__ import annotations

import numpy as np
import pytest
from tape_helpers import SR, ToneDetectorClassifier, blank_noise, music, shipped_classifier, write_capture

from noisekit.pipelines import tape_checks as tc

CHECKS = ["readable", "sample_rate", "clipping", "dc_offset", "silence_dropouts", "hum", "length", "content"]


def _failed(result: tc.CaptureCheck) -> list[str]:
    return [r.name for r in result.failures]


@pytest.fixture(scope="module", params=["stand-in", "shipped"])
def clf(request):
    """Every case runs with the transparent stand-in, and again with the shipped classifier once it exists."""
    if request.param == "stand-in":
        return ToneDetectorClassifier()
    shipped = shipped_classifier()
    if shipped is None:
        pytest.skip("shipped classifier weights not present yet")
    return shipped


def test_clean_capture_passes_every_check(tmp_path, clf):
    path = write_capture(tmp_path / "clean.wav", blank_noise(0))
    result = tc.run_checks(path, clf)
    assert [r.name for r in result.results] == CHECKS
    assert result.ok, result.failure_text()
    assert result.audio.shape == (2, 11 * SR) and result.sr == SR


def test_unreadable_file_fails_only_readable(tmp_path, clf):
    good = write_capture(tmp_path / "good.wav", blank_noise(1))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(good.read_bytes()[:2000])  # header promises far more frames than follow
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"not audio at all" * 100)
    for path in (broken, garbage):
        result = tc.run_checks(path, clf)
        assert _failed(result) == ["readable"] and len(result.results) == 1
        assert result.failures[0].detail


def test_low_sample_rate_fails_only_sample_rate(tmp_path, clf):
    path = write_capture(tmp_path / "32k.wav", blank_noise(2, sr=32000), sr=32000)
    result = tc.run_checks(path, clf)
    assert _failed(result) == ["sample_rate"]
    assert "32000 Hz" in result.failures[0].detail


def test_clipped_capture_fails_only_clipping(tmp_path, clf):
    audio = blank_noise(3)
    audio = np.clip(audio / np.abs(audio).max() * 1.6, -1.0, 1.0)  # input gain far too high
    result = tc.run_checks(write_capture(tmp_path / "clipped.wav", audio), clf)
    assert _failed(result) == ["clipping"]
    assert result.failures[0].times


def test_dc_offset_fails_only_dc_offset(tmp_path, clf):
    audio = blank_noise(4) + np.float32(0.01)  # -40 dBFS of DC
    result = tc.run_checks(write_capture(tmp_path / "dc.wav", audio), clf)
    assert _failed(result) == ["dc_offset"]
    assert "-40.0 dBFS" in result.failures[0].detail


def test_digital_dropout_fails_only_silence_dropouts(tmp_path, clf):
    audio = blank_noise(5)
    audio[:, int(4.0 * SR) : int(4.2 * SR)] = 0.0  # a dropped buffer: 200 ms of digital silence
    result = tc.run_checks(write_capture(tmp_path / "dropout.wav", audio), clf)
    assert _failed(result) == ["silence_dropouts"]
    ((start, end),) = result.failures[0].times
    assert start == pytest.approx(4.0, abs=0.01) and end == pytest.approx(4.2, abs=0.01)


def test_whole_silence_is_refused(tmp_path):
    quiet = (np.random.default_rng(0).standard_normal((1, 11 * SR)) * 1e-6).astype(np.float32)
    result = tc.check_silence_dropouts(quiet, SR)
    assert not result.ok and "no tape signal" in result.detail


def test_dead_channel_is_refused_with_advice():
    audio = blank_noise(6, duration_s=2.0)
    audio[1] = 0.0
    result = tc.check_silence_dropouts(audio, SR)
    assert not result.ok and "channel(s) [2] carry no signal" in result.detail
    assert tc.check_silence_dropouts(audio[:1], SR).ok


def test_stuck_nonzero_value_is_a_dropout():
    audio = blank_noise(6, duration_s=2.0)
    audio[0, SR : SR + 300] = audio[0, SR]  # the interface repeated one value for 6.8 ms
    result = tc.check_silence_dropouts(audio, SR)
    assert not result.ok and result.times[0][0] == pytest.approx(1.0, abs=1e-3)
    audio[0, SR : SR + 300] = blank_noise(7, duration_s=1.0)[0, :300]
    assert tc.check_silence_dropouts(audio, SR).ok


def test_short_capture_fails_only_length(tmp_path, clf):
    result = tc.run_checks(write_capture(tmp_path / "short.wav", blank_noise(8, duration_s=8.0)), clf)
    assert _failed(result) == ["length"]
    assert "8.00 s" in result.failures[0].detail


def _music_capture_result(tmp_path, classifier, seed: int) -> tuple[tc.CaptureCheck, float, float]:
    """Checks of blank tape with music from 3 s to 7 s: the result and the one stretch flagged."""
    audio = blank_noise(seed)
    audio[:, 3 * SR : 7 * SR] += music(4.0)[None, :]
    result = tc.run_checks(write_capture(tmp_path / "music.wav", audio), classifier)
    assert _failed(result) == ["content"]
    ((start, end),) = result.failures[0].times
    assert f"{start:.2f}-{end:.2f} s" in result.failures[0].detail
    return result, start, end


def test_music_fails_only_content_with_its_times(tmp_path, clf):
    _, start, end = _music_capture_result(tmp_path, clf, 9)
    assert 1.5 <= start <= 3.5 and 6.5 <= end <= 8.5


def test_hum_is_reported_with_its_level_and_never_refuses(tmp_path, clf):
    audio = blank_noise(10, hum_hz=50.0, hum_db=-70.0, hum_harmonics=3)
    result = tc.run_checks(write_capture(tmp_path / "hum.wav", audio), clf)
    hum = next(r for r in result.results if r.name == "hum")
    assert result.ok and hum.ok
    f0, level, above = tc.hum_level(audio, SR)
    assert f0 == 50.0 and level == pytest.approx(-70.0, abs=1.0) and above > 10
    assert "50 Hz mains hum at -70" in hum.detail
    assert tc.check_hum(blank_noise(10), SR).detail == "no mains hum above the hiss"


class _FixedProbs:
    """A classifier that answers the given window probabilities (1-s windows every 0.25 s)."""

    def __init__(self, probs: list[float]) -> None:
        self.probs = np.array(probs, dtype=np.float32)

    def window_probs(self, audio_1d, sr):
        from noisekit.classifier.inference import WindowProbs

        return WindowProbs(self.probs, 1.0, 0.25, np.arange(len(self.probs)) * 0.25, len(audio_1d) / sr)


def test_content_needs_consecutive_windows_and_reports_their_span():
    audio = np.zeros((1, SR), dtype=np.float32)
    lone_dips = [0.9, 0.15, 0.9, 0.1, 0.25, 0.9, 0.05, 0.9]
    assert tc.check_content(audio, SR, _FixedProbs(lone_dips))[0].ok
    result, _ = tc.check_content(audio, SR, _FixedProbs([0.9, 0.15, 0.9, 0.1, 0.15, 0.19, 0.9, 0.05]))
    assert not result.ok and result.times == ((0.75, 2.25),)
    strict, _ = tc.check_content(audio, SR, _FixedProbs(lone_dips), min_windows=1)
    assert strict.times == ((0.25, 2.5),)  # overlapping windows merge into one stretch
    assert tc.check_content(audio, SR, _FixedProbs([0.4] * 8))[0].ok
    assert not tc.check_content(audio, SR, _FixedProbs([0.4] * 8), threshold=0.5)[0].ok


def test_content_check_skips_windows_over_excluded_stretches():
    audio = blank_noise(11)
    audio[:, 5 * SR : 6 * SR] += music(1.0)[None, :]
    flagged, _ = tc.check_content(audio, SR, ToneDetectorClassifier())
    assert not flagged.ok
    excused, _ = tc.check_content(audio, SR, ToneDetectorClassifier(), exclude=flagged.times)
    assert excused.ok


@pytest.mark.skipif(shipped_classifier() is None, reason="shipped classifier weights not present yet")
def test_shipped_classifier_accepts_blank_tape_at_every_speed(tmp_path):
    shipped = shipped_classifier()
    for seed, speed in [(12, 1.875), (13, 3.75), (14, 7.5), (15, 15.0)]:
        result = tc.run_checks(write_capture(tmp_path / f"b{seed}.wav", blank_noise(seed, speed_ips=speed)), shipped)
        assert result.ok, f"{speed} ips: {result.failure_text()}"
