"""PySCF single points for a :class:`Molecule` at a named :class:`Level`.

:func:`run_scf` returns an :class:`SCFResult` with energies in eV, dipole in D and the density
matrix with its basis, or raises :class:`SCFConvergenceError` -- an unconverged SCF is retried
once with PySCF's second-order (Newton) solver and never returned as a result.  The geometry is
checked first (:mod:`hohenberg.qc.checks`: no overlapping atoms, no far-apart fragments); a
converged SCF with an occupied orbital above a virtual one (aufbau violated: not the ground
state) is rerun once from another guess with the second-order solver, and refused
(:class:`SCFAufbauError`) if that does not cure it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from pyscf import dft, gto, scf

from hohenberg.errors import HohenbergError
from hohenberg.molecules.molecule import Molecule
from hohenberg.qc.basis_convention import restrict_to_subspace, subspace_transform
from hohenberg.qc.basis_sets import gaussian_basis
from hohenberg.qc.checks import AUFBAU_TOL_EV, aufbau_violation_eV, check_geometry
from hohenberg.qc.levels import Level, parse_level
from hohenberg.units import HARTREE_EV


class SCFConvergenceError(HohenbergError):
    """The SCF did not converge, even with the second-order solver."""


class SCFAufbauError(HohenbergError):
    """The SCF converged to a state with an occupied orbital above a virtual one, twice."""


@dataclass(eq=False)
class SCFResult:
    """One converged single point; arrays in the AO basis of ``mol`` (a built ``gto.Mole``)."""

    molecule: Molecule
    level: Level
    mol: gto.Mole
    energy_eV: float
    mo_energy_eV: np.ndarray  # (nmo,) or (2, nmo) for open shells
    mo_occ: np.ndarray
    mo_coeff: np.ndarray  # AO x MO (AO basis of mol)
    dm: np.ndarray  # AO density matrix, total (alpha + beta)
    dipole_D: np.ndarray  # (3,)
    mulliken_charges_e: np.ndarray
    converged: bool
    n_cycles: int
    solver: str  # "diis" or "newton"
    wall_s: float
    info: dict = field(default_factory=dict)

    @property
    def homo_eV(self) -> float:
        return float(np.max(self.mo_energy_eV[self.mo_occ > 0]))

    @property
    def lumo_eV(self) -> float:
        virt = self.mo_energy_eV[self.mo_occ == 0]
        return float(np.min(virt)) if virt.size else float("nan")

    @property
    def gap_eV(self) -> float:
        return self.lumo_eV - self.homo_eV

    @property
    def mu_D(self) -> float:
        return float(np.linalg.norm(self.dipole_D))

    def summary(self) -> dict:
        """Scalars with units in the keys (what ``hohenberg qc run --json`` prints)."""
        return {"molecule": self.molecule.name, "formula": self.molecule.formula, "level": self.level.name,
                "energy_eV": self.energy_eV, "homo_eV": self.homo_eV, "lumo_eV": self.lumo_eV,
                "gap_eV": self.gap_eV, "mu_D": self.mu_D, "dipole_D": self.dipole_D.tolist(),
                "mulliken_charges_e": self.mulliken_charges_e.tolist(), "converged": self.converged,
                "scf_cycles": self.n_cycles, "solver": self.solver, "wall_s": self.wall_s, "n_ao": self.mol.nao,
                **{k: v for k, v in self.info.items() if k == "aufbau_retry"}}


def build_mol(molecule: Molecule, level: Level) -> gto.Mole:
    """The PySCF molecule: Cartesian AOs for the 6d7f and cartesian conventions."""
    if level.is_xtb:  # no basis set: tight binding runs through hohenberg.qc.xtb
        raise HohenbergError(f"level {level.name} is semi-empirical (tblite): no PySCF SCF, density matrix "
                             f"or density grid; use a method/basis level for those")
    if molecule.n_electrons == 0:
        raise HohenbergError(f"molecule {molecule.name or molecule.formula}: charge {molecule.charge:+d} leaves no "
                             f"electrons; nothing to compute")
    check_geometry(molecule)
    basis = level.basis
    if level.polarization == "gaussian":
        try:
            basis = gaussian_basis(level.basis, molecule.numbers)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise HohenbergError(f"molecule {molecule.name or molecule.formula}: cannot build Gaussian's "
                                 f"{level.basis} ({exc})") from None
    try:
        return molecule.to_pyscf(basis=basis, cart=level.convention != "spherical")
    except (RuntimeError, KeyError, ValueError) as exc:
        raise HohenbergError(f"molecule {molecule.name or molecule.formula}: cannot build basis {level.basis!r} ({exc})") from None


def make_scf(mol: gto.Mole, level: Level) -> scf.hf.SCF:
    """The configured (not yet run) SCF object: RHF/RKS for closed shells, UHF/UKS otherwise."""
    open_shell = mol.spin != 0
    if level.is_hf:
        mf = scf.UHF(mol) if open_shell else scf.RHF(mol)
    else:
        try:  # PySCF would fail only inside the first SCF cycle, with a bare KeyError
            dft.libxc.parse_xc(level.method)
        except (KeyError, ValueError) as exc:
            raise HohenbergError(f"level {level.name}: unknown functional {level.method!r} ({exc})") from None
        mf = dft.UKS(mol) if open_shell else dft.RKS(mol)
        mf.xc = level.method
        mf.grids.level = level.grid_level
    mf.conv_tol = level.conv_tol
    mf.verbose = 0
    if level.density_fit:
        mf = mf.density_fit()
    if level.convention == "6d7f":
        if open_shell:
            raise HohenbergError("the 6d7f convention is implemented for closed shells only")
        mf = restrict_to_subspace(mf, subspace_transform(mol))
    return mf


def run_scf(molecule: Molecule, level: Level | str, dm0: np.ndarray | None = None, max_cycle: int = 100,
            threads: int | None = None, newton_cycles: int = 50, init_guess: str | None = None) -> SCFResult:
    """A converged single point, or :class:`SCFConvergenceError` naming the molecule and level.

    Starting point: ``dm0`` (an AO density matrix of ``build_mol``'s basis) if given, else PySCF's
    ``init_guess`` (``minao``, its default, ``atom``, ``huckel``, ...)."""
    from pyscf import lib

    level = parse_level(level)
    if threads is not None:
        lib.num_threads(threads)
    t0 = time.perf_counter()
    mol = build_mol(molecule, level)
    cycles = [0]
    mf, solver = _converge(mol, level, cycles, dm0, init_guess, max_cycle, newton_cycles)
    if not mf.converged:
        raise SCFConvergenceError(
            f"molecule {molecule.name or molecule.formula}: SCF at {level.name} did not converge "
            f"({cycles[0]} cycles, DIIS then Newton)"
        )
    info = {}
    violation = aufbau_violation_eV(mf.mo_energy, mf.mo_occ) * HARTREE_EV
    if violation > AUFBAU_TOL_EV:
        # a stationary point, not the ground state: the second-order solver from another start
        # usually finds the minimum; if it does not, there is no ground state to report
        first = "the given density" if dm0 is not None else (init_guess or "minao")
        retry_guess = "atom" if first != "atom" else "minao"
        retry = make_scf(mol, level)
        retry.init_guess = retry_guess
        retry = retry.newton()
        retry.max_cycle = newton_cycles
        retry.callback = lambda env: cycles.__setitem__(0, cycles[0] + 1)
        retry.kernel()
        again = aufbau_violation_eV(retry.mo_energy, retry.mo_occ) * HARTREE_EV if retry.converged else np.inf
        if again > AUFBAU_TOL_EV:
            raise SCFAufbauError(
                f"molecule {molecule.name or molecule.formula}: SCF at {level.name} converged with the HOMO "
                f"{violation:.2f} eV above the LUMO (aufbau violated: not a ground state), and a second-order "
                f"rerun from the {retry_guess} guess " + ("did not converge" if not retry.converged else
                                                          f"still has it {again:.2f} eV above")
            )
        info["aufbau_retry"] = (f"HOMO {violation:.2f} eV above LUMO from {first}; rerun from {retry_guess} with "
                                f"the second-order solver: energy {(retry.e_tot - mf.e_tot) * HARTREE_EV:+.4f} eV")
        mf, solver = retry, "newton"
    result = _result(molecule, level, mol, mf, cycles[0], solver, time.perf_counter() - t0)
    result.info.update(info)
    return result


def _converge(mol, level, cycles, dm0, init_guess, max_cycle, newton_cycles):
    """DIIS, then the second-order solver from where DIIS stopped if it did not converge."""
    mf = make_scf(mol, level)
    mf.max_cycle = max_cycle
    if init_guess is not None:
        mf.init_guess = init_guess
    mf.callback = lambda env: cycles.__setitem__(0, cycles[0] + 1)
    mf.kernel(dm0=dm0)
    if mf.converged:
        return mf, "diis"
    # second-order solver from where DIIS stopped: slower per step, but robust
    newton = mf.newton()
    newton.callback = mf.callback
    newton.max_cycle = newton_cycles
    newton.kernel(mf.mo_coeff, mf.mo_occ)
    return newton, "newton"


def _result(molecule, level, mol, mf, cycles, solver, wall) -> SCFResult:
    dm = mf.make_rdm1()
    mo_coeff = mf.mo_coeff
    X = getattr(mf, "subspace_X", None)  # the Newton solver wraps mf; it keeps the attribute
    if X is None and hasattr(mf, "_scf"):
        X = getattr(mf._scf, "subspace_X", None)
    if X is not None:
        dm, mo_coeff = X @ dm @ X.T, X @ mo_coeff
    dm_total = dm[0] + dm[1] if dm.ndim == 3 else dm
    s = mol.intor_symmetric("int1e_ovlp")
    _, charges = scf.hf.mulliken_pop(mol, dm_total, s, verbose=0)
    dipole = scf.hf.dip_moment(mol, dm_total, unit="Debye", verbose=0)
    return SCFResult(
        molecule, level, mol, float(mf.e_tot) * HARTREE_EV, np.asarray(mf.mo_energy) * HARTREE_EV,
        np.asarray(mf.mo_occ), np.asarray(mo_coeff), dm_total, np.asarray(dipole), np.asarray(charges),
        bool(mf.converged), cycles, solver, wall,
    )
