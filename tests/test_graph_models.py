"""Graph models: invariances, attention weights, PyG baselines' neighbour lists, offsets, model files."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from hohenberg.errors import InputError
from hohenberg.graph.dataset import table_graphs
from hohenberg.graph.models import GraphModelConfig, build_model
from hohenberg.graph.pyg_baselines import dense_radius_graph, triplets
from hohenberg.training.scaler import TargetScaler
from hohenberg.graph.views import radius_edges
from hohenberg.training.checkpoint import load_model_file, save_model_file

torch.set_num_threads(1)  # 2 shared cores: intra-op threads only contend

TARGETS = ("homo_eV", "U0_eV")


@pytest.fixture(scope="module")
def graphs(qm9_table):
    ds, _ = table_graphs(qm9_table, np.arange(40, 56), 5.0)
    return ds


def _batch(graphs, cfg):
    from hohenberg.graph.run import views_needed

    ds = graphs.select(cfg.features, cfg.targets, views_needed(cfg))
    return next(iter(DataLoader(ds, batch_size=len(ds))))


def _rotation(seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return torch.tensor(q * np.sign(np.linalg.det(q)), dtype=torch.float32)  # proper rotation


@pytest.mark.parametrize("model,views,extra", [
    ("schnet", ("radius",), {}), ("mpnn", ("complete",), {}), ("gin", ("bond",), {}),
    ("gin", ("bond",), {"bond_lengths": True, "extensive_readout": "atomwise"}),
    ("gin", ("bond",), {"bond_lengths": True, "extensive_readout": "atomwise", "environment": True}),
    ("attention", ("bond", "radius", "complete"), {}),
    ("attention", ("bond", "radius"), {"encoder": "gin", "bond_lengths": True, "extensive_readout": "atomwise"}),
    ("pyg-schnet", ("radius",), {}), pytest.param("pyg-dimenet++", ("radius",), {}, marks=pytest.mark.slow),
])
def test_rotating_and_translating_a_molecule_leaves_predictions_unchanged(graphs, model, views, extra):
    torch.manual_seed(0)
    cfg = GraphModelConfig(model=model, views=views, targets=TARGETS, hidden=16, layers=2, **extra)
    net = build_model(cfg).eval()
    with torch.no_grad():  # make outputs non-trivial (PyG DimeNet++ starts with zero output layers)
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    batch = _batch(graphs, cfg)
    with torch.no_grad():
        before = net(batch)
        batch.pos = batch.pos @ _rotation().T + torch.tensor([3.0, -1.0, 7.0])
        after = net(batch)
    assert before.std(0).min() > 1e-3  # outputs vary across molecules: the check is not vacuous
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4)


def test_attention_weights_per_molecule_soft_and_hard(graphs):
    torch.manual_seed(0)
    cfg = GraphModelConfig(model="attention", views=("bond", "radius", "complete"), targets=TARGETS, hidden=16,
                           layers=1, encoder="gin")
    batch = _batch(graphs, cfg)
    soft = build_model(cfg).eval()
    soft(batch)
    w = soft.last_attention
    assert w.shape == (16, 3)
    torch.testing.assert_close(w.sum(1), torch.ones(16, dtype=w.dtype))
    # hard selection at evaluation = the soft model's head applied to the argmax view alone
    hard = build_model(GraphModelConfig(**{**cfg.to_dict(), "selection": "hard"})).eval()
    hard.load_state_dict(soft.state_dict())
    out = hard(batch)
    pick = hard.last_attention.argmax(1)
    H = torch.stack([hard.encoders[v](batch.x, hard.edges[v](batch), batch.batch, 16) for v in hard.views], 1)
    expect = hard.scaler.restore(hard.head(H[torch.arange(16), pick]), batch.z, batch.batch)
    torch.testing.assert_close(out, expect)


def test_dense_radius_graph_equals_per_molecule_brute_force(graphs):
    batch = next(iter(DataLoader(graphs, batch_size=16)))
    got = set(map(tuple, dense_radius_graph(batch.pos, batch.batch, 3.0).T.tolist()))
    expect = set()
    for m in range(16):
        a, b = batch.ptr[m].item(), batch.ptr[m + 1].item()
        expect |= {(i + a, j + a) for i, j in radius_edges(batch.pos[a:b].double().numpy(), 3.0).T.tolist()}
    assert got == expect and len(got) > 100


def test_triplets_match_brute_force():
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 0, 2, 3], [1, 0, 2, 1, 0, 2, 3, 2]])  # triangle 0-1-2 + 2-3
    i, j, idx_i, idx_j, idx_k, idx_kj, idx_ji = triplets(edge_index, 4)
    assert torch.equal(i, edge_index[1]) and torch.equal(j, edge_index[0])
    got = set(zip(idx_k.tolist(), idx_j.tolist(), idx_i.tolist(), idx_kj.tolist(), idx_ji.tolist()))
    E = edge_index.T.tolist()
    expect = {(k, j2, i2, e1, e2) for (e1, (k, j1)), (e2, (j2, i2)) in itertools.product(enumerate(E), enumerate(E))
              if j1 == j2 and k != i2}
    assert got == expect and len(expect) == 10


def test_target_scaler_recovers_per_element_offsets():
    z = torch.tensor([6, 1, 1, 6, 6, 1, 8])
    batch = torch.tensor([0, 0, 0, 1, 1, 1, 2])
    n = torch.zeros(3, 10)
    n.index_put_((batch, z), torch.ones(7), accumulate=True)
    y = torch.stack([-37.8 * n[:, 6] - 0.5 * n[:, 1] - 75.0 * n[:, 8] + 1.0, torch.tensor([1.0, 2.0, 4.0])], 1)
    s = TargetScaler(2).fit(z, batch, y.double())
    # three molecules, four unknowns (C, H, O, intercept): the exact fit has zero residual
    torch.testing.assert_close(s.restore(torch.zeros(3, 2), z, batch), y.double(), atol=1e-8, rtol=0)
    assert s.std[0] == 1.0  # zero residual spread: the scale falls back to 1


def test_model_file_round_trip_and_refuses_pickles(tmp_path):
    cfg = GraphModelConfig(model="gin", views=("bond",), targets=TARGETS, hidden=8, layers=1)
    net = build_model(cfg)
    path = save_model_file(tmp_path / "m.pt", "graph", cfg.to_dict(), net.state_dict(), {"table": "x"}, {"a": 1.0})
    saved = load_model_file(path)
    assert saved.kind == "graph" and GraphModelConfig.from_dict(saved.config) == cfg
    assert saved.provenance == {"table": "x"} and saved.metrics == {"a": 1.0}
    assert all(torch.equal(saved.state_dict[k], v) for k, v in net.state_dict().items())

    # an arbitrary Python object (here a module-level class): weights_only loading must refuse it
    torch.save({"format": "hohenberg-model", "x": _Payload()}, tmp_path / "evil.pt")
    with pytest.raises(InputError, match="not a Hohenberg model file"):
        load_model_file(tmp_path / "evil.pt")


def test_hard_selection_is_learned_by_gradient(graphs):
    torch.manual_seed(0)
    cfg = GraphModelConfig(model="attention", views=("bond", "radius"), targets=TARGETS, hidden=16, layers=1,
                           encoder="gin", selection="hard")
    net = build_model(cfg).train()
    batch = _batch(graphs, cfg)
    net(batch).sum().backward()
    # straight-through Gumbel-softmax: the scoring network and the view prior receive gradients
    assert net.view_bias.grad is not None and net.view_bias.grad.abs().sum() > 0
    assert all(p.grad is not None for p in net.score.parameters())


class _Payload:
    pass


def _dimer(mol):
    """Two copies of ``mol`` 50 Angstrom apart, as one graph (bond view only)."""
    from torch_geometric.data import Data

    n = mol.num_nodes
    return Data(x=torch.cat([mol.x, mol.x]), z=torch.cat([mol.z, mol.z]), y=mol.y,
                pos=torch.cat([mol.pos, mol.pos + torch.tensor([50.0, 0.0, 0.0])]),
                bond_index=torch.cat([mol.bond_index, mol.bond_index + n], dim=1),
                bond_attr=torch.cat([mol.bond_attr, mol.bond_attr]))


@pytest.mark.parametrize("model,views", [("gin", ("bond",)), ("mpnn", ("bond",)), ("attention", ("bond",))])
def test_atomwise_readout_makes_energies_size_extensive(graphs, model, views):
    """Two far-apart copies of a molecule: the atom-wise U0 output is exactly twice the
    monomer's; HOMO (pooled) and U0 under the pooled readout are not (the check can fail)."""
    cfg = dict(model=model, views=views, targets=TARGETS, hidden=16, layers=2, encoder="gin", readout="set2set",
               bond_lengths=True)
    ds = graphs.select("gasteiger", TARGETS, ("bond",))
    mono = ds[3]
    out = {}
    for readout in ("atomwise", "pooled"):
        torch.manual_seed(0)
        net = build_model(GraphModelConfig(**cfg, extensive_readout=readout)).eval()
        batch = next(iter(DataLoader([mono, _dimer(mono)], batch_size=2)))
        with torch.no_grad():
            out[readout] = net(batch)  # scaler not fitted: offsets 0, scale 1
    a, p = out["atomwise"], out["pooled"]
    torch.testing.assert_close(a[1, 1], 2 * a[0, 1], rtol=1e-5, atol=1e-6)
    assert abs(float(a[0, 1])) > 1e-3
    assert abs(float(p[1, 1] - 2 * p[0, 1])) > 1e-3 * abs(float(p[0, 1])) + 1e-4
    assert abs(float(a[1, 0] - 2 * a[0, 0])) > 1e-4  # HOMO stays pooled


def test_bond_lengths_make_the_bond_graph_see_geometry(graphs):
    """Stretching one bond changes a bond-length model's output; the plain 2D model cannot see it."""
    ds = graphs.select("gasteiger", TARGETS, ("bond",))
    batch = next(iter(DataLoader(ds, batch_size=len(ds))))
    stretched = batch.clone()
    i, j = (int(v) for v in batch.bond_index[:, 0])
    stretched.pos = batch.pos.clone()
    stretched.pos[j] = batch.pos[i] + 1.1 * (batch.pos[j] - batch.pos[i])
    diff = {}
    for lengths in (False, True):
        torch.manual_seed(0)
        net = build_model(GraphModelConfig(model="gin", views=("bond",), targets=TARGETS, hidden=16, layers=2,
                                           bond_lengths=lengths)).eval()
        with torch.no_grad():
            diff[lengths] = (net(stretched) - net(batch)).abs()
    assert float(diff[False].max()) == 0.0
    mol = int(batch.batch[i])
    assert float(diff[True][mol].max()) > 1e-4
    others = torch.arange(len(ds)) != mol
    assert float(diff[True][others].max()) == 0.0


def test_radial_environment_equals_a_brute_force_sum(graphs):
    """Each atom's environment block of element e = sum over atoms of element e within the cutoff
    of their Gaussian basis times the cosine cutoff."""
    from hohenberg.graph.encoders import RadialEnvironment

    cfg = GraphModelConfig(model="gin", views=("bond",), targets=TARGETS, environment=True)
    batch = _batch(graphs, cfg)
    env = RadialEnvironment(5.0, 8)
    got = env(batch).view(batch.num_nodes, len(env.elements) + 1, 8)
    pos, z, mol = batch.pos.double(), batch.z, batch.batch
    centres = env.rbf.offset.double()
    coeff = -0.5 / float(centres[1] - centres[0]) ** 2
    for i in range(0, batch.num_nodes, 7):
        want = torch.zeros(len(env.elements) + 1, 8, dtype=torch.float64)
        for j in range(batch.num_nodes):
            d = float((pos[i] - pos[j]).norm())
            if j == i or mol[j] != mol[i] or d >= 5.0:
                continue
            want[env.elements.index(int(z[j]))] += torch.exp(coeff * (d - centres) ** 2) * 0.5 * (np.cos(np.pi * d / 5.0) + 1)
        torch.testing.assert_close(got[i].double(), want, rtol=1e-4, atol=1e-5)
    assert float(got[:, 1].sum()) > 0  # carbon neighbours exist: not vacuous
