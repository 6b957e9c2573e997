"""Synthetic blank-tape captures and a ready-made contribution bundle, for the demo and the tests.

The captures are rendered by noisekit.synth.tape (hiss by speed, modulation noise, hum, tape dropouts), so they
pass validation like a real blank-tape capture; nothing here pretends to be a real deck's noise.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from noisekit.audio import SAMPLE_RATE, write_audio
from noisekit.pipelines.bundle import Contribution, build_bundle
from noisekit.pipelines.options import DemoTapeBundleOptions
from noisekit.pipelines.tape import CaptureMeta
from noisekit.pipelines.tape_checks import ClassifierLike
from noisekit.seeding import rng_for
from noisekit.synth.tape import draw_tape_params, render_tape_noise


def synth_blank_capture(
    path: str | Path,
    seed: int,
    speed_ips: float = 7.5,
    duration_s: float = 11.0,
    sr: int = SAMPLE_RATE,
    channels: int = 2,
    subtype: str = "PCM_24",
    **overrides,
) -> Path:
    """Write `duration_s` of synthetic blank-tape noise at `speed_ips` to a WAV/FLAC file; returns the path."""
    rng = rng_for(seed, "tape-capture", speed_ips)
    params = draw_tape_params(rng, speed_ips, **overrides)
    audio = render_tape_noise(params, duration_s, sr, rng, channels=channels)
    return write_audio(path, audio, sr, subtype=subtype)


def make_demo_bundle(
    out: str | Path,
    seed: int = DemoTapeBundleOptions.seed,
    device: str = "Revox A77 (HS)",
    speeds: tuple[float, ...] = DemoTapeBundleOptions.speeds,
    duration_s: float = 12.0,
    contributor: str = "noisekit demo (synthetic)",
    license: str = "CC0-1.0",
    classifier: ClassifierLike | None = None,
) -> Contribution:
    """Build a contribution bundle of synthetic blank-tape captures, one per speed, at `out`."""
    with tempfile.TemporaryDirectory(prefix="noisekit-demo-tape-") as tmp:
        files = [synth_blank_capture(Path(tmp) / f"demo_{speed:g}ips.wav", seed, speed, duration_s) for speed in speeds]
        meta = CaptureMeta(
            device,
            speeds[0],
            tape_stock="synthetic",
            noise_reduction="none",
            chain="noisekit.synth.tape (no real deck)",
            contributor=contributor,
            license=license,
        )
        return build_bundle(
            out,
            files,
            meta,
            speeds=list(speeds),
            classifier=classifier,
            notes="Synthetic blank-tape noise for the noisekit demo; not a real capture.",
        )
