"""Procedural programme: every kind renders finite audio of the asked length at about unit RMS."""

import numpy as np
import pytest

from noisekit.classifier.programme import KINDS, render_programme


@pytest.mark.parametrize("kind", KINDS)
def test_kinds(kind):
    x = render_programme(np.random.default_rng(0), 44100 * 2, 44100, kind)
    assert x.shape == (88200,) and x.dtype == np.float32 and np.isfinite(x).all()
    active = np.abs(x) > 1e-4 * np.abs(x).max()
    assert np.sqrt(np.mean(x[active].astype(np.float64) ** 2)) == pytest.approx(1.0, rel=0.05)


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind"):
        render_programme(np.random.default_rng(0), 100, 44100, "kazoo")
