"""Electron density (electrons/bohr^3) on a :class:`Grid` or any points, from the occupied orbitals.

The per-point evaluation (:func:`density_at`, :func:`orbital_arrays`) lives in
:mod:`hohenberg.orbitals`, which the store's renderer shares; it is re-exported here.
"""

from __future__ import annotations

import numpy as np
from pyscf import gto
from pyscf.dft import gen_grid, numint

from hohenberg.grids import Grid
from hohenberg.orbitals import BLOCK, density_at, occupied_orbitals, orbital_arrays  # noqa: F401  (re-exported)
from hohenberg.qc.scf import SCFResult
from hohenberg.units import ANGSTROM_BOHR


def density_on_grid(result: SCFResult, grid: Grid, block: int = BLOCK) -> np.ndarray:
    """The SCF density on ``grid`` (shape ``grid.shape``), electrons/bohr^3."""
    rho = density_at(result.mol, result.mo_coeff, result.mo_occ, grid.points() * ANGSTROM_BOHR, block)
    return rho.reshape(grid.shape)


def density_via_dm(mol: gto.Mole, dm: np.ndarray, coords_bohr: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """The same density through the AO density matrix (cubegen's route; a reference)."""
    rho = np.empty(len(coords_bohr))
    for a in range(0, len(coords_bohr), block):
        ao = numint.eval_ao(mol, coords_bohr[a:a + block])
        rho[a:a + block] = numint.eval_rho(mol, ao, dm)
    return rho


def becke_electron_count(result: SCFResult, level: int = 3) -> float:
    """Integral of rho on PySCF's Becke (atom-centred) quadrature: the electron count."""
    grids = gen_grid.Grids(result.mol)
    grids.level = level
    grids.build()
    return float(np.dot(grids.weights, density_at(result.mol, result.mo_coeff, result.mo_occ, grids.coords)))
