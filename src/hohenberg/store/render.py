"""The orbitals layout: what is stored per molecule, and the density rendered from it.

Stored: occupied orbital coefficients (AO x n_occ, float32: relative density error ~1e-7),
occupations, and PySCF's integer/float basis tables ``_atm``, ``_bas``, ``_env`` (enough for
``eval_ao``).  Rendering evaluates rho = sum_i n_i |phi_i|^2 on any grid, so rotations and
resolutions are exact, at the price of CPU time per read (measured in benchmarks/store_layouts.py).
"""

from __future__ import annotations

import numpy as np
from pyscf import gto

from hohenberg.grids import Grid
from hohenberg.orbitals import density_at, orbital_arrays  # noqa: F401  (the stored arrays, computed beside the SCF)
from hohenberg.units import ANGSTROM_BOHR


def mol_from_arrays(arrays: dict) -> gto.Mole:
    """A built Mole from the stored tables (no ``gto.loads``: that one calls ``eval``)."""
    mol = gto.Mole()
    mol._atm = np.ascontiguousarray(arrays["basis_atm"], dtype=np.int32)
    mol._bas = np.ascontiguousarray(arrays["basis_bas"], dtype=np.int32)
    mol._env = np.ascontiguousarray(arrays["basis_env"], dtype=np.float64)
    mol.cart = bool(arrays["basis_cart"])
    mol._built = True
    return mol


def render_density(arrays: dict, grid: Grid) -> np.ndarray:
    """rho (electrons/bohr^3, float32, ``grid.shape``) from the orbital arrays of one record."""
    mol = mol_from_arrays(arrays)
    coeff = np.asarray(arrays["orbitals_coeff"], dtype=np.float64)
    occ = np.asarray(arrays["orbitals_occ"], dtype=np.float64)
    rho = density_at(mol, coeff, occ, grid.points() * ANGSTROM_BOHR)
    return rho.reshape(grid.shape).astype(np.float32)


def rotated_grid(grid: Grid, rotation: np.ndarray, center: np.ndarray | None = None) -> Grid:
    """``grid`` turned by the 3x3 rotation about ``center`` (default: the grid's centre), Angstrom."""
    r = np.asarray(rotation, dtype=np.float64)
    if center is None:
        center = grid.origin + (np.asarray(grid.shape) - 1) / 2.0 @ grid.axes
    center = np.asarray(center, dtype=np.float64)
    return Grid(center + (grid.origin - center) @ r.T, grid.axes @ r.T, grid.shape)
