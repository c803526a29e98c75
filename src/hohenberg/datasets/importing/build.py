"""One record into a :class:`Molecule`: targets, id, charge and spin checked; SMILES embedded in 3D
(and relaxed with xTB when asked)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hohenberg.datasets.importing.columns import target_value
from hohenberg.datasets.importing.records import Column, RawRecord, RecordError
from hohenberg.errors import HohenbergError, InputError
from hohenberg.molecules.molecule import Molecule


def build_molecule(rec: RawRecord, columns: Sequence[Column], id_column: str | None, prefix: str,
                   seed: int, optimize: str | None = None) -> Molecule:
    """The molecule of one record, or RecordError naming the column at fault; ``optimize`` (an xTB
    level) relaxes a geometry embedded from SMILES."""
    if rec.problem is not None:
        raise rec.problem
    props = {c.stored: target_value(rec.values.get(c.name), c) for c in columns}
    name = molecule_id(rec, id_column, prefix)
    charge, spin = electronic_state(rec)
    numbers, positions, info = rec.numbers, rec.positions, dict(rec.info)
    if rec.smiles is not None:
        numbers, positions, info, charge, spin = _embed(rec, charge, spin, seed)
    charge, spin = charge or 0, spin or 0
    check_atoms(numbers)
    check_electrons(numbers, charge, spin)
    try:
        mol = Molecule(numbers, positions, charge, spin, name, props, dict(rec.atom_properties), info)
    except ValueError as exc:
        raise RecordError(None, str(exc)) from None
    if rec.smiles is not None and optimize is not None:
        mol = relax(mol, optimize)
    return mol


def relax(mol: Molecule, method: str) -> Molecule:
    """``mol`` relaxed with xTB (:func:`hohenberg.qc.xtb.optimize_geometry`); ``info['geometry']``
    names both steps, e.g. ``rdkit-etkdg-mmff94 + gfn2-xtb-opt``."""
    from hohenberg.qc.xtb import optimize_geometry

    try:
        out = optimize_geometry(mol, method)
    except HohenbergError as exc:
        raise RecordError(None, f"{method} relaxation failed: {exc}") from None
    out.info["geometry"] = f"{mol.info['geometry']} + {out.info['geometry']}"
    return out


def molecule_id(rec: RawRecord, id_column: str | None, prefix: str) -> str:
    if id_column is None:
        return f"{prefix}:{rec.place.number}"
    value = rec.info.get("title") if id_column == "title" and id_column not in rec.values else rec.values.get(id_column)
    text = "" if value is None else str(value).strip()
    if not text:
        raise RecordError(id_column, "empty id")
    return text


def electronic_state(rec: RawRecord) -> tuple[int | None, int | None]:
    """(charge, spin = 2S) from the record's columns, checked against its structure; None if unknown."""
    charge = _whole(rec.values, "charge")
    spin = _whole(rec.values, "spin")
    multiplicity = _whole(rec.values, "multiplicity")
    if multiplicity is not None:
        if multiplicity < 1:
            raise RecordError("multiplicity", f"multiplicity must be at least 1, found {multiplicity}")
        if spin is not None and spin != multiplicity - 1:
            raise RecordError("multiplicity", f"multiplicity {multiplicity} does not match spin {spin}")
        spin = multiplicity - 1
    if charge is not None and rec.charge is not None and charge != rec.charge:
        raise RecordError("charge", f"charge {charge} disagrees with the structure's formal charge {rec.charge}")
    if spin is not None and spin < 0:
        raise RecordError("spin", f"spin (2S, unpaired electrons) must not be negative, found {spin}")
    return (charge if charge is not None else rec.charge), (spin if spin is not None else rec.spin)


def _whole(values: dict[str, Any], key: str) -> int | None:
    raw = values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise RecordError(key, f"{raw!r} is not a whole number") from None
    if not value.is_integer():
        raise RecordError(key, f"{raw!r} is not a whole number")
    return int(value)


def check_atoms(numbers: np.ndarray | None) -> None:
    """RecordError for an empty molecule or an atomic number outside the periodic table."""
    if numbers is None or len(numbers) == 0:
        raise RecordError(None, "no atoms (empty molecule)")
    bad = [int(z) for z in numbers if not 0 < int(z) <= 118]
    if bad:
        raise RecordError(None, f"atomic number {bad[0]} is not an element (dummy or unknown atom)")


def check_electrons(numbers: np.ndarray, charge: int, spin: int) -> None:
    """RecordError when the electron count cannot have spin 2S (an odd count needs 2S odd)."""
    electrons = int(np.sum(numbers)) - charge
    if electrons < 0 or spin > electrons:
        raise RecordError("charge", f"charge {charge} and spin {spin} leave {electrons} electrons")
    if (electrons - spin) % 2:
        raise RecordError("spin", f"{electrons} electrons cannot have spin 2S={spin}: give the number "
                                  "of unpaired electrons in a 'spin' column (or 'multiplicity')")


def _embed(rec: RawRecord, charge: int | None, spin: int | None,
           seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, str], int, int]:
    """3D geometry of a SMILES row (ETKDG + force field, fixed seed).

    The SMILES fixes the charge (a charge column must agree); spin comes from its radicals unless
    a spin or multiplicity column gives it (O2 is a triplet that SMILES cannot say).
    """
    from hohenberg.molecules.smiles import molecule_from_smiles

    column = rec.info.get("smiles_column", "smiles")
    if not rec.smiles.strip():
        raise RecordError(column, "empty SMILES")
    try:
        mol = molecule_from_smiles(rec.smiles.strip(), seed=seed)
    except InputError as exc:
        raise RecordError(column, exc.message) from None
    if charge is not None and mol.charge != charge:
        raise RecordError("charge", f"charge {charge} disagrees with the SMILES' formal charge {mol.charge}")
    info = {k: v for k, v in rec.info.items() if k != "smiles_column"}
    info.update(smiles=rec.smiles.strip(), geometry=mol.info["geometry"])
    return mol.numbers, mol.positions, info, mol.charge, mol.spin if spin is None else spin

