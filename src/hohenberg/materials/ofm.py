"""Orbital-field matrix (OFM) of Pham et al., Sci. Technol. Adv. Mater. 18, 756 (2017).

Each atom p carries a 32-component one-hot vector O_p of its valence subshell occupations
(s1..s2, p1..p6, d1..d10, f1..f14: Fe [Ar]3d6 4s2 has ones at s2 and d6).  Its local OFM is

    X_p = O_p^T [1, sum_k O_k * (theta_k / theta_max) * zeta(r_pk)]        (32 x 33)

over the Voronoi neighbours k of p, with theta_k the solid angle of the shared Voronoi facet,
theta_max the largest of them and zeta(r) = 1/r (r in Angstrom).  The structure's OFM is the
mean of X_p over atoms.  The leading column (the '1') keeps the central atom's own orbitals.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import Voronoi

from hohenberg.materials.elements import element_table

ORBITAL_LABELS = [f"s{i}" for i in range(1, 3)] + [f"p{i}" for i in range(1, 7)] + [f"d{i}" for i in range(1, 11)] + [f"f{i}" for i in range(1, 15)]
_OFFSET = {"s": 0, "p": 2, "d": 8, "f": 18}


def orbital_vector(symbol: str) -> np.ndarray:
    """32-component one-hot of the valence s/p/d/f occupations of an element."""
    row = element_table().loc[symbol]
    v = np.zeros(32)
    for l in "spdf":
        k = int(row[f"n_{l}_valence"])
        if k:
            v[_OFFSET[l] + k - 1] = 1.0
    return v


def _triangle_solid_angle(a, b, c) -> float:
    """Solid angle of triangle (a, b, c) seen from the origin (Van Oosterom & Strackee 1983)."""
    la, lb, lc = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(c)
    num = abs(np.dot(a, np.cross(b, c)))
    den = la * lb * lc + np.dot(a, b) * lc + np.dot(a, c) * lb + np.dot(b, c) * la
    return 2.0 * np.arctan2(num, den)


def voronoi_neighbours(atoms, tol: float = 1e-8) -> list[list[tuple[int, float, float]]]:
    """For each atom: (neighbour index in the cell, distance in Angstrom, facet solid angle)
    over its Voronoi facets, periodic images included (3x3x3 supercell around the cell)."""
    pos = atoms.get_positions()
    cell = atoms.cell.array
    n = len(atoms)
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    # central copy first so that points 0..n-1 are the atoms of the cell
    shifts = shifts[np.argsort(np.abs(shifts).sum(1), kind="stable")]
    images = np.concatenate([pos + s @ cell for s in shifts])
    vor = Voronoi(images)
    out: list[list[tuple[int, float, float]]] = [[] for _ in range(n)]
    for (i, j), ridge in zip(vor.ridge_points, vor.ridge_vertices):
        for p, q in ((i, j), (j, i)):
            if p >= n:
                continue
            if -1 in ridge:
                raise ValueError("unbounded Voronoi cell: the cell is too small for a 3x3x3 supercell")
            verts = vor.vertices[ridge] - images[p]
            # facet vertices come in order around the polygon; fan triangulation
            omega = sum(_triangle_solid_angle(verts[0], verts[t], verts[t + 1]) for t in range(1, len(verts) - 1))
            if omega > tol:
                out[p].append((int(q % n), float(np.linalg.norm(images[q] - images[p])), float(omega)))
    return out


def local_ofm(center: np.ndarray, neighbours: list[tuple[np.ndarray, float, float]]) -> np.ndarray:
    """X_p = O_p^T [1, sum_k O_k (theta_k/theta_max) / r_k] for (O_k, r_k, theta_k) neighbours."""
    theta_max = max(t for _, _, t in neighbours)
    field = sum(o * (t / theta_max) / r for o, r, t in neighbours)
    return np.outer(center, np.concatenate([[1.0], field]))


def orbital_field_matrix(atoms, orbital_vectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Mean local OFM (32 x 33) of a periodic ASE structure.

    ``orbital_vectors`` overrides the one-hot vectors per symbol.  Why: matminer derives them
    from pymatgen's shell ordering, which also counts semicore shells (Cu: 3s2 3p6 3d10 4s1), so
    an independent comparison needs the same vectors.  matminer's matrix is
    ``(ofm[:, 1:] / ANGSTROM_BOHR).T`` of ours (1/r in bohr, neighbour orbitals as rows).
    """
    if not atoms.pbc.all():
        raise ValueError("the OFM needs a periodic structure (pbc on all three axes)")
    symbols = atoms.get_chemical_symbols()
    table = orbital_vectors or {}
    vectors = [np.asarray(table[s], float) if s in table else orbital_vector(s) for s in symbols]
    mats = []
    for p, nbrs in enumerate(voronoi_neighbours(atoms)):
        mats.append(local_ofm(vectors[p], [(vectors[q], r, t) for q, r, t in nbrs]))
    return np.mean(mats, axis=0)
