"""Featurizers, graph views and the graph cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from hohenberg.graph.dataset import GraphDataset, table_graphs, take_graphs
from hohenberg.graph.features import (BLOCKS, FEATURE_SETS, FEATURIZER_VERSION, N_ATOM_FEATURES, atom_features,
                                      bond_features, feature_columns, feature_names)
from hohenberg.graph.views import complete_edges, radius_edges
from hohenberg.molecules.molecule import Molecule

torch.set_num_threads(1)  # 2 shared cores: intra-op threads only contend


def _row(feats, block):
    """Columns of one block in the full feature matrix."""
    start = sum(w for b, w in BLOCKS.items() if list(BLOCKS).index(b) < list(BLOCKS).index(block))
    return feats[:, start:start + BLOCKS[block]]


def test_formaldehyde_features_by_hand():
    mol = Chem.AddHs(Chem.MolFromSmiles("C=O"))  # atoms C, O, H, H
    f = atom_features(mol)
    assert f.shape == (4, N_ATOM_FEATURES) == (4, 32)
    # element one-hot H, C, N, O, F, other
    np.testing.assert_array_equal(_row(f, "element"), [[0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0],
                                                       [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]])
    # C has 3 neighbours (O, H, H); O and H one each
    np.testing.assert_array_equal(_row(f, "degree").argmax(1), [3, 1, 1, 1])
    np.testing.assert_array_equal(_row(f, "formal_charge").argmax(1), [1, 1, 1, 1])  # all neutral
    # S, SP, SP2, SP3, other: C and O are sp2, H is s
    np.testing.assert_array_equal(_row(f, "hybridization").argmax(1), [2, 2, 0, 0])
    np.testing.assert_array_equal(_row(f, "aromatic")[:, 0], 0)
    np.testing.assert_array_equal(_row(f, "ring")[:, 0], 0)
    np.testing.assert_array_equal(_row(f, "num_h").argmax(1), [2, 0, 0, 0])
    np.testing.assert_array_equal(_row(f, "num_h_count")[:, 0], [2, 0, 0, 0])
    np.testing.assert_allclose(_row(f, "atomic_number")[:, 0], [0.6, 0.8, 0.1, 0.1])
    np.testing.assert_array_equal(_row(f, "acceptor")[:, 0], [0, 1, 0, 0])  # carbonyl O accepts
    np.testing.assert_array_equal(_row(f, "donor")[:, 0], [0, 0, 0, 0])
    q = _row(f, "gasteiger")[:, 0]
    # neutral molecule: charges sum to zero; O negative, C and H positive, the two H equal
    assert abs(q.sum()) < 1e-5 and q[1] < -0.3 < 0 < q[0] and q[2] == q[3] > 0
    assert q[1] == pytest.approx(-0.3071, abs=1e-4)


def test_bond_features_benzene_and_formaldehyde():
    index, attr = bond_features(Chem.AddHs(Chem.MolFromSmiles("c1ccccc1")))
    assert index.shape == (2, 24) and attr.shape == (24, 6)  # 6 C-C + 6 C-H bonds, both directions
    cc = np.all(index < 6, axis=0)
    # C-C: aromatic, conjugated, in ring; C-H: single, not in ring
    np.testing.assert_array_equal(attr[cc], np.tile([0, 0, 0, 1, 1, 1], (12, 1)))
    np.testing.assert_array_equal(attr[~cc], np.tile([1, 0, 0, 0, 0, 0], (12, 1)))
    index, attr = bond_features(Chem.AddHs(Chem.MolFromSmiles("C=O")))
    np.testing.assert_array_equal(index[:, :2], [[0, 1], [1, 0]])
    np.testing.assert_array_equal(attr[0], [0, 1, 0, 0, 0, 0])  # double, not conjugated, no ring


def test_feature_sets_are_column_selections():
    widths = {name: len(feature_columns(name)) for name in FEATURE_SETS}
    assert widths == {"element": 6, "basic": 27, "gasteiger": 28, "gilmer": 16}
    assert all(len(feature_names(n)) == w for n, w in widths.items())
    assert feature_names("gasteiger")[-1] == "gasteiger" and feature_names("element")[1] == "element:C"
    assert FEATURIZER_VERSION == 1
    with pytest.raises(ValueError, match="unknown feature set"):
        feature_columns("ecfp")


def test_views_of_water():
    # O at the origin, H at 0.96 Angstrom, H-O-H 104.5 degrees: H...H is 1.52 Angstrom
    a = np.deg2rad(104.5)
    pos = np.array([[0, 0, 0], [0.96, 0, 0], [0.96 * np.cos(a), 0.96 * np.sin(a), 0]])
    assert np.linalg.norm(pos[1] - pos[2]) == pytest.approx(1.5187, abs=1e-3)
    r = radius_edges(pos, 1.2)
    assert sorted(map(tuple, r.T)) == [(0, 1), (0, 2), (1, 0), (2, 0)]
    assert radius_edges(pos, 2.0).shape == (2, 6)
    assert sorted(map(tuple, complete_edges(3).T)) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]


def test_graph_cache_round_trip(qm9_table, tmp_path):
    rows = np.array([7, 3, 30, 29, 100, 0])
    ds, cached = table_graphs(qm9_table, rows, 5.0, tmp_path)
    assert not cached and len(ds) == len(rows)
    files = list(tmp_path.glob("graphs-*.pt"))
    assert len(files) == 1
    # the cache is plain tensors and text: it loads without unpickling anything
    payload = torch.load(files[0], weights_only=True)
    assert payload["format"] == 1
    again, cached = table_graphs(qm9_table, rows, 5.0, tmp_path)
    assert cached
    direct, _ = table_graphs(qm9_table, rows, 5.0)  # no cache: only these rows are built
    for key in ("x", "z", "pos", "y", "bond_index", "bond_attr", "radius_index", "complete_index"):
        assert torch.equal(getattr(ds._data, key), getattr(again._data, key)), key
        assert torch.equal(getattr(direct._data, key), getattr(again._data, key)), key
        assert torch.equal(direct.slices[key], again.slices[key]), key
    assert again.provenance["fingerprint"] == ds.provenance["fingerprint"] == direct.provenance["fingerprint"]
    assert again.provenance["ids"] == [str(qm9_table.ids[i]) for i in rows]
    # the cache holds the whole table: another selection of rows is sliced from the same file
    other, cached = table_graphs(qm9_table, np.arange(10), 5.0, tmp_path)
    assert cached and len(other) == 10 and len(list(tmp_path.glob("graphs-*.pt"))) == 1
    assert sum(other.provenance["bond_sources"].values()) == len(qm9_table)


def test_parallel_build_equals_serial(qm9_table):
    from hohenberg.graph.dataset import build_graphs, build_graphs_parallel, _targets_of

    rows = np.arange(len(qm9_table))
    mols = list(qm9_table.take(rows))
    y = _targets_of(qm9_table, rows)
    serial = build_graphs(mols, 5.0, y)
    reps = 2
    par = build_graphs_parallel(mols * reps, 5.0, np.tile(y, (reps, 1)), {}, workers=2, chunk=97)
    assert len(par) == reps * len(mols)
    for k in (0, reps - 1):
        part = take_graphs(par, np.arange(k * len(mols), (k + 1) * len(mols)))
        for key in serial.slices:
            assert torch.equal(getattr(serial._data, key), getattr(part._data, key), ), key
            assert torch.equal(serial.slices[key], part.slices[key]), key


def test_graph_of_a_table_molecule(qm9_table):
    ds, _ = table_graphs(qm9_table, np.arange(5), 5.0)
    g = ds[4]  # QM9 molecule 5: HCN
    mol = qm9_table[4]
    assert mol.formula in ("CHN", "HCN") and g.num_nodes == 3
    assert g.bond_index.shape[1] == 4  # C-H, C#N, both directions
    assert torch.all(g.bond_attr[:, 2].sum() == 2)  # the triple bond, both directions
    assert g.complete_index.shape[1] == 6
    np.testing.assert_allclose(g.y[0, 2].item(), mol.properties["homo_eV"])  # y in TARGETS order
    sel = ds.select("element", ["homo_eV"], views=("radius",))
    assert sel[4].x.shape == (3, 6) and sel[4].y.shape == (1, 1)
    assert "complete_index" not in sel[4] and "bond_attr" not in sel[4]


def test_xyz_molecule_without_smiles_gets_bonds_from_geometry():
    from hohenberg.graph.molgraph import molecule_graph

    a = np.deg2rad(104.5)
    water = Molecule([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [0.96 * np.cos(a), 0.96 * np.sin(a), 0]])
    g, source = molecule_graph(water, cutoff=5.0)
    assert source == "geometry" and g.bond_index.shape[1] == 4
    assert GraphDataset.from_graphs([g], {}).provenance == {}


def test_donor_acceptor_patterns_equal_rdkit_feature_factory(qm9_table):
    from rdkit import Chem

    from hohenberg.graph.features import _donors_acceptors, _feature_factory, prepare
    from hohenberg.graph.molgraph import rdkit_of

    mols = [prepare(rdkit_of(m)[0]) for m in qm9_table]
    mols += [Chem.AddHs(Chem.MolFromSmiles(s)) for s in
             ("CC(=O)Oc1ccccc1C(=O)O", "c1ccncc1", "NC(=O)N", "C[N+](C)(C)C", "CC(=O)[O-]", "c1cc[nH]c1", "OCC#N")]
    n_donor = n_acceptor = 0
    for mol in mols:
        donors, acceptors = set(), set()
        for feat in _feature_factory().GetFeaturesForMol(mol):
            {"Donor": donors, "Acceptor": acceptors}.get(feat.GetFamily(), set()).update(feat.GetAtomIds())
        assert _donors_acceptors(mol) == (donors, acceptors), Chem.MolToSmiles(mol)
        n_donor += len(donors)
        n_acceptor += len(acceptors)
    assert n_donor > 50 and n_acceptor > 100  # the comparison saw both families
