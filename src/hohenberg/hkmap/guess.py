"""From a density on a grid to a starting density matrix for PySCF (``--guess hkmap``).

Why not a direct fit: least squares of rho in the space of AO products (rho = sum P_mn phi_m phi_n)
is ill posed -- products of neighbouring functions are nearly linearly dependent, so density
matrices far from the SCF one fit the same grid (even the exact HF density gives no fewer cycles
than ``minao`` this way).  And a Fock matrix built from the density alone (Hartree + LDA
exchange from rho) saves only ~1 cycle even for the exact density: the SCF's remaining work is
orbital relaxation that a local potential does not carry.

Method (a density-to-potential inversion in a minimal basis, in the spirit of Zhao-Morrison-Parr
and Wu-Yang): keep the density matrix idempotent -- the closed-shell determinant of the lowest
N/2 orbitals of ``F_SAD + V`` in STO-3G, F_SAD the Hartree-Fock Fock matrix of PySCF's
superposition-of-atoms density -- and adjust the potential matrix ``V`` until that determinant's
density matches the target on the grid:

    V <- V + step * integral (rho[P] - rho_target)(r) phi_m(r) phi_n(r) dV     (grid quadrature)

A determinant constrained to reproduce the density is well posed where the product fit is not
(docs/notes/hkmap.md, "Things that did not work", compares the three on the exact HF density).
The iteration stops when the density error stops improving (a predicted density has a noise
floor; fitting below it would fit noise).  In a larger basis the guess is the projection of the
minimal-basis density matrix (``project_dm_nr2nr``, as PySCF's ``minao`` projects its minimal
atoms).

Robustness: any failure (open shell, an element without STO-3G, a diverging inversion, an
electron count off by more than ``max_charge_error``) returns ``dm=None`` with the reason; the
caller falls back to ``minao`` and says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from pyscf import gto

from hohenberg.grids import Grid
from hohenberg.units import ANGSTROM_BOHR

MINIMAL_BASIS = "sto-3g"


@dataclass
class GuessConfig:
    step: float = 4.0  # potential update per unit density error (Hartree bohr^3 / e); 10 oscillates
    max_iter: int = 150
    tol_percent: float = 0.02  # stop when the density NMAE (%) improves by less than this per 10 steps
    density_floor: float = 1e-6  # e/bohr^3: voxels below it (the far tail) are not fitted
    max_charge_error: float = 0.5  # electrons: |tr(D S) - N| beyond this rejects the guess


@dataclass
class GuessResult:
    dm: np.ndarray | None  # AO density matrix in the SCF's basis; None: use the fallback
    reason: str  # "ok" or why the guess was rejected
    iterations: int = 0
    density_nmae_percent: float = float("nan")  # NMAE of the determinant's density vs the target
    start_nmae_percent: float = float("nan")  # same for the first determinant (F_SAD, V = 0)


def invert_density(mol_min: gto.Mole, points_bohr: np.ndarray, rho: np.ndarray, voxel_bohr3: float,
                   cfg: GuessConfig = GuessConfig()) -> tuple[np.ndarray, int, float, float]:
    """Idempotent closed-shell ``P`` of ``mol_min`` whose density matches ``rho`` on the points
    (module docstring); returns ``(P, iterations, final NMAE %, starting NMAE %)``."""
    from pyscf import scf
    from pyscf.dft import numint
    from pyscf.scf import hf
    from scipy.linalg import eigh

    rho = np.asarray(rho, dtype=np.float64).reshape(-1)
    keep = rho > cfg.density_floor
    ao = numint.eval_ao(mol_min, points_bohr[keep])
    target = rho[keep]
    s = mol_min.intor_symmetric("int1e_ovlp")
    f0 = scf.RHF(mol_min).get_fock(dm=hf.init_guess_by_atom(mol_min))
    nocc, n_el = mol_min.nelectron // 2, mol_min.nelectron
    v = np.zeros_like(s)
    history, best = [], None
    for it in range(cfg.max_iter):
        _, c = eigh(f0 + v, s)
        p = 2.0 * c[:, :nocc] @ c[:, :nocc].T
        diff = numint.eval_rho(mol_min, ao, p) - target
        nmae = 100.0 * np.abs(diff).sum() * voxel_bohr3 / n_el
        history.append(nmae)
        if best is None or nmae < best[2]:
            best = (p, it, nmae)
        if it >= 10 and history[-11] - nmae < cfg.tol_percent:
            break
        v += cfg.step * (ao.T @ (ao * (diff * voxel_bohr3)[:, None]))
    return best[0], best[1], best[2], history[0]


def density_matrix_guess(mol: gto.Mole, grid: Grid, rho: np.ndarray, cfg: GuessConfig = GuessConfig()) -> GuessResult:
    """Starting density matrix in ``mol``'s AO basis from ``rho`` (e/bohr^3) on ``grid`` (Angstrom)."""
    from pyscf.scf import addons

    if mol.spin != 0:
        return GuessResult(None, "open shell: the density guess is implemented for closed shells")
    try:
        with warnings.catch_warnings():
            # PySCF's atomic SCF (the SAD reference) calls its own deprecated remove_linear_dep_
            warnings.simplefilter("ignore", DeprecationWarning)
            mol_min = mol.copy()
            mol_min.basis = MINIMAL_BASIS
            mol_min.cart = False
            mol_min.build(False, False)
            p_min, it, nmae, start = invert_density(mol_min, grid.points() * ANGSTROM_BOHR, rho,
                                                    grid.voxel_volume_bohr3, cfg)
            # the identity when the SCF's basis is the minimal one
            dm = addons.project_dm_nr2nr(mol_min, p_min, mol)
    except Exception as exc:  # any failure: the caller falls back to minao and reports this reason
        return GuessResult(None, f"density inversion failed ({type(exc).__name__}: {exc})")
    if not np.all(np.isfinite(dm)):
        return GuessResult(None, "density inversion gave non-finite values")
    err = float(np.trace(dm @ mol.intor_symmetric("int1e_ovlp")) - mol.nelectron)
    if abs(err) > cfg.max_charge_error:
        return GuessResult(None, f"guess holds {err:+.2f} electrons too many")
    return GuessResult(dm, "ok", it, nmae, start)
