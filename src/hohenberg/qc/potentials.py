"""Artificial potentials on a grid: cheap 3D inputs that know only the nuclei.

``smeared_nuclear_potential``: V(r) = sum_A Z_A erf(|r - R_A| / (sqrt(2) sigma)) / |r - R_A|, the
Coulomb potential of Gaussian-smeared nuclear charges (Hartree/e; finite everywhere, Z sqrt(2/pi)
/ sigma at a nucleus), optionally clipped.  It depends only on (Z, R), so it can be rendered for
any rotation or translation of the molecule.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from hohenberg.grids import Grid
from hohenberg.units import ANGSTROM_BOHR


def smeared_nuclear_potential(numbers: np.ndarray, positions: np.ndarray, grid: Grid, sigma: float = 0.2,
                              clip_hartree: float | None = None) -> np.ndarray:
    """Potential in Hartree/e on ``grid``; ``sigma`` in Angstrom, positions in Angstrom."""
    pts = grid.points() * ANGSTROM_BOHR
    s = sigma * ANGSTROM_BOHR
    v = np.zeros(len(pts))
    for z, pos in zip(numbers, np.asarray(positions) * ANGSTROM_BOHR):
        r = np.linalg.norm(pts - pos, axis=1)
        safe = np.maximum(r, 1e-12)
        # r -> 0 limit of erf(r/(sqrt2 s))/r is sqrt(2/pi)/s
        v += z * np.where(r > 1e-8, erf(safe / (np.sqrt(2.0) * s)) / safe, np.sqrt(2.0 / np.pi) / s)
    if clip_hartree is not None:
        v = np.minimum(v, clip_hartree)
    return v.reshape(grid.shape)
