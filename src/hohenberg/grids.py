"""Regular 3D grids: origin, axis step vectors and shape (positions in Angstrom).

The default grid for property learning is a cube centred on the molecule, 0.2 Angstrom spacing,
64^3 points (DESIGN.md sec. 3).  Values on grids (densities) are in electrons/bohr^3.

A box must hold the molecule: every nucleus at least ``margin`` (:data:`MARGIN`, 2 Angstrom by
default) inside every face, where the density has fallen to about 1e-3 of its value near the
atoms.  :func:`grid_for` sizes a cube to the molecule, or checks a fixed size and refuses one that
would cut the density, naming the molecule and the size that would hold it: never a silent cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hohenberg.units import ANGSTROM_BOHR, MARGIN  # MARGIN is kept there, without numpy, for the command line


@dataclass(frozen=True, eq=False)
class Grid:
    origin: np.ndarray  # (3,) Angstrom, position of point (0, 0, 0)
    axes: np.ndarray  # (3, 3) Angstrom, row k = step along axis k
    shape: tuple[int, int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", np.asarray(self.origin, dtype=np.float64).reshape(3))
        object.__setattr__(self, "axes", np.asarray(self.axes, dtype=np.float64).reshape(3, 3))
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise ValueError(f"grid shape must be 3 positive integers, got {self.shape}")

    @classmethod
    def cube(cls, center: np.ndarray, spacing: float = 0.2, n: int = 64) -> Grid:
        center = np.asarray(center, dtype=np.float64)
        origin = center - spacing * (n - 1) / 2.0
        return cls(origin, np.eye(3) * spacing, (n, n, n))

    @classmethod
    def around(cls, positions: np.ndarray, spacing: float = 0.2, n: int = 64) -> Grid:
        """A cube centred on the centre of the bounding box of ``positions``."""
        pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
        return cls.cube((pos.min(0) + pos.max(0)) / 2.0, spacing, n)

    def inner_distance(self, positions: np.ndarray) -> float:
        """Smallest distance (Angstrom) from any of ``positions`` to a face of this axis-aligned
        box; negative when a position lies outside."""
        pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
        low = self.origin
        high = self.origin + np.diag(self.axes) * (np.asarray(self.shape) - 1)
        return float(min((pos - low).min(), (high - pos).min())) if len(pos) else float("inf")

    @property
    def n_points(self) -> int:
        return int(np.prod(self.shape))

    @property
    def voxel_volume_bohr3(self) -> float:
        """Volume of one voxel in bohr^3 (integrals of densities are sum * this)."""
        return float(abs(np.linalg.det(self.axes))) * ANGSTROM_BOHR**3

    def points(self) -> np.ndarray:
        """(n_points, 3) coordinates in Angstrom, C order (last axis fastest, like cube files)."""
        n0, n1, n2 = self.shape
        a0, a1, a2 = self.axes
        # broadcast sum of three 1D runs: no (n, 3) index array and no matrix product
        pts = (self.origin + np.arange(n0)[:, None, None, None] * a0 + np.arange(n1)[None, :, None, None] * a1
               + np.arange(n2)[None, None, :, None] * a2)
        return pts.reshape(-1, 3)

    def integrate(self, values: np.ndarray) -> float:
        """Integral of a density (per bohr^3) over the grid: the electron count for rho."""
        return float(np.asarray(values, dtype=np.float64).sum() * self.voxel_volume_bohr3)

    def same_as(self, other: Grid, atol: float = 1e-8) -> bool:
        return (self.shape == other.shape and np.allclose(self.origin, other.origin, atol=atol)
                and np.allclose(self.axes, other.axes, atol=atol))


def points_to_fit(positions: np.ndarray, spacing: float, margin: float = MARGIN) -> int:
    """Points per axis of the smallest cube at ``spacing`` that holds ``positions`` with ``margin``."""
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    extent = float((pos.max(0) - pos.min(0)).max()) if len(pos) else 0.0
    return int(np.ceil((extent + 2.0 * margin) / spacing - 1e-9)) + 1


def grid_for(positions: np.ndarray, spacing: float, size: int | None = None, margin: float = MARGIN,
             name: str = "the molecule") -> Grid:
    """A cube centred on ``positions``: ``size`` points per axis, or (None) just enough for ``margin``.

    Raises :class:`~hohenberg.errors.HohenbergError` when a fixed ``size`` leaves a nucleus closer
    than ``margin`` to a face, with the size that would hold it."""
    from hohenberg.errors import HohenbergError

    if spacing <= 0:
        raise HohenbergError(f"grid spacing must be positive, not {spacing}")
    if margin < 0:
        raise HohenbergError(f"grid margin must not be negative, not {margin}")
    need = points_to_fit(positions, spacing, margin)
    if size is None:
        size = need
    elif size < 2:
        raise HohenbergError(f"grid size must be at least 2 points per axis, not {size}")
    grid = Grid.around(positions, spacing, size)
    inside = grid.inner_distance(positions)
    if inside < margin - 1e-9:
        where = (f"a nucleus lies {-inside:.2f} A outside it" if inside < 0 else
                 f"a nucleus lies {inside:.2f} A from a face, less than the {margin:g} A margin")
        raise HohenbergError(f"{name} does not fit a {size}^3 box at {spacing:g} A ({(size - 1) * spacing:.2f} A): "
                             f"{where}; use a size of at least {need} (or let the size follow the molecule)")
    return grid
