"""Save and load the classifier as safetensors weights plus a JSON config that pins their SHA-256.

Loading never unpickles anything: tensors come from safetensors, the architecture from plain JSON. A
checkpoint whose bytes changed since it was written (checksum), whose JSON is malformed, whose format
version is unknown or whose tensors do not fit the architecture is refused with a CheckpointError naming
the file and the reason.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from noisekit.classifier.inference import NoiseClassifier
from noisekit.classifier.model import ModelConfig, NoiseCNN
from noisekit.errors import CheckpointError
from noisekit.fsutil import atomic_path, atomic_write, sha256_file

FORMAT = "noisekit-classifier/1"
STEM = "noise_cnn"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def checkpoint_paths(path: str | Path | None = None) -> tuple[Path, Path]:
    """(weights .safetensors, config .json) for a directory, either file of the pair, or None (shipped)."""
    p = WEIGHTS_DIR if path is None else Path(path)
    if p.is_dir():
        return p / f"{STEM}.safetensors", p / f"{STEM}.json"
    if p.suffix == ".json":
        return p.with_suffix(".safetensors"), p
    return p.with_suffix(".safetensors"), p.with_suffix(".json")


def save_checkpoint(model: NoiseCNN, out: str | Path, meta: dict | None = None) -> Path:
    """Write ``<out>/noise_cnn.safetensors`` and ``noise_cnn.json`` atomically; returns the weights path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights, config = checkpoint_paths(out)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(weights) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})
    doc = {
        "format": FORMAT,
        "weights": weights.name,
        "sha256": sha256_file(weights),
        "model": model.cfg.to_dict(),
        "meta": meta or {},
    }
    with atomic_write(config, "w") as fh:
        fh.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return weights


def read_config(path: str | Path | None = None) -> dict:
    """The checkpoint's JSON document after checks (format, checksum); raises CheckpointError."""
    weights, config = checkpoint_paths(path)
    for f in (config, weights):
        if not f.is_file():
            raise CheckpointError(f, "checkpoint file not found")
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(config, f"malformed JSON config: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CheckpointError(config, f"unknown checkpoint format {got!r} (expected {FORMAT!r})")
    digest = sha256_file(weights)
    if doc.get("sha256") != digest:
        raise CheckpointError(
            weights,
            "checksum mismatch: the weights were modified or corrupted "
            f"(config says {doc.get('sha256')}, file is {digest})",
        )
    return doc


def load_model(path: str | Path | None = None) -> tuple[NoiseCNN, dict]:
    """The CNN with its verified weights, and the checkpoint's JSON document."""
    weights, config = checkpoint_paths(path)
    doc = read_config(path)
    try:
        cfg = ModelConfig.from_dict(doc["model"])
        model = NoiseCNN(cfg)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(config, f"invalid model config: {exc}") from exc
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(weights, f"unreadable safetensors: {exc}") from exc
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise CheckpointError(weights, f"weights do not fit the architecture: {' '.join(first[:3])}") from exc
    for name, t in tensors.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(weights, f"tensor '{name}' holds NaN or infinite values")
    return model.eval(), doc


def load_classifier(path: str | Path | None = None, device: str = "cpu") -> NoiseClassifier:
    """Load a verified classifier (None = the shipped weights in classifier/weights/) ready for inference."""
    model, doc = load_model(path)
    bias = doc.get("meta", {}).get("logit_bias", 0.0)
    if not isinstance(bias, (int, float)) or not math.isfinite(bias):
        raise CheckpointError(checkpoint_paths(path)[1], f"invalid meta.logit_bias {bias!r}")
    return NoiseClassifier(model, source=checkpoint_paths(path)[0], device=device, logit_bias=float(bias))
