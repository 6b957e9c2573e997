"""Time each validation check and a whole tape ingest on a synthetic blank-tape capture; print the figures.

    python -m benchmarks.tape_ingest [--minutes 2] [--sr 96000] [--model DIR]

The content check uses the shipped classifier (or --model); without weights it uses an untrained network of
the same architecture, which costs the same time. Ingest memory is the peak of traced allocations (numpy
included, torch excluded) during the ingest call.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import torch

from noisekit.datadir import DataDir
from noisekit.pipelines import tape_checks as tc
from noisekit.pipelines.tape import CaptureMeta, ingest_files
from noisekit.pipelines.tape_demo import synth_blank_capture


def _classifier(model: str | None):
    from noisekit.classifier import load_classifier
    from noisekit.classifier.checkpoint import checkpoint_paths
    from noisekit.classifier.inference import NoiseClassifier
    from noisekit.classifier.model import ModelConfig, NoiseCNN

    if model or checkpoint_paths(None)[0].is_file():
        return load_classifier(model), "trained weights"

    class TimingOnly(NoiseClassifier):
        """The real network's work, with its (meaningless, untrained) answers replaced by 'noise'."""

        def window_probs(self, audio_1d, sr):
            wp = super().window_probs(audio_1d, sr)
            wp.probs[:] = 1.0
            return wp

    return TimingOnly(NoiseCNN(ModelConfig())), "untrained network (timing only)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--sr", type=int, default=96000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clf, kind = _classifier(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        path = synth_blank_capture(
            Path(tmp) / "capture.wav", seed=0, speed_ips=7.5, duration_s=args.minutes * 60, sr=args.sr
        )
        t0 = time.perf_counter()
        readable, audio, sr = tc.check_readable(path)
        timings = {"readable (decode)": time.perf_counter() - t0}
        for name, fn in [
            ("clipping", tc.check_clipping),
            ("dc_offset", tc.check_dc_offset),
            ("silence_dropouts", tc.check_silence_dropouts),
            ("hum", tc.check_hum),
            ("length", tc.check_length),
        ]:
            t0 = time.perf_counter()
            fn(audio, sr)
            timings[name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tc.check_content(audio, sr, clf)
        timings["content (classifier)"] = time.perf_counter() - t0
        del audio
        meta = CaptureMeta("Revox A77 (HS)", 7.5, contributor="benchmark", license="CC0-1.0")
        t0 = time.perf_counter()
        result = ingest_files(DataDir(Path(tmp) / "data"), [path], meta, classifier=clf, progress=False)
        total = time.perf_counter() - t0
        tracemalloc.start()  # a second ingest into a fresh folder, traced (tracing slows it down)
        ingest_files(DataDir(Path(tmp) / "traced"), [path], meta, classifier=clf, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    seconds = args.minutes * 60
    print(
        f"capture: {args.minutes:g} min, {args.sr} Hz, 2 ch, 24-bit WAV; classifier: {kind}; "
        f"torch threads: {args.threads}"
    )
    for name, value in timings.items():
        print(f"  {name:<22} {value:7.2f} s  ({seconds / max(value, 1e-9):7.0f}x real time)")
    print(
        f"whole ingest (validate + resample + {result.segments} segments + manifest + DATASET.md): "
        f"{total:.2f} s ({seconds / total:.0f}x real time)"
    )
    decoded = seconds * args.sr * 2 * 4
    for name, reason in result.refused:
        print(f"  (the capture {name} was refused: {reason})")
    print(
        f"ingest peak Python/numpy allocations: {peak / 2**20:.0f} MiB ({peak / decoded:.1f}x the decoded "
        f"capture of {decoded / 2**20:.0f} MiB); process peak RSS (synthesis included): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
