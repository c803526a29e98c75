"""Edge regression: the change of properties across a molecule pair, ``y(B) - y(A)``.

Three models, one encoder family (the graph encoders of :mod:`hohenberg.graph.encoders`), one
training loop:

* ``pair``: a shared encoder embeds A and B; the readout is ``g(h_A, h_B) - g(h_B, h_A)`` with an
  MLP ``g``, so ``f(A, B) = -f(B, A)`` holds exactly, by construction, for any weights;
* ``difference``: a single-molecule model (:class:`~hohenberg.graph.models.GraphRegressor`)
  trained on the molecules' own labels, applied twice: ``m(B) - m(A)``;
* ``cgr``: an encoder on the condensed graph of reaction (:mod:`.cgr`), antisymmetrised the
  same way: ``g(CGR(A -> B)) - g(CGR(B -> A))``.

Offsets: a pair of different formulas (a matched pair) changes the per-element part of an
extensive energy by thousands of eV.  The pair and CGR models carry a per-element linear term of
the element-count change (least squares on the training pairs; zero for isomers), antisymmetric
too, and learn the rest scaled by its spread; the difference model has its own per-element
offsets (:class:`~hohenberg.training.scaler.TargetScaler`), which cancel for isomers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from hohenberg.graph.batch import GraphBatch, collate
from hohenberg.graph.encoders import EdgeInputs, GINEncoder, ViewEdges, make_encoder
from hohenberg.graph.features import n_atom_inputs
from hohenberg.graph.models import GraphModelConfig, GraphRegressor
from hohenberg.network.cgr import CGR_EDGE_WIDTH, CGRBatch, cgr_width, collate_cgr
from hohenberg.training.scaler import MAX_Z
from hohenberg.units import QM9_ELEMENTS

PAIR_MODELS = ("pair", "difference", "cgr")


def element_counts(z: torch.Tensor | np.ndarray) -> np.ndarray:
    """(MAX_Z,) float64 count of each atomic number (hydrogens included)."""
    return np.bincount(np.asarray(z, dtype=np.int64), minlength=MAX_Z)[:MAX_Z].astype(np.float64)


class PairScaler(nn.Module):
    """``dy = (counts_B - counts_A) @ coef + std * network output`` (module docstring)."""

    def __init__(self, n_targets: int):
        super().__init__()
        self.register_buffer("coef", torch.zeros(MAX_Z, n_targets, dtype=torch.float64))
        self.register_buffer("std", torch.ones(n_targets, dtype=torch.float64))

    @torch.no_grad()
    def fit(self, dcounts: np.ndarray, dy: np.ndarray) -> PairScaler:
        used = np.abs(dcounts).sum(0) > 0
        for j in range(dy.shape[1]):
            ok = np.isfinite(dy[:, j])
            res = dy[ok, j]
            if used.any():
                w, *_ = np.linalg.lstsq(dcounts[ok][:, used], dy[ok, j], rcond=None)
                self.coef[torch.as_tensor(np.flatnonzero(used)), j] = torch.as_tensor(w)
                res = dy[ok, j] - dcounts[ok][:, used] @ w
            sd = float(np.sqrt(np.mean(res**2))) if len(res) else 0.0
            self.std[j] = sd if sd > 1e-9 else 1.0
        return self

    def restore(self, out: torch.Tensor, counts_a: torch.Tensor, counts_b: torch.Tensor) -> torch.Tensor:
        return out.double() * self.std + (counts_b - counts_a) @ self.coef


@dataclass
class PairBatch:
    """Pairs ``A -> B``: their graphs (``a``, ``b``) and/or CGRs (``cgr_ab``, ``cgr_ba``), element
    counts and reference changes ``y`` (n_pairs, n_targets; NaN when unknown)."""

    y: torch.Tensor
    counts_a: torch.Tensor
    counts_b: torch.Tensor
    a: GraphBatch | None = None
    b: GraphBatch | None = None
    cgr_ab: CGRBatch | None = None
    cgr_ba: CGRBatch | None = None

    @property
    def num_graphs(self) -> int:
        return int(self.y.shape[0])

    def swapped(self) -> PairBatch:
        """The same pairs read ``B -> A``."""
        return PairBatch(-self.y, self.counts_b, self.counts_a, self.b, self.a, self.cgr_ba, self.cgr_ab)


class PairCollate:
    """Batches of pair positions -> :class:`PairBatch` (what each model reads, nothing more)."""

    def __init__(self, model: str, a_rows, b_rows, y, graphs=None, cgrs=None, counts=None,
                 feature_set: str = "basic", views=("bond",), elements=QM9_ELEMENTS):
        self.model, self.a_rows, self.b_rows = model, np.asarray(a_rows), np.asarray(b_rows)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float64))
        self.graphs, self.cgrs, self.counts = graphs, cgrs, counts
        self.feature_set, self.views, self.elements = feature_set, tuple(views), tuple(elements)

    def __call__(self, positions) -> PairBatch:
        p = np.asarray(positions, dtype=np.int64)
        ra, rb = self.a_rows[p], self.b_rows[p]
        batch = PairBatch(self.y[torch.as_tensor(p)], torch.as_tensor(self.counts[ra]), torch.as_tensor(self.counts[rb]))
        if self.model in ("pair", "difference"):
            batch.a = collate([self.graphs[r] for r in ra], self.feature_set, self.views, self.elements)
            batch.b = collate([self.graphs[r] for r in rb], self.feature_set, self.views, self.elements)
        else:
            batch.cgr_ab = collate_cgr([self.cgrs[i][0] for i in p])
            batch.cgr_ba = collate_cgr([self.cgrs[i][1] for i in p])
        return batch


class MoleculeCollate:
    """Batches of molecule rows -> a :class:`GraphBatch` with ``y`` (the difference model's training)."""

    def __init__(self, rows, y, graphs, feature_set: str, views, elements):
        self.rows, self.y, self.graphs = np.asarray(rows), torch.as_tensor(np.asarray(y, np.float64)), graphs
        self.feature_set, self.views, self.elements = feature_set, tuple(views), tuple(elements)

    def __call__(self, positions) -> GraphBatch:
        p = np.asarray(positions, dtype=np.int64)
        batch = collate([self.graphs[r] for r in self.rows[p]], self.feature_set, self.views, self.elements)
        batch.y = self.y[torch.as_tensor(p)]
        return batch


def _mlp(i: int, h: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, o))


class MoleculeEncoder(nn.Module):
    """One view's encoder of :class:`GraphModelConfig`: a molecule batch -> one vector per molecule."""

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        view = cfg.views[0]
        self.edges = ViewEdges(view, cfg.cutoff, cfg.n_rbf, cfg.bond_lengths)
        self.encoder = make_encoder(cfg.model, view, n_atom_inputs(cfg.features, cfg.elements), cfg.hidden,
                                    cfg.layers, cfg.n_rbf, cfg.cutoff, cfg.readout, cfg.bond_lengths)
        self.out_dim = self.encoder.out_dim

    def forward(self, batch: GraphBatch) -> torch.Tensor:
        h = self.encoder.atoms(batch.x, self.edges(batch))
        return self.encoder.pool(h, batch.batch, batch.num_graphs)


class AntisymmetricPairModel(nn.Module):
    """``f(A, B) = offsets + std * (g(h_A, h_B) - g(h_B, h_A))`` with a shared encoder."""

    kind = "pair"

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        self.embed = MoleculeEncoder(cfg)
        self.g = _mlp(2 * self.embed.out_dim, cfg.hidden, len(cfg.targets))
        self.scaler = PairScaler(len(cfg.targets))

    def forward(self, batch: PairBatch) -> torch.Tensor:
        ha, hb = self.embed(batch.a), self.embed(batch.b)
        out = self.g(torch.cat([ha, hb], 1)) - self.g(torch.cat([hb, ha], 1))
        return self.scaler.restore(out, batch.counts_a, batch.counts_b)


class DifferenceModel(nn.Module):
    """A single-molecule regressor; on a :class:`PairBatch` it answers ``m(B) - m(A)``, on a
    molecule batch it is the regressor itself (so it trains on molecules)."""

    kind = "difference"

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        self.molecule = GraphRegressor(cfg)
        self.scaler = self.molecule.scaler

    def forward(self, batch) -> torch.Tensor:
        if isinstance(batch, PairBatch):
            return self.molecule(batch.b) - self.molecule(batch.a)
        return self.molecule(batch)


class CGRPairModel(nn.Module):
    """GIN on the condensed graph of reaction, ``g(CGR(A -> B)) - g(CGR(B -> A))``."""

    kind = "cgr"

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        self.encoder = GINEncoder(cgr_width(cfg.elements), CGR_EDGE_WIDTH, cfg.hidden, cfg.layers)
        self.g = _mlp(self.encoder.out_dim, cfg.hidden, len(cfg.targets))
        self.scaler = PairScaler(len(cfg.targets))

    def _read(self, c: CGRBatch) -> torch.Tensor:
        h = self.encoder.atoms(c.x, EdgeInputs(c.edge_index, None, None, c.edge_attr))
        return self.g(self.encoder.pool(h, c.batch, c.num_graphs))

    def forward(self, batch: PairBatch) -> torch.Tensor:
        out = self._read(batch.cgr_ab) - self._read(batch.cgr_ba)
        return self.scaler.restore(out, batch.counts_a, batch.counts_b)


def pair_model_config(cfg: GraphModelConfig) -> GraphModelConfig:
    """The encoder settings every pair model shares: one view, molecule-level readout."""
    return replace(cfg, extensive_readout="pooled", environment=False)


def build_pair_model(kind: str, cfg: GraphModelConfig) -> nn.Module:
    if kind == "pair":
        return AntisymmetricPairModel(cfg)
    if kind == "difference":
        return DifferenceModel(cfg)
    if kind == "cgr":
        return CGRPairModel(cfg)
    raise ValueError(f"unknown pair model {kind!r}; choose from {', '.join(PAIR_MODELS)}")
