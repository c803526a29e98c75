"""GFN2-xTB and GFN1-xTB single points and geometry relaxations through tblite.

Semi-empirical tight binding: a few milliseconds per small molecule, three to four orders of
magnitude faster than a hybrid DFT single point, for energies, frontier orbitals, dipoles and
charges of lower accuracy.  :func:`run_xtb` returns an :class:`XtbResult` whose ``summary()`` has
the keys of :meth:`hohenberg.qc.scf.SCFResult.summary`, so batches and tables treat both alike.
There is no electron density on a grid at these levels (tblite exposes no basis functions to
evaluate one): xTB results are properties only.

Frontier orbitals.  tblite occupies orbitals with Fermi smearing (300 K) and reports spin-summed
occupations (0..2 per orbital, a single set also for open shells).  The HOMO is the highest orbital
whose occupation exceeds ``FRONTIER_OCCUPATION`` (0.5 electron), the LUMO the lowest orbital above
it whose occupation is below that threshold; so the singly occupied orbital of a doublet is its
HOMO, a smeared near-degeneracy does not invert the two, and ``gap = LUMO - HOMO >= 0`` always.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.molecules.molecule import Molecule
from hohenberg.qc.levels import Level, parse_level
from hohenberg.units import ANGSTROM_BOHR, DEBYE_EAU, HARTREE_EV

METHODS = {"gfn2-xtb": "GFN2-xTB", "gfn1-xtb": "GFN1-xTB"}  # level name -> tblite's method name
FRONTIER_OCCUPATION = 0.5  # electrons (spin-summed): occupied above, virtual below


class XtbError(HohenbergError):
    """tblite could not compute the molecule (unconverged SCC, unsupported element, ...)."""


@dataclass(eq=False)
class XtbResult:
    """One xTB single point: energies in eV, dipole in D, charges in e."""

    molecule: Molecule
    level: Level
    energy_eV: float
    orbital_energies_eV: np.ndarray  # (norb,), ascending
    orbital_occupations: np.ndarray  # (norb,), spin-summed electrons
    dipole_D: np.ndarray  # (3,)
    charges_e: np.ndarray  # (n_atoms,) tblite's Mulliken partial charges
    wall_s: float
    info: dict = field(default_factory=dict)

    @property
    def homo_eV(self) -> float:
        return frontier_orbitals(self.orbital_energies_eV, self.orbital_occupations)[0]

    @property
    def lumo_eV(self) -> float:
        return frontier_orbitals(self.orbital_energies_eV, self.orbital_occupations)[1]

    @property
    def gap_eV(self) -> float:
        return self.lumo_eV - self.homo_eV

    @property
    def mu_D(self) -> float:
        return float(np.linalg.norm(self.dipole_D))

    @property
    def mulliken_charges_e(self) -> np.ndarray:
        return self.charges_e

    def summary(self) -> dict:
        """The keys of the PySCF summary (SCF cycles are not exposed by tblite: -1)."""
        return {"molecule": self.molecule.name, "formula": self.molecule.formula, "level": self.level.name,
                "energy_eV": self.energy_eV, "homo_eV": self.homo_eV, "lumo_eV": self.lumo_eV,
                "gap_eV": self.gap_eV, "mu_D": self.mu_D, "dipole_D": self.dipole_D.tolist(),
                "mulliken_charges_e": self.charges_e.tolist(), "converged": True, "scf_cycles": -1,
                "solver": "tblite", "wall_s": self.wall_s, "n_ao": int(len(self.orbital_energies_eV))}


def frontier_orbitals(energies: np.ndarray, occupations: np.ndarray,
                      threshold: float = FRONTIER_OCCUPATION) -> tuple[float, float]:
    """(HOMO, LUMO) from ascending orbital energies and spin-summed occupations (module docstring)."""
    energies = np.asarray(energies, dtype=np.float64)
    occ = np.asarray(occupations, dtype=np.float64)
    occupied = np.flatnonzero(occ > threshold)
    if not occupied.size:
        raise XtbError("no orbital is occupied")
    h = int(occupied[-1])
    above = np.flatnonzero(occ[h + 1:] < threshold)
    lumo = float(energies[h + 1 + above[0]]) if above.size else float("nan")
    return float(energies[h]), lumo


def xtb_method(level: Level | str) -> str:
    """tblite's name of an xTB level, or an error for any other level."""
    level = parse_level(level)
    try:
        return METHODS[level.method]
    except KeyError:
        raise HohenbergError(f"level {level.name!r} is not an xTB level ({', '.join(METHODS)})") from None


def _label(molecule: Molecule) -> str:
    return molecule.name or molecule.formula


def run_xtb(molecule: Molecule, method: Level | str = "gfn2-xtb", accuracy: float = 1.0,
            max_iter: int = 250) -> XtbResult:
    """An xTB single point (``method``: ``gfn2-xtb``/``GFN2-xTB`` or ``gfn1-xtb``), or :class:`XtbError`.

    ``accuracy``: tblite's numerical accuracy (smaller is tighter); ``max_iter``: SCC iterations.
    Charge and unpaired electrons (``molecule.spin`` = 2S) come from the molecule.
    """
    from tblite.exceptions import TBLiteRuntimeError, TBLiteValueError
    from tblite.interface import Calculator

    from hohenberg.qc.checks import check_geometry

    level = parse_level(method)
    name = xtb_method(level)
    check_geometry(molecule)  # overlapping atoms or far-apart fragments: no meaningful answer
    t0 = time.perf_counter()
    try:
        calc = Calculator(name, molecule.numbers, molecule.positions * ANGSTROM_BOHR,
                          charge=float(molecule.charge), uhf=int(molecule.spin))
        calc.set("verbosity", 0)  # tblite prints an SCC table per call otherwise
        calc.set("accuracy", float(accuracy))
        calc.set("max-iter", int(max_iter))
        res = calc.singlepoint()
        energy = float(res.get("energy"))
        eps = np.asarray(res.get("orbital-energies"), dtype=np.float64)
        occ = np.asarray(res.get("orbital-occupations"), dtype=np.float64)
        dipole = np.asarray(res.get("dipole"), dtype=np.float64)
        charges = np.asarray(res.get("charges"), dtype=np.float64)
    except (TBLiteRuntimeError, TBLiteValueError) as exc:
        raise XtbError(f"molecule {_label(molecule)}: {name} failed ({exc})") from None
    if eps.ndim == 2:  # spin-polarized result: two channels, each holding at most one electron
        order = np.argsort(eps.reshape(-1), kind="stable")
        eps, occ = eps.reshape(-1)[order], 2.0 * occ.reshape(-1)[order]
    return XtbResult(molecule, level, energy * HARTREE_EV, eps * HARTREE_EV, occ, dipole / DEBYE_EAU, charges,
                     time.perf_counter() - t0, {"method": name, "accuracy": accuracy})


def optimize_geometry(molecule: Molecule, method: Level | str = "gfn2-xtb", fmax: float = 0.05,
                      steps: int = 200) -> Molecule:
    """The molecule relaxed with xTB forces (ASE's BFGS) until every force is below ``fmax`` eV/A.

    Raises :class:`XtbError` when ``steps`` steps do not get there.  The copy keeps name, charge,
    spin and info, and records in ``info`` the geometry's origin (``geometry``: e.g. ``gfn2-xtb-opt``),
    the force threshold and the final energy.
    """
    from ase.optimize import BFGS
    from tblite.ase import TBLite
    from tblite.exceptions import TBLiteRuntimeError, TBLiteValueError

    from hohenberg.qc.checks import check_geometry

    check_geometry(molecule)  # forces on overlapping atoms would fling them apart, not relax them
    level = parse_level(method)
    name = xtb_method(level)
    atoms = molecule.to_ase()
    atoms.info.clear()  # ASE Atoms carry our text info; the calculator needs none of it
    atoms.calc = TBLite(method=name, charge=molecule.charge, multiplicity=molecule.spin + 1, verbosity=0)
    try:
        opt = BFGS(atoms, logfile=None)
        converged = bool(opt.run(fmax=fmax, steps=steps))
        energy = float(atoms.get_potential_energy())
    except (TBLiteRuntimeError, TBLiteValueError) as exc:
        raise XtbError(f"molecule {_label(molecule)}: {name} relaxation failed ({exc})") from None
    if not converged:
        fmax_now = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
        raise XtbError(f"molecule {_label(molecule)}: {name} relaxation did not converge in {steps} steps "
                       f"(max force {fmax_now:.3f} eV/A > {fmax})")
    out = molecule.copy()
    out.positions = np.asarray(atoms.positions, dtype=np.float64).copy()
    out.info["geometry"] = f"{level.name}-opt"
    out.info["geometry_fmax_eV_A"] = str(fmax)
    out.info["geometry_energy_eV"] = repr(energy)
    return out
