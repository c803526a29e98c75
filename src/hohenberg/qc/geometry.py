"""Molecules ready for a model that reads 3D geometries, and where each geometry came from.

A model trained on QM9 has seen B3LYP/6-31G(2df,p) geometries only.  A geometry made from SMILES
by a force field (RDKit ETKDG + MMFF94) has bond lengths a few hundredths of an Angstrom off
those, enough to multiply the errors of energies and frontier orbitals by two to nine
(docs/notes/smiles-geometry.md).  Relaxing it further with GFN2-xTB (tblite, a fraction of a
second per QM9-sized molecule) brings it much closer.  The choices, :data:`GEOMETRIES`:

``auto``   keep a given 3D geometry; SMILES get ETKDG + MMFF94, then a GFN2-xTB relaxation
``xtb``    relax every molecule with GFN2-xTB, given geometries included
``mmff``   SMILES get ETKDG + MMFF94 only (the fastest; the least accurate)
``given``  use only given geometries: SMILES are refused

Every molecule returned records its source key in ``info['geometry']`` (``given``, ``mmff``,
``uff``, ``xtb``; :mod:`hohenberg.molecules.geometry_source`) and the longer provenance in
``info['geometry_method']``.  A molecule that cannot be embedded or relaxed becomes a
:class:`Failure` in its place, so that a batch answers every other molecule; input that is wrong
(invalid SMILES, an unreadable file, a SMILES where only given geometries are allowed) is an
:class:`~hohenberg.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hohenberg.errors import HohenbergError, InputError, MoleculeError, first_line
from hohenberg.molecules.geometry_source import GEOMETRY_SOURCES, describe_geometry, geometry_source
from hohenberg.molecules.molecule import Molecule

GEOMETRIES = ("auto", "xtb", "mmff", "given")
"""What :func:`prepare_molecules` does with each input (module docstring)."""

# GFN2-xTB relaxation: at 0.01 eV/A the bond lengths of 40 QM9 molecules are within 2e-4 A (median
# of each molecule's largest change; 7e-3 A at worst) of a 0.002 eV/A relaxation, against 1.4e-3 A
# at 0.05 eV/A, for about 45 BFGS steps (90 at the 90th percentile; 0.4 s); 500 leaves room for
# floppy molecules
XTB_FMAX_EV_A = 0.01
XTB_MAX_STEPS = 500

__all__ = ["GEOMETRIES", "GEOMETRY_SOURCES", "Failure", "describe_geometry", "geometry_source",
           "prepare_molecules", "split_failures", "xtb_geometry"]


@dataclass(frozen=True)
class Failure:
    """An input that got no geometry: what was given, its name, the requested geometry, and why."""

    input: str
    name: str
    reason: str
    geometry: str = ""

    def to_record(self) -> dict:
        """The row a results table gives it: ``name``, ``smiles``, ``geometry``, ``error``."""
        return {"name": self.name, "smiles": self.input, "geometry": self.geometry, "error": self.reason}


def check_geometry_choice(geometry: str) -> str:
    if geometry not in GEOMETRIES:
        raise InputError(None, f"geometry must be one of {', '.join(GEOMETRIES)}, not {geometry!r}")
    return geometry


def xtb_geometry(mol: Molecule, fmax: float = XTB_FMAX_EV_A, steps: int = XTB_MAX_STEPS) -> Molecule:
    """``mol`` relaxed with GFN2-xTB (BFGS until every force is below ``fmax`` eV/A), its source
    recorded as ``xtb`` and its starting source in ``info['geometry_start']``.  Raises
    :class:`~hohenberg.qc.xtb.XtbError` when the SCC or the relaxation does not converge."""
    from hohenberg.qc.xtb import optimize_geometry

    start = geometry_source(mol)
    before = mol.info.get("geometry_method") or mol.info.get("geometry") or start
    out = optimize_geometry(mol, "gfn2-xtb", fmax=fmax, steps=steps)
    out.info["geometry"] = "xtb"
    out.info["geometry_start"] = start
    out.info["geometry_method"] = f"{before} + gfn2-xtb-opt"
    return out


def _tagged(mol: Molecule) -> Molecule:
    """``mol`` (a copy where it changes: the caller's object stays as it was) with its source key in
    ``info['geometry']``, the longer text kept as ``info['geometry_method']``."""
    source = geometry_source(mol)
    if mol.info.get("geometry") != source:
        mol = mol.copy()
        if mol.info.get("geometry"):
            mol.info.setdefault("geometry_method", mol.info["geometry"])
        mol.info["geometry"] = source
    return mol


def _label(item: Any, i: int) -> str:
    if isinstance(item, Molecule):
        return item.name or item.formula
    return str(item) if isinstance(item, (str, Path)) else f"item {i}"


def prepare_molecules(items: Any, geometry: str = "auto", where: str = "<input>",
                      fmax: float = XTB_FMAX_EV_A) -> list[Molecule | Failure]:
    """Molecules (or a :class:`Failure` in place of each that got no geometry) from SMILES strings,
    molecule files (one or many molecules each; ``.smi`` lists are SMILES), Molecule objects or
    ``ase.Atoms``, one or a list, in input order; ``geometry`` one of :data:`GEOMETRIES`.  A
    :class:`Failure` among ``items`` is passed through."""
    check_geometry_choice(geometry)
    if isinstance(items, (str, Path, Molecule)) or type(items).__name__ == "Atoms":
        items = [items]
    out: list[Molecule | Failure] = []
    for i, item in enumerate(items):
        if isinstance(item, Failure):
            out.append(item)
            continue
        for kind, value, name, place in _expand(item, i, where):
            if kind == "smiles":
                out.append(_from_smiles(value, name, place, geometry, fmax))
            else:
                out.append(_from_geometry(value, geometry, fmax))
    return out


def split_failures(prepared: list[Molecule | Failure]) -> tuple[list[Molecule], list[tuple[int, Failure]]]:
    """The molecules of :func:`prepare_molecules`'s answer, and each failure with its position."""
    mols = [p for p in prepared if isinstance(p, Molecule)]
    failures = [(i, p) for i, p in enumerate(prepared) if isinstance(p, Failure)]
    return mols, failures


def _expand(item: Any, i: int, where: str):
    """(``smiles``, text, name, (file, line)) or (``molecule``, Molecule, name, None) per molecule."""
    from hohenberg.molecules.formats import FORMATS, read_molecules

    if isinstance(item, Molecule):
        yield "molecule", item, item.name, None
        return
    if type(item).__name__ == "Atoms" and hasattr(item, "get_atomic_numbers"):
        mol = Molecule.from_ase(item, name=str(item.info.get("name", "")) or item.get_chemical_formula())
        mol.info["geometry"] = "given"
        mol.info.setdefault("geometry_method", "given (ase.Atoms)")
        yield "molecule", mol, mol.name, None
        return
    if not isinstance(item, (str, Path)):
        raise InputError(where, f"item {i}: a {type(item).__name__}; give SMILES strings, file paths, "
                                "Molecule objects or ase.Atoms")
    path = Path(item)
    if path.is_file() and path.suffix.lower() in (".smi", ".smiles"):
        from hohenberg.qc.inputs import read_smiles_entries

        for entry in read_smiles_entries(path):
            yield "smiles", entry.smiles, entry.name, (entry.where, entry.line)
        return
    if path.is_file() or (isinstance(item, Path) or path.suffix.lower() in FORMATS):
        try:
            mols = read_molecules(item)
        except ValueError as exc:  # e.g. an odd electron count the reader could not place
            raise InputError(str(item), str(exc)) from None
        for mol in mols:
            yield "molecule", mol, mol.name, None
        return
    yield "smiles", str(item), "", (None, None)


def _from_smiles(smiles: str, name: str, place, geometry: str, fmax: float) -> Molecule | Failure:
    from hohenberg.molecules.smiles import EmbeddingError, molecule_from_smiles

    where, line = place
    if geometry == "given":
        raise InputError(where or smiles, f"molecule {name or smiles}: a SMILES has no 3D geometry, and "
                                              "geometry 'given' uses given coordinates only (give an xyz or "
                                              "sdf file, a Molecule or ase.Atoms, or choose auto, xtb or mmff)",
                         line)
    try:
        mol = _tagged(molecule_from_smiles(smiles, name=name, where=where, line=line))
    except EmbeddingError as exc:
        return Failure(smiles, name or smiles, exc.message, geometry)
    if geometry in ("auto", "xtb"):
        return _relaxed(mol, smiles, geometry, fmax)
    return mol


def _from_geometry(mol: Molecule, geometry: str, fmax: float) -> Molecule | Failure:
    mol = _tagged(mol)
    if geometry == "xtb" and mol.info["geometry"] != "xtb":
        return _relaxed(mol, mol.info.get("smiles", ""), geometry, fmax)
    return mol


def _relaxed(mol: Molecule, text: str, geometry: str, fmax: float) -> Molecule | Failure:
    try:
        return xtb_geometry(mol, fmax=fmax)
    except (HohenbergError, MoleculeError) as exc:  # unconverged SCC or relaxation, overlapping atoms
        return Failure(text, mol.name or mol.formula, f"GFN2-xTB relaxation failed: {first_line(exc)}", geometry)
