"""Promolecule density: the sum of spherically averaged isolated-atom densities.

Atomic densities come from PySCF's spherically averaged atomic SCF (fractional occupations, the
same atoms PySCF's SAD guess uses) at a given level and are tabulated once on a logarithmic
radial grid (``tools/make_promolecule_tables.py`` writes ``hohenberg/data/promolecule/*.npz``).
Rendering interpolates log(rho) linearly in log(r): a pure function of (Z, R) and the grid, so
any rotation or translation of the molecule is rendered exactly, not resampled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.grids import Grid
from hohenberg.qc.levels import Level, parse_level
from hohenberg.units import ANGSTROM_BOHR, symbol

R_MIN_BOHR, R_MAX_BOHR, N_RADIAL = 1e-5, 30.0, 800
FLOOR = 1e-30  # log of zero is avoided; below this the density is zero for all purposes
UNIFORM_STEP = 1e-3  # bohr: the cusp is resolved to ~1e-5 relative by linear interpolation


@dataclass(frozen=True, eq=False)
class RadialTable:
    """rho_Z(r) (electrons/bohr^3) on ``r_bohr`` for each tabulated element, at ``level``."""

    level: str
    r_bohr: np.ndarray
    numbers: tuple[int, ...]
    rho: np.ndarray  # (len(numbers), len(r_bohr))

    def row(self, z: int) -> np.ndarray:
        try:
            return self.rho[self.numbers.index(int(z))]
        except ValueError:
            raise HohenbergError(
                f"no promolecule table for {symbol(int(z))} at {self.level} "
                f"(tabulated: {', '.join(symbol(n) for n in self.numbers)})"
            ) from None

    def electrons(self, z: int) -> float:
        """4 pi int r^2 rho dr (Simpson in ln r, where the log grid is uniform): should be Z."""
        from scipy.integrate import simpson

        r = self.r_bohr
        return float(4 * np.pi * simpson(r**3 * self.row(z), x=np.log(r)))

    def uniform(self, z: int, step_bohr: float = UNIFORM_STEP) -> np.ndarray:
        """rho_Z on r = 0, step, 2 step, ... (cached): a lookup without log/exp per point."""
        key = (int(z), step_bohr)
        cache = self.__dict__.setdefault("_uniform", {})
        if key not in cache:
            r = np.arange(0.0, self.r_bohr[-1] + step_bohr, step_bohr)
            cache[key] = self.evaluate(z, r)
        return cache[key]

    def evaluate_fast(self, z: int, r_bohr: np.ndarray, step_bohr: float = UNIFORM_STEP) -> np.ndarray:
        """Linear interpolation in the uniform table (relative error < 1e-4 of the log form)."""
        table = self.uniform(z, step_bohr)
        x = r_bohr / step_bohr
        i = np.minimum(x.astype(np.int64), len(table) - 2)
        frac = np.minimum(x - i, 1.0)
        out = table[i] * (1.0 - frac) + table[i + 1] * frac
        return np.where(r_bohr >= self.r_bohr[-1], 0.0, out)

    def evaluate(self, z: int, r_bohr: np.ndarray) -> np.ndarray:
        logr = np.log(np.maximum(r_bohr, self.r_bohr[0]))
        logrho = np.log(np.maximum(self.row(z), FLOOR))
        out = np.exp(np.interp(logr, np.log(self.r_bohr), logrho, right=np.log(FLOOR)))
        return np.where(r_bohr > self.r_bohr[-1], 0.0, out)


def table_file_name(level: Level) -> str:
    text = f"{level.method}_{level.basis}".lower().replace("*", "star").replace("+", "plus")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") + ".npz"


def compute_radial_table(level: Level | str, numbers: list[int]) -> RadialTable:
    """Spherically averaged atomic densities at ``level`` (spherical basis), one SCF per element."""
    from pyscf import gto
    from pyscf.dft import numint
    from pyscf.scf import atom_hf, atom_ks

    level = parse_level(level)
    r = np.geomspace(R_MIN_BOHR, R_MAX_BOHR, N_RADIAL)
    # a few directions: the averaged atom is spherical, this guards against basis artefacts
    dirs = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 1]], dtype=float)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    rows = []
    for z in numbers:
        atom = gto.M(atom=[(z, (0.0, 0.0, 0.0))], basis=level.basis, spin=z % 2, unit="Bohr", verbose=0)
        if level.is_hf:
            res = atom_hf.get_atm_nrhf(atom)
        else:
            res = atom_ks.get_atm_nrks(atom, xc=level.method)
        _, _, c, occ = res[symbol(z)]
        dm = (c * occ) @ c.T
        pts = (dirs[:, None, :] * r[None, :, None]).reshape(-1, 3)
        rho = numint.eval_rho(atom, numint.eval_ao(atom, pts), dm).reshape(len(dirs), -1).mean(0)
        rows.append(np.maximum(rho, 0.0))
    return RadialTable(level.name, r, tuple(int(z) for z in numbers), np.array(rows))


def save_radial_table(table: RadialTable, path) -> None:
    from hohenberg.fileio import atomic_open

    with atomic_open(path) as fh:
        np.savez(fh, level=np.array(table.level), r_bohr=table.r_bohr, numbers=np.array(table.numbers), rho=table.rho)


@lru_cache(maxsize=16)
def radial_table(level: Level | str) -> RadialTable:
    """The shipped table for ``level`` (basis and functional; options such as +df ignored)."""
    level = parse_level(level)
    base = Level(level.method, level.basis)
    ref = resources.files("hohenberg.data").joinpath("promolecule", table_file_name(base))
    if not ref.is_file():
        shipped = sorted(p.name for p in resources.files("hohenberg.data").joinpath("promolecule").iterdir()
                         if p.name.endswith(".npz"))
        raise HohenbergError(f"no promolecule table shipped for {base.name} (shipped: {', '.join(shipped)}); "
                             "compute one with hohenberg.qc.promolecule.compute_radial_table")
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        return RadialTable(str(data["level"]), data["r_bohr"], tuple(int(z) for z in data["numbers"]), data["rho"])


def promolecule_at(numbers: np.ndarray, positions: np.ndarray, points: np.ndarray,
                   level: Level | str | RadialTable = "b3lyp/6-31g(2df,p)") -> np.ndarray:
    """Sum of atomic densities (electrons/bohr^3) at ``points``; points and positions in Angstrom."""
    table = level if isinstance(level, RadialTable) else radial_table(level)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3) * ANGSTROM_BOHR
    rho = np.zeros(len(pts))
    for z, pos in zip(numbers, np.asarray(positions) * ANGSTROM_BOHR):
        rho += table.evaluate(int(z), np.linalg.norm(pts - pos, axis=1))
    return rho


def promolecule_density(numbers: np.ndarray, positions: np.ndarray, grid: Grid,
                        level: Level | str | RadialTable = "b3lyp/6-31g(2df,p)") -> np.ndarray:
    """Sum of atomic densities on ``grid`` (electrons/bohr^3); positions in Angstrom.

    Any grid (rotated axes included) works; for axis-aligned grids the squared distances are
    sums of three 1D terms and the radial table is a uniform lookup, which is several times
    faster than the general path.
    """
    axes = grid.axes
    if not np.allclose(axes, np.diag(np.diag(axes))):
        return promolecule_at(numbers, positions, grid.points(), level).reshape(grid.shape)
    table = level if isinstance(level, RadialTable) else radial_table(level)
    ticks = [(grid.origin[k] + np.arange(grid.shape[k]) * axes[k, k]) * ANGSTROM_BOHR for k in range(3)]
    rho = np.zeros(grid.shape)
    for z, pos in zip(numbers, np.asarray(positions) * ANGSTROM_BOHR):
        dx2, dy2, dz2 = ((t - p) ** 2 for t, p in zip(ticks, pos))
        r = np.sqrt(dx2[:, None, None] + dy2[None, :, None] + dz2[None, None, :])
        rho += table.evaluate_fast(int(z), r)
    return rho
