"""Electron density from occupied orbitals: pure functions on PySCF's ``Mole`` and MO arrays.

Both the SCF side (:mod:`hohenberg.qc.density`, which evaluates the density beside the SCF) and
the store (:mod:`hohenberg.store.render`, which keeps the orbitals and renders the density on
read) need these; they live here, below both, so neither package imports the other for them.

rho(r) = sum_i n_i |phi_i(r)|^2 over occupied orbitals is 1.5-3x cheaper than contracting the
AO values with the density matrix (cubegen's route) because the occupied space is much smaller
than the AO space.  Points go in blocks (bounded memory) and PySCF's shell mask skips basis
functions that are negligible on a block.
"""

from __future__ import annotations

import numpy as np
from pyscf import gto
from pyscf.dft import gen_grid, numint

BLOCK = 8192  # points per block: AO values for 200 basis functions stay ~13 MB


def occupied_orbitals(mo_coeff: np.ndarray, mo_occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(AO x n_occ coefficients, occupations) with both spins stacked for open shells."""
    mo_coeff, mo_occ = np.asarray(mo_coeff), np.asarray(mo_occ)
    if mo_coeff.ndim == 3:
        keep = [mo_occ[s] > 0 for s in (0, 1)]
        return (np.hstack([mo_coeff[s][:, keep[s]] for s in (0, 1)]),
                np.concatenate([mo_occ[s][keep[s]] for s in (0, 1)]))
    keep = mo_occ > 0
    return mo_coeff[:, keep], mo_occ[keep]


def orbital_arrays(mol: gto.Mole, mo_coeff: np.ndarray, mo_occ: np.ndarray) -> dict[str, np.ndarray]:
    """What the store's orbitals layout keeps of one SCF result: the occupied orbitals (float32)
    and PySCF's basis tables, enough to render the density on any grid later."""
    c_occ, occ = occupied_orbitals(mo_coeff, mo_occ)
    return {"orbitals_coeff": c_occ.astype(np.float32), "orbitals_occ": occ.astype(np.float64),
            "basis_atm": mol._atm.astype(np.int32), "basis_bas": mol._bas.astype(np.int32),
            "basis_env": mol._env.astype(np.float64), "basis_cart": np.asarray(bool(mol.cart))}


def density_at(mol: gto.Mole, mo_coeff: np.ndarray, mo_occ: np.ndarray, coords_bohr: np.ndarray,
               block: int = BLOCK) -> np.ndarray:
    """rho at ``coords_bohr`` (n, 3), electrons/bohr^3."""
    c_occ, occ = occupied_orbitals(mo_coeff, mo_occ)
    coords_bohr = np.asarray(coords_bohr, dtype=np.float64).reshape(-1, 3)
    rho = np.empty(len(coords_bohr))
    for a in range(0, len(coords_bohr), block):
        pts = coords_bohr[a:a + block]
        mask = gen_grid.make_mask(mol, pts)
        ao = numint.eval_ao(mol, pts, non0tab=mask)
        rho[a:a + block] = numint.eval_rho2(mol, ao, c_occ, occ, non0tab=mask, xctype="LDA")
    return rho
