"""Helpers for the drawn-parameter dataclasses: checked overrides and JSON-safe conversion."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import numpy as np

from noisekit.errors import ConfigError

T = TypeVar("T")


def apply_overrides(params: T, overrides: dict[str, Any], who: str) -> T:
    """Set each ``overrides`` field on the dataclass ``params``; an unknown name is a ConfigError naming ``who``."""
    names = {f.name for f in dataclasses.fields(params)}  # type: ignore[arg-type]
    for key, value in overrides.items():
        if key not in names:
            raise ConfigError(f"{who}: unknown parameter {key!r} (known: {', '.join(sorted(names))})")
        setattr(params, key, value)
    return params


def jsonable(value: Any) -> Any:
    """Recursively turn dataclasses, tuples and numpy scalars/arrays into JSON-serialisable Python values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
