"""Physical checks around a single point: is the geometry one a calculation can mean, and is the
converged SCF a ground state by the aufbau principle?

* Atoms closer than :data:`MIN_DISTANCE_A` overlap (a typo, a duplicated line, a wrong unit);
  PySCF would either fail deep inside or return numbers for an impossible system.
* Fragments further than :data:`MAX_FRAGMENT_GAP_A` from every other atom are almost always a
  mistake (a coordinate in the wrong column, a unit slip); the SCF of such a system is ill-posed:
  identical runs can land on different "converged" states, one with the HOMO far above the LUMO.
* A converged SCF whose highest occupied orbital lies above its lowest virtual one (in the same
  spin channel) is a stationary point, not the ground state; :func:`aufbau_violation_eV` measures it.
"""

from __future__ import annotations

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.molecules.molecule import Molecule

MIN_DISTANCE_A = 0.5  # shortest real bond is H2's 0.74 A
MAX_FRAGMENT_GAP_A = 10.0  # far beyond van der Waals contact (3-4 A) of any complex computed on purpose
AUFBAU_TOL_EV = 0.01  # degenerate frontier orbitals agree to far better than this


class GeometryError(HohenbergError):
    """A geometry no single point should be run on; the message names the atoms."""


def _atom(mol: Molecule, i: int) -> str:
    return f"{mol.symbols[i]}{i + 1}"


def check_geometry(mol: Molecule, min_distance: float = MIN_DISTANCE_A,
                   max_gap: float = MAX_FRAGMENT_GAP_A) -> None:
    """Refuse overlapping atoms and far-apart fragments (:class:`GeometryError`, atoms numbered
    from 1 as in the input file)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = mol.n_atoms
    if n < 2:
        return
    name = mol.name or mol.formula
    tree = cKDTree(mol.positions)
    dist, idx = tree.query(mol.positions, k=2)
    i = int(np.argmin(dist[:, 1]))
    if dist[i, 1] < min_distance:
        j = int(idx[i, 1])
        a, b = sorted((i, j))
        raise GeometryError(f"molecule {name}: atoms {_atom(mol, a)} and {_atom(mol, b)} are {dist[i, 1]:.3f} A "
                            f"apart (less than {min_distance:g} A: overlapping atoms, a duplicated line or a unit "
                            f"slip?)")
    pairs = tree.query_pairs(max_gap, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    n_parts, labels = connected_components(graph, directed=False)
    if n_parts == 1:
        return
    # the smallest fragment, and its closest approach to the rest
    sizes = np.bincount(labels)
    part = int(np.argmin(sizes))
    inside, outside = np.flatnonzero(labels == part), np.flatnonzero(labels != part)
    d, k = cKDTree(mol.positions[outside]).query(mol.positions[inside])
    m = int(np.argmin(d))
    atoms = ", ".join(_atom(mol, int(a)) for a in inside[:5]) + (" ..." if len(inside) > 5 else "")
    raise GeometryError(f"molecule {name}: {n_parts} fragments; atom(s) {atoms} are {d[m]:.1f} A from the nearest "
                        f"other atom ({_atom(mol, int(inside[m]))} to {_atom(mol, int(outside[k[m]]))}), more than "
                        f"{max_gap:g} A: a coordinate or unit mistake?")


def aufbau_violation_eV(mo_energy: np.ndarray, mo_occ: np.ndarray) -> float:
    """Largest HOMO - LUMO over the spin channels (eV if ``mo_energy`` is): > 0 means an occupied
    orbital lies above a virtual one of the same spin; -inf when no channel has both."""
    energies, occupations = np.atleast_2d(mo_energy), np.atleast_2d(mo_occ)
    worst = -np.inf
    for e, occ in zip(energies, occupations):
        occupied, virtual = e[occ > 0], e[occ == 0]
        if occupied.size and virtual.size:
            worst = max(worst, float(occupied.max() - virtual.min()))
    return worst
