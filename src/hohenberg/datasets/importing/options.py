"""The options of ``hohenberg data import``: their values, checked, and their text forms parsed."""

from __future__ import annotations

from hohenberg.errors import InputError
from hohenberg.units import canonical_unit

ON_ERROR = ("fail", "skip")
DEFAULT_SEED = 0xF00D  # the seed molecule_from_smiles uses, so both paths give the same geometry
OPTIMIZE = ("gfn2-xtb", "gfn1-xtb")
"""xTB levels that may relax geometries embedded from SMILES (``--optimize``)."""


def parse_units_option(text: str) -> dict[str, str]:
    """``"gap=Ha,energy=kcal/mol"`` -> ``{"gap": "Ha", "energy": "kcal/mol"}`` (ValueError if malformed)."""
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        column, sep, unit = item.partition("=")
        if not sep or not column.strip() or not unit.strip():
            raise ValueError(f"{item!r} is not COLUMN=UNIT (e.g. gap=Ha)")
        out[column.strip()] = unit.strip()
    if not out:
        raise ValueError("expected COLUMN=UNIT pairs separated by commas (e.g. gap=Ha,mu=D)")
    declared_units(out)
    return out


def parse_list_option(text: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    return [s.strip() for s in text.split(",") if s.strip()]


def declared_units(units: dict[str, str]) -> dict[str, str]:
    """Canonical spellings of user-declared units (ValueError naming an unknown one)."""
    out = {}
    for column, unit in units.items():
        canonical = canonical_unit(unit)
        if canonical is None:
            raise ValueError(f"unknown unit {unit!r} for {column!r}; known: eV, meV, Ha, kcal/mol, kJ/mol, "
                             "D, bohr3, bohr2, cal/molK, cm-1, GHz, K, e, Ang, 1 (dimensionless)")
        out[column] = canonical
    return out



def optimize_method(method: str | None) -> str | None:
    """``--optimize``'s value, lower case (InputError unless it is one of :data:`OPTIMIZE`)."""
    if method is None:
        return None
    name = method.strip().lower()
    if name not in OPTIMIZE:
        raise InputError(None, f"optimize must be one of {', '.join(OPTIMIZE)}, not {method!r}")
    return name
