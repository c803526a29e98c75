"""Graphs of graphs: MMP and isomer networks, CGR, antisymmetric pair models, leak-free pair
splits, and the CLI (data network / train pairs / train network / evaluate / predict)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from hohenberg.cli.main import app
from hohenberg.datasets.splits import pair_split
from hohenberg.errors import InputError
from hohenberg.graph.models import GraphModelConfig
from hohenberg.network.build import NetworkData, isomer_network, mmp_cuts, mmp_network, network_statistics
from hohenberg.network.cgr import cgr_tensors, edge_mapping, heavy_mol
from hohenberg.units import QM9_ELEMENTS

torch.set_num_threads(1)  # 2 shared cores
runner = CliRunner()


def _run(*args, ok=True):
    res = runner.invoke(app, [str(a) for a in args])
    if ok:
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise res.exception
        assert res.exit_code == 0, res.output
    return res


# -- networks ---------------------------------------------------------------------------------
def test_mmp_network_of_a_hand_checked_set(tmp_path):
    smiles = ["CCO", "CCN", "CC", "CCC", "c1ccccc1O", "c1ccccc1N"]
    assert ("CC[*:1]", "O[*:1]") in mmp_cuts("CCO")  # the C-O cut: ethyl constant, OH exchanged
    assert ("CC[*:1]", "[*:1][H]") in mmp_cuts("CC")  # hydrogen replacement
    net = mmp_network(smiles, smiles)
    edges = {(net.ids[a], net.ids[b]): (net.edge_text(e), net.edge_key(e)) for e, (a, b) in enumerate(net.edges)}
    # ethanol, ethylamine, ethane, propane: one ethyl constant, four exchanged groups -> 6 pairs;
    # phenol-aniline is the only pair of the aromatic ones; no pair across (different constants)
    assert edges == {
        ("CCO", "CCN"): ("O[*:1]>>N[*:1]", "CC[*:1]"), ("CCO", "CC"): ("O[*:1]>>[*:1][H]", "CC[*:1]"),
        ("CCO", "CCC"): ("O[*:1]>>C[*:1]", "CC[*:1]"), ("CCN", "CC"): ("N[*:1]>>[*:1][H]", "CC[*:1]"),
        ("CCN", "CCC"): ("N[*:1]>>C[*:1]", "CC[*:1]"), ("CC", "CCC"): ("[*:1][H]>>C[*:1]", "CC[*:1]"),
        ("c1ccccc1O", "c1ccccc1N"): ("O[*:1]>>N[*:1]", "c1ccc([*:1])cc1"),
    }
    stats = network_statistics(net)
    assert (stats["nodes"], stats["edges"], stats["components"], stats["degree"]["max"]) == (6, 7, 2, 3)
    back = NetworkData.load(net.save(tmp_path / "net.npz"))
    assert np.array_equal(back.edges, net.edges) and list(back.ids) == smiles
    assert [back.edge_text(e) for e in range(back.n_edges)] == [net.edge_text(e) for e in range(net.n_edges)]
    sub = net.subnetwork(np.array([1, 0]))  # renumbering reverses the direction: so does the text
    assert sub.n_edges == 1 and sub.edge_text(0) == "N[*:1]>>O[*:1]"


def test_isomer_network_joins_one_bond_edits_of_one_formula():
    smiles = ["CCO", "COC", "CC=O", "C=CO", "CCC"]
    net = isomer_network(smiles, smiles, np.array([0, 0, 1, 1, 2]))
    edges = {(net.ids[a], net.ids[b]): net.edge_text(e) for e, (a, b) in enumerate(net.edges)}
    # ethanol -> dimethyl ether moves one C-C bond to C-O; acetaldehyde / vinyl alcohol share the
    # skeleton (a double-bond / hydrogen shift); propane has no isomer here
    assert edges == {("CCO", "COC"): "bond move", ("CC=O", "C=CO"): "bond-order/hydrogen shift"}


# -- condensed graph of reaction -------------------------------------------------------------------
def test_cgr_maps_atoms_consistently_and_encodes_bond_changes():
    a, b = heavy_mol("CCO"), heavy_mol("CCN")
    mapping, how = edge_mapping(a, b, "mmp", "CC[*:1]")
    assert how == "constant" and mapping == {0: 0, 1: 1}
    g = cgr_tensors(a, b, mapping, QM9_ELEMENTS)
    assert g["x"].shape[0] == 4  # C, C, O of ethanol + the N of ethylamine, which has no partner
    assert g["z"].tolist() == [6, 6, 8, 7]
    assert g["x"][:, -2].tolist() == [1, 1, 1, 0] and g["x"][:, -1].tolist() == [1, 1, 0, 1]  # in R / in P
    attr = {tuple(e): v for e, v in zip(g["edge_index"].T.tolist(), g["edge_attr"])}
    single = torch.tensor([1.0, 0, 0, 0, 0, 0])
    assert torch.equal(attr[(0, 1)], torch.cat([single, torch.zeros(6)]))  # kept C-C: no change
    assert torch.equal(attr[(1, 2)], torch.cat([single, -single]))  # C-O broken
    assert torch.equal(attr[(1, 3)], torch.cat([torch.zeros(6), single]))  # C-N formed

    a, b = heavy_mol("CC=O"), heavy_mol("C=CO")  # an isomer pair: every heavy atom mapped
    mapping, how = edge_mapping(a, b, "isomers", "0|=|CCO")
    assert how == "skeleton" and len(mapping) == 3
    assert all(a.GetAtomWithIdx(i).GetAtomicNum() == b.GetAtomWithIdx(j).GetAtomicNum() for i, j in mapping.items())
    g = cgr_tensors(a, b, mapping, QM9_ELEMENTS)
    attr = {tuple(e): v for e, v in zip(g["edge_index"].T.tolist(), g["edge_attr"])}
    double = torch.tensor([0.0, 1, 0, 0])
    assert g["x"].shape[0] == 3 and len(attr) == 4  # no atom appears, no bond appears: orders change
    assert torch.equal(attr[(1, 2)][6:10], torch.tensor([1.0, -1, 0, 0]))  # C=O -> C-O (hydrogen moves)
    assert torch.equal(attr[(0, 1)][6:10], double - torch.tensor([1.0, 0, 0, 0]))  # C-C -> C=C


# -- antisymmetry and splits --------------------------------------------------------------------------
def test_pair_models_are_exactly_antisymmetric(qm9_table):
    from hohenberg.network.pairs import PairCollate, build_pair_model, element_counts
    from hohenberg.network.run import _cgrs
    from hohenberg.graph.batch import molecules_tensors

    rows = np.arange(12)
    a, b = rows[:6], rows[6:]
    graphs = dict(enumerate(molecules_tensors(list(qm9_table.take(rows)), 5.0)))
    counts = np.stack([element_counts(qm9_table.numbers[qm9_table.offsets[r]:qm9_table.offsets[r + 1]]) for r in rows])
    smiles = [str(s) for s in qm9_table.text["smiles"][:12]]
    cgrs, _ = _cgrs(smiles[:6], smiles[6:], [None] * 6, [None] * 6, QM9_ELEMENTS)
    cfg = GraphModelConfig(model="gin", features="basic", views=("bond",), targets=("U0_eV", "gap_eV"), hidden=16, layers=2)
    for kind in ("pair", "difference", "cgr"):
        torch.manual_seed(0)
        model = build_pair_model(kind, cfg).eval()
        model.scaler.coef.normal_()  # non-zero offsets: they must flip sign too
        batch = PairCollate(kind, a, b, np.zeros((6, 2)), graphs, cgrs, counts, "basic", ("bond",))(np.arange(6))
        with torch.no_grad():
            fwd, rev = model(batch), model(batch.swapped())
        assert fwd.abs().max() > 1e-3
        torch.testing.assert_close(fwd, -rev, rtol=1e-6, atol=1e-9)


def test_by_molecule_pair_split_is_leak_free():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    parts = pair_split(a, b, "by-molecule", seed=3)
    mols = {k: set(a[v]) | set(b[v]) for k, v in parts.items()}
    assert all(len(v) for v in parts.values())
    assert not mols["test"] & mols["train"] and not mols["val"] & mols["train"] and not mols["test"] & mols["val"]
    random = pair_split(a, b, "random", seed=3)
    assert sum(len(v) for v in random.values()) == 2000
    with pytest.raises(InputError):
        pair_split(a, b, "scaffold")


# -- the command line ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(qm9_table, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("network_cli")
    table = tmp / "fixture.npz"
    qm9_table.save(table)
    res = _run("data", "network", table, "--kind", "mmp", "--out", tmp / "mmp.npz", "--json")
    built = json.loads(res.stdout)
    return tmp, table, tmp / "mmp.npz", built


def test_data_network_and_info(files):
    tmp, table, net, built = files
    assert built["nodes"] == 299 and built["edges"] > 100 and built["kind"] == "mmp"
    info = json.loads(_run("data", "info", net, "--json").stdout)
    assert info["edges"] == built["edges"] and sum(info["degree"]["histogram"].values()) == 299
    iso = json.loads(_run("data", "network", table, "--kind", "isomers", "--out", tmp / "iso.npz", "--json").stdout)
    assert iso["kind"] == "isomers" and iso["edges"] > 0
    res = _run("data", "network", table, "--kind", "scaffold", "--out", tmp / "x.npz", ok=False)
    assert isinstance(res.exception, InputError)


TRAIN = ("--target", "U0_eV,gap_eV", "--hidden", "16", "--layers", "2", "--epochs", "2", "--batch-size", "32")


@pytest.mark.parametrize("model,split", [("pair", "by-molecule"), ("difference", "random"), ("cgr", "random")])
def test_train_evaluate_predict_pairs(files, model, split):
    tmp, table, net, _ = files
    out = tmp / f"pairs_{model}"
    ens = ("--ensemble", "2") if model == "pair" else ()
    s = json.loads(_run("train", "pairs", net, "--table", table, *TRAIN, "--model", model, "--split", split, *ens,
                        "--cache", tmp / "graphs", "--out", out, "--json").stdout)
    assert s["kind"] == "pairs" and set(s["test_errors"]) == {"U0_eV", "gap_eV"}
    assert np.isfinite(s["test_errors"]["U0_eV"]["mae_meV"])
    stored = json.loads((out / "split.json").read_text())
    if split == "by-molecule":  # no molecule of a test pair in any training pair
        mols = {k: {m for p in stored[k] for m in p.split(">>")} for k in ("train", "test")}
        assert mols["test"] and not mols["test"] & mols["train"]
    ev = json.loads(_run("evaluate", out, net, "--table", table, "--cache", tmp / "graphs", "--json").stdout)
    assert ev["n_pairs"] == s["split_sizes"]["test"]
    assert ev["errors"]["U0_eV"]["mae_meV"] == pytest.approx(s["test_errors"]["U0_eV"]["mae_meV"], rel=1e-6)
    pr = json.loads(_run("predict", out, "CCO>>CCN", "CCN>>CCO", "--json").stdout)["pairs"]
    assert pr[0]["delta_gap_eV"] == pytest.approx(-pr[1]["delta_gap_eV"], abs=1e-6)  # antisymmetric end to end
    assert 400 < pr[0]["delta_U0_eV"] < 700  # O -> NH: the element offsets dominate (eV)
    if model == "pair":
        assert np.isfinite(pr[0]["delta_gap_eV_std"])  # two members: a spread
    res = _run("predict", out, "CCO.CCN", ok=False)
    assert isinstance(res.exception, InputError) and ">>" in str(res.exception)


def test_train_evaluate_predict_network(files, qm9_table):
    tmp, table, net, _ = files
    out = tmp / "network"
    s = json.loads(_run("train", "network", net, "--table", table, *TRAIN, "--cache", tmp / "graphs",
                        "--out", out, "--json").stdout)
    assert s["kind"] == "network" and "transductive" in s and s["split_sizes"]["test"] == 30
    ev = json.loads(_run("evaluate", out, net, "--table", table, "--cache", tmp / "graphs", "--json").stdout)
    assert ev["errors"]["gap_eV"]["mae_meV"] == pytest.approx(s["test_errors"]["gap_eV"]["mae_meV"], rel=1e-6)
    test_id = json.loads((out / "split.json").read_text())["test"][0]
    pr = json.loads(_run("predict", out, test_id, "--json").stdout)["molecules"][0]
    assert pr["id"] == test_id and not pr["is_training_molecule"] and np.isfinite(pr["U0_eV"])
    res = _run("predict", out, "C1CC2CC2C1F", ok=False)  # not a molecule of the network
    assert isinstance(res.exception, InputError)


def test_bad_networks_are_refused(files, qm9_table, tmp_path):
    _, table, net, _ = files
    other = mmp_network(["CCO", "CCN"], ["not-in-table-1", "not-in-table-2"])
    other.save(tmp_path / "other.npz")
    res = _run("train", "pairs", tmp_path / "other.npz", "--table", table, *TRAIN, "--out", tmp_path / "m", ok=False)
    assert isinstance(res.exception, InputError) and "not-in-table-1" in str(res.exception)
    empty = mmp_network(["C1CC1", "O=C=O"], [str(qm9_table.ids[0]), str(qm9_table.ids[1])])
    assert empty.n_edges == 0
    empty.save(tmp_path / "empty.npz")
    res = _run("train", "pairs", tmp_path / "empty.npz", "--table", table, *TRAIN, "--out", tmp_path / "m", ok=False)
    assert isinstance(res.exception, InputError) and "no edges" in str(res.exception)
