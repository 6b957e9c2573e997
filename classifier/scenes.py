"""Labelled synthetic scenes for training and evaluation: surface noise throughout, programme events on top.

A scene is drawn for one *case*: ``noise_only`` or a programme case, including the cases an energy rule
gets wrong: ``soft`` (programme at −12…2 dB SNR), ``reverb_tail`` (abrupt stop into a long room tail),
``fade`` (slow dB-linear fades from −60 dB), ``sustained`` (single long notes/chords) and
``band_limited`` (narrow acoustic-era bands). Ground truth comes from the programme signal alone after
every modifier (fades, reverb, band limits): in 10-ms frames it is *programme* where its level is within
``ACTIVE_REL_DB`` (−25 dB) of the noise RMS or within ``BAND_ACTIVE_DB`` (−3 dB) of the noise in any of 16
bands (a tail the noise hides only in part), *noise* where it is more than ``NOISE_REL_DB`` (−60 dB)
below, and *ambiguous* in between (left out of the training loss and of window scores, never counted as
noise). A final random "transfer chain" (tilt, band limit, gain, extra floor) is applied to the mixture
only, so labels never depend on it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from noisekit.audio import SAMPLE_RATE
from noisekit.classifier.programme import KINDS, render_programme
from noisekit.signal import power_db, runs
from noisekit.synth import dsp, era, gramophone, tape

CASES = ("noise_only", "normal", "soft", "reverb_tail", "fade", "sustained", "band_limited")
HARD_CASES = ("soft", "reverb_tail", "fade", "sustained", "band_limited")
ACTIVE_REL_DB = -25.0  # programme this close to the noise level (or louder) is detectable programme
NOISE_REL_DB = -60.0  # programme this far below the noise is nothing at all
BAND_ACTIVE_DB = -3.0  # ... or within this of the noise in any of N_BANDS bands (a tail the noise hides only in part)
N_BANDS = 16
FRAME_S = 0.01
NOISE, AMBIGUOUS, PROGRAMME = 0, 1, 2
_SYNTH_WARNED: set[str] = set()


@dataclass
class Scene:
    """A rendered scene: mono mixture and its ground truth on a 10-ms frame grid."""

    audio: np.ndarray  # float32 (n,)
    sr: int
    case: str
    frame_state: np.ndarray  # int8 per FRAME_S frame: NOISE / AMBIGUOUS / PROGRAMME
    info: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sr

    def noise_intervals(self) -> list[tuple[float, float]]:
        """True noise-only intervals (seconds)."""
        return [(a * FRAME_S, min(b * FRAME_S, self.duration_s)) for a, b in runs(self.frame_state == NOISE).tolist()]


def _lu(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def render_noise(rng: np.random.Generator, n: int, sr: int) -> tuple[np.ndarray, str]:
    """Unit-RMS surface noise of a random kind: 78-rpm, tape, coloured, or a combination; plus optional hum."""
    dur = n / sr
    u = rng.random()
    if u < 0.55:
        kind, x = (
            "gramophone",
            gramophone.render_gramophone_noise(gramophone.draw_gramophone_params(rng), dur, sr, rng)[0],
        )
    elif u < 0.75:
        kind, x = "tape", tape.render_tape_noise(tape.draw_tape_params(rng), dur, sr, rng)[0]
    elif u < 0.9:
        tilt, lo, hi = rng.uniform(-6, 2), _lu(rng, 15, 300), _lu(rng, 2500, 20000)
        kind, x = (
            "coloured",
            dsp.shaped_noise(rng, n, sr, lambda f: dsp.tilt_magnitude(f, tilt) * dsp.butter_magnitude(f, lo, hi, 2))[0],
        )
    else:
        g = gramophone.render_gramophone_noise(gramophone.draw_gramophone_params(rng), dur, sr, rng)[0]
        t = tape.render_tape_noise(tape.draw_tape_params(rng), dur, sr, rng)[0]
        kind, x = "gramophone+tape", g / _rms(g) + t / _rms(t) * rng.uniform(0.2, 1.5)
    x = x / _rms(x)
    if rng.random() < 0.2:
        hz = float(rng.choice([50.0, 60.0])) * rng.uniform(0.995, 1.005)
        x = x + dsp.hum_tone(rng, n, sr, round(hz), int(rng.integers(1, 9)), rng.uniform(-30, 0))
        kind += "+hum"
    return (x / _rms(x)).astype(np.float32), kind


def _rms(x: np.ndarray) -> float:
    return max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12)


def _synth_programme(rng: np.random.Generator, n: int, sr: int) -> np.ndarray | None:
    """Programme from the shared synth (music or speech) when it offers draw_*/render_*; None otherwise."""
    try:
        from noisekit.synth import music, speech
    except ImportError:
        return None
    mod, name = (music, "music") if rng.random() < 0.8 else (speech, "speech")
    draw, render = getattr(mod, f"draw_{name}_params", None), getattr(mod, f"render_{name}", None)
    if draw is None or render is None:
        return None
    try:
        x = np.asarray(render(draw(rng), n / sr, sr, rng), dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - an optional source must not end a long training run
        if name not in _SYNTH_WARNED:
            _SYNTH_WARNED.add(name)
            warnings.warn(
                f"noisekit.synth.{name} failed ({type(exc).__name__}: {exc}); such draws fall back "
                "to noisekit.classifier.programme",
                stacklevel=2,
            )
        return None
    x = x.reshape(-1, x.shape[-1]).mean(axis=0)[:n]
    return np.pad(x, (0, n - len(x))) / _rms(x)


def _programme(rng: np.random.Generator, n: int, sr: int, case: str) -> np.ndarray:
    if case == "sustained":
        return render_programme(rng, n, sr, "sustained")
    x = _synth_programme(rng, n, sr) if rng.random() < 0.5 else None
    return x if x is not None else render_programme(rng, n, sr, str(rng.choice(KINDS)))


def _reverb(rng: np.random.Generator, x: np.ndarray, sr: int, rt60: float, wet_db: float) -> np.ndarray:
    """Convolve with an exponentially decaying noise tail; the output is longer by the tail."""
    m = int(rt60 * sr)
    t = np.arange(m) / sr
    rir = rng.standard_normal(m) * np.exp(-6.91 * t / rt60)
    rir = dsp.apply_sos(rir, dsp.band_sos(None, _lu(rng, 2000, 12000), sr, 2))
    rir /= np.sqrt(np.sum(rir**2))
    wet = signal.fftconvolve(x, rir)
    return np.pad(x, (0, m - 1)) + wet * 10.0 ** (wet_db / 20.0)


def _event(rng: np.random.Generator, length: int, sr: int, case: str) -> np.ndarray:
    """One programme event (unit RMS while active, before level setting), possibly with a tail."""
    x = _programme(rng, length, sr, case)
    if case == "fade" or rng.random() < 0.1:
        shape = "exp" if rng.random() < 0.7 else "cos"
        fin = min(int(rng.uniform(0.5, 10.0) * sr), length // 2)
        fout = min(int(rng.uniform(0.5, 10.0) * sr), length // 2)
        if case != "fade" or rng.random() < 0.7:
            x[:fin] *= dsp.fade_curve(fin, shape)
        x[length - fout :] *= dsp.fade_curve(fout, shape)[::-1]
    if case == "band_limited" or rng.random() < 0.3:
        if case == "band_limited" and rng.random() < 0.5:
            lo, hi = _lu(rng, 100, 500), _lu(rng, 1200, 4500)
            x = dsp.apply_sos(x, dsp.band_sos(lo, hi, sr, int(rng.integers(2, 6))))
        else:
            x = era.apply_era(x, sr, "acoustic" if case == "band_limited" else None, rng)
    if case == "reverb_tail":
        x = _reverb(rng, x, sr, rng.uniform(0.8, 4.0), rng.uniform(-6, 3))
    elif rng.random() < 0.4:
        x = _reverb(rng, x, sr, rng.uniform(0.2, 1.5), rng.uniform(-20, -3))
    return np.asarray(x, dtype=np.float64)


def transfer_chain(rng: np.random.Generator, x: np.ndarray, sr: int) -> np.ndarray:
    """Random playback/transfer colouring of the mixture: tilt, band limit, an extra floor, gain."""
    if rng.random() < 0.7:
        x = dsp.apply_sos(x, dsp.shelf_sos(_lu(rng, 500, 5000), rng.uniform(-10, 8), sr, high=True))
    if rng.random() < 0.5:
        x = dsp.apply_sos(x, dsp.band_sos(_lu(rng, 20, 150), _lu(rng, 3500, 20000), sr, int(rng.integers(1, 5))))
    if rng.random() < 0.3:
        x = x + rng.standard_normal(len(x)) * 10.0 ** (rng.uniform(-95, -70) / 20.0)
    return x


def frame_levels(x: np.ndarray, sr: int, n_frames: int) -> np.ndarray:
    """Level (dB) of ``x`` in 10-ms frames, smoothed over 40 ms so low tones do not flicker."""
    hop = int(round(FRAME_S * sr))
    x = np.pad(np.asarray(x, dtype=np.float64)[: n_frames * hop], (0, max(0, n_frames * hop - len(x))))
    p = np.mean(x.reshape(n_frames, hop) ** 2, axis=1)
    p = np.convolve(p, np.ones(4) / 4, mode="same")
    return power_db(p)


def band_levels(x: np.ndarray, sr: int, n_frames: int, n_fft: int = 2048) -> np.ndarray:
    """Power (dB) of ``x`` in N_BANDS log-spaced bands (50 Hz–16 kHz) per 10-ms frame, smoothed over 40 ms."""
    hop = int(round(FRAME_S * sr))
    x = np.pad(np.asarray(x, dtype=np.float64), (n_fft // 2, n_fft + n_frames * hop))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = np.searchsorted(np.geomspace(50.0, 16000.0, N_BANDS + 1), freqs) - 1
    onehot = np.zeros((len(freqs), N_BANDS))
    ok = (band >= 0) & (band < N_BANDS)
    onehot[np.flatnonzero(ok), band[ok]] = 1.0 / np.maximum(np.bincount(band[ok], minlength=N_BANDS), 1)[band[ok]]
    win = np.hanning(n_fft)
    out = np.empty((n_frames, N_BANDS))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    for a in range(0, n_frames, 1000):
        spec = np.fft.rfft(frames[a : min(a + 1000, n_frames)] * win, axis=1)
        out[a : a + len(spec)] = (spec.real**2 + spec.imag**2) @ onehot
    out = np.apply_along_axis(lambda c: np.convolve(c, np.ones(4) / 4, mode="same"), 0, out)
    return power_db(out)


@dataclass
class ProgrammeTrack:
    """The programme of one scene at its drawn SNR against unit-RMS noise, with its 10-ms frame levels."""

    audio: np.ndarray  # float32 (n,), zeros where nothing plays
    rel_db: np.ndarray  # frame levels re the unit-RMS noise
    case: str
    band_db: np.ndarray | None = None  # (frames, N_BANDS) band powers, to compare with the noise's


def draw_case(rng: np.random.Generator) -> str:
    """A case drawn with the training proportions (hard cases in abundance)."""
    return str(rng.choice(CASES, p=[0.2, 0.2, 0.14, 0.12, 0.12, 0.11, 0.11]))


def render_track(rng: np.random.Generator, duration_s: float, case: str, sr: int = SAMPLE_RATE) -> ProgrammeTrack:
    """Programme events of ``case`` laid out over ``duration_s`` (none for noise_only), levels set by SNR."""
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}, expected one of {CASES}")
    n = int(round(duration_s * sr))
    prog = np.zeros(n)
    t = rng.uniform(-2.0, 3.0) if case != "noise_only" else duration_s
    while t < duration_s:
        length = int(_lu(rng, 1.5, 15.0) * sr)
        length = min(length, int((duration_s - t + 0.5) * sr))  # nothing past the scene end is heard
        ev = _event(rng, length, sr, case)
        snr = {"soft": rng.uniform(-12, 2), "normal": rng.uniform(0, 40)}.get(case, rng.uniform(-6, 30))
        ev *= 10.0 ** (snr / 20.0)
        a = int(t * sr)
        lo, hi = max(a, 0), min(a + len(ev), n)
        if hi > lo:
            prog[lo:hi] += ev[lo - a : hi - a]
        t += len(ev) / sr + _lu(rng, 0.4, 10.0)
    n_frames = int(np.ceil(n / (FRAME_S * sr)))
    rel = frame_levels(prog, sr, n_frames)
    bands = band_levels(prog, sr, n_frames) if case != "noise_only" else None
    return ProgrammeTrack(prog.astype(np.float32), rel, case, bands)


def mix_scene(
    rng: np.random.Generator,
    track: ProgrammeTrack,
    noise: np.ndarray,
    sr: int = SAMPLE_RATE,
    snr_shift_db: float = 0.0,
    augment: bool = True,
    info: dict | None = None,
) -> Scene:
    """Programme (shifted by ``snr_shift_db``) + unit-RMS noise at a random level, labelled, transfer-coloured."""
    rel = track.rel_db + snr_shift_db
    detectable = rel >= ACTIVE_REL_DB
    if track.band_db is not None:
        noise_bands = np.median(band_levels(noise[: len(track.audio)], sr, len(rel)), axis=0)
        detectable |= (track.band_db + snr_shift_db - noise_bands[None, :]).max(axis=1) >= BAND_ACTIVE_DB
    state = np.full(len(rel), AMBIGUOUS, dtype=np.int8)
    state[rel < NOISE_REL_DB] = NOISE
    state[detectable] = PROGRAMME
    noise_db = rng.uniform(-68, -18)
    prog = track.audio.astype(np.float64) * 10.0 ** (snr_shift_db / 20.0)
    mix = (prog + noise[: len(prog)]) * 10.0 ** (noise_db / 20.0)
    if augment:
        mix = transfer_chain(rng, mix, sr)
    peak = float(np.max(np.abs(mix)))
    if peak > 0.99:
        mix *= 0.99 / peak
    return Scene(mix.astype(np.float32), sr, track.case, state, {**(info or {}), "noise_db": noise_db})


def draw_scene(
    rng: np.random.Generator, duration_s: float, case: str | None = None, sr: int = SAMPLE_RATE, augment: bool = True
) -> Scene:
    """Draw and render one labelled scene of ``case`` (drawn if None); deterministic given ``rng``."""
    case = case or draw_case(rng)
    n = int(round(duration_s * sr))
    noise, noise_kind = render_noise(rng, n, sr)
    track = render_track(rng, duration_s, case, sr)
    return mix_scene(rng, track, noise, sr, augment=augment, info={"noise_kind": noise_kind})


def window_targets(scene: Scene, starts: np.ndarray, window_s: float) -> np.ndarray:
    """Per-window training target: 1 noise-only, 0 programme, NaN ambiguous (left out of the loss)."""
    out = np.empty(len(starts), dtype=np.float32)
    for i, s in enumerate(starts):
        a = int(np.floor(s / FRAME_S))
        b = int(np.ceil((s + window_s) / FRAME_S))
        st = scene.frame_state[max(a, 0) : b]
        out[i] = 0.0 if (st == PROGRAMME).any() else (1.0 if (st == NOISE).all() else np.nan)
    return out
