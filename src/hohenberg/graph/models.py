"""Graph regressors: encoder(s) -> head -> per-target offsets restored.

Every model maps a PyG batch to ``(n_molecules, n_targets)`` predictions in physical units
(float64); its :class:`~hohenberg.training.scaler.TargetScaler` holds the offsets, so a saved state
dict predicts without any outside statistics.  :class:`MultiViewRegressor` runs one encoder per
view and mixes (``selection="soft"``) or picks (``"hard"``) view embeddings with per-molecule
attention weights, kept in ``last_attention`` for inspection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from hohenberg.graph.ops import scatter_sum

from hohenberg.units import QM9_ELEMENTS
from hohenberg.datasets.targets import extensive_targets
from hohenberg.graph.encoders import ENCODERS, RadialEnvironment, ViewEdges, make_encoder
from hohenberg.graph.features import FEATURE_SETS, n_atom_inputs
from hohenberg.training.scaler import TargetScaler
from hohenberg.graph.views import VIEWS

MODELS = ("mpnn", "gin", "schnet", "attention", "pyg-schnet", "pyg-dimenet++")


@dataclass
class GraphModelConfig:
    """Architecture of a graph model; stored with its weights (plain JSON types only)."""

    model: str = "schnet"  # one of MODELS
    features: str = "gasteiger"  # one of FEATURE_SETS (PyG baselines use the element only)
    views: tuple[str, ...] = ("radius",)  # one view, or several for "attention"
    targets: tuple[str, ...] = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV")
    hidden: int = 64
    layers: int = 3
    readout: str = "set2set"  # MPNN only: "set2set" | "sum"
    encoder: str = "schnet"  # encoder family of every view in "attention"
    selection: str = "soft"  # "attention": "soft" mix, or "hard" learned selection (Gumbel, argmax at eval)
    cutoff: float = 5.0  # Angstrom, radius view and PyG baselines
    n_rbf: int = 32
    bond_lengths: bool = False  # bond view: a radial basis of each bond's length next to its features
    extensive_readout: str = "pooled"  # "atomwise": extensive targets (energies, zpve, Cv) as sums over atoms
    environment: bool = False  # radial environment of each atom (radius view, cutoff) appended to its features
    elements: tuple[int, ...] = QM9_ELEMENTS  # element one-hot and environment slots (+ one for any other)
    extensive: tuple[str, ...] | None = None  # targets read out atom-wise; None: decided by name

    def __post_init__(self):
        self.views = tuple(self.views)
        self.targets = tuple(self.targets)
        self.elements = tuple(int(z) for z in self.elements)
        if self.extensive is not None:
            self.extensive = tuple(self.extensive)
        if not self.elements:
            raise ValueError("a model needs at least one element")
        extensive_targets(self.targets, self.extensive)  # every declared extensive target is a target
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        if self.features not in FEATURE_SETS:
            raise ValueError(f"unknown feature set {self.features!r}; choose from {', '.join(FEATURE_SETS)}")
        bad = [v for v in self.views if v not in VIEWS]
        if bad or not self.views:
            raise ValueError(f"unknown view(s) {bad}; choose from {', '.join(VIEWS)}")
        if self.model in ("mpnn", "gin", "schnet") and len(self.views) != 1:
            raise ValueError(f"model {self.model!r} takes one view; the attention model takes several")
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r}; choose from {', '.join(ENCODERS)}")
        if self.selection not in ("soft", "hard"):
            raise ValueError("selection must be 'soft' or 'hard'")
        if self.environment and self.model not in ("mpnn", "gin", "schnet"):
            raise ValueError("environment features are for the single-view models mpnn, gin, schnet")
        if self.extensive_readout not in ("pooled", "atomwise"):
            raise ValueError("extensive_readout must be 'pooled' or 'atomwise'")

    @property
    def atomwise_targets(self) -> tuple[int, ...]:
        """Columns of the targets read out as sums of atom contributions."""
        if self.extensive_readout != "atomwise":
            return ()
        ext = extensive_targets(self.targets, self.extensive)
        return tuple(j for j, t in enumerate(self.targets) if t in ext)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> GraphModelConfig:
        from hohenberg.configs import known_options

        return cls(**known_options(cls, d, "graph model"))  # an unknown key is an error, not dropped


class Head(nn.Module):
    """An MLP on the molecule vector; for the ``atomwise`` target columns, an MLP on every atom's
    embedding summed over the molecule's atoms (a size-extensive form, as in SchNet)."""

    def __init__(self, in_dim: int, atom_dim: int, hidden: int, n_targets: int, atomwise: tuple[int, ...] = ()):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.SiLU(), nn.Linear(hidden, n_targets))
        self.atom_mlp = (nn.Sequential(nn.Linear(atom_dim, hidden), nn.SiLU(), nn.Linear(hidden, len(atomwise)))
                         if atomwise else None)
        self.register_buffer("atomwise", torch.as_tensor(atomwise, dtype=torch.long), persistent=False)

    def forward(self, h_mol, h_atoms=None, batch=None):
        out = self.mlp(h_mol)
        if self.atom_mlp is None:
            return out
        summed = scatter_sum(self.atom_mlp(h_atoms), batch, h_mol.shape[0])
        return out.index_copy(1, self.atomwise, summed)


class GraphRegressor(nn.Module):
    """One view, one encoder."""

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        self.environment = RadialEnvironment(cfg.cutoff, cfg.n_rbf // 2, cfg.elements) if cfg.environment else None
        in_dim = n_atom_inputs(cfg.features, cfg.elements) + (self.environment.dim if cfg.environment else 0)
        view = cfg.views[0]
        self.edges = ViewEdges(view, cfg.cutoff, cfg.n_rbf, cfg.bond_lengths)
        self.encoder = make_encoder(cfg.model, view, in_dim, cfg.hidden, cfg.layers, cfg.n_rbf, cfg.cutoff, cfg.readout,
                                    cfg.bond_lengths)
        self.head = Head(self.encoder.out_dim, self.encoder.atom_dim, cfg.hidden, len(cfg.targets), cfg.atomwise_targets)
        self.scaler = TargetScaler(len(cfg.targets))

    def forward(self, batch) -> torch.Tensor:
        n_mol = batch.num_graphs
        x = batch.x if self.environment is None else torch.cat([batch.x, self.environment(batch)], dim=1)
        h_atoms = self.encoder.atoms(x, self.edges(batch))
        h = self.encoder.pool(h_atoms, batch.batch, n_mol)
        return self.scaler.restore(self.head(h, h_atoms, batch.batch), batch.z, batch.batch)


class MultiViewRegressor(nn.Module):
    """One encoder per view; attention over the views' molecule embeddings (module docstring).

    Score of view v for a molecule: ``a . tanh(W h_v) + b_v`` (``W``, ``a`` shared, ``b_v`` a
    learned per-view prior), softmax over views.  ``hard`` selection uses straight-through
    Gumbel-softmax in training (so the choice is learned by gradient) and argmax at evaluation.
    """

    def __init__(self, cfg: GraphModelConfig):
        super().__init__()
        in_dim = n_atom_inputs(cfg.features, cfg.elements)
        self.views = list(cfg.views)
        self.edges = nn.ModuleDict({v: ViewEdges(v, cfg.cutoff, cfg.n_rbf, cfg.bond_lengths) for v in self.views})
        self.encoders = nn.ModuleDict({
            v: make_encoder(cfg.encoder, v, in_dim, cfg.hidden, cfg.layers, cfg.n_rbf, cfg.cutoff, cfg.readout,
                            cfg.bond_lengths)
            for v in self.views
        })
        enc = self.encoders[self.views[0]]
        dim = enc.out_dim
        self.score = nn.Sequential(nn.Linear(dim, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 1, bias=False))
        self.view_bias = nn.Parameter(torch.zeros(len(self.views)))
        self.selection = cfg.selection
        self.head = Head(dim, enc.atom_dim, cfg.hidden, len(cfg.targets), cfg.atomwise_targets)
        self.scaler = TargetScaler(len(cfg.targets))
        self.last_attention: torch.Tensor | None = None  # (n_mol, n_views) softmax weights

    def forward(self, batch) -> torch.Tensor:
        n_mol = batch.num_graphs
        atoms = [self.encoders[v].atoms(batch.x, self.edges[v](batch)) for v in self.views]
        H = torch.stack([self.encoders[v].pool(a, batch.batch, n_mol) for v, a in zip(self.views, atoms)],
                        dim=1)  # (n_mol, n_views, dim)
        scores = self.score(H).squeeze(-1) + self.view_bias
        weights = torch.softmax(scores, dim=1)
        if self.selection == "hard":
            if self.training:
                mix = F.gumbel_softmax(scores, tau=1.0, hard=True)
            else:
                mix = F.one_hot(scores.argmax(dim=1), len(self.views)).to(H.dtype)
        else:
            mix = weights
        self.last_attention = weights.detach()
        h = (mix.unsqueeze(-1) * H).sum(dim=1)
        # the same per-molecule mix of the views' atom embeddings, for atom-wise targets
        h_atoms = (mix[batch.batch].unsqueeze(-1) * torch.stack(atoms, dim=1)).sum(dim=1)
        return self.scaler.restore(self.head(h, h_atoms, batch.batch), batch.z, batch.batch)


def build_model(cfg: GraphModelConfig) -> nn.Module:
    if cfg.model == "attention":
        return MultiViewRegressor(cfg)
    if cfg.model.startswith("pyg-"):
        from hohenberg.graph.pyg_baselines import build_pyg_baseline

        return build_pyg_baseline(cfg)
    return GraphRegressor(cfg)
