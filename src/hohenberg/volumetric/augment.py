"""Random rigid motions and batched trilinear resampling of stored grids onto moved grids.

Conventions: a stored grid is an axis-aligned cube (``Grid.around``: origin, spacing, n points per
axis) whose array index (i, j, k) runs along x, y, z.  A *view* of a molecule is an axis-aligned
cube of ``size`` points at ``spacing`` centred on ``center``, expressed in a frame rotated by ``R``
and shifted by ``t``: view point p (relative to its centre) sits at ``center + t + R p`` in the
molecule's frame.  Sampling the stored density there is the density of the molecule moved by the
inverse motion, so drawing ``R`` uniformly on SO(3) draws the molecule's orientation uniformly.
Atom positions in the view frame are ``R^T (x - center - t)``: what renders the promolecule or a
potential exactly on the same view.
"""

from __future__ import annotations

from itertools import permutations, product

import torch
import torch.nn.functional as F


def random_rotations(n: int, generator: torch.Generator | None = None, dtype=torch.float64) -> torch.Tensor:
    """``(n, 3, 3)`` rotation matrices uniform on SO(3) (Haar): normalised Gaussian quaternions."""
    q = torch.randn(n, 4, generator=generator, dtype=dtype)
    q = q / q.norm(dim=1, keepdim=True)
    w, x, y, z = q.unbind(1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ], dim=1).reshape(n, 3, 3)


def random_shifts(n: int, max_shift: float, generator: torch.Generator | None = None,
                  dtype=torch.float64) -> torch.Tensor:
    """``(n, 3)`` translations uniform in the cube [-max_shift, max_shift]^3 (Angstrom)."""
    return (2 * torch.rand(n, 3, generator=generator, dtype=dtype) - 1) * max_shift


# The 48 symmetries of a centred cube: (axis permutation, axis reflections), in an order where the
# first 1, 8 and 48 are subgroups (identity; the reflections; all).  As a matrix acting on
# coordinates: R[i, perm[i]] = -1 if flips[i] else 1.
CUBE_OPS: list[tuple[tuple[int, int, int], tuple[bool, bool, bool]]] = [
    (perm, flips) for perm in permutations(range(3)) for flips in product((False, True), repeat=3)]


def lattice_motions(n: int, max_shift: float, spacing: float, generator: torch.Generator | None = None,
                    dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """``(R (n, 3, 3), t (n, 3))``: ``R`` one of the 48 symmetries of the cube (signed permutations
    of the axes, reflections included: the density of a mirrored molecule is the mirrored density),
    ``t`` a whole number of ``spacing`` steps per axis, at most ``max_shift``.  A centred view of a
    stored grid's spacing and size parity then lands on stored points only: the resampled grids
    are the stored values, without the smoothing of interpolating between points."""
    picks = torch.randint(len(CUBE_OPS), (n,), generator=generator).tolist()
    perms = torch.tensor([CUBE_OPS[i][0] for i in picks])
    signs = 1 - 2 * torch.tensor([CUBE_OPS[i][1] for i in picks], dtype=dtype)
    R = torch.zeros(n, 3, 3, dtype=dtype)
    R.scatter_(2, perms[:, :, None], signs[:, :, None])
    steps = int(max_shift / spacing + 1e-9)
    t = torch.randint(-steps, steps + 1, (n, 3), generator=generator).to(dtype) * spacing
    return R, t


def view_offsets(size: int, spacing: float, dtype=torch.float64) -> torch.Tensor:
    """``(size, size, size, 3)`` coordinates of a view's points relative to its centre (Angstrom)."""
    ticks = (torch.arange(size, dtype=dtype) - (size - 1) / 2) * spacing
    return torch.stack(torch.meshgrid(ticks, ticks, ticks, indexing="ij"), dim=-1)


def resample(volumes: torch.Tensor, stored_centers: torch.Tensor, stored_spacing: float, centers: torch.Tensor,
             rotations: torch.Tensor, shifts: torch.Tensor, size: int, spacing: float) -> torch.Tensor:
    """Trilinear samples of ``volumes`` ``(B, C, n, n, n)`` (stored cubes centred on
    ``stored_centers`` ``(B, 3)``, ``stored_spacing`` apart) on the views ``(centers, rotations,
    shifts)`` of ``size`` points at ``spacing``: ``(B, C, size, size, size)``; zero outside the
    stored cube.  One ``grid_sample`` call for the whole batch (on the volumes' device)."""
    B, n = volumes.shape[0], volumes.shape[-1]
    if volumes.shape[-3:] != (n, n, n):
        raise ValueError(f"stored grids must be cubes, got {tuple(volumes.shape[-3:])}")
    dev = volumes.device
    p = view_offsets(size, spacing).to(dev).reshape(1, -1, 3)  # (1, m, 3)
    R, t = rotations.to(dev, torch.float64), shifts.to(dev, torch.float64)
    world = (centers.to(dev, torch.float64) + t)[:, None, :] + p @ R.transpose(1, 2)  # (B, m, 3)
    half = stored_spacing * (n - 1) / 2
    u = (world - stored_centers.to(dev, torch.float64)[:, None, :]) / half  # [-1, 1] inside, per axis x, y, z
    # grid_sample's last coordinate indexes the first spatial dimension: (x, y, z) -> (k, j, i) order
    g = u.flip(-1).reshape(B, size, size, size, 3).to(volumes.dtype)
    return F.grid_sample(volumes, g, mode="bilinear", padding_mode="zeros", align_corners=True)


def positions_in_view(positions: torch.Tensor, center: torch.Tensor, rotation: torch.Tensor,
                      shift: torch.Tensor) -> torch.Tensor:
    """Atom positions ``(n_atoms, 3)`` in a view's frame (its centre at the origin)."""
    return (positions - center - shift) @ rotation


def rotation_angle(R: torch.Tensor) -> torch.Tensor:
    """Rotation angle(s) in radians (for tests and diagnostics)."""
    tr = R.diagonal(dim1=-2, dim2=-1).sum(-1)
    return torch.arccos(((tr - 1) / 2).clamp(-1, 1))



# the proper rotations among axis sign flips: a principal frame is defined up to these
SIGN_FLIPS = torch.tensor([[1.0, 1, 1], [-1, -1, 1], [-1, 1, -1], [1, -1, -1]], dtype=torch.float64)


def principal_frame(numbers: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """``(3, 3)`` proper rotation whose columns are the molecule's principal axes (of the nuclear
    charge distribution, largest spread first).  Each axis's sign is fixed by the third moment
    along it where that is not ~0, so most molecules get one frame whatever their stored orientation."""
    w = numbers.to(torch.float64)
    x = positions.to(torch.float64) - (w[:, None] * positions).sum(0) / w.sum()
    cov = (w[:, None, None] * x[:, :, None] * x[:, None, :]).sum(0) / w.sum()
    _, vecs = torch.linalg.eigh(cov)
    vecs = vecs.flip(1)  # eigh sorts ascending
    skew = (w[:, None] * (x @ vecs) ** 3).sum(0)
    vecs = vecs * torch.where(skew < 0, -1.0, 1.0)
    if torch.linalg.det(vecs) < 0:
        vecs[:, 2] = -vecs[:, 2]
    return vecs
