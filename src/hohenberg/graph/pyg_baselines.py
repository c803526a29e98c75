"""PyG's own SchNet and DimeNet++ in our harness: same data, targets, offsets, loss and loop.

PyG 2.8 builds their neighbour lists with ``radius_graph``, which needs the compiled
``torch-cluster``/``pyg-lib`` (no wheel for torch 2.13), and DimeNet's triplets need
``torch-sparse``.  Both are replaced here by exact pure-PyTorch equivalents:
:func:`dense_radius_graph` (a ``torch.cdist`` masked to pairs in the same molecule; a batch of
QM9 molecules has ~10^3 atoms, so the dense matrix is small) and :func:`triplets`.
Nothing is truncated: QM9 atoms have at most 28 neighbours.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn.models import DimeNetPlusPlus, SchNet
from torch_geometric.utils import scatter

from hohenberg.training.scaler import TargetScaler


def dense_radius_graph(pos: torch.Tensor, batch: torch.Tensor, cutoff: float) -> torch.Tensor:
    """(2, E) ordered pairs (source, target), i != j, same molecule, closer than ``cutoff``."""
    with torch.no_grad():  # only the mask; distances are recomputed exactly by the caller
        near = torch.cdist(pos, pos) < cutoff
        near &= batch[:, None] == batch[None, :]
        near.fill_diagonal_(False)
    return torch.stack(near.nonzero(as_tuple=True))


class CdistInteractionGraph(nn.Module):
    """Drop-in for SchNet's ``interaction_graph``: (pos, batch) -> (edge_index, edge_weight)."""

    def __init__(self, cutoff: float):
        super().__init__()
        self.cutoff = cutoff

    def forward(self, pos, batch):
        edge_index = dense_radius_graph(pos, batch, self.cutoff)
        row, col = edge_index
        return edge_index, (pos[row] - pos[col]).norm(dim=-1)


def triplets(edge_index: torch.Tensor, num_nodes: int):
    """DimeNet's triplets k->j->i (k != i) without torch-sparse; same outputs as PyG's, up to order.

    Returns ``i, j, idx_i, idx_j, idx_k, idx_kj, idx_ji`` (PyG's convention: edge j->i is
    ``(row=j, col=i)``).
    """
    row, col = edge_index
    n_edges = row.numel()
    order = torch.argsort(col, stable=True)  # edges grouped by target atom
    in_deg = torch.bincount(col, minlength=num_nodes)
    first = torch.cumsum(in_deg, 0) - in_deg  # first position of each atom's incoming edges
    per_edge = in_deg[row]  # for edge j->i: every edge k->j
    idx_ji = torch.arange(n_edges, device=row.device).repeat_interleave(per_edge)
    start = torch.cumsum(per_edge, 0) - per_edge
    local = torch.arange(idx_ji.numel(), device=row.device) - start.repeat_interleave(per_edge)
    idx_kj = order[first[row].repeat_interleave(per_edge) + local]
    idx_i, idx_j, idx_k = col[idx_ji], row[idx_ji], row[idx_kj]
    keep = idx_i != idx_k
    return col, row, idx_i[keep], idx_j[keep], idx_k[keep], idx_kj[keep], idx_ji[keep]


class PygSchNetRegressor(nn.Module):
    """``torch_geometric.nn.models.SchNet`` (element embedding only) with one output per target."""

    def __init__(self, hidden: int, layers: int, cutoff: float, n_targets: int):
        super().__init__()
        self.net = SchNet(hidden_channels=hidden, num_filters=hidden, num_interactions=layers,
                          num_gaussians=50, cutoff=cutoff, interaction_graph=CdistInteractionGraph(cutoff))
        self.net.lin2 = nn.Linear(hidden // 2, n_targets)  # PyG's is single-output
        self.scaler = TargetScaler(n_targets)

    def forward(self, batch) -> torch.Tensor:
        return self.scaler.restore(self.net(batch.z, batch.pos, batch.batch), batch.z, batch.batch)


class PygDimeNetPPRegressor(nn.Module):
    """``torch_geometric.nn.models.DimeNetPlusPlus`` with our neighbour list and triplets.

    :meth:`forward` is PyG's ``DimeNet.forward`` (2.8.1) with ``radius_graph`` and ``triplets``
    swapped for the pure-PyTorch ones above; every block is PyG's.
    """

    def __init__(self, hidden: int, layers: int, cutoff: float, n_targets: int):
        super().__init__()
        self.cutoff = cutoff
        self.net = DimeNetPlusPlus(hidden_channels=hidden, out_channels=n_targets, num_blocks=layers,
                                   int_emb_size=max(hidden // 2, 8), basis_emb_size=8, out_emb_channels=2 * hidden,
                                   num_spherical=7, num_radial=6, cutoff=cutoff)
        self.scaler = TargetScaler(n_targets)

    def forward(self, batch) -> torch.Tensor:
        z, pos, b, net = batch.z, batch.pos, batch.batch, self.net
        edge_index = dense_radius_graph(pos, b, self.cutoff)
        i, j, idx_i, idx_j, idx_k, idx_kj, idx_ji = triplets(edge_index, z.size(0))
        dist = (pos[i] - pos[j]).pow(2).sum(dim=-1).sqrt()
        pos_jk, pos_ij = pos[idx_j] - pos[idx_k], pos[idx_i] - pos[idx_j]
        angle = torch.atan2(torch.cross(pos_ij, pos_jk, dim=1).norm(dim=-1), (pos_ij * pos_jk).sum(dim=-1))
        rbf, sbf = net.rbf(dist), net.sbf(dist, angle, idx_kj)
        x = net.emb(z, rbf, i, j)
        P = net.output_blocks[0](x, rbf, i, num_nodes=pos.size(0))
        for block, out in zip(net.interaction_blocks, net.output_blocks[1:]):
            x = block(x, rbf, sbf, idx_kj, idx_ji)
            P = P + out(x, rbf, i, num_nodes=pos.size(0))
        out = scatter(P, b, dim=0, dim_size=batch.num_graphs, reduce="sum")
        return self.scaler.restore(out, z, b)


def build_pyg_baseline(cfg) -> nn.Module:
    cls = {"pyg-schnet": PygSchNetRegressor, "pyg-dimenet++": PygDimeNetPPRegressor}[cfg.model]
    return cls(cfg.hidden, cfg.layers, cfg.cutoff, len(cfg.targets))
