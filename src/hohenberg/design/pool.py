"""Candidate pools: the molecules a search may pick from.

``POOL`` is a molecule table (``.npz``, SMILES in its ``smiles`` text column, its properties kept
for the ``table`` oracle), a SMILES file (``SMILES [name]`` per line), or ``mutate:SEEDS.smi``:
the seeds and molecules one or two chemically valid edits away (:mod:`hohenberg.design.mutate`).
A pool is saved with a run (``pool.csv``), so a resumed run searches the same molecules.  A
table pool keeps the table's 3D geometries for the surrogate that reads them (``gp-tanimoto-3d``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_write


@dataclass
class Pool:
    ids: list[str]
    smiles: list[str]
    values: dict[str, np.ndarray] = field(default_factory=dict)  # known properties (table pools)
    origin: list[str] | None = None  # how each molecule was made (mutation pools)
    # 3D geometries, indexable like ``smiles`` (a table pool's MoleculeTable); None: embed from SMILES
    molecules: object | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, idx) -> Pool:
        idx = np.asarray(idx, int)
        return Pool([self.ids[i] for i in idx], [self.smiles[i] for i in idx],
                    {k: v[idx] for k, v in self.values.items()},
                    None if self.origin is None else [self.origin[i] for i in idx],
                    None if self.molecules is None else self.molecules.take(idx) if hasattr(self.molecules, "take")
                    else [self.molecules[i] for i in idx])

    def save(self, path: str | Path) -> Path:
        """``id,smiles,origin`` rows (values are not saved: the table oracle reads its table)."""
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "smiles", "origin"])
        for i, (a, s) in enumerate(zip(self.ids, self.smiles)):
            w.writerow([a, s, "" if self.origin is None else self.origin[i]])
        return atomic_write(path, buf.getvalue())

    @classmethod
    def load_csv(cls, path: str | Path) -> Pool:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        return cls([r["id"] for r in rows], [r["smiles"] for r in rows], {},
                   [r["origin"] for r in rows] if any(r["origin"] for r in rows) else None)


def load_pool(spec: str, size: int = 2000, max_heavy: int = 9, seed: int = 0, rounds: int = 2) -> Pool:
    """The pool named by ``spec`` (module docstring); ``size``, ``max_heavy``, ``rounds`` and
    ``seed`` shape a mutation pool."""
    if spec.startswith("mutate:"):
        from hohenberg.design.mutate import mutation_pool
        from hohenberg.qc.inputs import read_smiles_entries

        path = Path(spec[len("mutate:"):])
        if not path.is_file():
            raise InputError(path, "no such SMILES file (mutate:SEEDS.smi)")
        seeds = [e.smiles for e in read_smiles_entries(path)]
        found = mutation_pool(seeds, size=size, rounds=rounds, max_heavy=max_heavy, seed=seed)
        if not found:
            raise InputError(path, "no valid molecules from these seeds")
        return Pool([f"mut-{i:06d}" for i in range(len(found))], [s for s, _ in found], {}, [o for _, o in found])
    path = Path(spec)
    if not path.is_file():
        raise InputError(path, "no such pool file (a table .npz, a SMILES file, or mutate:SEEDS.smi)")
    if path.suffix.lower() == ".npz":
        from hohenberg.molecules.table import MoleculeTable

        table = MoleculeTable.load(path)
        if len(table) == 0:
            raise InputError(path, "the pool is empty")
        if "smiles" not in table.text:
            raise InputError(path, "this table has no SMILES column: a pool needs SMILES for the surrogates")
        smiles = [str(s) for s in table.text["smiles"]]
        ok = np.array([bool(s) for s in smiles])
        # the table's geometries are the molecules' own (QM9: B3LYP); a table without atoms has none
        geometry = table if len(table.numbers) and np.abs(table.positions).sum() > 0 else None
        pool = Pool([str(i) for i in table.ids], smiles, {k: np.asarray(v, float) for k, v in table.properties.items()},
                    None, geometry)
        return pool if ok.all() else pool.take(np.flatnonzero(ok))
    from hohenberg.qc.inputs import read_smiles_entries

    try:
        entries = read_smiles_entries(path)
    except InputError as exc:
        if "no SMILES found" in str(exc):
            raise InputError(path, "the pool is empty (no SMILES)") from None
        raise
    ids = [e.name for e in entries]
    if len(set(ids)) != len(ids):
        raise InputError(path, "two molecules share an id: a pool needs unique names")
    return Pool(ids, [e.smiles for e in entries])
