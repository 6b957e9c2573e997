"""Save and load denoiser checkpoints safely: torch files read with weights_only=True, or safetensors + JSON.

A training checkpoint (``.pt``) holds the model and training configs, weights, optimizer, scheduler, RNG
state and step. Exported weights are ``NAME.safetensors`` with ``NAME.json`` beside it (the model config
and the SHA-256 of the weights), so a swapped or altered weights file is refused with a clear message.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from noisekit.denoiser.model import ModelConfig, TwoStageUNet
from noisekit.errors import CheckpointError
from noisekit.fsutil import atomic_path, atomic_write, sha256_file

FORMAT = "noisekit-denoiser"
VERSION = 1


def save_checkpoint(path: str | Path, state: dict) -> Path:
    """Write a training checkpoint atomically; ``state`` must contain model_config and model."""
    for key in ("model_config", "model", "step"):
        if key not in state:
            raise ValueError(f"save_checkpoint: state lacks {key!r}")
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **state}, buf)
    with atomic_write(path) as handle:
        handle.write(buf.getvalue())
    return Path(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a training checkpoint with ``weights_only=True``; refuses foreign or tampered files."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "checkpoint not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle errors of many kinds: all mean "not a safe checkpoint"
        raise CheckpointError(
            path, f"not a loadable checkpoint (refused by weights_only loading): {str(exc).splitlines()[0][:200]}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(path, f"not a {FORMAT} checkpoint")
    if state.get("version") != VERSION:
        raise CheckpointError(path, f"checkpoint version {state.get('version')} is not supported")
    return state


@dataclass
class LoadedModel:
    """A ready model with its config and where it came from."""

    model: TwoStageUNet
    config: ModelConfig
    source: Path
    step: int | None = None


def _model_from(cfg_dict: dict, weights: dict, path: Path) -> TwoStageUNet:
    try:
        cfg = ModelConfig.from_dict(cfg_dict)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"bad model config: {exc}") from None
    model = TwoStageUNet(cfg)
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(path, f"weights do not match the model config: {str(exc)[:300]}") from None
    return model.eval()


def export_weights(state: dict, stem: str | Path) -> tuple[Path, Path]:
    """Write ``stem.safetensors`` and ``stem.json`` (model config, step, SHA-256) from a checkpoint state."""
    stem = Path(stem)
    st_path, js_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    tensors = {k: v.detach().cpu().contiguous() for k, v in state["model"].items()}
    with atomic_path(st_path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": state["model_config"],
        "step": int(state.get("step", 0)),
        "sha256": sha256_file(st_path),
        "train_config": state.get("train_config", {}),
    }
    with atomic_write(js_path, "w") as handle:
        json.dump(meta, handle, indent=2, sort_keys=True)
    return st_path, js_path


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> LoadedModel:
    """A model in eval mode from a ``.pt`` checkpoint or a ``.safetensors`` file with its ``.json``."""
    path = Path(path)
    if path.suffix == ".safetensors":
        js_path = path.with_suffix(".json")
        if not path.is_file() or not js_path.is_file():
            raise CheckpointError(path, f"needs both {path.name} and {js_path.name}")
        try:
            meta = json.loads(js_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CheckpointError(js_path, f"not valid JSON: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or "model_config" not in meta:
            raise CheckpointError(js_path, f"not a {FORMAT} weights description")
        if meta.get("sha256") != sha256_file(path):
            raise CheckpointError(path, "SHA-256 does not match its .json: the weights were altered or swapped")
        try:
            weights = load_file(str(path), device=str(map_location))
        except Exception as exc:
            raise CheckpointError(path, f"not a readable safetensors file: {exc}") from None
        return LoadedModel(
            _model_from(meta["model_config"], weights, path),
            ModelConfig.from_dict(meta["model_config"]),
            path,
            meta.get("step"),
        )
    state = load_checkpoint(path, map_location)
    model = _model_from(state["model_config"], state["model"], path)
    return LoadedModel(model, model.cfg, path, int(state["step"]))


SHIPPED_DIR = Path(__file__).resolve().parent / "weights"


def shipped_model_path(name: str = "small") -> Path | None:
    """The weights shipped with the project (``denoiser/weights/NAME.safetensors``), or None if absent."""
    path = SHIPPED_DIR / f"{name}.safetensors"
    return path if path.is_file() and path.with_suffix(".json").is_file() else None


def find_model(name_or_path: str | Path | None = None) -> Path | None:
    """The weights to load, the one place that picks "the checkpoint, else the shipped model": an existing file as
    given, a shipped model by name ('small'), or for None the shipped 'small' (None if not shipped)."""
    if name_or_path is None:
        return shipped_model_path("small")
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.name == str(name_or_path) and not path.suffix:
        shipped = shipped_model_path(path.name)
        if shipped is None:
            names = sorted(p.stem for p in SHIPPED_DIR.glob("*.safetensors"))
            raise CheckpointError(path, f"no shipped model of that name (shipped: {', '.join(names) or 'none'})")
        return shipped
    raise CheckpointError(path, "checkpoint not found")
