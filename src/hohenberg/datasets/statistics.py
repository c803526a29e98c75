"""Per-target statistics of a table, with units."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import unit_of


def target_statistics(table: MoleculeTable, targets: Sequence[str]) -> dict[str, dict[str, float | str]]:
    out = {}
    for t in targets:
        v = table.properties[t]
        v = v[np.isfinite(v)]
        out[t] = {"unit": unit_of(t), "count": int(len(v)), "mean": float(v.mean()), "std": float(v.std()),
                  "min": float(v.min()), "max": float(v.max())}
    return out
