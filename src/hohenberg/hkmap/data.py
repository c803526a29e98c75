"""Pairs for the Hohenberg-Kohn map: input channels on the input view, the SCF density (and the
promolecule) on the output view of the same rigid motion.

Items come from :class:`~hohenberg.volumetric.data.StoreVolumes` (stored density, cached
promolecule on the stored grid).  Both the target and the promolecule on the output view are
trilinear resamplings of the stored grids, so with the identity motion and the stored grid as
output view (the evaluation protocol) they are the stored values exactly, and under a random
motion both receive the same interpolation smoothing.  The potential channel is rendered exactly
from the moved atoms (:func:`~hohenberg.volumetric.data.render_channel`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from hohenberg.hkmap.model import HKConfig
from hohenberg.units import ANGSTROM_BOHR
from hohenberg.volumetric.augment import positions_in_view
from hohenberg.volumetric.data import (KEY_IDS, KEY_ROTATIONS, KEY_SHIFTS, KEY_Y, draw_motions, render_channel,
                                       transform_channel)

# Keys of a batch made by HKCollate, besides the ids, target (KEY_Y: the SCF density) and motions
# it shares with the volumetric batches
KEY_X = "x"  # (B, C, s, s, s) float32 transformed input channels
KEY_PRO = "pro"  # (B, o, o, o) float32 raw promolecule density on the output view, e/bohr^3
KEY_N_ELECTRONS = "n_electrons"  # (B,) float64
KEY_VOXEL = "voxel_bohr3"  # volume of one output voxel
KEY_NUMBERS = "numbers"  # atomic numbers per molecule, a list
KEY_POSITIONS = "positions"  # atom positions per molecule in the view frame (A), a list


class HKCollate:
    """Items -> ``{"x" (B, C, s, s, s) float32 transformed inputs, "pro" and "y" (B, o, o, o)
    float32 raw promolecule and SCF density (e/bohr^3) on the output view, "n_electrons" (B,),
    "voxel_bohr3", "ids", "numbers" and "positions" (list, view frame, A), "rotations", "shifts"}``."""

    def __init__(self, cfg: HKConfig, augment: bool = False, generator: torch.Generator | None = None,
                 motions: tuple[torch.Tensor, torch.Tensor] | None = None, lattice: bool = False):
        self.cfg = cfg
        self.augment = augment
        self.lattice = lattice  # augment with the cube's symmetries and whole-step shifts (exact targets)
        self.generator = generator
        self.motions = motions  # fixed (R, t) for every batch (tests: rotated views)

    def __call__(self, items: Sequence[dict]) -> dict:
        cfg, view = self.cfg, self.cfg.view
        if self.motions is not None:
            R, t = (m[:len(items)] for m in self.motions)
        else:
            R, t = draw_motions(len(items), self.augment, view.max_shift, self.generator,
                                lattice_spacing=items[0]["spacing"] if self.lattice else None)
        x = torch.stack([transform_channel(c, render_channel(c, items, R, t, view.size, view.spacing, view), view)
                         for c in view.channels], 1)
        o, s = cfg.output_size, cfg.output_spacing
        pro = render_channel("promolecule", items, R, t, o, s, view)
        y = render_channel("density", items, R, t, o, s, view) if items[0].get("density") is not None else None
        n_el = torch.tensor([float(it["numbers"].sum()) for it in items], dtype=torch.float64)
        return {KEY_X: x, KEY_PRO: pro, KEY_Y: y if y is not None else pro.new_full(pro.shape, float("nan")),
                KEY_N_ELECTRONS: n_el, KEY_VOXEL: (s * ANGSTROM_BOHR) ** 3, KEY_IDS: [it["id"] for it in items],
                KEY_NUMBERS: [it["numbers"] for it in items],
                KEY_POSITIONS: [positions_in_view(it["positions"], it["center"], Ri, ti)
                                for it, Ri, ti in zip(items, R, t)],
                KEY_ROTATIONS: R, KEY_SHIFTS: t}
