"""Average several context stages trained over the same window CNN into one checkpoint (an ensemble).

Stages fitted apart (another seed, width, or training recipe) make different mistakes; the mean of their
logits is surer where they agree and more careful where they do not, at almost no cost: the window CNN,
which does nearly all of the work, runs once, and every stage reads the same window features. Only stages
over the very same window CNN (same weights, same features) and with the same probability correction
(``logit_bias``) can be combined; anything else is refused with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from noisekit.classifier.checkpoint import checkpoint_paths, load_model, save_checkpoint
from noisekit.classifier.context import ContextConfig
from noisekit.classifier.model import NoiseCNN
from noisekit.errors import ConfigError


def window_digest(model: NoiseCNN) -> str:
    """SHA-256 of the window CNN's tensors (everything but the context stage): what the features depend on."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if not name.startswith("context."):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def stages(model: NoiseCNN) -> tuple[ContextConfig, ...]:
    """The context stages of a model: its ensemble's members, its one stage, or none."""
    if model.cfg.context_members:
        return model.cfg.context_members
    return (model.cfg.context,) if model.cfg.context is not None else ()


def _member_state(model: NoiseCNN, offset: int) -> dict:
    """The model's context tensors renamed to members ``offset``, ``offset + 1``, ... of an ensemble."""
    out = {}
    for name, tensor in model.state_dict().items():
        if not name.startswith("context."):
            continue
        rest = name.removeprefix("context.")
        if model.cfg.context_members:
            index, rest = rest.removeprefix("members.").split(".", 1)
            out[f"context.members.{offset + int(index)}.{rest}"] = tensor
        else:
            out[f"context.members.{offset}.{rest}"] = tensor
    return out


def combine_context(runs: Sequence[str | Path], out: str | Path) -> dict:
    """Write to ``out`` one checkpoint whose context stage is the mean of every stage of ``runs``; returns its
    meta (the sources, their checksums and training records)."""
    if len(runs) < 2:
        raise ConfigError("combining context stages needs at least two checkpoints")
    loaded = [(Path(r), *load_model(r)) for r in runs]
    first_path, first, first_doc = loaded[0]
    digest, bias = window_digest(first), first_doc.get("meta", {}).get("logit_bias", 0.0)
    window_cfg = replace(first.cfg, context=None, context_members=()).to_dict()
    members: list[ContextConfig] = []
    state = {k: v for k, v in first.state_dict().items() if not k.startswith("context.")}
    sources = []
    for path, model, doc in loaded:
        where = checkpoint_paths(path)[1]
        if not stages(model):
            raise ConfigError(f"{where}: has no context stage to combine")
        if replace(model.cfg, context=None, context_members=()).to_dict() != window_cfg:
            raise ConfigError(f"{where}: its window CNN's architecture or features differ from {first_path}'s")
        if window_digest(model) != digest:
            raise ConfigError(
                f"{where}: its window CNN's weights differ from {first_path}'s (the stages read other features)"
            )
        if doc.get("meta", {}).get("logit_bias", 0.0) != bias:
            raise ConfigError(
                f"{where}: its logit_bias differs from {first_path}'s (trained with another music weight)"
            )
        state |= _member_state(model, len(members))
        members += stages(model)
        meta = doc.get("meta", {})
        sources.append({"source": str(path), "sha256": doc["sha256"], "context_train": meta.get("context_train")})
    if len({m.bands for m in members}) != 1:
        raise ConfigError("the stages read different band counts; they cannot share the window features")
    combined = NoiseCNN(replace(first.cfg, context=members[0], context_members=tuple(members)))
    combined.load_state_dict(state, strict=True)
    meta = {**first_doc.get("meta", {}), "logit_bias": bias, "context_ensemble": sources}
    meta.pop("context_train", None)
    save_checkpoint(combined.eval(), out, meta)
    return meta
