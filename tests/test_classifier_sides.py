"""Side crops: training seeds only, audible-truth window targets, crops across noise/programme edges."""

import numpy as np
import pytest

from noisekit.classifier.evaluate import EVAL_SEED_START, TUNE_SEED_START
from noisekit.classifier.sides import TRAIN_SIDE_SEEDS, SidePool


def test_training_seeds_are_disjoint_from_tuning_and_evaluation():
    assert TRAIN_SIDE_SEEDS.stop <= TUNE_SEED_START < EVAL_SEED_START
    with pytest.raises(ValueError, match="outside the training range"):
        SidePool(np.random.default_rng(0), 3.0, 44100, EVAL_SEED_START)


def test_crops_and_targets_follow_the_side_truth():
    pool = SidePool(np.random.default_rng(0), 3.0, 44100, 17, crops_per_side=6, side_s=20.0)
    starts = np.arange(8) * 0.25
    seen = set()
    for i in range(6):
        x, y = pool.draw(np.random.default_rng(i), starts, 1.03)
        assert x.shape == (3 * 44100,) and np.isfinite(x).all() and np.abs(x).max() <= 0.99
        assert np.isin(y[~np.isnan(y)], [0.0, 1.0]).all()
        seen |= set(y[~np.isnan(y)].tolist())
    assert pool.truth and seen == {0.0, 1.0}  # crops placed across edges see both
