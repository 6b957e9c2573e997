"""Loop a noise cut to exactly 5 s by repeating a whole number of disc revolutions with a 0.5-s crossfade.

A cut of at least the target length is trimmed. A shorter cut is repeated: the repeated unit is the
longest whole number of revolutions (60/rpm s each) that leaves room for the crossfade after it, so a
click that comes once per revolution lands at the same phase in every repetition and the loop stays
periodic across its seams. Every seam is the same: the cut's tail just after the unit is faded out
while the cut's head is faded in. The fade is equal-power (sin/cos), corrected for the measured
correlation between head and tail, so uncorrelated noise keeps its level through the seam (a linear
fade would dip by 3 dB in the middle) and strongly correlated material does not bulge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisekit.audio import SAMPLE_RATE, SEGMENT_S
from noisekit.errors import ConfigError
from noisekit.signal import crossfade

CROSSFADE_S = 0.5
RPM_CHOICES = {"78": 78.0, "45": 45.0, "33": 100.0 / 3.0, "33.33": 100.0 / 3.0, "33 1/3": 100.0 / 3.0}


class LoopError(ValueError):
    """A cut that cannot be looped as asked (too short for one revolution plus the crossfade)."""


@dataclass(frozen=True)
class LoopPlan:
    """How a cut is looped: `unit` samples repeated (`revolutions` of them), seams `crossfade` long."""

    unit: int
    revolutions: int
    crossfade: int
    trimmed: bool


def parse_rpm(text: str | float) -> float:
    """Turntable speed from '78', '45', '33', '33.33', '33 1/3' or a number; refuses non-positive speeds."""
    if isinstance(text, int | float):
        rpm = float(text)
    else:
        key = text.strip().replace("⅓", " 1/3").replace("  ", " ")
        if key in RPM_CHOICES:
            return RPM_CHOICES[key]
        try:
            rpm = float(key)
        except ValueError:
            raise ConfigError(f"invalid rpm {text!r}: use 78, 45, 33 1/3 or a number") from None
    if not np.isfinite(rpm) or rpm <= 0:
        raise ConfigError(f"invalid rpm {text!r}: must be a positive number")
    return rpm


def revolution_samples(rpm: float, sr: int = SAMPLE_RATE) -> float:
    """Samples in one revolution (fractional: 33923.08 at 78 rpm and 44.1 kHz)."""
    return 60.0 / rpm * sr


def min_loopable_samples(rpm: float, sr: int = SAMPLE_RATE, crossfade_s: float = CROSSFADE_S) -> int:
    """Shortest cut that can be looped: one revolution plus the crossfade."""
    return int(round(revolution_samples(rpm, sr))) + int(round(crossfade_s * sr))


def plan_loop(
    n: int, rpm: float, sr: int = SAMPLE_RATE, target_s: float = SEGMENT_S, crossfade_s: float = CROSSFADE_S
) -> LoopPlan:
    """Choose the repeated unit for a cut of `n` samples, or raise LoopError when none fits."""
    target = int(round(target_s * sr))
    xf = int(round(crossfade_s * sr))
    if n >= target:
        return LoopPlan(unit=target, revolutions=0, crossfade=0, trimmed=True)
    rev = revolution_samples(rpm, sr)
    k = int(np.floor((n - xf) / rev)) if n > xf else 0
    while k >= 1 and int(round(k * rev)) + xf > n:
        k -= 1
    if k < 1:
        raise LoopError(
            f"cut of {n / sr:.3f} s is shorter than one revolution at {rpm:g} rpm "
            f"({rev / sr:.3f} s) plus the {crossfade_s:g}-s crossfade"
        )
    return LoopPlan(unit=int(round(k * rev)), revolutions=k, crossfade=xf, trimmed=False)


def _seam(head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Equal-power crossfade from `tail` (fading out) to `head` (fading in), correlation-corrected."""
    fade_in, fade_out = crossfade(head.shape[-1], equal_power=True)
    denom = np.sqrt(np.sum(head.astype(np.float64) ** 2) * np.sum(tail.astype(np.float64) ** 2))
    rho = float(np.sum(head.astype(np.float64) * tail) / denom) if denom > 0 else 0.0
    rho = min(max(rho, 0.0), 1.0)
    gain = 1.0 / np.sqrt(1.0 + 2.0 * rho * fade_in * fade_out)
    return (gain * (fade_in * head + fade_out * tail)).astype(np.float32)


def make_loop(
    cut: np.ndarray,
    rpm: float = 78.0,
    sr: int = SAMPLE_RATE,
    target_s: float = SEGMENT_S,
    crossfade_s: float = CROSSFADE_S,
) -> np.ndarray:
    """The loop of a (channels, samples) or 1-D cut: exactly `target_s`·`sr` samples, same channels."""
    audio = np.asarray(cut, dtype=np.float32)
    one_d = audio.ndim == 1
    if one_d:
        audio = audio[None, :]
    if audio.ndim != 2:
        raise LoopError(f"expected (channels, samples) audio, got shape {np.shape(cut)}")
    target = int(round(target_s * sr))
    plan = plan_loop(audio.shape[1], rpm, sr, target_s, crossfade_s)
    if plan.trimmed:
        out = audio[:, :target].copy()
    else:
        unit, xf = plan.unit, plan.crossfade
        seam = _seam(audio[:, :xf], audio[:, unit : unit + xf])
        period = np.concatenate([seam, audio[:, xf:unit]], axis=1)
        reps = int(np.ceil(max(target - unit, 0) / unit))
        out = np.concatenate([audio[:, :unit]] + [period] * reps, axis=1)[:, :target]
        peak = float(np.abs(out).max()) if out.size else 0.0
        if peak > 1.0:  # two near-full-scale halves can add up past full scale in a seam
            out *= np.float32(0.999 / peak)
    return out[0] if one_d else np.ascontiguousarray(out)


def seam_starts(
    n: int, rpm: float, sr: int = SAMPLE_RATE, target_s: float = SEGMENT_S, crossfade_s: float = CROSSFADE_S
) -> list[int]:
    """Sample positions in the loop where each crossfade begins (empty when the cut was only trimmed)."""
    plan = plan_loop(n, rpm, sr, target_s, crossfade_s)
    if plan.trimmed:
        return []
    target = int(round(target_s * sr))
    return list(range(plan.unit, target, plan.unit))
