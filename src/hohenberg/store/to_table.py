"""A store of computed properties back into a training table.

:func:`table_from_store` reads every committed record of a store written by ``hohenberg qc batch``
into a :class:`~hohenberg.molecules.table.MoleculeTable`: ids, numbers, positions (the ones the
values were computed at, relaxed ones included), charge and spin where the records hold them (0
otherwise), the scalar properties (``energy_eV``, ``homo_eV``, ``lumo_eV``, ``gap_eV``, ``mu_D``)
and the Mulliken charges as the atom property ``mulliken_charge_e``; the SMILES a molecule was
built from, where it had one, as the text column ``smiles``.  The level and the store are
recorded in ``meta`` (``level``, ``source_kind="qc-store"``, ``target_provenance``: JSON
``{column: {"source": store, "level": level}}``).  Molecules listed in ``failures.jsonl`` and not
in the store are not rows; :func:`store_failures` counts them.  Densities are not read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hohenberg import __version__
from hohenberg.errors import InputError
from hohenberg.molecules.table import MoleculeTable
from hohenberg.store import layout
from hohenberg.store.reader import StoreReader

SCALARS = ("energy_eV", "homo_eV", "lumo_eV", "gap_eV", "mu_D")
ATOM_COLUMNS = {"mulliken_charges_e": "mulliken_charge_e"}  # record array -> table atom column
_STRUCTURE = ("numbers", "positions", "charge", "spin")


def table_from_store(store_path: str | Path) -> MoleculeTable:
    """Every committed record of the store as one table row, in commit order (module docstring)."""
    root = Path(store_path)
    if not (root / layout.MANIFEST).is_file():
        raise InputError(root, f"not a store (no {layout.MANIFEST})")
    names = set(SCALARS) | set(ATOM_COLUMNS) | set(_STRUCTURE)
    with StoreReader(root) as reader:
        level = str(reader.config.get("level", ""))
        ids, numbers, positions, charge, spin, smiles = [], [], [], [], [], []
        props: dict[str, list[float]] = {k: [] for k in SCALARS}
        atoms: dict[str, list[np.ndarray]] = {k: [] for k in ATOM_COLUMNS.values()}
        levels = set()
        for record_id in reader.ids:
            rec = reader.record(record_id, names)
            arrays = rec.arrays
            if "numbers" not in arrays or "positions" not in arrays:
                raise InputError(root, f"record {record_id!r} holds no structure (numbers, positions)")
            n = len(arrays["numbers"])
            ids.append(record_id)
            numbers.append(np.asarray(arrays["numbers"], dtype=np.int64))
            positions.append(np.asarray(arrays["positions"], dtype=np.float64).reshape(n, 3))
            charge.append(int(arrays["charge"]) if "charge" in arrays else 0)
            spin.append(int(arrays["spin"]) if "spin" in arrays else 0)
            for k in SCALARS:
                props[k].append(float(arrays[k]) if k in arrays else np.nan)
            for src, dst in ATOM_COLUMNS.items():
                atoms[dst].append(np.asarray(arrays[src], dtype=np.float64).reshape(n) if src in arrays
                                  else np.full(n, np.nan))
            levels.add(str(rec.meta.get("level", level)))
            smiles.append(str(rec.meta.get("smiles", "")))
    if len(levels) > 1:  # the writer refuses mixed configurations; a hand-made store might not
        raise InputError(root, f"records were computed at several levels ({', '.join(sorted(levels))})")
    level = levels.pop() if levels else level
    counts = np.array([len(z) for z in numbers], dtype=np.int64)
    source = str(root)
    columns = list(SCALARS) + list(ATOM_COLUMNS.values())
    meta = {"level": level, "source_kind": "qc-store", "source": source, "code_version": __version__,
            "target_provenance": json.dumps({c: {"source": source, "level": level} for c in columns})}
    return MoleculeTable(
        np.concatenate(numbers) if numbers else np.zeros(0, np.int64),
        np.concatenate(positions) if positions else np.zeros((0, 3)),
        np.concatenate([[0], np.cumsum(counts)]), np.array(ids, dtype=object), np.array(charge), np.array(spin),
        {k: np.asarray(v, dtype=np.float64) for k, v in props.items()},
        {k: np.concatenate(v) if v else np.zeros(0) for k, v in atoms.items()},
        text={"smiles": np.array(smiles, dtype=object)} if any(smiles) else {}, meta=meta,
    )


def store_failures(store_path: str | Path) -> dict[str, str]:
    """Molecules the batch could not compute and that are not in the store: id -> last reason."""
    root = Path(store_path)
    path = root / layout.FAILURES
    failed: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
                failed[str(entry["id"])] = str(entry.get("reason", ""))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash
    if failed:
        with StoreReader(root) as reader:  # a later --retry-failed may have computed some
            failed = {k: v for k, v in failed.items() if k not in reader}
    return failed
