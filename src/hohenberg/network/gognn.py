"""Node regression on a molecule network (GoGNN-style): molecule embeddings, then messages over
the network's edges.

For a molecule ``i`` with labelled neighbours ``N(i)`` (molecules whose *training* labels are
known: the model is transductive, as label propagation is; validation and test labels are never
read):

* ``h_i = encoder(graph_i)``; context ``c_i = h_i + MLP([h_i, mean_{j in N(i)} h_j])``;
* its own estimate ``s_i = head(c_i)``;
* one estimate per neighbour, the neighbour's label carried across the edge with a learned,
  antisymmetric change: ``e_ji = y_j + d(h_j, h_i) - d(h_i, h_j)`` (normalised units: the
  per-element offsets are removed from ``y_j`` and restored for ``i``);
* ``y_i = w_i s_i + (1 - w_i) mean_j e_ji`` with a learned gate ``w_i`` that sees ``c_i`` and the
  number of labelled neighbours (``w_i = 1`` when there are none: the single-molecule model).

A neighbour set is capped at ``max_neighbours`` labelled molecules (a random choice in training,
the first ones by node index at evaluation), so the cost is bounded on dense networks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hohenberg.graph.batch import GraphBatch, collate
from hohenberg.graph.models import GraphModelConfig
from hohenberg.graph.ops import scatter_sum
from hohenberg.network.pairs import MoleculeEncoder, _mlp
from hohenberg.training.scaler import TargetScaler


@dataclass
class NodeBatch:
    """Target molecules (the first ``n`` graphs of ``graphs``) and their labelled neighbours."""

    graphs: GraphBatch
    n: int
    src: torch.Tensor  # neighbour's graph position (>= n)
    dst: torch.Tensor  # target position (< n)
    labels: torch.Tensor  # (n_graphs, n_targets) float64 physical labels of neighbours (NaN for targets)
    y: torch.Tensor  # (n, n_targets) references (NaN unknown)

    @property
    def num_graphs(self) -> int:
        return self.n


class NetworkModel(nn.Module):
    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        t = len(cfg.targets)
        self.embed = MoleculeEncoder(cfg)
        d = self.embed.out_dim
        self.context = _mlp(2 * d, cfg.hidden, d)
        self.head = _mlp(d, cfg.hidden, t)
        self.delta = _mlp(2 * d, cfg.hidden, t)
        self.gate = _mlp(d + 1, cfg.hidden, t)
        self.scaler = TargetScaler(t)

    def forward(self, batch: NodeBatch) -> torch.Tensor:
        g = batch.graphs
        h = self.embed(g)
        n, src, dst = batch.n, batch.src, batch.dst
        count = torch.bincount(dst, minlength=n).to(h.dtype)[:, None]
        mean_h = scatter_sum(h[src], dst, n) / count.clamp(min=1)
        c = h[:n] + self.context(torch.cat([h[:n], mean_h], 1))
        own = self.head(c)
        offset = self.scaler.offset(g.z, g.batch, g.num_graphs)  # (n_graphs, T) float64
        if len(src):
            lab = ((batch.labels[src] - offset[src]) / self.scaler.std).float()
            d = self.delta(torch.cat([h[src], h[dst]], 1)) - self.delta(torch.cat([h[dst], h[src]], 1))
            est = lab + d
            ok = torch.isfinite(est)
            est_sum = scatter_sum(torch.where(ok, est, torch.zeros_like(est)), dst, n)
            est_n = scatter_sum(ok.to(est.dtype), dst, n)
            est_mean = est_sum / est_n.clamp(min=1)
            w = torch.sigmoid(self.gate(torch.cat([c, torch.log1p(count)], 1)))
            w = torch.where(est_n > 0, w, torch.ones_like(w))
            out = w * own + (1 - w) * est_mean
        else:
            out = own
        return out.double() * self.scaler.std + offset[:n]


class NodeCollate:
    """Target node positions -> :class:`NodeBatch` with up to ``k`` labelled neighbours each.

    ``nodes``: network node -> table row (or -1); ``labelled``: boolean per network node;
    ``values``: (n_network_nodes, T) training labels (NaN elsewhere); ``graphs``: per table row."""

    def __init__(self, targets, neighbours, labelled, values, node_rows, graphs, feature_set, views, elements,
                 y, k: int = 8, train: bool = False, seed: int = 0):
        self.targets, self.neighbours, self.labelled = np.asarray(targets), neighbours, labelled
        self.values, self.node_rows, self.graphs = values, node_rows, graphs
        self.feature_set, self.views, self.elements = feature_set, tuple(views), tuple(elements)
        self.y = torch.as_tensor(np.asarray(y, np.float64))
        self.k, self.train = k, train
        self.rng = np.random.default_rng(seed)

    def pick(self, node: int) -> np.ndarray:
        nb = self.neighbours[node]
        nb = nb[self.labelled[nb] & (nb != node)]
        if len(nb) > self.k:
            nb = self.rng.choice(nb, self.k, replace=False) if self.train else nb[: self.k]
        return nb

    def __call__(self, positions) -> NodeBatch:
        p = np.asarray(positions, dtype=np.int64)
        nodes = self.targets[p]
        order = list(nodes)
        src, dst = [], []
        for t, node in enumerate(nodes):
            for j in self.pick(int(node)):
                src.append(len(order))
                dst.append(t)
                order.append(int(j))
        graphs = collate([self.graphs[self.node_rows[v]] for v in order], self.feature_set, self.views, self.elements)
        labels = torch.as_tensor(self.values[np.asarray(order)], dtype=torch.float64)
        labels[: len(nodes)] = float("nan")  # a target's own label is never an input
        return NodeBatch(graphs, len(nodes), torch.as_tensor(src, dtype=torch.long),
                         torch.as_tensor(dst, dtype=torch.long), labels, self.y[torch.as_tensor(p)])
