"""SMILES to 3D: RDKit ETKDG embedding with hydrogens added, then MMFF94 relaxation.

The geometry is a force-field one; models trained on QM9 expect B3LYP geometries, so callers
that predict should say so (:func:`hohenberg.qc.geometry.prepare_molecules` can relax it further
with GFN2-xTB).
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
# seeds tried in turn (added to the caller's seed) where an embedding fails
EMBED_SEED_OFFSETS = (0, 1, 2)
MAX_STEREOISOMERS = 32  # fallback embeddings of a SMILES with unassigned stereocentres


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


class EmbeddingError(InputError):
    """A valid SMILES that RDKit could not place in 3D with any of the seeds (a strained cage, ...)."""


def molecule_from_smiles(smiles: str, name: str = "", seed: int = 0xF00D, where: str | None = None,
                         line: int | None = None) -> Molecule:
    """``smiles`` in 3D: ETKDG from ``seed``, then MMFF94 (UFF where MMFF94 lacks a parameter).

    An invalid SMILES is an :class:`InputError`; a valid one that no embedding attempt places in 3D
    is an :class:`EmbeddingError` (a subclass), so that a batch can answer its other molecules.
    ``info['geometry']`` records the method (``rdkit-etkdg-mmff94`` or ``rdkit-etkdg-uff``) and
    ``info['embed_seed']`` the seed that worked.
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    label = where or "<smiles>"
    RDLogger.DisableLog("rdApp.*")
    try:
        rdmol = Chem.MolFromSmiles(smiles)
        check_smiles(rdmol, smiles, label, line)
        rdmol = Chem.AddHs(rdmol)
        used = _embed(rdmol, seed)
        if used is None:
            raise EmbeddingError(label, f"RDKit could not embed {_short(smiles)} in 3D ({len(EMBED_SEED_OFFSETS)} "
                                        "seeds, each stereoisomer, random starting coordinates; at most "
                                        f"{EMBED_TIMEOUT_S} s per attempt)", line)
        if AllChem.MMFFHasAllMoleculeParams(rdmol):
            AllChem.MMFFOptimizeMolecule(rdmol, maxIters=2000)
            method = "rdkit-etkdg-mmff94"
        else:
            AllChem.UFFOptimizeMolecule(rdmol, maxIters=2000)
            method = "rdkit-etkdg-uff"
    finally:
        RDLogger.EnableLog("rdApp.*")
    mol = Molecule.from_rdkit(rdmol, name=name or smiles)
    mol.info["smiles"] = smiles
    mol.info["geometry"] = method
    mol.info["embed_seed"] = hex(used)
    if rdmol.HasProp("embed_stereo"):
        mol.info["embed_stereo"] = rdmol.GetProp("embed_stereo")
    return mol


def _embed(rdmol, seed: int) -> int | None:
    """Embed ``rdmol`` in place; the seed that worked, or None.

    The first seed alone reproduces the geometry of earlier releases; the rest run only where it
    fails.  Next come more seeds, then each stereoisomer of the unassigned stereocentres: in
    fused small rings a random choice of configuration is often one no geometry can satisfy, and
    ETKDG then fails for every seed (19 of 4,000 QM9 molecules are placed only this way; 25 are
    not placed at all).  Random starting coordinates
    (slower) come last.  The stereoisomer used is recorded in ``_Name``-free form as a property.
    """
    from rdkit import Chem
    from rdkit.Chem import AllChem

    def attempt(mol, s, random_coords=False) -> bool:
        params = AllChem.ETKDGv3()
        params.randomSeed = s
        params.timeout = EMBED_TIMEOUT_S
        params.useRandomCoords = random_coords
        return AllChem.EmbedMolecule(mol, params) == 0

    for offset in EMBED_SEED_OFFSETS:
        if attempt(rdmol, seed + offset):
            return seed + offset
    for iso in _stereoisomers(Chem.RemoveHs(rdmol)):
        trial = Chem.AddHs(iso)
        if attempt(trial, seed) and trial.GetNumAtoms() == rdmol.GetNumAtoms():
            # AddHs on the same heavy-atom order gives the same atom order: copy the isomer's
            # coordinates and tags over so the caller's molecule object carries them
            conf = trial.GetConformer()
            rdmol.RemoveAllConformers()
            rdmol.AddConformer(Chem.Conformer(conf), assignId=True)
            for a, b in zip(rdmol.GetAtoms(), trial.GetAtoms()):
                a.SetChiralTag(b.GetChiralTag())
            rdmol.SetProp("embed_stereo", Chem.MolToSmiles(iso))
            return seed
    for offset in EMBED_SEED_OFFSETS:
        if attempt(rdmol, seed + offset, random_coords=True):
            return seed + offset
    return None


def _stereoisomers(rdmol):
    """The stereoisomers of ``rdmol``'s unassigned centres (at most :data:`MAX_STEREOISOMERS`)."""
    from rdkit.Chem.EnumerateStereoisomers import EnumerateStereoisomers, StereoEnumerationOptions

    opts = StereoEnumerationOptions(onlyUnassigned=True, unique=True, maxIsomers=MAX_STEREOISOMERS)
    isomers = list(EnumerateStereoisomers(rdmol, options=opts))
    return isomers if len(isomers) > 1 else []


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
