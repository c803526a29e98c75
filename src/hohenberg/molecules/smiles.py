"""SMILES to 3D: RDKit ETKDG embedding with hydrogens added, then MMFF94 relaxation.

The geometry is a force-field one; models trained on QM9 expect B3LYP geometries, so callers
that predict should say so.
"""

from __future__ import annotations

from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import read_text


def molecule_from_smiles(smiles: str, name: str = "", seed: int = 0xF00D, where: str | None = None,
                         line: int | None = None) -> Molecule:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    label = where or "<smiles>"
    RDLogger.DisableLog("rdApp.*")
    try:
        rdmol = Chem.MolFromSmiles(smiles)
        if rdmol is None:
            raise InputError(label, f"invalid SMILES {smiles!r}", line)
        rdmol = Chem.AddHs(rdmol)
        params = AllChem.ETKDGv3()
        params.randomSeed = seed
        if AllChem.EmbedMolecule(rdmol, params) != 0:
            params.useRandomCoords = True
            if AllChem.EmbedMolecule(rdmol, params) != 0:
                raise InputError(label, f"RDKit could not embed {smiles!r} in 3D", line)
        if AllChem.MMFFHasAllMoleculeParams(rdmol):
            AllChem.MMFFOptimizeMolecule(rdmol, maxIters=2000)
        else:
            AllChem.UFFOptimizeMolecule(rdmol, maxIters=2000)
    finally:
        RDLogger.EnableLog("rdApp.*")
    mol = Molecule.from_rdkit(rdmol, name=name or smiles)
    mol.info["smiles"] = smiles
    mol.info["geometry"] = "rdkit-etkdg-mmff94"
    return mol


def read_smiles(path: str | Path) -> list[Molecule]:
    """A SMILES file: one ``SMILES [name]`` per line; ``#`` comments and a header line allowed."""
    path = Path(path)
    out = []
    for i, raw in enumerate(read_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or (i == 1 and line.lower().split()[0] in ("smiles", "smi")):
            continue
        parts = line.replace(",", " ").split()
        name = parts[1] if len(parts) > 1 else f"{path.stem}:{i}"
        out.append(molecule_from_smiles(parts[0], name=name, where=str(path), line=i))
    if not out:
        raise InputError(path, "no SMILES found")
    return out
