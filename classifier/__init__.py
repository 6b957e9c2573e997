"""The CNN noise/no-noise classifier: p(noise only) per 1-s window (refined by a side-context stage when
the checkpoint has one), and the segmenter built on it.

Public API (used by extract and tape ingestion)::

    from noisekit.classifier import load_classifier, find_noise_segments, SegmenterParams
    clf = load_classifier()                      # shipped weights in classifier/weights/
    wp = clf.window_probs(audio_1d, sr)          # or clf.window_probs_stream(blocks, sr)
    segments = find_noise_segments(audio_1d, sr, classifier=clf)
"""

from noisekit.classifier.checkpoint import load_classifier, save_checkpoint
from noisekit.classifier.inference import NoiseClassifier, WindowProbs
from noisekit.classifier.segmenter import NoiseSegment, SegmenterParams, find_noise_segments, segments_from_probs
from noisekit.errors import CheckpointError

__all__ = [
    "CheckpointError",
    "NoiseClassifier",
    "NoiseSegment",
    "SegmenterParams",
    "WindowProbs",
    "find_noise_segments",
    "load_classifier",
    "save_checkpoint",
    "segments_from_probs",
]
