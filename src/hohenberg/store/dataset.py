"""PyTorch view of a store: one molecule's density (and targets) per item.

Fork- and spawn-safe for multi-worker DataLoaders: the dataset holds only the store's path and
its index (plain dicts); the reader inside opens shard files lazily, per process, and drops its
descriptors when pickled.  Each item is one ``pread`` of one record: no whole-file reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from hohenberg.grids import Grid
from hohenberg.store.reader import StoreReader


class DensityDataset(Dataset):
    """Items: ``{"id": str, "density": float32 tensor (1, n, n, n) in electrons/bohr^3,
    "targets": float32 tensor (len(targets),)}``.

    ``targets`` are record arrays in the batch's units (``homo_eV``, ``gap_eV``, ``mu_D``, ...).
    ``grid_fn(record_grid) -> Grid`` (orbitals layout only) picks the grid to render on, e.g. a
    random rotation per item; ``transform`` is applied to the item dict last.
    """

    def __init__(self, root: str | Path, ids: Sequence[str] | None = None, targets: Sequence[str] = ("gap_eV",),
                 transform: Callable[[dict], dict] | None = None, grid_fn: Callable[[Grid], Grid] | None = None):
        self.reader = StoreReader(root)
        self.ids = list(self.reader.ids if ids is None else ids)
        missing = [i for i in self.ids if i not in self.reader]
        if missing:
            from hohenberg.errors import HohenbergError

            raise HohenbergError(f"{root}: {len(missing)} requested id(s) not in the store, e.g. {missing[0]!r}")
        self.targets = tuple(targets)
        self.transform = transform
        if grid_fn is not None and self.reader.layout != "orbitals":
            from hohenberg.errors import HohenbergError

            raise HohenbergError(f"{root}: grid_fn needs a store in the orbitals layout (this one is "
                                 f"{self.reader.layout!r}; rotate its grids in a transform instead)")
        self.grid_fn = grid_fn

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        record_id = self.ids[i]
        if self.reader.layout == "grid":  # one read, and only the arrays needed
            rec = self.reader.record(record_id, {"density", *self.targets})
            rho = rec["density"]
        else:
            from hohenberg.store.render import render_density

            rec = self.reader.record(record_id)
            grid = self.reader.grid_of(rec)
            rho = render_density(rec.arrays, self.grid_fn(grid) if self.grid_fn is not None else grid)
        item = {"id": record_id, "density": torch.from_numpy(np.ascontiguousarray(rho, dtype=np.float32))[None],
                "targets": torch.tensor([float(rec[t]) for t in self.targets], dtype=torch.float32)}
        return self.transform(item) if self.transform is not None else item
