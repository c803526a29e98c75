"""Graph encoders: atoms + one view's edges -> one vector per molecule.

All three take the same inputs (``x``, ``edge_index``, :class:`EdgeInputs`, ``batch``) so that
the single-view models and the multi-view attention model compose them freely:

* :class:`MPNNEncoder`: Gilmer et al. 2017, edge network (``NNConv``) + GRU, weights shared over
  steps, ``set2set`` or sum readout.
* :class:`GINEncoder`: GIN with edge features (``GINEConv``, Xu et al. 2019 / Hu et al. 2020),
  sum readout.
* :class:`CFConvEncoder`: SchNet-style continuous filters (PyG's SchNet ``InteractionBlock``,
  cosine cutoff) on our atom features instead of an element embedding alone; atom-wise MLP and
  sum readout.

Edge inputs: on the ``bond`` view, MPNN and GIN see bond features only (a purely 2D model), or
with ``bond_lengths`` bond features next to a radial basis of the bond length (the 2D graph with
the geometry's bond lengths: cheap, and what total energies need); on geometric views they see a
Gaussian radial basis of the distance.  The continuous-filter encoder always uses the radial basis
of distances (on the bond view: bonded pairs with their lengths).

Every encoder has ``atoms`` (one embedding per atom, for atom-wise readouts of extensive
targets) and ``pool`` (atoms -> molecule); ``forward`` is the two in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from hohenberg.graph.features import N_BOND_FEATURES
from hohenberg.graph.ops import GaussianBasis, GINEConv, scatter_sum
from hohenberg.graph.views import edge_distances, edge_index_of, view_range
from hohenberg.units import QM9_ELEMENTS

ENCODERS = ("mpnn", "gin", "schnet")


@dataclass
class EdgeInputs:
    index: torch.Tensor  # (2, E)
    dist: torch.Tensor  # (E,) Angstrom
    rbf: torch.Tensor  # (E, n_rbf)
    bond_attr: torch.Tensor | None  # (E, 6) on the bond view; (E, 6 + n_rbf) with bond lengths


class ViewEdges(nn.Module):
    """Edges of one view with distances recomputed from positions and their radial basis."""

    def __init__(self, view: str, cutoff: float, n_rbf: int, bond_lengths: bool = False):
        super().__init__()
        self.view = view
        self.range = view_range(view, cutoff)
        self.rbf = GaussianBasis(0.0, self.range, n_rbf)
        self.bond_lengths = bond_lengths and view == "bond"

    def forward(self, batch) -> EdgeInputs:
        index = edge_index_of(batch, self.view)
        dist = edge_distances(batch.pos, index)
        rbf = self.rbf(dist)
        attr = None
        if self.view == "bond":
            attr = torch.cat([batch.bond_attr, rbf], dim=1) if self.bond_lengths else batch.bond_attr
        return EdgeInputs(index, dist, rbf, attr)


class RadialEnvironment(nn.Module):
    """Per-atom radial environment from the radius view: for every element, a Gaussian basis of
    the distances to the neighbours of that element within the cutoff, smoothly cut off (Behler-
    Parrinello G2 functions).  Gives a 2D message-passing model the 3D surroundings of each atom
    (non-bonded contacts, crowding) at the cost of one scatter."""

    def __init__(self, cutoff: float, n_rbf: int, elements: tuple[int, ...] = QM9_ELEMENTS):
        super().__init__()
        self.cutoff = cutoff
        self.rbf = GaussianBasis(0.5, cutoff, n_rbf)
        self.elements = tuple(elements)  # one slot each, and a last slot for any other element
        self.n_slots = len(self.elements) + 1
        lookup = torch.full((max(self.elements) + 1,), len(self.elements), dtype=torch.long)
        lookup[list(self.elements)] = torch.arange(len(self.elements))
        self.register_buffer("element_slot", lookup, persistent=False)
        self.dim = self.n_slots * n_rbf

    def forward(self, batch) -> torch.Tensor:
        index = edge_index_of(batch, "radius")
        src, dst = index
        d = edge_distances(batch.pos, index)
        g = self.rbf(d) * (0.5 * (torch.cos(d * torch.pi / self.cutoff) + 1.0))[:, None]  # (E, n_rbf)
        slot = self.element_slot[batch.z[src].clamp(max=len(self.element_slot) - 1)]
        # one row per (atom, neighbour element): summing edges into it is the whole descriptor
        env = scatter_sum(g, dst * self.n_slots + slot, batch.num_nodes * self.n_slots)
        return env.view(batch.num_nodes, self.dim)


class Encoder(nn.Module):
    """Atoms and one view's edges -> atom embeddings (``atoms``) -> molecule vector (``pool``)."""

    atom_dim: int
    out_dim: int

    def atoms(self, x, edges: EdgeInputs) -> torch.Tensor:
        raise NotImplementedError

    def pool(self, h, batch, n_mol: int) -> torch.Tensor:
        return scatter_sum(h, batch, n_mol)

    def forward(self, x, edges: EdgeInputs, batch, n_mol: int) -> torch.Tensor:
        return self.pool(self.atoms(x, edges), batch, n_mol)


class MPNNEncoder(Encoder):
    def __init__(self, in_dim: int, edge_dim: int, hidden: int, steps: int, readout: str = "set2set"):
        from torch_geometric.nn import NNConv, Set2Set

        super().__init__()
        self.lin_in = nn.Linear(in_dim, hidden)
        edge_net = nn.Sequential(nn.Linear(edge_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden * hidden))
        self.conv = NNConv(hidden, hidden, edge_net, aggr="mean")
        self.gru = nn.GRU(hidden, hidden)
        self.steps = steps
        self.readout = readout
        self.set2set = Set2Set(hidden, processing_steps=3) if readout == "set2set" else None
        self.atom_dim = hidden
        self.out_dim = 2 * hidden if readout == "set2set" else hidden

    def atoms(self, x, edges: EdgeInputs) -> torch.Tensor:
        attr = edges.bond_attr if edges.bond_attr is not None else edges.rbf
        h = torch.relu(self.lin_in(x))
        state = h.unsqueeze(0)
        for _ in range(self.steps):
            m = torch.relu(self.conv(h, edges.index, attr))
            h, state = self.gru(m.unsqueeze(0), state)
            h = h.squeeze(0)
        return h

    def pool(self, h, batch, n_mol: int) -> torch.Tensor:
        if self.set2set is not None:
            return self.set2set(h, batch, dim_size=n_mol)
        return super().pool(h, batch, n_mol)


class GINEncoder(Encoder):
    def __init__(self, in_dim: int, edge_dim: int, hidden: int, layers: int):
        super().__init__()
        self.lin_in = nn.Linear(in_dim, hidden)
        self.convs = nn.ModuleList(
            GINEConv(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)), edge_dim, hidden)
            for _ in range(layers)
        )
        self.atom_dim = self.out_dim = hidden

    def atoms(self, x, edges: EdgeInputs) -> torch.Tensor:
        attr = edges.bond_attr if edges.bond_attr is not None else edges.rbf
        h = self.lin_in(x)
        for conv in self.convs:
            h = h + torch.relu(conv(h, edges.index, attr))  # residual: deeper GINs train stably
        return h


class CFConvEncoder(Encoder):
    def __init__(self, in_dim: int, n_rbf: int, hidden: int, layers: int, cutoff: float):
        from torch_geometric.nn.models.schnet import InteractionBlock, ShiftedSoftplus

        super().__init__()
        self.lin_in = nn.Linear(in_dim, hidden)
        self.interactions = nn.ModuleList(InteractionBlock(hidden, n_rbf, hidden, cutoff) for _ in range(layers))
        self.atomwise = nn.Sequential(nn.Linear(hidden, hidden), ShiftedSoftplus(), nn.Linear(hidden, hidden))
        self.atom_dim = self.out_dim = hidden

    def atoms(self, x, edges: EdgeInputs) -> torch.Tensor:
        h = self.lin_in(x)
        for block in self.interactions:
            h = h + block(h, edges.index, edges.dist, edges.rbf)
        return self.atomwise(h)


def make_encoder(kind: str, view: str, in_dim: int, hidden: int, layers: int, n_rbf: int, cutoff: float,
                 readout: str = "set2set", bond_lengths: bool = False) -> Encoder:
    """An encoder of ``kind`` for ``view`` (edge input width follows the view, see module doc)."""
    edge_dim = (N_BOND_FEATURES + (n_rbf if bond_lengths else 0)) if view == "bond" else n_rbf
    if kind == "mpnn":
        return MPNNEncoder(in_dim, edge_dim, hidden, layers, readout)
    if kind == "gin":
        return GINEncoder(in_dim, edge_dim, hidden, layers)
    if kind == "schnet":
        return CFConvEncoder(in_dim, n_rbf, hidden, layers, view_range(view, cutoff))
    raise ValueError(f"unknown encoder {kind!r}; choose from {', '.join(ENCODERS)}")
