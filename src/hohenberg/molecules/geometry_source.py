"""Where a molecule's 3D geometry came from, as a short stable key and as a sentence.

Models trained on QM9 read B3LYP/6-31G(2df,p) geometries; their errors (and so the calibration of
their sigmas) depend on how close an input geometry is to that kind.  The key is what a model
card's per-source calibration and a results table's ``geometry`` column are indexed by:

``given``  the caller's own coordinates (a structure file, a Molecule, ``ase.Atoms``)
``mmff``   from SMILES: RDKit ETKDG embedding, then MMFF94
``uff``    from SMILES where MMFF94 lacks a parameter: ETKDG, then UFF
``xtb``    relaxed with GFN2-xTB (from SMILES through ``mmff``, or from a given geometry)

``info['geometry']`` of older molecules and tables holds a longer provenance text
(``rdkit-etkdg-mmff94``, ``gfn2-xtb-opt``, ``rdkit-etkdg-mmff94 + gfn2-xtb-opt``): the key is read
from either.
"""

from __future__ import annotations

from hohenberg.molecules.molecule import Molecule

GEOMETRY_SOURCES = ("given", "mmff", "uff", "xtb")

DESCRIPTIONS = {
    "given": "given coordinates",
    "mmff": "RDKit ETKDG + MMFF94 from SMILES",
    "uff": "RDKit ETKDG + UFF from SMILES (no MMFF94 parameters)",
    "xtb": "GFN2-xTB relaxed",
}


def geometry_source(mol: Molecule) -> str:
    """The key of ``mol``'s geometry (module docstring); ``given`` when nothing says otherwise."""
    text = str(mol.info.get("geometry", "")).strip().lower()
    if text in GEOMETRY_SOURCES:
        return text
    if "xtb-opt" in text or text.startswith("xtb"):
        return "xtb"
    if text.startswith("rdkit") and "uff" in text and "mmff" not in text:
        return "uff"
    if text.startswith("rdkit"):
        return "mmff"
    return "given"


def describe_geometry(mol: Molecule) -> str:
    """A sentence for people: the source and, where known, how it was made (seed, start, level)."""
    source = geometry_source(mol)
    text = DESCRIPTIONS[source]
    if source in ("mmff", "uff") and mol.info.get("embed_seed"):
        text += f" (seed {mol.info['embed_seed']})"
    if source == "xtb":
        start = mol.info.get("geometry_start", "")
        text += f" from {DESCRIPTIONS.get(start, start)}" if start else ""
        if mol.info.get("geometry_fmax_eV_A"):
            text += f", max force {mol.info['geometry_fmax_eV_A']} eV/A"
    return text
