"""The noise classifier from Python: :func:`load_classifier` gives a :class:`NoiseFinder` whose ``find_noise`` runs
the finder `noisekit extract` runs (noisekit.pipelines.extract_cut.ClassifierFinder), on a file or an array."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from noisekit.api.inputs import check_array, is_path
from noisekit.audio import SAMPLE_RATE, audio_info, iter_blocks
from noisekit.classifier.segmenter import NoiseSegment, SegmenterParams
from noisekit.pipelines.extract import segmenter_params
from noisekit.pipelines.extract_cut import BLOCK_S, ClassifierFinder


class NoiseFinder:
    """The CNN classifier plus segmenter: noise-only stretches of recordings, with times and p(noise)."""

    def __init__(self, finder: ClassifierFinder) -> None:
        self.finder = finder
        self.classifier = finder.classifier()  # a bad checkpoint fails here, once

    def find_noise(self, array_or_path: Any, sample_rate: int | None = None) -> list[NoiseSegment]:
        """Noise-only segments (start_s, end_s, p_noise) of a file (streamed as extract reads it: the mono mix at
        44.1 kHz in 30-s blocks) or of an array at ``sample_rate`` ((samples,) or (channels, samples))."""
        if is_path(array_or_path):
            audio_info(array_or_path)  # a bad file fails before any work, as in the command
            blocks = (b[0] for b in iter_blocks(array_or_path, block_s=BLOCK_S, sr=SAMPLE_RATE, mono=True))
            return list(self.finder(blocks, SAMPLE_RATE))
        x, sr = check_array(array_or_path, sample_rate)
        return list(self.finder([x.mean(axis=0)], sr))

    @staticmethod
    def as_rows(segments: list[NoiseSegment]) -> list[dict]:
        """Segments as dicts (start_s, end_s, p_noise), e.g. for JSON or a DataFrame."""
        return [asdict(s) for s in segments]


def load_classifier(
    name_or_path: str | Path | None = None, device: str = "cpu", params: SegmenterParams | dict | None = None
) -> NoiseFinder:
    """A :class:`NoiseFinder` from a classifier checkpoint (folder or file; None: the shipped weights), with the
    segmenter's parameters (a SegmenterParams or a dict of its fields; None: the shipped defaults)."""
    if isinstance(params, dict):
        params = segmenter_params(params)  # the checks `extract --segmenter NAME=VALUE` gets
    model = str(name_or_path) if name_or_path is not None else None
    return NoiseFinder(ClassifierFinder(model_path=model, params=params, device=device))


def find_noise(array_or_path: Any, sample_rate: int | None = None) -> list[NoiseSegment]:
    """Noise-only segments of a file or an array with the shipped classifier (see :meth:`NoiseFinder.find_noise`)."""
    return load_classifier().find_noise(array_or_path, sample_rate)
