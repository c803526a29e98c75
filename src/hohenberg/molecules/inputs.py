"""Whatever a user hands a model, as molecules: SMILES strings, file paths, Molecule objects, ``ase.Atoms``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule


def as_molecules(items: Any, where: str = "<input>") -> list[Molecule]:
    """Molecules from SMILES strings, file paths, Molecule objects or ``ase.Atoms`` (one or a list)."""
    from hohenberg.molecules.formats import read_molecules

    if isinstance(items, (str, Path, Molecule)) or type(items).__name__ == "Atoms":
        items = [items]
    out: list[Molecule] = []
    for i, item in enumerate(items):
        if isinstance(item, Molecule):
            out.append(item)
        elif isinstance(item, (str, Path)):
            try:
                out.extend(read_molecules(item))
            except ValueError as exc:  # e.g. an odd electron count the reader could not place
                raise InputError(str(item), str(exc)) from None
        elif type(item).__name__ == "Atoms" and hasattr(item, "get_atomic_numbers"):
            mol = Molecule.from_ase(item, name=str(item.info.get("name", "")) or item.get_chemical_formula())
            mol.info["geometry"] = "given (ase.Atoms)"
            out.append(mol)
        else:
            raise InputError(where, f"item {i}: a {type(item).__name__}; give SMILES strings, file paths, "
                                    "Molecule objects or ase.Atoms")
    return out
