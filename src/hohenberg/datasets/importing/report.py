"""What a person checks after an import: a table's counts, targets and provenance; the left-out
molecules as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hohenberg.datasets.targets import table_targets
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import split_unit


def describe(table: MoleculeTable) -> dict[str, Any]:
    """Counts a person checks first: molecules, atoms, elements, charge/spin, targets, provenance."""
    from hohenberg.units import symbol

    zs, counts = np.unique(table.numbers, return_counts=True)
    charges, charge_n = np.unique(table.charge, return_counts=True)
    spins, spin_n = np.unique(table.spin, return_counts=True)
    try:
        provenance = json.loads(table.meta.get("target_provenance", "{}"))
    except json.JSONDecodeError:
        provenance = {}
    return {
        "molecules": len(table), "atoms": int(table.offsets[-1]),
        "elements": {symbol(int(z)): int(n) for z, n in zip(zs, counts)},
        "charge": {str(int(c)): int(n) for c, n in zip(charges, charge_n)},
        "spin": {str(int(s)): int(n) for s, n in zip(spins, spin_n)},
        "targets": {t: split_unit(t)[1] for t in table_targets(table)},
        "target_provenance": provenance,
    }


def write_skipped_csv(path: str | Path, skipped: Sequence[dict[str, Any]]) -> Path:
    """The left-out molecules as CSV (file, kind, number, line, column, reason), written atomically."""
    from hohenberg.fileio import atomic_write

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["file", "kind", "number", "line", "column", "reason"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in skipped)
    return atomic_write(path, buf.getvalue())
