"""Typed configurations <-> plain JSON dicts (what is stored beside weights and read from --config)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields


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
