"""Synthetic clean music for the offline demo: a folder of short pieces, one group per piece.

Real training runs should use real recordings (`noisekit manifest clean DIR_OF_MUSIC`); this exists so
the demo can train and evaluate without any download.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from noisekit.audio import SAMPLE_RATE, write_audio
from noisekit.pipelines.options import DemoMusicOptions
from noisekit.seeding import rng_for
from noisekit.synth.music import draw_music_params, render_music


def write_demo_music(
    folder: str | Path,
    pieces: int = DemoMusicOptions.pieces,
    duration_s: float = DemoMusicOptions.duration_s,
    seed: int = DemoMusicOptions.seed,
) -> list[Path]:
    """Render `pieces` stereo pieces into `folder/piece-NNN/piece-NNN.flac` (skipping ones already there)."""
    folder = Path(folder)
    written = []
    for i in range(pieces):
        path = folder / f"piece-{i:03d}" / f"piece-{i:03d}.flac"
        if not path.exists():
            rng = rng_for(seed, "demo-music", i)
            params = draw_music_params(rng)
            left = render_music(params, duration_s, SAMPLE_RATE, rng)
            right = 0.9 * left + 0.1 * np.roll(left, int(0.0007 * SAMPLE_RATE))  # a slightly wider image
            write_audio(path, np.stack([left, right]).clip(-1.0, 1.0), SAMPLE_RATE)
        written.append(path)
    return written
