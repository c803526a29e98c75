"""Cheap 3D polarity descriptors of a molecule, without quantum chemistry.

A Morgan fingerprint sees which groups a molecule has, not how their bond dipoles add up in
space; the molecular dipole is a vector sum over a 3D geometry, so two molecules with the same
groups can have dipoles of 0 and 4 D.  These descriptors put a force-field estimate of that sum
next to the fingerprint:

* ``mu_gasteiger_D``, ``mu_mmff_D``: the dipole of point charges at the atoms,
  ``|sum_i q_i r_i|`` (origin-free for a neutral molecule), with RDKit's Gasteiger charges and
  with MMFF94 charges (Gasteiger where MMFF has no parameters), in Debye;
* ``mu_mmff_axis{1,2,3}_D``: the absolute components of the MMFF dipole along the principal axes
  of inertia (smallest moment first): how the dipole lies in the molecule's shape;
* ``tpsa_A2``: RDKit's topological polar surface area;
* ``n_polar``: N, O and F atoms.

Geometry: a table's own 3D positions when the pool is a table with geometries (QM9: B3LYP), else
RDKit ETKDG + MMFF94 from the SMILES (:func:`hohenberg.molecules.smiles.molecule_from_smiles`,
the geometry the ``qc`` oracle starts from).  A molecule that cannot be embedded has only its 2D
descriptors; :func:`polarity_matrix` gives it the pool's median charge dipoles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hohenberg.units import DEBYE_PER_E_ANGSTROM

DESCRIPTORS = ("mu_gasteiger_D", "mu_mmff_D", "mu_mmff_axis1_D", "mu_mmff_axis2_D", "mu_mmff_axis3_D",
               "tpsa_A2", "n_polar")


def charge_dipole(charges, positions) -> np.ndarray:
    """Dipole vector (Debye) of point ``charges`` (e) at ``positions`` (Angstrom), about their
    centroid, so a charged set does not depend on where the origin is."""
    q = np.asarray(charges, float)
    r = np.asarray(positions, float)
    return DEBYE_PER_E_ANGSTROM * (q[:, None] * (r - r.mean(0))).sum(0)


def gasteiger_charges(rdmol) -> np.ndarray:
    from rdkit.Chem import rdPartialCharges

    mol = rdmol.__class__(rdmol)
    rdPartialCharges.ComputeGasteigerCharges(mol)
    q = np.array([a.GetDoubleProp("_GasteigerCharge") for a in mol.GetAtoms()], float)
    return np.nan_to_num(q)  # RDKit gives NaN for a few hypervalent patterns


def mmff_charges(rdmol) -> np.ndarray | None:
    """MMFF94 partial charges, or None if MMFF has no parameters for the molecule."""
    from rdkit import RDLogger
    from rdkit.Chem import AllChem

    RDLogger.DisableLog("rdApp.*")
    try:
        props = AllChem.MMFFGetMoleculeProperties(rdmol)
    finally:
        RDLogger.EnableLog("rdApp.*")
    if props is None:
        return None
    return np.array([props.GetMMFFPartialCharge(i) for i in range(rdmol.GetNumAtoms())], float)


def polarity_descriptors(rdmol) -> np.ndarray:
    """:data:`DESCRIPTORS` of an RDKit molecule with explicit hydrogens and a 3D conformer
    (without a conformer the charge dipoles are NaN)."""
    from rdkit.Chem import rdMolDescriptors, rdMolTransforms

    out = np.full(len(DESCRIPTORS), np.nan)
    out[5] = rdMolDescriptors.CalcTPSA(rdmol)
    out[6] = sum(a.GetAtomicNum() in (7, 8, 9) for a in rdmol.GetAtoms())
    if rdmol.GetNumConformers() == 0:
        return out
    conf = rdmol.GetConformer()
    pos = np.asarray(conf.GetPositions(), float)
    q_g = gasteiger_charges(rdmol)
    q_m = mmff_charges(rdmol)
    mu_g = charge_dipole(q_g, pos)
    mu_m = mu_g if q_m is None else charge_dipole(q_m, pos)
    out[0], out[1] = np.linalg.norm(mu_g), np.linalg.norm(mu_m)
    if rdmol.GetNumAtoms() > 1:
        masses = [a.GetMass() for a in rdmol.GetAtoms()]  # RDKit weighs atoms equally unless told
        axes, moments = rdMolTransforms.ComputePrincipalAxesAndMoments(conf, ignoreHs=False, weights=masses)
        axes = np.asarray(axes)[:, np.argsort(moments)]  # the axes are the columns
        out[2:5] = np.abs(mu_m @ axes)
    else:
        out[2:5] = 0.0
    return out


def rdkit_3d(smiles: str, molecule=None):
    """RDKit molecule with hydrogens and a conformer: ``molecule``'s geometry (a table row,
    bonds from ``smiles``) when it matches, else ETKDG + MMFF94 from ``smiles``; None if neither
    works (then only the 2D descriptors are defined)."""
    from rdkit import Chem

    from hohenberg.errors import InputError
    from hohenberg.molecules.rdkit_bridge import conformer
    from hohenberg.molecules.smiles import molecule_from_smiles

    if molecule is not None:
        try:
            rdmol = molecule.to_rdkit(smiles=smiles)
            Chem.SanitizeMol(rdmol)  # ring and aromaticity flags for TPSA and MMFF atom types
            return rdmol
        except (ValueError, RuntimeError):  # SMILES and geometry disagree (a few QM9 rows): embed instead
            pass
    try:
        mol = molecule_from_smiles(smiles)
    except (InputError, ValueError, RuntimeError):
        return None
    # molecule_from_smiles keeps the atom order of AddHs(MolFromSmiles(smiles))
    rdmol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    rdmol.AddConformer(conformer(mol), assignId=True)
    return rdmol


def polarity_matrix(smiles: Sequence[str], molecules: Sequence | None = None) -> np.ndarray:
    """(n, len(DESCRIPTORS)) descriptors of ``smiles`` (geometries from ``molecules`` where
    given, see :func:`rdkit_3d`); a molecule that could not be embedded gets each undefined
    descriptor's median over the others (0 if none is defined)."""
    from rdkit import Chem, RDLogger

    out = np.full((len(smiles), len(DESCRIPTORS)), np.nan)
    RDLogger.DisableLog("rdApp.*")  # template matching warns per ambiguous match; a mismatch is handled
    try:
        for i, s in enumerate(smiles):
            rdmol = rdkit_3d(s, None if molecules is None else molecules[i])
            if rdmol is None:
                mol = Chem.MolFromSmiles(s)
                rdmol = None if mol is None else Chem.AddHs(mol)
            if rdmol is not None:
                out[i] = polarity_descriptors(rdmol)
    finally:
        RDLogger.EnableLog("rdApp.*")
    for j in range(out.shape[1]):
        bad = ~np.isfinite(out[:, j])
        if bad.any():
            out[bad, j] = np.median(out[~bad, j]) if (~bad).any() else 0.0
    return out
