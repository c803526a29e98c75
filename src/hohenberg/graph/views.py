"""Graph views of one molecule: which atom pairs exchange messages.

* ``bond``: the 2D bond graph from RDKit (bond features attached; no geometry needed).
* ``radius``: every pair closer than a cutoff (default 5 Angstrom) in the 3D geometry.
* ``complete``: every pair of distinct atoms.

Only the *topology* (edge index) is cached.  Distances are recomputed from positions in the
forward pass (one gather and a norm), so that a model's invariance to rotation is a property of
the model, testable by rotating positions, and so that caches stay small; their radial-basis
expansion (:class:`RadialBasis`) belongs to the model.  Edges are directed, both directions
present; in a PyG batch every key ending in ``_index`` is offset by the node count.
"""

from __future__ import annotations

import numpy as np
import torch

VIEWS: tuple[str, ...] = ("bond", "radius", "complete")
GEOMETRIC_VIEWS = ("radius", "complete")
COMPLETE_RANGE = 12.0
"""Distance range (Angstrom) of the radial basis on the complete view: QM9's largest
interatomic distance is about 11 Angstrom."""
BOND_RANGE = 2.5


def radius_edges(positions: np.ndarray, cutoff: float) -> np.ndarray:
    """(2, E) int64: all ordered pairs i != j with |r_i - r_j| < cutoff."""
    d = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    mask = d < cutoff
    np.fill_diagonal(mask, False)
    return np.stack(np.nonzero(mask)).astype(np.int64)


def complete_edges(n_atoms: int) -> np.ndarray:
    """(2, n(n-1)) int64: every ordered pair of distinct atoms."""
    i, j = np.nonzero(~np.eye(n_atoms, dtype=bool))
    return np.stack([i, j]).astype(np.int64)


def view_range(view: str, cutoff: float) -> float:
    """Upper end of the radial basis for ``view`` (Angstrom)."""
    return {"bond": BOND_RANGE, "radius": cutoff, "complete": COMPLETE_RANGE}[view]


def edge_index_of(batch, view: str) -> torch.Tensor:
    """The (2, E) edge index of ``view`` in a PyG batch built by :mod:`hohenberg.graph.dataset`."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    return getattr(batch, f"{view}_index")


def edge_distances(pos: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """|r_j - r_i| for every edge (Angstrom), differentiable in ``pos``."""
    src, dst = edge_index
    return (pos[src] - pos[dst]).norm(dim=-1)
