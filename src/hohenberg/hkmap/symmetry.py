"""Symmetrised prediction: the average of a grid-to-grid model over the cube's symmetries.

A centred cubic grid is mapped onto itself by the 48 symmetries of the cube (axis permutations
times axis reflections), with no interpolation.  Averaging ``g^-1 model(g x)`` over a subgroup
makes the prediction exactly equivariant under it, and averages out part of the model's error
(docs/notes/hkmap.md gives the NMAE with 1, 8 and 48 symmetries).

Order of :data:`~hohenberg.volumetric.augment.CUBE_OPS`: the identity, then the 8 reflections of the axes (with the identity a
subgroup), then the other permutations: ``n = 1, 8, 48`` are subgroups, any other ``n`` is a
plain average of the first ``n``.  An op acts on the last three dimensions of a tensor.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from hohenberg.volumetric.augment import CUBE_OPS


def check_n_ops(n_ops: int, name: str = "n_ops") -> None:
    """A ValueError naming ``name`` unless ``1 <= n_ops <= 48``."""
    if not 1 <= n_ops <= len(CUBE_OPS):
        raise ValueError(f"{name} must be between 1 and {len(CUBE_OPS)}, not {n_ops}")


def apply_op(t: torch.Tensor, op) -> torch.Tensor:
    """``t`` (..., n, n, n) with its grid axes permuted, then reflected."""
    perm, flips = op
    k = t.ndim - 3
    t = t.permute(*range(k), *(k + i for i in perm))
    dims = [k + i for i in range(3) if flips[i]]
    return t.flip(dims) if dims else t


def undo_op(t: torch.Tensor, op) -> torch.Tensor:
    """The inverse of :func:`apply_op`."""
    perm, flips = op
    k = t.ndim - 3
    dims = [k + i for i in range(3) if flips[i]]
    t = t.flip(dims) if dims else t
    inverse = sorted(range(3), key=lambda i: perm[i])
    return t.permute(*range(k), *(k + i for i in inverse))


def symmetrised(model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, pro: torch.Tensor,
                n_ops: int = 1) -> torch.Tensor:
    """Mean over the first ``n_ops`` cube symmetries of ``undo(model(apply(x), apply(pro)))``;
    ``n_ops = 1`` is ``model(x, pro)``.  Sums and non-negativity of the outputs carry over."""
    check_n_ops(n_ops)
    total = None
    for op in CUBE_OPS[:n_ops]:
        y = undo_op(model(apply_op(x, op), apply_op(pro, op)), op)
        total = y if total is None else total + y
    return total / n_ops
