"""Gaussian's mixed convention for Pople bases -- Cartesian d (6D) with pure f (7F) -- in PySCF.

PySCF builds a molecule either all-spherical or all-Cartesian.  To get 6D 7F we build the
Cartesian molecule and solve the SCF in the subspace spanned by ``X`` (n_cart x n_mixed): identity
on s, p, d shells, the Cartesian-to-spherical block on f and higher shells.  Only the overlap,
core Hamiltonian, effective potential and initial guess need the transformation; the density
matrix in the Cartesian AO basis is ``X D X^T`` and everything downstream (grids, dipoles,
Mulliken charges) uses that with the Cartesian molecule.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from pyscf import gto, lib, scf


def subspace_transform(mol: gto.Mole, pure_from_l: int = 3) -> np.ndarray:
    """X mapping the mixed basis (Cartesian below ``pure_from_l``, pure at and above) to ``mol``'s
    Cartesian AOs; ``mol.cart`` must be True."""
    if not mol.cart:
        raise ValueError("subspace_transform needs a Cartesian molecule (mol.cart = True)")
    blocks = []
    for b in range(mol.nbas):
        l = mol.bas_angular(b)
        block = gto.cart2sph(l, normalized="sp") if l >= pure_from_l else np.eye((l + 1) * (l + 2) // 2)
        blocks.extend([block] * mol.bas_nctr(b))
    return scipy.linalg.block_diag(*blocks)


def restrict_to_subspace(mf: scf.hf.SCF, X: np.ndarray) -> scf.hf.SCF:
    """Make ``mf`` (closed-shell HF or KS on a Cartesian molecule) work in span(X); returns mf."""
    mol = mf.mol
    get_veff_full = mf.get_veff
    s_cart = mol.intor_symmetric("int1e_ovlp")
    h_cart = scf.hf.get_hcore(mol)
    s_mixed = X.T @ s_cart @ X

    def get_veff(mol_=None, dm=None, dm_last=0, vhf_last=0, hermi=1):
        if dm is None:
            dm = mf.make_rdm1()
        # full (non-incremental) build: the incremental one would mix the two bases
        v = get_veff_full(mol, X @ dm @ X.T, 0, 0, hermi)
        out = X.T @ np.asarray(v) @ X
        tags = {k: getattr(v, k) for k in ("ecoul", "exc", "vj", "vk") if hasattr(v, k)}
        tags.update(vj=None, vk=None)
        return lib.tag_array(out, **tags)

    def get_init_guess(mol_=None, key="minao", **kwargs):
        dm_cart = scf.hf.init_guess_by_minao(mol)
        proj = np.linalg.solve(s_mixed, X.T @ s_cart)  # S-metric projection onto span(X)
        return proj @ dm_cart @ proj.T

    mf.get_ovlp = lambda *a, **k: s_mixed
    mf.get_hcore = lambda *a, **k: X.T @ h_cart @ X
    mf.get_veff = get_veff
    mf.get_init_guess = get_init_guess
    mf.direct_scf = False
    mf.subspace_X = X  # the result maps its density matrix and orbitals back with it
    return mf
