"""Graph data sets: built once from a :class:`MoleculeTable`, cached on disk, sliced by rows.

Building a graph costs about 5 ms per QM9 molecule (RDKit perception, features, neighbour
lists), far more than a training step, so graphs are built once per (table, cutoff, featurizer
version), over several processes if asked, and cached as plain tensors (PyG's collated storage) that load with
``torch.load(weights_only=True)``; nothing is unpickled.  The cache holds every feature block
and every view, so any feature set / view / model combination trains from the same file.

``y`` holds every target of the table (:func:`hohenberg.datasets.targets.table_targets`: QM9's 13,
or a user table's own columns; NaN where a molecule lacks one); :meth:`GraphDataset.select`
narrows atoms' ``x`` to a feature set over a model's elements and ``y`` to the trained targets.
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
from hohenberg.units import QM9_ELEMENTS
from hohenberg.datasets.qm9 import TARGETS
from hohenberg.datasets.targets import table_targets
from hohenberg.fileio import atomic_open
from hohenberg.graph.features import FEATURIZER_VERSION, select_features
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
               views: Sequence[str] | None = None, elements: Sequence[int] = QM9_ELEMENTS) -> GraphDataset:
        """A copy whose ``x`` holds only ``feature_set``'s columns (element one-hot over
        ``elements``), ``y`` only ``targets`` and, if ``views`` is given, only those views' edges
        (collating unused views costs throughput)."""
        data = self._data.clone()
        slices = dict(self.slices)
        if views is not None:
            from hohenberg.graph.views import VIEWS

            drop = [f"{v}_index" for v in VIEWS if v not in views] + ([] if "bond" in views else ["bond_attr"])
            for key in drop:
                if key in data:
                    del data[key]
                slices.pop(key, None)
        data.x = select_features(data.x, data.z, feature_set, elements)
        have = list(self.provenance.get("targets", TARGETS))
        missing = [t for t in targets if t not in have]
        if data.y.shape[1] and missing:
            raise KeyError(f"the graphs carry no target(s) {', '.join(missing)} (they carry {', '.join(have)})")
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
        from hohenberg.errors import InputError
        from hohenberg.training.checkpoint import load_weights_only

        payload = load_weights_only(path, "not a graph cache this version reads", "delete it to rebuild the graphs")
        if not isinstance(payload, dict) or payload.get("format") != CACHE_FORMAT:
            raise InputError(path, f"graph cache format {payload.get('format') if isinstance(payload, dict) else '?'}, "
                                   f"expected {CACHE_FORMAT}; delete it to rebuild the graphs")
        return cls(Data.from_dict(payload["data"]), payload["slices"], json.loads(payload["provenance"]))


def table_fingerprint(table: MoleculeTable, rows: np.ndarray) -> str:
    """Hash of the selected molecules' ids, atoms and positions: the cache key's data part."""
    sub = table.take(rows)
    h = hashlib.sha256()
    for arr in (np.asarray(sub.ids, dtype=str), sub.numbers, sub.positions, sub.offsets):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:16]


def _targets_of(table: MoleculeTable, rows: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
    names = table_targets(table) if names is None else names
    cols = [table.properties.get(t, np.full(len(table), np.nan))[rows] for t in names]
    # float64: U0 ~ -1e4 eV, errors ~ meV
    return np.column_stack(cols).astype(np.float64) if cols else np.zeros((len(rows), 0))


def build_graphs(molecules: Sequence[Molecule], cutoff: float = 5.0, targets: np.ndarray | None = None,
                 provenance: dict | None = None, progress=None) -> GraphDataset:
    """Graphs of ``molecules`` (``targets``: (n, k) values of ``provenance["targets"]`` (QM9's 13
    by default), or None -> NaN)."""
    from rdkit import RDLogger

    graphs, sources = [], Counter()
    names = list((provenance or {}).get("targets", TARGETS))
    y = np.full((len(molecules), len(names)), np.nan) if targets is None else targets
    t0 = time.perf_counter()
    RDLogger.DisableLog("rdApp.*")  # template mismatches are handled by the fallbacks; stay quiet
    try:
        for i, mol in enumerate(molecules):
            g, source = molecule_graph(mol, cutoff, y[i])
            graphs.append(g)
            sources[source] += 1
            if progress is not None and (i + 1) % 1000 == 0:
                progress(i + 1, len(molecules))
    finally:
        RDLogger.EnableLog("rdApp.*")
    prov = dict(provenance or {})
    prov.update({"n_molecules": len(molecules), "cutoff_angstrom": cutoff,
                 "featurizer_version": FEATURIZER_VERSION, "targets": names,
                 "bond_sources": dict(sources), "build_s": round(time.perf_counter() - t0, 2),
                 "hohenberg_version": __version__})
    return GraphDataset.from_graphs(graphs, prov)


def take_graphs(ds: GraphDataset, rows: Sequence[int] | np.ndarray) -> GraphDataset:
    """Graphs ``rows`` of ``ds`` (in that order) as a new collated data set.

    Slices the collated tensors directly (one gather per key), so taking 100,000 graphs costs
    about a second instead of the minutes that re-collating ``Data`` objects would.  Edge
    indices need no offsets: the cache is collated with ``increment=False`` (local indices)."""
    rows = torch.as_tensor(np.asarray(rows, dtype=np.int64))
    data, out, slices = ds._data, {}, {}
    for key, sl in ds.slices.items():
        value = data[key]
        starts, lengths = sl[rows], sl[rows + 1] - sl[rows]
        new_sl = torch.zeros(len(rows) + 1, dtype=sl.dtype)
        new_sl[1:] = torch.cumsum(lengths, 0)
        shift = torch.repeat_interleave(starts - new_sl[:-1], lengths)
        index = torch.arange(int(new_sl[-1])) + shift
        dim = data.__cat_dim__(key, value)
        out[key] = value.index_select(dim if dim >= 0 else value.dim() + dim, index)
        slices[key] = new_sl
    prov = dict(ds.provenance)
    if "ids" in prov:
        prov["ids"] = [prov["ids"][i] for i in rows.tolist()]
    prov["n_molecules"] = len(rows)
    return GraphDataset(Data.from_dict(out), slices, prov)


def concat_graphs(parts: Sequence[GraphDataset], provenance: dict) -> GraphDataset:
    """One collated data set from several (same keys), in order."""
    first = parts[0]
    out, slices = {}, {}
    for key in first.slices:
        dim = first._data.__cat_dim__(key, first._data[key])
        out[key] = torch.cat([p._data[key] for p in parts], dim=dim)
        pieces, offset = [torch.zeros(1, dtype=first.slices[key].dtype)], 0
        for p in parts:
            pieces.append(p.slices[key][1:] + offset)
            offset += int(p.slices[key][-1])
        slices[key] = torch.cat(pieces)
    return GraphDataset(Data.from_dict(out), slices, provenance)


def _build_chunk(args) -> tuple[dict, dict, dict]:
    molecules, cutoff, targets = args
    torch.set_num_threads(1)
    ds = build_graphs(molecules, cutoff, targets)
    return ds._data.to_dict(), dict(ds.slices), ds.provenance["bond_sources"]


def build_graphs_parallel(molecules: Sequence[Molecule], cutoff: float, targets: np.ndarray, provenance: dict,
                          workers: int = 1, progress=None, chunk: int = 2000) -> GraphDataset:
    """:func:`build_graphs` over ``workers`` processes (chunks of ``chunk`` molecules, in order)."""
    if workers <= 1 or len(molecules) < 2 * chunk:
        return build_graphs(molecules, cutoff, targets, provenance, progress)
    import multiprocessing as mp

    t0 = time.perf_counter()
    step = chunk
    chunks = [(list(molecules[i:i + step]), cutoff, targets[i:i + step]) for i in range(0, len(molecules), step)]
    parts, sources = [], Counter()
    with mp.get_context("fork").Pool(workers) as pool:
        for data, slices, src in pool.imap(_build_chunk, chunks):
            parts.append(GraphDataset(Data.from_dict(data), slices, {}))
            sources.update(src)
            if progress is not None:
                progress(min(len(parts) * step, len(molecules)), len(molecules))
    prov = dict(provenance)
    prov.update({"n_molecules": len(molecules), "cutoff_angstrom": cutoff,
                 "featurizer_version": FEATURIZER_VERSION, "targets": list(provenance.get("targets", TARGETS)),
                 "bond_sources": dict(sources), "build_s": round(time.perf_counter() - t0, 2),
                 "hohenberg_version": __version__})
    return concat_graphs(parts, prov)


def table_graphs(table: MoleculeTable, rows: np.ndarray | None = None, cutoff: float = 5.0,
                 cache_dir: str | Path | None = None, progress=None, workers: int = 1) -> tuple[GraphDataset, bool]:
    """Graphs of ``table``'s ``rows`` (in that order), from the cache when present.

    With a ``cache_dir``, the graphs of the *whole table* are built once and cached, and any
    selection of rows (another split, a learning-curve subset) is sliced from that file; without
    one only ``rows`` are built.  Returns the data set and whether it came from the cache.
    Provenance records the table's source, the fingerprint of the rows, cutoff, featurizer
    version and how bonds were found.
    """
    all_rows = np.arange(len(table))
    rows = all_rows if rows is None else np.asarray(rows, dtype=np.int64)
    path = None
    names = list(table_targets(table))
    if cache_dir is not None:
        key = f"graphs-{table_fingerprint(table, all_rows)}-c{cutoff:g}-f{FEATURIZER_VERSION}"
        if names != list(TARGETS):  # the graphs carry the targets: another column set, another file
            key += "-t" + hashlib.sha256(json.dumps(names).encode()).hexdigest()[:8]
        path = Path(cache_dir) / f"{key}-table.pt"
    build_rows = rows if path is None else all_rows
    cached = path is not None and path.exists()
    if cached:
        ds = GraphDataset.load(path)
    else:
        sub = table.take(build_rows)
        ds = build_graphs_parallel(list(sub), cutoff, _targets_of(table, build_rows, names),
                                   {"table_meta": dict(table.meta), "fingerprint": table_fingerprint(table, build_rows),
                                    "ids": [str(i) for i in sub.ids], "targets": names}, workers, progress)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            ds.save(path)
    if path is not None and not np.array_equal(rows, all_rows):
        ds = take_graphs(ds, rows)
        ds.provenance["fingerprint"] = table_fingerprint(table, rows)
    return ds, cached
