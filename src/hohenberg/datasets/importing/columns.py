"""Which columns of a file are ids and targets, their units, and one target value in its stored unit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hohenberg.datasets.importing.records import Column, RawRecord, RecordError
from hohenberg.errors import InputError
from hohenberg.units import convert_to_stored, split_unit, stored_unit

ID_COLUMNS = ("id", "name", "mol_id", "molecule_id")
"""Columns taken as molecule ids when no id column is named (first found, case-insensitive)."""
STATE_COLUMNS = ("charge", "spin", "multiplicity", "magmom")


def column_names(records: Sequence[RawRecord]) -> list[str]:
    """Every value name of the records, in order of first appearance."""
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec.values))
    return list(names)


def id_column(path: Path, names: Sequence[str], id_column: str | None, kind: str) -> str | None:
    if id_column is not None:
        if id_column not in names and not (kind == "sdf" and id_column == "title"):
            raise InputError(path, f"no id column {id_column!r}; columns: {', '.join(names) or 'none'}")
        return id_column
    lower = {n.lower(): n for n in names}
    return next((lower[c] for c in ID_COLUMNS if c in lower), None)



def target_columns(path: Path, records: Sequence[RawRecord], names: Sequence[str],
                   targets: Sequence[str] | None, units: dict[str, str],
                   excluded: set[str]) -> list[Column]:
    """The target columns of one file with their units (InputError for a column without one)."""
    if targets is None:
        chosen = [n for n in names if n not in excluded and _is_target_like(n, records, units)]
    else:
        chosen = [resolve(path, t, names) for t in targets]
    columns, unitless = [], []
    for name in chosen:
        unit = column_unit(path, name, units)
        if unit is None:
            unitless.append(name)
        else:
            columns.append(Column(name, f"{_base(name)}_{stored_unit(unit)}", unit))
    if unitless:
        raise InputError(path, f"column(s) {', '.join(map(repr, unitless))} carry no unit: name them with "
                               f"a unit suffix (homo_eV, gap_Ha, mu_D, logS_1) or declare their units "
                               f"({unitless[0]}=eV), or choose other target columns")
    _check_stored_names(path, columns)
    return columns


def column_unit(path: Path, name: str, units: dict[str, str]) -> str | None:
    """The unit of column ``name``: declared, else from its suffix; a disagreement is an error."""
    suffix_unit = split_unit(name)[1]
    declared = units.get(name)
    if declared and suffix_unit and declared != suffix_unit:
        raise InputError(path, f"column {name!r} says {suffix_unit} in its name but its declared unit is {declared}")
    return declared or suffix_unit


def _base(name: str) -> str:
    return split_unit(name)[0]


def _check_stored_names(path: Path, columns: Sequence[Column]) -> None:
    first: dict[str, str] = {}
    for c in columns:
        other = first.setdefault(c.stored, c.name)
        if other != c.name:
            raise InputError(path, f"columns {other!r} and {c.name!r} would both be stored as {c.stored!r}")


def resolve(path: Path, target: str, names: Sequence[str]) -> str:
    """A requested target as a column of the file: exact name, stored name, or base name."""
    if target in names:
        return target
    for name in names:
        unit = split_unit(name)[1]
        if unit and (target == f"{_base(name)}_{stored_unit(unit)}" or target == _base(name)):
            return name
    raise InputError(path, f"no column {target!r}; columns: {', '.join(names) or 'none'}")


def _is_target_like(name: str, records: Sequence[RawRecord], units: dict[str, str]) -> bool:
    """With no targets named: a column with a unit, or one holding a number somewhere."""
    if name in units or split_unit(name)[1]:
        return True
    return any(_is_number_like(rec.values.get(name)) for rec in records)


def _is_number_like(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or value is None:
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return bool(value.strip())
    return False


def target_value(raw: Any, column: Column) -> float:
    """One target value in the stored unit; RecordError for text, empty, NaN or infinity."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise RecordError(column.name, "empty value")
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (str, int, float, np.integer, np.floating)):
        raise RecordError(column.name, f"{raw!r} is not a number")
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        raise RecordError(column.name, f"{raw!r} is not a number (text in a target column)") from None
    if not math.isfinite(value):
        raise RecordError(column.name, f"{raw!r} is not a finite number")
    return float(convert_to_stored(value, column.unit))

