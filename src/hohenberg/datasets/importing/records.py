"""A molecule as a reader found it: where it came from, what is wrong with it, its target columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Place:
    """A molecule's place: ``kind`` is ``line`` (CSV), ``frame``, ``record`` (SDF) or ``row`` (ASE db)."""

    file: str
    kind: str
    number: int
    line: int | None = None

    def __str__(self) -> str:
        if self.kind == "line":
            return f"{self.file}:{self.number}"
        return f"{self.file} {self.kind} {self.number}" + (f" (line {self.line})" if self.line else "")


class RecordError(Exception):
    """One molecule cannot be imported; ``column`` is None when its structure is at fault."""

    def __init__(self, column: str | None, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class RawRecord:
    """One molecule as a reader found it, before targets, ids and charge/spin are checked."""

    place: Place
    numbers: np.ndarray | None = None
    positions: np.ndarray | None = None
    values: dict[str, Any] = field(default_factory=dict)
    atom_properties: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    charge: int | None = None  # what the structure itself says (formal charges), if anything
    spin: int | None = None
    smiles: str | None = None  # embedded only once the row's other values are known to be good
    problem: RecordError | None = None


@dataclass(frozen=True)
class Column:
    """A target column: its name in the file, in the table, and the unit the file uses."""

    name: str
    stored: str
    unit: str



@dataclass
class Options:
    """The options of one import (:func:`hohenberg.datasets.importing.import_molecules`)."""

    targets: Sequence[str] | None
    units: dict[str, str]
    on_error: str
    id_column: str | None
    smiles_column: str | None
    seed: int
    progress: Progress | None
    optimize: str | None = None
