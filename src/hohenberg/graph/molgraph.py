"""One molecule -> named tensors (or one PyG ``Data``): atom features, positions, targets, every view's edges.

Bonds come from :func:`hohenberg.molecules.rdkit_bridge.rdkit_of` (the SMILES matched onto the
geometry, else perception from the geometry, else connectivity alone); which one was used is
returned, so that data set provenance can count them.
"""

from __future__ import annotations

import numpy as np
import torch
from hohenberg.graph.features import atom_features, bond_features
from hohenberg.graph.views import complete_edges, radius_edges
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.rdkit_bridge import BOND_SOURCES, rdkit_of  # noqa: F401  (re-exported)

def molecule_tensors(mol: Molecule, cutoff: float, targets: np.ndarray | None = None) -> tuple[dict, str]:
    """Every feature block and view of ``mol`` as named tensors, and where its bonds came from."""
    rdmol, source = rdkit_of(mol)
    bond_index, bond_attr = bond_features(rdmol)
    pos = np.asarray(mol.positions, dtype=np.float32)
    y = np.full((1, 0), np.nan) if targets is None else np.asarray(targets, np.float64)[None, :]
    tensors = {
        "x": torch.from_numpy(atom_features(rdmol)),
        "z": torch.as_tensor(np.asarray(mol.numbers), dtype=torch.long),
        "pos": torch.from_numpy(pos),
        "y": torch.from_numpy(y),
        "bond_index": torch.from_numpy(bond_index),
        "bond_attr": torch.from_numpy(bond_attr),
        "radius_index": torch.from_numpy(radius_edges(pos.astype(np.float64), cutoff)),
        "complete_index": torch.from_numpy(complete_edges(mol.n_atoms)),
    }
    return tensors, source


def molecule_graph(mol: Molecule, cutoff: float, targets: np.ndarray | None = None):
    """The graph of ``mol`` as a PyG ``Data`` with all feature blocks and all views; ``targets``:
    (n_targets,) or None."""
    from torch_geometric.data import Data

    tensors, source = molecule_tensors(mol, cutoff, targets)
    return Data(**tensors), source
