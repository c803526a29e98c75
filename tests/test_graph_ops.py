"""The plain-PyTorch GIN path equals PyG's layers, and the PyG-free batches give the same
predictions as PyG batches of the same molecules."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hohenberg.graph.ops import GaussianBasis, GINEConv, scatter_sum

torch.set_num_threads(1)


def test_gine_conv_equals_pyg_with_the_same_weights():
    from torch_geometric.nn import GINEConv as PygGINEConv

    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 16, generator=g)
    edge_index = torch.randint(0, 30, (2, 80), generator=g)
    edge_attr = torch.randn(80, 7, generator=g)
    torch.manual_seed(1)
    ours = GINEConv(nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16)), 7, 16)
    pyg = PygGINEConv(nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16)), edge_dim=7)
    assert set(ours.state_dict()) == set(pyg.state_dict())
    pyg.load_state_dict(ours.state_dict())
    assert torch.allclose(ours(x, edge_index, edge_attr), pyg(x, edge_index, edge_attr), atol=1e-6, rtol=1e-6)


def test_gaussian_basis_and_scatter_equal_pyg():
    from torch_geometric.nn.models.schnet import GaussianSmearing
    from torch_geometric.utils import scatter

    d = torch.linspace(0, 6, 101)
    assert torch.equal(GaussianBasis(0.5, 5.0, 16)(d), GaussianSmearing(0.5, 5.0, 16)(d))
    src = torch.randn(50, 3, dtype=torch.float64)
    index = torch.randint(0, 7, (50,))
    assert torch.allclose(scatter_sum(src, index, 9), scatter(src, index, dim=0, dim_size=9, reduce="sum"))


def test_pyg_free_batches_predict_what_pyg_batches_predict(qm9_table):
    from hohenberg.graph.batch import molecules_tensors, predict_molecules
    from hohenberg.graph.dataset import build_graphs
    from hohenberg.graph.inference import predict_ensemble, views_needed
    from hohenberg.graph.models import GraphModelConfig, build_model

    cfg = GraphModelConfig(model="gin", features="gasteiger", views=("bond",), bond_lengths=True, environment=True,
                           extensive_readout="atomwise", hidden=32, layers=2, targets=("homo_eV", "U0_eV"))
    torch.manual_seed(0)
    members = [build_model(cfg).eval() for _ in range(2)]
    mols = list(qm9_table.take(np.arange(40, 100)))
    ds = build_graphs(mols, cfg.cutoff).select(cfg.features, (), views_needed(cfg))
    ref = predict_ensemble(members, ds, batch_size=16)
    for workers in (1, 2):
        graphs = molecules_tensors(mols * (5 if workers == 2 else 1), cfg.cutoff, workers)[: len(mols)]
        mean, std = predict_molecules(members, graphs, cfg.features, views_needed(cfg), batch_size=7)
        assert np.allclose(mean, ref["mean"], rtol=1e-5, atol=1e-6)  # float32 sums in another batch order
        assert np.allclose(std, ref["std"], rtol=1e-4, atol=1e-6)
