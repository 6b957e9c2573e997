"""noisekit's declick + inpaint against the MIT-licensed peer grooveclean 1.2.1, side by side on the same files.

    pip install grooveclean==1.2.1            # for this benchmark only; not a noisekit dependency
    apt-get download warzone2100-music && dpkg-deb -x warzone2100-music_*.deb /tmp/music
    nice -n 10 python benchmarks/declick_vs_grooveclean.py --music /tmp/music [--clips 6] [--tools noisekit,grooveclean]

Clips of ``--seconds`` are cut from ``--clips`` tracks found under ``--music`` (any .ogg/.opus/.flac/.wav,
spread evenly over the sorted list; channel 0, from 40 % into the track) and written as 32-bit float WAV,
so both tools read exactly the same samples. Tests, each on those files:

1. planted: 20 decaying clicks per clip (2-40 samples, 0.1-0.5 peak): mean SNR gain against the clean clip;
2. clean: the same clips without clicks: median SNR of output against input, % of samples changed;
3. tones: 40 such clicks in 10 s of three steady sinusoids: SNR gain;
4. gap: a 20-ms stretch of digital silence at the middle of each clip: SNR of the refilled stretch;
5. speed: x real time from the CPU time of the clean clips (process time, so torch's threads count).

noisekit runs ``restore`` with ``--steps declick,inpaint`` and its default (music-safe) declick parameters (the
library call ``restore_array``), grooveclean
its ``clean_file`` with the bundled detector on the CPU at the default sensitivity.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from noisekit.denoiser.classical.signals import plant_clicks, sinusoids
from noisekit.pipelines.restore import RestoreOptions, restore_array
from noisekit.signal import snr_db

SUFFIXES = (".ogg", ".opus", ".flac", ".wav")
CLICK_WIDTHS = (2, 40)
CLICK_PEAKS = (0.1, 0.5)
Tool = Callable[[Path, Path], None]


def cut_clips(music: Path, count: int, seconds: float) -> list[tuple[str, np.ndarray, int]]:
    """``(name, mono float32 clip, rate)`` from ``count`` tracks spread over the sorted files under ``music``."""
    tracks = sorted(p for p in music.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not tracks:
        raise SystemExit(f"no {'/'.join(SUFFIXES)} files under {music}")
    clips = []
    for path in [tracks[int(i)] for i in np.linspace(0, len(tracks) - 1, min(count, len(tracks)))]:
        info = sf.info(str(path))
        n = int(seconds * info.samplerate)
        start = max(0, int(0.4 * info.frames) - n // 2)
        x, sr = sf.read(str(path), start=start, frames=n, dtype="float32", always_2d=True)
        if len(x) == n:
            clips.append((path.stem, np.ascontiguousarray(x[:, 0]), sr))
    return clips


def noisekit_tool(src: Path, dst: Path) -> None:
    """noisekit restore --steps declick,inpaint on one file."""
    x, sr = sf.read(str(src), dtype="float32")
    result = restore_array(x, sr, None, RestoreOptions(steps=("declick", "inpaint")))
    sf.write(str(dst), result.audio[0], sr, subtype="FLOAT")


def grooveclean_tool() -> Tool:
    """grooveclean's clean_file with its bundled CNN detector on the CPU."""
    from grooveclean.cli import _detector, clean_file

    detector = _detector("cpu", None)

    def run(src: Path, dst: Path) -> None:
        clean_file(src, dst, detector=detector)

    return run


def run_tool(tool: Tool, x: np.ndarray, sr: int, folder: Path, name: str) -> tuple[np.ndarray, float]:
    """Write ``x``, run ``tool`` on it, read the result back; also the CPU seconds spent."""
    src, dst = folder / f"{name}.wav", folder / f"{name}_out.wav"
    sf.write(str(src), x, sr, subtype="FLOAT")
    t0 = time.process_time()
    tool(src, dst)
    spent = time.process_time() - t0
    y, _ = sf.read(str(dst), dtype="float32")
    return y.reshape(-1)[: len(x)], spent


def score(tool: Tool, clips: list[tuple[str, np.ndarray, int]], folder: Path) -> dict:
    """Every test of the module docstring for one tool."""
    gains, clean_snr, changed, gap_snr = [], [], [], []
    audio_s = cpu_s = 0.0
    for k, (name, clip, sr) in enumerate(clips):
        clicked, _ = plant_clicks(clip, 20, seed=1000 + k, widths=CLICK_WIDTHS, peaks=CLICK_PEAKS)
        out, _ = run_tool(tool, clicked, sr, folder, f"{name}_clicked")
        gains.append(snr_db(clip, out) - snr_db(clip, clicked))
        out, spent = run_tool(tool, clip, sr, folder, f"{name}_clean")
        clean_snr.append(snr_db(clip, out))
        changed.append(float(np.mean(out != clip)))
        audio_s, cpu_s = audio_s + len(clip) / sr, cpu_s + spent
        gap = slice(len(clip) // 2, len(clip) // 2 + int(0.02 * sr))
        holed = clip.copy()
        holed[gap] = 0.0
        out, _ = run_tool(tool, holed, sr, folder, f"{name}_gap")
        gap_snr.append(snr_db(clip[gap], out[gap]))
    tone = sinusoids(10.0, seed=7)
    clicked, _ = plant_clicks(tone, 40, seed=8, widths=CLICK_WIDTHS, peaks=CLICK_PEAKS)
    out, _ = run_tool(tool, clicked, 44100, folder, "tones")
    return {
        "planted_gain_db": float(np.mean(gains)),
        "planted_gain_each": [round(g, 1) for g in gains],
        "clean_snr_median_db": float(np.median(clean_snr)),
        "clean_snr_each": [round(min(s, 300.0), 1) for s in clean_snr],
        "clean_changed_pct": 100 * float(np.mean(changed)),
        "tones_gain_db": snr_db(tone, out) - snr_db(tone, clicked),
        "gap_snr_db": float(np.mean(gap_snr)),
        "x_realtime_cpu": audio_s / cpu_s,
    }


def table(results: dict[str, dict], n_clips: int) -> str:
    """The side-by-side markdown table."""
    rows = [
        (
            f"{n_clips} clips, 20 planted clicks each (2-40 samples, 0.1-0.5 peak): mean SNR gain",
            "planted_gain_db",
            "{:+.1f} dB",
        ),
        ("the same clips without clicks: median SNR of output vs input", "clean_snr_median_db", "{:.1f} dB"),
        ("the same clips without clicks: samples changed", "clean_changed_pct", "{:.3f} %"),
        ("40 clicks on steady tones: SNR gain", "tones_gain_db", "{:+.1f} dB"),
        ("a 20-ms gap at mid-clip: mean SNR of the refilled gap", "gap_snr_db", "{:.1f} dB"),
        ("speed (CPU time)", "x_realtime_cpu", "{:.1f}x real time"),
    ]
    names = list(results)
    lines = ["| test | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, key, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt.format(results[n][key]) for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, cut clips, score each tool, print the table and the per-clip figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--music", type=Path, required=True, help="folder searched for music files")
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--tools", default="noisekit,grooveclean")
    args = ap.parse_args()
    clips = cut_clips(args.music, args.clips, args.seconds)
    print("clips:", ", ".join(f"{name} ({sr} Hz)" for name, _, sr in clips))
    tools = {"noisekit": lambda: noisekit_tool, "grooveclean": grooveclean_tool}
    results = {}
    with tempfile.TemporaryDirectory(prefix="declick-bench-") as tmp:
        for name in args.tools.split(","):
            results[name] = score(tools[name](), clips, Path(tmp))
            print(name, {k: v for k, v in results[name].items()})
    print(table(results, len(clips)))


if __name__ == "__main__":
    main()
