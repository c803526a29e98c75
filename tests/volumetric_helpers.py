"""A small store for volumetric tests: QM9 fixture molecules with a stand-in density.

The stand-in is the promolecule at the b3lyp/6-31g(2df,p) level on a coarse cube, so that the
store is built in about a second; the promolecule *channel* uses other (hf/sto-3g) radial tables,
so the two channels differ as a DFT density and a promolecule do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hohenberg.grids import Grid
from hohenberg.qc.promolecule import promolecule_density

STORE_SIZE = 20
STORE_SPACING = 0.7


def build_store(table, root: Path, n: int = 120) -> Path:
    from hohenberg.store import StoreWriter

    writer = StoreWriter(root, {"level": "promolecule-stand-in", "spacing": STORE_SPACING, "size": STORE_SIZE,
                                "density": True})
    try:
        for i in range(n):
            m = table.molecule(i)
            grid = Grid.around(m.positions, STORE_SPACING, STORE_SIZE)
            rho = promolecule_density(m.numbers, m.positions, grid, "b3lyp/6-31g(2df,p)").astype(np.float32)
            writer.put(m.name, {"density": rho, "numbers": m.numbers, "positions": m.positions,
                                "grid_origin": grid.origin, "grid_axes": grid.axes})
    finally:
        writer.close()
    return root
