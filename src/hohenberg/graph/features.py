"""Atom and bond feature vectors from RDKit: named, documented, versioned feature sets.

Every atom is a node, hydrogens included (QM9 geometries carry explicit H).  The featurizer
computes all *blocks* below once per molecule; a named *feature set* is a list of blocks, i.e.
a column selection, so one cached graph data set serves every feature set.

Blocks (width):

=============== ===== ===================================================================
element            6  one-hot H, C, N, O, F, other (stored); a model's own element list at selection
degree             6  one-hot number of bonded neighbours 0..5 (H included, 5 = 5 or more)
formal_charge      3  one-hot -1, 0, +1
hybridization      5  one-hot S, SP, SP2, SP3, other
aromatic           1  RDKit aromaticity flag
ring               1  atom in any ring
num_h              5  one-hot attached hydrogens 0..4
gasteiger          1  Gasteiger-Marsili partial charge (e), NaN -> 0
atomic_number      1  Z / 10
acceptor           1  H-bond acceptor (RDKit BaseFeatures.fdef, as Gilmer et al. 2017)
donor              1  H-bond donor (same definitions)
num_h_count        1  attached hydrogens as a number
=============== ===== ===================================================================

Feature sets (:data:`FEATURE_SETS`):

* ``element``: element one-hot only.
* ``basic``: element + degree, formal charge, hybridisation, aromaticity, ring, attached H.
* ``gasteiger``: ``basic`` + Gasteiger charge.
* ``gilmer``: Gilmer et al. 2017 (MPNN) Table 1: atom type, atomic number, acceptor, donor,
  aromatic, hybridisation, number of hydrogens (their sp/sp2/sp3 one-hot is our 5-way one).

Bond features (6): one-hot single, double, triple, aromatic; conjugated; in ring.

The element one-hot a model sees is built at selection time from the atomic numbers
(:func:`select_features`) over the model's own element list (the elements of its training table,
QM9's H, C, N, O, F by default) plus an "other" slot, so one cache serves tables of any elements.

Changing any block or set changes :data:`FEATURIZER_VERSION`, which keys the graph cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
from rdkit import Chem, RDConfig
from rdkit.Chem import AllChem, ChemicalFeatures

from hohenberg.units import QM9_ELEMENTS

FEATURIZER_VERSION = 1

_ELEMENTS = QM9_ELEMENTS  # the stored element block; models choose their own list
_HYBRID = (Chem.HybridizationType.S, Chem.HybridizationType.SP, Chem.HybridizationType.SP2,
           Chem.HybridizationType.SP3)
_BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)

BLOCKS: dict[str, int] = {
    "element": 6, "degree": 6, "formal_charge": 3, "hybridization": 5, "aromatic": 1, "ring": 1,
    "num_h": 5, "gasteiger": 1, "atomic_number": 1, "acceptor": 1, "donor": 1, "num_h_count": 1,
}
"""Width of each block, in the column order of :func:`atom_features`."""

_BASIC = ("element", "degree", "formal_charge", "hybridization", "aromatic", "ring", "num_h")
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "element": ("element",),
    "basic": _BASIC,
    "gasteiger": _BASIC + ("gasteiger",),
    "gilmer": ("element", "atomic_number", "acceptor", "donor", "aromatic", "hybridization", "num_h_count"),
}
N_ATOM_FEATURES = sum(BLOCKS.values())
N_BOND_FEATURES = 6


def feature_columns(feature_set: str) -> np.ndarray:
    """Column indices of ``feature_set`` in the full block matrix of :func:`atom_features`."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose from {', '.join(FEATURE_SETS)}")
    starts = np.cumsum([0, *BLOCKS.values()])
    where = dict(zip(BLOCKS, starts))
    return np.concatenate([np.arange(where[b], where[b] + BLOCKS[b]) for b in FEATURE_SETS[feature_set]])


def n_atom_inputs(feature_set: str, elements: Sequence[int] = _ELEMENTS) -> int:
    """Width of :func:`select_features`' output for ``feature_set`` and the element list ``elements``."""
    width = len(feature_columns(feature_set))
    return width + (len(elements) - len(_ELEMENTS) if "element" in FEATURE_SETS[feature_set] else 0)


def element_one_hot(z: torch.Tensor, elements: Sequence[int]) -> torch.Tensor:
    """(n_atoms, len(elements) + 1) float32 one-hot of ``z`` over ``elements``, last column "other"."""
    lookup = torch.full((int(max(max(elements), int(z.max()) if z.numel() else 0)) + 1,), len(elements), dtype=torch.long)
    lookup[torch.as_tensor(list(elements), dtype=torch.long)] = torch.arange(len(elements))
    return torch.nn.functional.one_hot(lookup[z.long()], len(elements) + 1).to(torch.float32)


def select_features(x: torch.Tensor, z: torch.Tensor, feature_set: str,
                    elements: Sequence[int] = _ELEMENTS) -> torch.Tensor:
    """The columns of ``feature_set`` from the full block matrix ``x``, the element block rebuilt
    from ``z`` over ``elements`` (identical to the stored block for QM9's elements)."""
    blocks = FEATURE_SETS[feature_set]
    if "element" not in blocks or tuple(elements) == _ELEMENTS:
        return x[:, torch.as_tensor(feature_columns(feature_set))]
    rest = torch.as_tensor(feature_columns(feature_set)[BLOCKS["element"]:])  # element is every set's first block
    return torch.cat([element_one_hot(z, elements), x[:, rest]], dim=1)


def feature_names(feature_set: str, elements: Sequence[int] = _ELEMENTS) -> list[str]:
    """Readable name of every column of ``feature_set`` (``element:C``, ``degree:3``, ...)."""
    from hohenberg.units import symbol

    labels = {
        "element": [symbol(z) for z in elements] + ["other"], "degree": [str(i) for i in range(6)],
        "formal_charge": ["-1", "0", "+1"], "hybridization": ["S", "SP", "SP2", "SP3", "other"],
        "num_h": [str(i) for i in range(5)],
    }
    return [f"{b}:{lab}" if b in labels else b for b in FEATURE_SETS[feature_set]
            for lab in labels.get(b, [""])]


def _one_hot(value, choices, other: bool = False) -> list[float]:
    out = [float(value == c) for c in choices]
    if other:
        out.append(float(value not in choices))
    return out


@lru_cache(maxsize=1)
def _feature_factory():
    return ChemicalFeatures.BuildFeatureFactory(f"{RDConfig.RDDataDir}/BaseFeatures.fdef")


@lru_cache(maxsize=1)
def _donor_acceptor_patterns() -> tuple[tuple[Chem.Mol, ...], tuple[Chem.Mol, ...]]:
    """RDKit's Donor and Acceptor definitions (BaseFeatures.fdef, macros expanded) as compiled
    SMARTS: matching only these two families is ~10x faster than the factory, which matches all."""
    defs = _feature_factory().GetFeatureDefs()
    donors = tuple(Chem.MolFromSmarts(sma) for key, sma in defs.items() if key.startswith("Donor."))
    acceptors = tuple(Chem.MolFromSmarts(sma) for key, sma in defs.items() if key.startswith("Acceptor."))
    return donors, acceptors


def _donors_acceptors(rdmol: Chem.Mol) -> tuple[set[int], set[int]]:
    """Atoms of ``rdmol`` in RDKit's Donor and Acceptor feature families."""
    found = []
    for patterns in _donor_acceptor_patterns():
        atoms: set[int] = set()
        for pattern in patterns:
            for match in rdmol.GetSubstructMatches(pattern, uniquify=False, maxMatches=100000):
                atoms.update(match)
        found.append(atoms)
    return found[0], found[1]


def prepare(rdmol: Chem.Mol) -> Chem.Mol:
    """A sanitized copy (ring info, aromaticity, hybridisation perceived); the caller's stays as is.

    Molecules built from a geometry plus a SMILES template come back from RDKit unsanitized.
    """
    mol = Chem.Mol(rdmol)
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # odd valences in a perceived structure: keep going with what RDKit has
        mol.UpdatePropertyCache(strict=False)
        Chem.GetSymmSSSR(mol)
        Chem.SetHybridization(mol)
    return mol


def atom_features(rdmol: Chem.Mol) -> np.ndarray:
    """(n_atoms, N_ATOM_FEATURES) float32: every block, in :data:`BLOCKS` order."""
    mol = prepare(rdmol)
    AllChem.ComputeGasteigerCharges(mol)
    donors, acceptors = _donors_acceptors(mol)
    rows = []
    for atom in mol.GetAtoms():
        n_h = atom.GetTotalNumHs(includeNeighbors=True)
        q = atom.GetDoubleProp("_GasteigerCharge") if atom.HasProp("_GasteigerCharge") else 0.0
        rows.append(
            _one_hot(atom.GetAtomicNum(), _ELEMENTS, other=True)
            + _one_hot(min(atom.GetDegree(), 5), range(6))
            + _one_hot(atom.GetFormalCharge(), (-1, 0, 1))
            + _one_hot(atom.GetHybridization(), _HYBRID, other=True)
            + [float(atom.GetIsAromatic()), float(atom.IsInRing())]
            + _one_hot(min(n_h, 4), range(5))
            + [q if np.isfinite(q) else 0.0, atom.GetAtomicNum() / 10.0,
               float(atom.GetIdx() in acceptors), float(atom.GetIdx() in donors), float(n_h)]
        )
    out = np.asarray(rows, dtype=np.float32).reshape(-1, N_ATOM_FEATURES)
    return out


def bond_features(rdmol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
    """Directed bond graph: edge_index (2, 2*n_bonds) int64 and features (2*n_bonds, 6) float32.

    Each bond appears in both directions (i->j then j->i) with the same features.
    """
    index, feats = [], []
    for bond in rdmol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        f = _one_hot(bond.GetBondType(), _BOND_TYPES) + [float(bond.GetIsConjugated()), float(bond.IsInRing())]
        index += [(i, j), (j, i)]
        feats += [f, f]
    return (np.asarray(index, dtype=np.int64).reshape(-1, 2).T.copy(),
            np.asarray(feats, dtype=np.float32).reshape(-1, N_BOND_FEATURES))
