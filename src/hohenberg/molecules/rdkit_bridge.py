"""Conversion between :class:`Molecule` and RDKit molecules (bonds, 3D conformers)."""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem, rdDetermineBonds
from rdkit.Geometry import Point3D

from hohenberg.molecules.molecule import Molecule


def rdkit_to_molecule(rdmol: Chem.Mol, name: str = "", conf_id: int = -1) -> Molecule:
    if rdmol.GetNumConformers() == 0:
        raise ValueError(f"RDKit molecule {name!r} has no conformer; embed it first")
    conf = rdmol.GetConformer(conf_id)
    numbers = [a.GetAtomicNum() for a in rdmol.GetAtoms()]
    positions = np.array(conf.GetPositions(), dtype=np.float64)
    charge = Chem.GetFormalCharge(rdmol)
    spin = sum(a.GetNumRadicalElectrons() for a in rdmol.GetAtoms())
    if not name and rdmol.HasProp("_Name"):
        name = rdmol.GetProp("_Name")
    info = {"smiles": Chem.MolToSmiles(Chem.RemoveHs(rdmol))}
    return Molecule(numbers, positions, charge, spin, name, info=info)


def molecule_to_rdkit(mol: Molecule, smiles: str | None = None) -> Chem.Mol:
    smiles = smiles or mol.info.get("smiles")
    if smiles:
        return _from_template(mol, smiles)
    rdmol = atoms_only(mol)
    try:
        rdDetermineBonds.DetermineBonds(rdmol, charge=int(mol.charge))
    except Exception as exc:  # RDKit raises plain ValueError/RuntimeError with terse text
        raise ValueError(
            f"molecule {mol.name or mol.formula}: cannot perceive bonds from the geometry ({exc})"
        ) from exc
    if mol.name:
        rdmol.SetProp("_Name", mol.name)
    return rdmol


BOND_SOURCES = ("smiles", "geometry", "connectivity")


def rdkit_of(mol: Molecule) -> tuple[Chem.Mol, str]:
    """RDKit molecule (atom order = ``mol``'s) and where its bonds came from (:data:`BOND_SOURCES`).

    Unlike :func:`molecule_to_rdkit` this never fails: the SMILES matched onto the geometry, else
    RDKit's bond perception on the geometry (``DetermineBonds``), else connectivity alone (all
    single bonds; a few strained QM9 cages need this).
    """
    if mol.info.get("smiles"):
        try:
            return molecule_to_rdkit(mol, smiles=mol.info["smiles"]), "smiles"
        except ValueError:
            pass
    rdmol = atoms_only(mol)
    try:
        perceived = Chem.Mol(rdmol)
        rdDetermineBonds.DetermineBonds(perceived, charge=int(mol.charge))
        return perceived, "geometry"
    except Exception:  # RDKit raises ValueError/RuntimeError when no valence assignment fits
        rdDetermineBonds.DetermineConnectivity(rdmol)
        return rdmol, "connectivity"


def atoms_only(mol: Molecule) -> Chem.Mol:
    """Atoms and 3D coordinates of ``mol`` (same atom order), no bonds yet: the start of any bond
    perception."""
    rw = Chem.RWMol()
    for z in mol.numbers:
        rw.AddAtom(Chem.Atom(int(z)))
    rdmol = rw.GetMol()
    rdmol.AddConformer(conformer(mol), assignId=True)
    return rdmol


def conformer(mol: Molecule) -> Chem.Conformer:
    """A 3D RDKit conformer of ``mol``'s positions (Angstrom)."""
    conf = Chem.Conformer(mol.n_atoms)
    for i, (x, y, z) in enumerate(mol.positions):
        conf.SetAtomPosition(i, Point3D(float(x), float(y), float(z)))
    conf.Set3D(True)
    return conf


def _from_template(mol: Molecule, smiles: str) -> Chem.Mol:
    template = Chem.MolFromSmiles(smiles)
    if template is None:
        raise ValueError(f"molecule {mol.name or mol.formula}: invalid SMILES {smiles!r}")
    template = Chem.AddHs(template)
    if template.GetNumAtoms() != mol.n_atoms:
        raise ValueError(
            f"molecule {mol.name or mol.formula}: SMILES {smiles!r} has {template.GetNumAtoms()} "
            f"atoms with hydrogens, the geometry {mol.n_atoms}"
        )
    # Bonds from the geometry give the atom order; the SMILES only fixes bond orders/charges.
    geometric = atoms_only(mol)
    rdDetermineBonds.DetermineConnectivity(geometric)

    try:
        rdmol = AllChem.AssignBondOrdersFromTemplate(template, geometric)
    except ValueError as exc:
        raise ValueError(
            f"molecule {mol.name or mol.formula}: SMILES {smiles!r} does not match the geometry"
        ) from exc
    if mol.name:
        rdmol.SetProp("_Name", mol.name)
    return rdmol
