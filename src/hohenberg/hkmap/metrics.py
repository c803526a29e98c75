"""How a predicted density is measured against the SCF density: NMAE and the dipole moment.

Protocol (pure functions of arrays on one grid, the same for every model and the promolecule):

- NMAE (%) = 100 * sum_voxels |rho_pred - rho_true| * dV / N_electrons, on the full output grid
  (48^3 at 0.3 A for the stored QM9 store), with N the molecule's electron count (not the voxel
  sum, so the number is a fraction of all electrons).
- Dipole (Debye) = -sum_voxels (rho(r) - rho_promolecule(r)) (r - r_Z) dV, with r_Z the centre of
  nuclear charge.  Nuclei + promolecule (neutral spherical atoms) have no dipole, so this is the
  molecule's dipole; taking it from the difference density makes it robust to the grid: the
  voxel sum of rho alone misses or over-counts core electrons by up to several electrons
  depending on where the nuclear cusps fall between grid points (water on a 0.25 A grid:
  8.7 to 14.7 electrons over four orientations, and |mu| 1.0 to 5.2 D with the nuclei + rho
  formula), and the promolecule on the same points makes the same core error.  The error of a
  prediction is |mu_pred - mu_true| (vector difference), mu_true from the SCF density on the same
  grid by the same formula.
"""

from __future__ import annotations

import numpy as np
import torch

from hohenberg.units import ANGSTROM_BOHR, DEBYE_EAU
from hohenberg.volumetric.augment import view_offsets


def nmae_percent(pred: torch.Tensor | np.ndarray, true: torch.Tensor | np.ndarray, voxel_bohr3: float,
                 n_electrons: torch.Tensor | np.ndarray | float) -> torch.Tensor | np.ndarray:
    """Per-sample NMAE (%) of densities shaped (B, ...) (or one unbatched grid, then ``ndim`` 3)."""
    if isinstance(pred, np.ndarray):
        axes = tuple(range(pred.ndim - 3, pred.ndim))
        return 100.0 * np.abs(pred - true).sum(axes) * voxel_bohr3 / np.asarray(n_electrons, dtype=np.float64)
    dims = tuple(range(pred.ndim - 3, pred.ndim))
    return 100.0 * (pred - true).abs().sum(dims) * voxel_bohr3 / torch.as_tensor(n_electrons, dtype=pred.dtype,
                                                                                  device=pred.device)


def view_points(size: int, spacing: float) -> np.ndarray:
    """(size, size, size, 3) positions (Angstrom) of a view's points relative to its centre."""
    return view_offsets(size, spacing).numpy()


def dipole_debye(rho: np.ndarray, promolecule: np.ndarray, points: np.ndarray, voxel_bohr3: float,
                 numbers: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Dipole vector (Debye) of a molecule from its density on a grid (module docstring):
    ``-sum (rho - promolecule) (r - r_Z) dV``; ``points`` (shape ``rho.shape + (3,)``) and
    ``positions`` in Angstrom in the same frame, densities in e/bohr^3."""
    z = np.asarray(numbers, dtype=np.float64)
    ref = (z[:, None] * np.asarray(positions, dtype=np.float64)).sum(0) / z.sum()
    diff = np.asarray(rho, dtype=np.float64) - np.asarray(promolecule, dtype=np.float64)
    return -np.tensordot(diff, points - ref, axes=diff.ndim) * voxel_bohr3 * ANGSTROM_BOHR / DEBYE_EAU


def summarise(values: np.ndarray) -> dict:
    """Mean, median, 90th percentile and max of per-molecule numbers (for JSON reports)."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "median": float(np.median(v)), "p90": float(np.percentile(v, 90)),
            "max": float(v.max()), "n": int(v.size)}
