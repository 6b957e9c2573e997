"""Validation of one blank-tape capture: each check a named function returning a CheckResult.

A capture is accepted only when every check passes (the hum check only reports). The checks run on the file's
native rate; the content check asks the noise/no-noise classifier, which is a parameter so tests can inject one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy import signal

from noisekit.audio import SAMPLE_RATE, audio_info, load_audio
from noisekit.errors import AudioError
from noisekit.signal import level_db, power_db, runs

MIN_SAMPLE_RATE = SAMPLE_RATE
MIN_LENGTH_S = 10.0
CLIP_LEVEL = 0.999  # |sample| at or above this is at full scale (24-bit full scale is 0.99999988)
CLIP_RUN = 2  # consecutive full-scale samples that make a clipped flat top
DC_LIMIT = 10.0 ** (-50.0 / 20.0)  # |mean| above -50 dBFS: the interface or deck output has a DC fault
FLAT_RUN_S = 0.005  # a run of identical samples this long is digital silence or a dropped buffer
SIGNAL_FLOOR_DBFS = -90.0  # blank tape hiss is far above this; below it nothing is connected
# Content = CONTENT_MIN_WINDOWS consecutive windows with p(noise only) below CONTENT_THRESHOLD. With the shipped
# classifier (`python -m benchmarks.tape_content_rule`, synthetic blank tape at all four speeds with hum, dropouts
# and Dolby): 0 of 8 10-minute blank captures at 44.1 kHz and 0 of 12 2-minute ones at 96 kHz refused (a 0.5
# threshold refused 6 and 7; a 0.3 threshold 1 of 12 at 96 kHz in another draw), while 3 s of synthetic music
# or speech was caught in 8 of 8 captures down to -10 dB re the hiss RMS (at -15 dB: music 4, speech 7 of 8).
CONTENT_THRESHOLD = 0.2
CONTENT_MIN_WINDOWS = 3
MAINS_HZ = (50.0, 60.0)
HUM_HARMONICS = 5
HUM_BLOCK_S = 20

Intervals = tuple[tuple[float, float], ...]


class WindowProbsLike(Protocol):
    probs: np.ndarray
    starts: np.ndarray
    window_s: float


class ClassifierLike(Protocol):
    def window_probs(self, audio_1d: np.ndarray, sr: int) -> WindowProbsLike: ...


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one named check; `times` lists the stretches (seconds) that made it fail, if any."""

    name: str
    ok: bool
    detail: str
    times: Intervals = ()

    def to_dict(self) -> dict:
        """JSON form, as stored in contribution.json."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "times": [list(t) for t in self.times]}


@dataclass
class CaptureCheck:
    """Every check of one capture, with the decoded audio (native rate) and the classifier's window probabilities."""

    path: Path
    results: list[CheckResult]
    audio: np.ndarray | None = None
    sr: int = 0
    window_probs: WindowProbsLike | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]

    def failure_text(self) -> str:
        """One line naming every failed check and why."""
        return "; ".join(f"{r.name}: {r.detail}" for r in self.failures)


def _fmt_times(times: Intervals, limit: int = 6) -> str:
    text = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in times[:limit])
    return text + (f" and {len(times) - limit} more" if len(times) > limit else "")


def _merge(intervals: Sequence[tuple[float, float]], gap: float = 0.0) -> Intervals:
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((round(a, 3), round(b, 3)) for a, b in merged)


def check_readable(path: str | Path) -> tuple[CheckResult, np.ndarray | None, int]:
    """Decode the whole file (header, frames, finite samples); returns the result, audio and native rate."""
    try:
        info = audio_info(path)
        audio, sr = load_audio(path)
    except AudioError as exc:
        return CheckResult("readable", False, exc.reason), None, 0
    return (
        CheckResult("readable", True, f"{info.format}/{info.subtype}, {info.channels} ch, {info.duration_s:.1f} s"),
        audio,
        sr,
    )


def check_sample_rate(sr: int) -> CheckResult:
    """At least 44.1 kHz: lower rates have already lost the hiss above their Nyquist frequency."""
    ok = sr >= MIN_SAMPLE_RATE
    note = "" if ok else f" (below the {MIN_SAMPLE_RATE} Hz minimum; capture at 44.1 kHz or more)"
    return CheckResult("sample_rate", ok, f"{sr} Hz{note}")


def check_clipping(audio: np.ndarray, sr: int) -> CheckResult:
    """No flat tops at full scale: blank-tape hiss never reaches 0 dBFS unless the input gain is wrong."""
    hits = []
    for channel in audio:
        hits += runs((channel >= CLIP_LEVEL) | (channel <= -CLIP_LEVEL), CLIP_RUN).tolist()
    if not hits:
        peak = max(float(audio.max()), -float(audio.min()))
        return CheckResult("clipping", True, f"peak {level_db(peak):.1f} dBFS, no clipping")
    times = _merge([(a / sr, b / sr) for a, b in hits], gap=0.05)
    return CheckResult(
        "clipping",
        False,
        f"{len(hits)} clipped run(s) at full scale, e.g. {_fmt_times(times, 3)}; lower the input gain",
        times,
    )


def _mean_square(x: np.ndarray, step: int = 1 << 20) -> float:
    """Mean of x² accumulated in float64 over blocks, without a full-length float64 copy."""
    total = 0.0
    for start in range(0, len(x), step):
        block = x[start : start + step].astype(np.float64)
        total += float(np.dot(block, block))
    return total / max(len(x), 1)


def check_dc_offset(audio: np.ndarray, sr: int) -> CheckResult:
    """Channel means below -50 dBFS: a larger DC offset points to a faulty interface or deck output."""
    means = audio.mean(axis=1, dtype=np.float64)
    worst = float(np.abs(means).max())
    ok = worst <= DC_LIMIT
    detail = f"DC offset {level_db(worst):.1f} dBFS" + ("" if ok else f" (limit {level_db(DC_LIMIT):.0f} dBFS)")
    return CheckResult("dc_offset", ok, detail)


def flat_intervals(audio: np.ndarray, sr: int) -> Intervals:
    """Stretches (seconds) where some channel holds one sample value for FLAT_RUN_S or longer."""
    min_len = max(2, int(round(FLAT_RUN_S * sr)))
    found = []
    for channel in audio:
        same = np.concatenate([[False], channel[1:] == channel[:-1]])
        found += [((a - 1) / sr, b / sr) for a, b in runs(same, min_len - 1).tolist()]
    return _merge(found)


def check_silence_dropouts(audio: np.ndarray, sr: int) -> CheckResult:
    """No digital silence or dropped buffers (runs of identical samples) and a signal above the floor."""
    squares = [_mean_square(ch) for ch in audio]
    levels = [float(power_db(ms)) for ms in squares]
    rms = float(power_db(np.mean(squares)))
    if rms < SIGNAL_FLOOR_DBFS:
        return CheckResult(
            "silence_dropouts",
            False,
            f"no tape signal: RMS {rms:.1f} dBFS is below {SIGNAL_FLOOR_DBFS:.0f} dBFS (is the deck connected?)",
        )
    dead = [i + 1 for i, level in enumerate(levels) if level < SIGNAL_FLOOR_DBFS]
    if dead:
        return CheckResult(
            "silence_dropouts",
            False,
            f"channel(s) {dead} carry no signal (below "
            f"{SIGNAL_FLOOR_DBFS:.0f} dBFS): save a mono deck's capture "
            "as a mono file",
        )
    times = flat_intervals(audio, sr)
    if times:
        return CheckResult(
            "silence_dropouts",
            False,
            f"{len(times)} digital dropout(s) (flat for ≥ {FLAT_RUN_S * 1000:.0f} ms) at {_fmt_times(times)}",
            times,
        )
    return CheckResult("silence_dropouts", True, f"RMS {rms:.1f} dBFS, no digital silence or dropouts")


def hum_level(audio: np.ndarray, sr: int) -> tuple[float, float, float]:
    """(mains Hz, hum RMS dBFS, dB above the hiss in the same bins): 50- or 60-Hz lines and harmonics.

    A level of -inf means no line stands out of the hiss by more than its own bandwidth's noise power, or
    that the capture is shorter than the 1 s its 1-Hz bins need.
    """
    mono = audio.mean(axis=0, dtype=np.float32) if audio.shape[0] > 1 else audio[0]
    if len(mono) < sr:
        return MAINS_HZ[0], -np.inf, -np.inf
    nper = sr  # 1-Hz bins
    span = max(nper, HUM_BLOCK_S * sr)  # Welch per block, averaged by length: bounded memory on long captures
    psd, weight = np.zeros(nper // 2 + 1), 0  # welch gives nper // 2 + 1 bins
    for start in range(0, len(mono), span):
        block = mono[start : start + span]
        if len(block) < nper and weight:
            break
        freqs, part = signal.welch(block.astype(np.float64), sr, window="hann", nperseg=nper, detrend="constant")
        psd, weight = psd + part * len(block), weight + len(block)
    psd = psd / weight
    df = freqs[1] - freqs[0]
    best = (MAINS_HZ[0], -np.inf, -np.inf)
    for f0 in MAINS_HZ:
        power = floor = 0.0
        for k in range(1, HUM_HARMONICS + 1):
            centre = int(round(k * f0 / df))
            side = np.r_[psd[max(centre - 15, 0) : centre - 5], psd[centre + 6 : centre + 16]]
            local = float(np.median(side)) * 5 * df
            excess = float(psd[centre - 2 : centre + 3].sum()) * df - local
            if excess > local:  # the line is at least 3 dB above the hiss under it
                power += excess
            floor += local
        if power > 0 and 10 * np.log10(power) > best[1]:
            best = (f0, 10 * np.log10(power), 10 * np.log10(power / floor))
    return best[0], float(best[1]), float(best[2])


def check_hum(audio: np.ndarray, sr: int) -> CheckResult:
    """Report the mains hum level (never refuses: hum is part of a deck's real noise)."""
    if audio.shape[1] < sr:
        return CheckResult("hum", True, "not measured: shorter than the 1 s its 1-Hz analysis needs")
    f0, level, above = hum_level(audio, sr)
    if not np.isfinite(level):
        return CheckResult("hum", True, "no mains hum above the hiss")
    return CheckResult(
        "hum",
        True,
        f"{f0:.0f} Hz mains hum at {level:.1f} dBFS, {above:.0f} dB above the hiss in its bins (reported, not refused)",
    )


def check_length(audio: np.ndarray, sr: int) -> CheckResult:
    """At least 10 s, so a capture yields whole 5-s segments and the classifier sees enough of it."""
    seconds = audio.shape[1] / sr
    ok = seconds >= MIN_LENGTH_S
    note = "" if ok else f" (shorter than the {MIN_LENGTH_S:.0f} s minimum)"
    return CheckResult("length", ok, f"{seconds:.2f} s{note}")


def check_content(
    audio: np.ndarray,
    sr: int,
    classifier: ClassifierLike,
    exclude: Intervals = (),
    threshold: float = CONTENT_THRESHOLD,
    min_windows: int = CONTENT_MIN_WINDOWS,
) -> tuple[CheckResult, WindowProbsLike]:
    """Noise only throughout: no run of `min_windows` consecutive windows judged content (p < threshold).

    Any sound lasting a moment lies in several overlapping windows (1-s windows every 0.25 s), so a real
    note or word makes such a run, while an isolated doubtful window is the classifier's jitter on long
    captures. Windows over `exclude` (stretches another check already refused) are not judged.
    """
    mono = audio.mean(axis=0, dtype=np.float32) if audio.ndim == 2 else audio
    wp = classifier.window_probs(mono, sr)
    probs, starts, win = np.asarray(wp.probs), np.asarray(wp.starts), float(wp.window_s)
    if len(probs) == 0:
        return CheckResult("content", False, "too short for the classifier to judge"), wp
    skip = np.zeros(len(probs), dtype=bool)
    for a, b in exclude:
        skip |= (starts < b) & (starts + win > a)
    bad = np.zeros(len(probs), dtype=bool)
    for a, b in runs((probs < threshold) & ~skip, max(1, min_windows)):
        bad[a:b] = True
    if not bad.any():
        lowest = float(probs[~skip].min()) if (~skip).any() else 1.0
        return CheckResult(
            "content",
            True,
            f"no programme content in {len(probs)} windows (lowest "
            f"p(noise) {lowest:.2f}, no run of {min_windows} below "
            f"{threshold:g})",
        ), wp
    times = _merge([(float(s), float(s) + win) for s in starts[bad]])
    return CheckResult(
        "content", False, f"programme content (music or speech) at {_fmt_times(times)}; record blank tape only", times
    ), wp


def check_decoded(
    path: str | Path, readable: CheckResult, audio: np.ndarray, sr: int, classifier: ClassifierLike
) -> CaptureCheck:
    """Every check after `readable` on audio already decoded by check_readable."""
    results = [readable, check_sample_rate(sr), check_clipping(audio, sr), check_dc_offset(audio, sr)]
    silence = check_silence_dropouts(audio, sr)
    results += [silence, check_hum(audio, sr), check_length(audio, sr)]
    content, wp = check_content(audio, sr, classifier, exclude=silence.times)
    results.append(content)
    return CaptureCheck(Path(path), results, audio, sr, wp)


def run_checks(path: str | Path, classifier: ClassifierLike) -> CaptureCheck:
    """Every check on one capture, in order; when the file cannot be decoded only `readable` is reported."""
    readable, audio, sr = check_readable(path)
    if audio is None:
        return CaptureCheck(Path(path), [readable])
    return check_decoded(path, readable, audio, sr, classifier)
