"""SMILES to 3D: RDKit ETKDG embedding with hydrogens added, then MMFF94 relaxation.

The geometry is a force-field one; models trained on QM9 expect B3LYP geometries, so callers
that predict should say so.
"""

from __future__ import annotations

from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import read_text

# ETKDG's time grows steeply with size (a 200-carbon chain takes minutes): larger molecules are
# refused with a message, and each embedding attempt has a time limit
MAX_EMBED_HEAVY_ATOMS = 100
EMBED_TIMEOUT_S = 30


def check_smiles(rdmol, smiles: str, label: str, line: int | None = None) -> None:
    """Refuse a parsed SMILES that cannot become a 3D molecule: no atoms, dummy atoms (``*``),
    or more heavy atoms than :data:`MAX_EMBED_HEAVY_ATOMS`."""
    if rdmol is None:
        raise InputError(label, f"invalid SMILES {_short(smiles)}", line)
    if rdmol.GetNumAtoms() == 0:
        raise InputError(label, f"empty SMILES {_short(smiles)}: no atoms", line)
    if any(a.GetAtomicNum() == 0 for a in rdmol.GetAtoms()):
        raise InputError(label, f"SMILES {_short(smiles)} has a dummy atom (*): only real elements can be embedded "
                                f"in 3D", line)
    heavy = rdmol.GetNumHeavyAtoms()
    if heavy > MAX_EMBED_HEAVY_ATOMS:
        raise InputError(label, f"SMILES {_short(smiles)} has {heavy} heavy atoms; 3D embedding is limited to "
                                f"{MAX_EMBED_HEAVY_ATOMS} (give a 3D structure file instead)", line)


def _short(smiles: str, n: int = 60) -> str:
    return repr(smiles if len(smiles) <= n else smiles[:n] + "...")


def molecule_from_smiles(smiles: str, name: str = "", seed: int = 0xF00D, where: str | None = None,
                         line: int | None = None) -> Molecule:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    label = where or "<smiles>"
    RDLogger.DisableLog("rdApp.*")
    try:
        rdmol = Chem.MolFromSmiles(smiles)
        check_smiles(rdmol, smiles, label, line)
        rdmol = Chem.AddHs(rdmol)
        params = AllChem.ETKDGv3()
        params.randomSeed = seed
        params.timeout = EMBED_TIMEOUT_S
        if AllChem.EmbedMolecule(rdmol, params) != 0:
            params.useRandomCoords = True
            if AllChem.EmbedMolecule(rdmol, params) != 0:
                raise InputError(label, f"RDKit could not embed {_short(smiles)} in 3D (within "
                                        f"{EMBED_TIMEOUT_S} s per attempt)", line)
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
