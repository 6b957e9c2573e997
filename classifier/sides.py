"""Training crops from whole synthetic sides (``noisekit.synth.side``), labelled by their exact truth.

Sides teach what scenes cannot: where a real side's programme stops being audible over its surface noise
(``SyntheticSide.truth("audible")``: the end of a reverberation tail far below the noise is noise-only, as
a listener marks it), and the run-in / pause / run-out structure. Seeds come from
``TRAIN_SIDE_SEEDS`` only, below both ``noisekit.classifier.evaluate.TUNE_SEED_START`` and ``EVAL_SEED_START``.
Each rendered side gives many crops (half of them placed across a noise/programme edge), each with a
fresh transfer chain and gain, so one render serves many examples.
"""

from __future__ import annotations

import numpy as np

from noisekit.classifier.metrics import window_labels
from noisekit.classifier.scenes import transfer_chain
from noisekit.errors import ConfigError

TRAIN_SIDE_SEEDS = range(0, 400_000)


class SidePool:
    """Crops of recently rendered training sides; renders a new side every ``crops_per_side`` draws."""

    def __init__(
        self,
        rng: np.random.Generator,
        scene_s: float,
        sr: int,
        first_seed: int,
        crops_per_side: int = 24,
        side_s: float | None = None,
    ) -> None:
        if first_seed not in TRAIN_SIDE_SEEDS:
            raise ConfigError(f"side seed {first_seed} is outside the training range {TRAIN_SIDE_SEEDS}")
        self.rng, self.scene_s, self.sr, self.seed = rng, scene_s, sr, first_seed
        self.crops_per_side = crops_per_side
        self.side_s = side_s  # None: the side's own drawn length
        self.left = 0
        self.audio = np.zeros(0, np.float32)
        self.truth: list[tuple[float, float]] = []

    def _render(self) -> None:
        from noisekit.synth.side import synth_side

        side = synth_side(self.seed, duration_s=self.side_s, sr=self.sr, channels=1)
        self.seed = self.seed + 1 if self.seed + 1 in TRAIN_SIDE_SEEDS else TRAIN_SIDE_SEEDS.start
        self.audio = np.asarray(side.audio, dtype=np.float32)[0]
        self.truth = [(float(a), float(b)) for a, b in side.truth("audible")]
        self.left = self.crops_per_side

    def draw(self, rng: np.random.Generator, starts: np.ndarray, window_s: float) -> tuple[np.ndarray, np.ndarray]:
        """One crop of ``scene_s`` seconds and its window targets (1 noise-only, 0 programme)."""
        if self.left <= 0:
            self._render()
        self.left -= 1
        dur = len(self.audio) / self.sr
        span = min(self.scene_s, dur)
        edges = [e for a, b in self.truth for e in (a, b) if 0.0 < e < dur]
        if edges and rng.random() < 0.5:
            t0 = float(rng.choice(edges)) - rng.uniform(0.0, span)
        else:
            t0 = rng.uniform(0.0, dur - span)
        t0 = float(np.clip(t0, 0.0, dur - span))
        a = int(round(t0 * self.sr))
        crop = self.audio[a : a + int(round(span * self.sr))].astype(np.float64)
        crop = transfer_chain(rng, crop * 10.0 ** (rng.uniform(-20, 10) / 20.0), self.sr)
        peak = float(np.max(np.abs(crop))) if crop.size else 0.0
        if peak > 0.99:
            crop *= 0.99 / peak
        y = window_labels(starts + a / self.sr, window_s, self.truth).astype(np.float32)
        y[starts + window_s > span + 1e-9] = np.nan
        return crop.astype(np.float32), y
