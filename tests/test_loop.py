"""The 5-s loop: exact length, no level dip at the seams, once-per-revolution clicks stay periodic."""

from __future__ import annotations

import numpy as np
import pytest

from noisekit.pipelines.loop import (
    CROSSFADE_S,
    LoopError,
    make_loop,
    min_loopable_samples,
    parse_rpm,
    plan_loop,
    revolution_samples,
    seam_starts,
)

SR = 44100
TARGET = 5 * SR


def _noise(
    seconds: float,
    channels: int = 2,
    seed: int = 0,
    level: float = 0.05,
    n: int | None = None,
) -> np.ndarray:
    shape = (channels, n if n is not None else int(seconds * SR))
    return (level * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def _db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


@pytest.mark.parametrize("seconds", [1.5, 2.0, 3.3, 4.99, 5.0, 7.5])
@pytest.mark.parametrize("channels", [1, 2])
def test_exact_length_and_channels(seconds: float, channels: int) -> None:
    loop = make_loop(_noise(seconds, channels), rpm=78)
    assert loop.shape == (channels, TARGET)
    assert loop.dtype == np.float32


def test_long_cut_is_trimmed_not_looped() -> None:
    cut = _noise(6.0)
    np.testing.assert_array_equal(make_loop(cut), cut[:, :TARGET])
    assert seam_starts(cut.shape[1], 78) == []


def test_one_d_in_one_d_out() -> None:
    assert make_loop(_noise(2.0, 1)[0]).shape == (TARGET,)


@pytest.mark.parametrize("rpm", [78.0, 45.0, 100 / 3])
@pytest.mark.parametrize("seconds", [2.4, 3.1])
def test_unit_is_whole_revolutions_with_room_for_the_crossfade(rpm: float, seconds: float) -> None:
    n = int(seconds * SR)
    plan = plan_loop(n, rpm)
    rev = revolution_samples(rpm)
    assert plan.revolutions >= 1
    assert plan.unit == round(plan.revolutions * rev)
    assert plan.unit + plan.crossfade <= n
    assert plan.unit + plan.crossfade + rev > n  # the longest whole number that fits


def test_too_short_for_a_revolution_is_refused() -> None:
    n = min_loopable_samples(100 / 3) - 1  # one 33 1/3 revolution (1.8 s) + 0.5 s, less one sample
    with pytest.raises(LoopError, match="shorter than one revolution"):
        make_loop(_noise(0, n=n), rpm=100 / 3)
    assert make_loop(_noise(0, n=n + 1), rpm=100 / 3).shape == (2, TARGET)


@pytest.mark.parametrize("rpm", [78.0, 45.0, 100 / 3])
def test_level_holds_across_every_seam(rpm: float) -> None:
    """RMS in 50-ms windows across each seam stays within +-1 dB of the cut's RMS (equal-power fade)."""
    cut = _noise(2.4, seed=3)
    loop = make_loop(cut, rpm=rpm)
    seams = seam_starts(cut.shape[1], rpm)
    assert seams
    ref = _db(cut)
    win = int(0.05 * SR)
    xf = int(CROSSFADE_S * SR)
    for s in seams:
        for a in range(s - 2 * win, min(s + xf + 2 * win, TARGET - win), win // 2):
            assert abs(_db(loop[:, a : a + win]) - ref) < 1.0, (s, a)


def test_linear_fade_would_dip_so_the_check_has_teeth() -> None:
    """A plain linear crossfade of independent noise dips by about 3 dB mid-seam: the bound above catches it."""
    head, tail = _noise(0.5, 1, seed=1)[0], _noise(0.5, 1, seed=2)[0]
    x = np.linspace(0, 1, head.size)
    mid = slice(head.size // 2 - 1102, head.size // 2 + 1103)
    assert _db((x * head + (1 - x) * tail)[mid]) - _db(head) < -2.0


def test_correlated_material_does_not_bulge() -> None:
    """A cut whose unit repeats exactly (correlation 1 across the seam) keeps its level too."""
    unit = int(round(revolution_samples(78)))
    period = _noise(unit / SR, 1, seed=5)[0]
    cut = np.tile(period, 3)[: int(2.6 * SR)][None, :]
    loop = make_loop(cut, rpm=78)
    win = int(0.05 * SR)
    for s in seam_starts(cut.shape[1], 78):
        for a in range(s, min(s + int(CROSSFADE_S * SR), TARGET) - win, win):
            assert abs(_db(loop[:, a : a + win]) - _db(cut)) < 1.0


@pytest.mark.parametrize("rpm", [78.0, 45.0, 100 / 3])
def test_once_per_revolution_clicks_stay_periodic(rpm: float) -> None:
    rev = revolution_samples(rpm)
    n = int(min_loopable_samples(rpm) + 0.3 * SR)
    cut = _noise(0, 1, seed=7, level=0.01, n=n)
    first = 1234
    clicks = [int(round(first + i * rev)) for i in range(int((n - first) / rev) + 1)]
    for c in clicks:
        if c < n:
            cut[0, c] = 0.9
    loop = make_loop(cut, rpm=rpm)[0]
    found = np.flatnonzero(np.abs(loop) > 0.3)
    assert found[0] == first
    gaps = np.diff(found)
    assert len(found) >= int(TARGET / rev) - 1
    assert np.all(np.abs(gaps - rev) <= 1.0), gaps


@pytest.mark.parametrize(
    "text,value", [("78", 78.0), ("45", 45.0), ("33 1/3", 100 / 3), ("33⅓", 100 / 3), ("33.33", 100 / 3), (16, 16.0)]
)
def test_parse_rpm(text, value) -> None:
    assert parse_rpm(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", ["fast", "0", "-78", "nan"])
def test_parse_rpm_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid rpm"):
        parse_rpm(bad)
