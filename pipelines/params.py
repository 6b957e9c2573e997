"""Check a config stage's `params` against its options dataclass before anything runs: names first, then types.

A config's values are TOML values (text, numbers, booleans, arrays, tables); each must fit the annotation of
the field it sets, so `jobs = "two"` or `splits = 0.8` are refused with the stage and the key named instead
of failing (or silently misbehaving) hours into a run.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import types
import typing
from collections.abc import Sequence
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any


def field_default(cls: type, name: str) -> Any:
    """The default of field `name` of dataclass `cls` (a factory's value for mutable defaults)."""
    for f in fields(cls):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
            raise KeyError(f"{cls.__name__}.{name} has no default")
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def unknown_key(where: str, key: str, allowed: Sequence[str]) -> str:
    """The message for a misspelt key: where it is, the key, a close match when there is one, the allowed names."""
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{where}: unknown key '{key}'{hint}; allowed: {', '.join(sorted(allowed)) or 'none'}"


def _hint(cls: type, f: Field) -> Any:
    """The field's annotation as a type (annotations are strings under `from __future__ import annotations`)."""
    if not isinstance(f.type, str):
        return f.type
    return eval(f.type, vars(sys.modules[cls.__module__]))  # noqa: S307 (the module's own annotation)


def _fits(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits the annotation `hint` (lists stand for tuples and sequences)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint in (str, Path):
        return isinstance(value, str)
    if dataclasses.is_dataclass(hint):
        return isinstance(value, dict)  # its keys and values: check_params, through _tables
    if hint is dict or origin is dict:
        return isinstance(value, dict) and (not args or all(_fits(v, args[1]) for v in value.values()))
    if origin in (tuple, list, Sequence) or hint in (tuple, list):
        if not isinstance(value, list | tuple):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args, strict=True))
        return all(_fits(v, args[0]) for v in value) if args else True
    return False


def describe(hint: Any) -> str:
    """A type annotation in words, for messages: 'a number', 'a list of text', ..."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (tuple, list, Sequence):
        return f"a list of {describe(args[0]).removeprefix('a ').removeprefix('an ')}" if args else "a list"
    if dataclasses.is_dataclass(hint):
        return "a table"
    words = {bool: "true or false", int: "an integer", float: "a number", str: "text", Path: "a path"}
    return words.get(hint, "a table" if hint is dict or origin is dict else getattr(hint, "__name__", str(hint)))


def check_params(where: str, cls: type, params: dict) -> list[str]:
    """Every problem with `params` as settings of dataclass `cls`: unknown keys, wrong types, missing keys."""
    hints = {f.name: _hint(cls, f) for f in fields(cls)}
    problems = [unknown_key(where, key, list(hints)) for key in params if key not in hints]
    for key, value in params.items():
        if key in hints and not _fits(value, hints[key]):
            problems.append(f"{where}: '{key}' = {value!r} is not {describe(hints[key])}")
        elif key in hints:
            for i, (item, table) in enumerate(_tables(hints[key], value)):
                problems += check_params(f"{where}: {key}[{i + 1}]", item, table)
    for f in fields(cls):
        if f.default is MISSING and f.default_factory is MISSING and f.name not in params:
            problems.append(f"{where}: '{f.name}' is required")
    return problems


def _wants_tuple(hint: Any) -> bool:
    """Whether a field is a tuple (or an optional one): TOML arrays become tuples there, so frozen options
    stay hashable and compare equal to their defaults."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_wants_tuple(a) for a in typing.get_args(hint))
    return hint is tuple or typing.get_origin(hint) is tuple


def _tables(hint: Any, value: Any) -> list[tuple[type, dict]]:
    """The TOML tables in `value` that stand for dataclasses of `hint` (a list of tables for `tuple[Source, ...]`,
    one table for `Source`), each with its dataclass."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next((t for a in typing.get_args(hint) if (t := _tables(a, value))), [])
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return [(typing.cast(type, hint), value)]
    args = typing.get_args(hint)
    if _wants_tuple(hint) and args and dataclasses.is_dataclass(args[0]) and isinstance(value, list):
        return [(typing.cast(type, args[0]), v) for v in value if isinstance(v, dict)]
    return []


def build_options(cls: type, params: dict) -> Any:
    """An instance of `cls` from checked `params` (see check_params); tables become their dataclasses."""
    hints = {f.name: _hint(cls, f) for f in fields(cls)}
    values = {}
    for key, value in params.items():
        tables = _tables(hints[key], value)
        if tables:
            built = [build_options(item, table) for item, table in tables]
            value = built[0] if isinstance(value, dict) else built
        values[key] = tuple(value) if isinstance(value, list) and _wants_tuple(hints[key]) else value
    return cls(**values)
