"""Typed configurations <-> plain JSON dicts (what is stored beside weights and read from --config)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, fields
from types import SimpleNamespace


def to_plain(config) -> dict:
    """A dataclass as JSON types: tuples become lists (nested dataclasses become dicts)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def known_options(cls, d: Mapping, what: str) -> dict:
    """``d`` as keyword arguments of the dataclass ``cls``; unknown keys are an error that names
    them (a misspelt option in a config file must not be dropped silently)."""
    unknown = set(d) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} option(s): {', '.join(sorted(unknown))}")
    return dict(d)


def field_defaults(cls, *factories: str) -> SimpleNamespace:
    """The defaults of the dataclass ``cls`` without building an instance: every field with a plain
    default, and those of the ``factories`` named.  Other factories are not called: a run's model
    configuration checks itself against the model code, so building it imports torch, and the
    command line reads its option defaults from here at start-up."""
    out = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.name in factories:
            out[f.name] = f.default_factory()
    missing = set(factories) - set(out)
    if missing:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(sorted(missing))} with a default factory")
    return SimpleNamespace(**out)
