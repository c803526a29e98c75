"""Gaussian cube files: a molecule plus one volumetric field on a regular grid.

Cube files are in bohr (a negative voxel count marks Angstrom axes); values are kept as
written, which for densities is electrons/bohr^3.  We always write bohr.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_open
from hohenberg.grids import Grid
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import parse_float, parse_int, read_text
from hohenberg.units import ANGSTROM_BOHR, BOHR_ANGSTROM


@dataclass(eq=False)
class CubeData:
    molecule: Molecule
    grid: Grid
    values: np.ndarray  # shape grid.shape
    comment: str = ""


def read_cube(path: str | Path) -> CubeData:
    path = Path(path)
    lines = read_text(path).splitlines()
    if len(lines) < 6:
        raise InputError(path, f"a cube file has at least 6 header lines, found {len(lines)}", len(lines))

    def fields(k: int, count: int, what: str) -> list[str]:
        parts = lines[k].split()
        if len(parts) < count:
            raise InputError(path, f"{what}: expected {count} fields, found {len(parts)}", k + 1)
        return parts

    parts = fields(2, 4, "atom count and origin")
    natoms = parse_int(parts[0], path, 3, "atom count")
    origin = np.array([parse_float(t, path, 3, "origin") for t in parts[1:4]])
    shape, axes = [], []
    for k in (3, 4, 5):
        p = fields(k, 4, "grid axis")
        n = parse_int(p[0], path, k + 1, "voxel count")
        if n == 0:
            raise InputError(path, "voxel count must not be zero", k + 1)
        vec = np.array([parse_float(t, path, k + 1, "axis vector") for t in p[1:4]])
        shape.append(abs(n))
        axes.append(vec if n < 0 else vec * BOHR_ANGSTROM)  # negative count: already Angstrom
    if natoms == 0:
        raise InputError(path, "the cube file lists no atoms", 3)
    numbers, positions = [], []
    for k in range(6, 6 + abs(natoms)):
        if k >= len(lines):
            raise InputError(path, f"file ends inside the atom list ({abs(natoms)} atoms declared)", len(lines))
        p = fields(k, 5, "atom line")
        z = parse_int(p[0], path, k + 1, "atomic number")
        if not 1 <= z <= 118:
            raise InputError(path, f"unknown atomic number {z}", k + 1)
        numbers.append(z)
        positions.append([parse_float(t, path, k + 1, "atom position") * BOHR_ANGSTROM for t in p[2:5]])
    start = 6 + abs(natoms) + (1 if natoms < 0 else 0)
    expected = int(np.prod(shape))
    try:
        values = np.array(" ".join(lines[start:]).replace("*^", "e").split(), dtype=np.float64)
    except ValueError:
        bad = _first_bad_line(lines, start)
        raise InputError(path, "grid data contain a value that is not a number", bad) from None
    if values.size != expected:
        raise InputError(path, f"grid {shape[0]}x{shape[1]}x{shape[2]} needs {expected} values, found {values.size}", len(lines))
    if not np.all(np.isfinite(values)):
        raise InputError(path, "grid data contain NaN or infinity", _first_bad_line(lines, start))
    mol = Molecule(numbers, positions, name=lines[0].strip() or path.stem)
    grid = Grid(origin * BOHR_ANGSTROM, np.array(axes), tuple(shape))
    return CubeData(mol, grid, values.reshape(shape), lines[1].strip())


def _first_bad_line(lines: list[str], start: int) -> int:
    for k in range(start, len(lines)):
        for tok in lines[k].split():
            try:
                if not np.isfinite(float(tok.replace("*^", "e"))):
                    return k + 1
            except ValueError:
                return k + 1
    return len(lines)


def write_cube(path: str | Path, molecule: Molecule, grid: Grid, values: np.ndarray, comment: str = "",
               digits: int = 9) -> Path:
    """Write values (shape ``grid.shape``) with the molecule, in bohr, atomically.

    ``digits`` significant digits: 9 reproduces float32 values exactly on reading (17 for
    float64); the traditional 6 (``%13.5E``) makes smaller files.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != grid.shape:
        raise ValueError(f"values of shape {values.shape} do not fit grid {grid.shape}")
    o = grid.origin * ANGSTROM_BOHR
    head = [molecule.name or "hohenberg", comment or "electron density, electrons/bohr^3",
            f"{molecule.n_atoms:5d} {o[0]:12.6f} {o[1]:12.6f} {o[2]:12.6f}"]
    for n, vec in zip(grid.shape, grid.axes * ANGSTROM_BOHR):
        head.append(f"{n:5d} {vec[0]:12.6f} {vec[1]:12.6f} {vec[2]:12.6f}")
    for z, p in zip(molecule.numbers, molecule.positions * ANGSTROM_BOHR):
        head.append(f"{z:5d} {0.0:12.6f} {p[0]:12.6f} {p[1]:12.6f} {p[2]:12.6f}")
    path = Path(path)
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(head) + "\n")
        # six values per line within each (x, y) row, the cube convention
        rows = values.reshape(-1, grid.shape[2])
        for row in rows:
            for a in range(0, len(row), 6):
                fh.write(" ".join(f"{v:.{digits - 1}E}" for v in row[a:a + 6]) + "\n")
    return path
