"""Graph data sets: built once from a :class:`MoleculeTable`, cached on disk, sliced by rows.

Building a graph costs about 5 ms per QM9 molecule (RDKit perception, features, neighbour
lists), far more than a training step, so graphs are built once per (table rows, cutoff,
featurizer version) and cached as plain tensors (PyG's collated storage) that load with
``torch.load(weights_only=True)``; nothing is unpickled.  The cache holds every feature block
and every view, so any feature set / view / model combination trains from the same file.

``y`` holds the 13 QM9 targets (:data:`hohenberg.datasets.qm9.TARGETS`, eV, D, bohr^3, ...;
NaN where the table lacks one); :meth:`GraphDataset.select` narrows atoms' ``x`` to a feature
set and ``y`` to the trained targets.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from hohenberg import __version__
from hohenberg.datasets.qm9 import TARGETS
from hohenberg.fileio import atomic_open
from hohenberg.graph.features import FEATURIZER_VERSION, feature_columns
from hohenberg.graph.molgraph import molecule_graph
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable

CACHE_FORMAT = 1


class GraphDataset(InMemoryDataset):
    """Molecule graphs in PyG's collated in-memory storage (see module docstring)."""

    def __init__(self, data: Data, slices: dict[str, torch.Tensor], provenance: dict):
        super().__init__(root=None, log=False)
        self.data, self.slices = data, slices
        self.provenance = provenance

    @classmethod
    def from_graphs(cls, graphs: Sequence[Data], provenance: dict) -> GraphDataset:
        from torch_geometric.data.collate import collate

        # PyG's InMemoryDataset.collate skips the slices for a single graph; always make them
        data, slices, _ = collate(Data, list(graphs), increment=False, add_batch=False)
        return cls(data, slices, provenance)

    def select(self, feature_set: str, targets: Sequence[str] = TARGETS,
               views: Sequence[str] | None = None) -> GraphDataset:
        """A copy whose ``x`` holds only ``feature_set``'s columns, ``y`` only ``targets`` and,
        if ``views`` is given, only those views' edges (collating unused views costs throughput)."""
        data = self._data.clone()
        slices = dict(self.slices)
        if views is not None:
            from hohenberg.graph.views import VIEWS

            drop = [f"{v}_index" for v in VIEWS if v not in views] + ([] if "bond" in views else ["bond_attr"])
            for key in drop:
                if key in data:
                    del data[key]
                slices.pop(key, None)
        data.x = data.x[:, torch.as_tensor(feature_columns(feature_set))]
        have = list(self.provenance.get("targets", TARGETS))
        if data.y.shape[1]:
            data.y = data.y[:, [have.index(t) for t in targets]]
        prov = dict(self.provenance, feature_set=feature_set, selected_targets=list(targets))
        return GraphDataset(data, slices, prov)

    # -- persistence: plain tensors and JSON text only --------------------------------------
    def save(self, path: str | Path) -> Path:
        payload = {"format": CACHE_FORMAT, "provenance": json.dumps(self.provenance),
                   "data": {k: v for k, v in self._data.to_dict().items()},
                   "slices": dict(self.slices)}
        with atomic_open(path, "wb") as fh:
            torch.save(payload, fh)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> GraphDataset:
        payload = torch.load(path, weights_only=True, map_location="cpu")
        if payload.get("format") != CACHE_FORMAT:
            raise ValueError(f"{path}: graph cache format {payload.get('format')}, expected {CACHE_FORMAT}")
        return cls(Data.from_dict(payload["data"]), payload["slices"], json.loads(payload["provenance"]))


def table_fingerprint(table: MoleculeTable, rows: np.ndarray) -> str:
    """Hash of the selected molecules' ids, atoms and positions: the cache key's data part."""
    sub = table.take(rows)
    h = hashlib.sha256()
    for arr in (np.asarray(sub.ids, dtype=str), sub.numbers, sub.positions, sub.offsets):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:16]


def _targets_of(table: MoleculeTable, rows: np.ndarray) -> np.ndarray:
    cols = [table.properties.get(t, np.full(len(table), np.nan))[rows] for t in TARGETS]
    return np.column_stack(cols).astype(np.float64)  # float64: U0 ~ -1e4 eV, errors ~ meV


def build_graphs(molecules: Sequence[Molecule], cutoff: float = 5.0, targets: np.ndarray | None = None,
                 provenance: dict | None = None, progress=None) -> GraphDataset:
    """Graphs of ``molecules`` (``targets``: (n, 13) or None -> NaN)."""
    graphs, sources = [], Counter()
    y = np.full((len(molecules), len(TARGETS)), np.nan) if targets is None else targets
    t0 = time.perf_counter()
    for i, mol in enumerate(molecules):
        g, source = molecule_graph(mol, cutoff, y[i])
        graphs.append(g)
        sources[source] += 1
        if progress is not None and (i + 1) % 1000 == 0:
            progress(i + 1, len(molecules))
    prov = dict(provenance or {})
    prov.update({"n_molecules": len(molecules), "cutoff_angstrom": cutoff,
                 "featurizer_version": FEATURIZER_VERSION, "targets": list(TARGETS),
                 "bond_sources": dict(sources), "build_s": round(time.perf_counter() - t0, 2),
                 "hohenberg_version": __version__})
    return GraphDataset.from_graphs(graphs, prov)


def table_graphs(table: MoleculeTable, rows: np.ndarray | None = None, cutoff: float = 5.0,
                 cache_dir: str | Path | None = None, progress=None) -> tuple[GraphDataset, bool]:
    """Graphs of ``table``'s ``rows`` (in that order), from the cache when present.

    Returns the data set and whether it came from the cache.  Provenance records the table's
    source, the fingerprint of the rows, cutoff, featurizer version and how bonds were found.
    """
    from rdkit import RDLogger

    rows = np.arange(len(table)) if rows is None else np.asarray(rows, dtype=np.int64)
    fp = table_fingerprint(table, rows)
    key = f"graphs-{fp}-c{cutoff:g}-f{FEATURIZER_VERSION}.pt"
    path = Path(cache_dir) / key if cache_dir is not None else None
    if path is not None and path.exists():
        return GraphDataset.load(path), True
    RDLogger.DisableLog("rdApp.*")  # template mismatches are handled by the fallbacks; stay quiet
    try:
        sub = table.take(rows)
        ds = build_graphs(list(sub), cutoff, _targets_of(table, rows),
                          {"table_meta": dict(table.meta), "fingerprint": fp, "ids": [str(i) for i in sub.ids]},
                          progress)
    finally:
        RDLogger.EnableLog("rdApp.*")
    if path is not None:
        ds.save(path)
    return ds, False
