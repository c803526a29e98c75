"""Molecules -> batches of graph tensors without PyTorch Geometric, for prediction.

A :class:`GraphBatch` has the attributes the graph models read from a PyG batch (``x``, ``z``,
``pos``, ``batch``, ``num_graphs``, ``num_nodes``, each view's ``*_index``, ``bond_attr``), so a
trained model applies to either.  Edge indices are offset by the atoms before them, as PyG does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from hohenberg.graph.features import select_features
from hohenberg.graph.molgraph import molecule_tensors
from hohenberg.molecules.molecule import Molecule
from hohenberg.units import QM9_ELEMENTS

PER_GRAPH = ("x", "z", "pos", "bond_attr")


@dataclass
class GraphBatch:
    x: torch.Tensor
    z: torch.Tensor
    pos: torch.Tensor
    batch: torch.Tensor
    num_graphs: int
    bond_attr: torch.Tensor
    bond_index: torch.Tensor | None = None
    radius_index: torch.Tensor | None = None
    complete_index: torch.Tensor | None = None

    @property
    def num_nodes(self) -> int:
        return int(self.z.shape[0])


def collate(graphs: Sequence[dict], feature_set: str, views: Sequence[str],
            elements: Sequence[int] = QM9_ELEMENTS) -> GraphBatch:
    """One batch of ``graphs`` (from :func:`molecule_tensors`): ``x`` narrowed to ``feature_set``
    (element one-hot over ``elements``), edges of ``views`` only (and the radius view if a
    model's environment needs it)."""
    sizes = torch.as_tensor([g["z"].shape[0] for g in graphs])
    starts = torch.cumsum(sizes, 0) - sizes
    out = {k: torch.cat([g[k] for g in graphs]) for k in PER_GRAPH}
    out["x"] = select_features(out["x"], out["z"], feature_set, elements)
    for view in views:
        key = f"{view}_index"
        out[key] = torch.cat([g[key] + s for g, s in zip(graphs, starts.tolist())], dim=1)
    return GraphBatch(batch=torch.repeat_interleave(torch.arange(len(graphs)), sizes), num_graphs=len(graphs), **out)


def _tensors_chunk(args) -> list[dict]:
    # NumPy arrays travel back: torch's pickling of tensors between processes puts each one in
    # its own shared-memory segment, which made two workers 7x slower than one
    molecules, cutoff = args
    return [{k: v.numpy() for k, v in molecule_tensors(m, cutoff)[0].items()} for m in molecules]


def molecules_tensors(molecules: Sequence[Molecule], cutoff: float, workers: int = 1) -> list[dict]:
    """:func:`molecule_tensors` of every molecule, over ``workers`` processes for large inputs."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # template mismatches are handled by the fallbacks; stay quiet
    try:
        if workers <= 1 or len(molecules) < 256:
            return [molecule_tensors(m, cutoff)[0] for m in molecules]
        import multiprocessing as mp

        step = int(np.ceil(len(molecules) / (4 * workers)))
        chunks = [(list(molecules[i:i + step]), cutoff) for i in range(0, len(molecules), step)]
        with mp.get_context("fork").Pool(workers) as pool:
            return [{k: torch.from_numpy(v) for k, v in g.items()} for part in pool.map(_tensors_chunk, chunks)
                    for g in part]
    finally:
        RDLogger.EnableLog("rdApp.*")


@torch.no_grad()
def predict_molecules(members: Sequence[torch.nn.Module], graphs: Sequence[dict], feature_set: str,
                      views: Sequence[str], batch_size: int = 512,
                      elements: Sequence[int] = QM9_ELEMENTS) -> tuple[np.ndarray, np.ndarray]:
    """Ensemble mean and standard deviation over members (NaN for one member), physical units."""
    preds = [[] for _ in members]
    for i in range(0, len(graphs), batch_size):
        batch = collate(graphs[i:i + batch_size], feature_set, views, elements)
        for k, m in enumerate(members):
            preds[k].append(m.eval()(batch).numpy())
    P = np.stack([np.concatenate(p) for p in preds])
    return P.mean(0), (P.std(0, ddof=1) if len(members) > 1 else np.full(P.shape[1:], np.nan))
