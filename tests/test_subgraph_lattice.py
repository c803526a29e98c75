"""The cached pattern lattice gives exactly the splits of the pruned search, and the same boosting."""

from __future__ import annotations

import numpy as np
import pytest

from hohenberg.subgraph import PatternTree
from hohenberg.subgraph.boost import SubgraphBoostRegressor, best_split
from hohenberg.subgraph.bounds import split_gain
from hohenberg.subgraph.graph import from_smiles
from hohenberg.subgraph.lattice import best_split_lattice, build_lattice
from subgraph_helpers import SMILES, random_graphs


def test_lattice_columns_hold_every_pattern_support():
    graphs = random_graphs(80, seed=2, n_max=6, extra_edges=2)
    lat = build_lattice(PatternTree(graphs, 2))
    full = list(PatternTree(graphs, 2).walk())
    assert [n.key for n in lat.nodes] == [n.key for n in full]  # DFS pre-order, complete
    X = lat.X.toarray().astype(bool)
    col = {X[:, c].tobytes(): c for c in range(lat.n_columns)}
    assert len(col) == lat.n_columns  # one column per distinct support set
    for k, node in enumerate(lat.nodes):
        c = col[np.isin(np.arange(len(graphs)), node.support).tobytes()]
        assert lat.rep[c] <= k  # the representative comes first in DFS order
        if node.size:
            assert 0 <= lat.rep_bonded[c] <= k


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lattice_split_equals_pruned_search_and_brute_force(seed):
    rng = np.random.default_rng(seed)
    graphs = random_graphs(150, seed=10 + seed, n_max=7, extra_edges=3)
    full = list(PatternTree(graphs, 2).walk())
    lat = build_lattice(PatternTree(graphs, 2))
    tree = PatternTree(graphs, 2)  # shared by the pruned searches, as in a fit
    for trial in range(12):
        # Integer residuals make exact ties between different patterns common: the tie rule is tested.
        r = rng.integers(-3, 4, len(graphs)).astype(float) if trial % 3 == 0 else rng.normal(size=len(graphs))
        rows = np.flatnonzero(rng.random(len(graphs)) < rng.choice([0.1, 0.5, 1.0]))
        if len(rows) < 2:
            continue
        min_leaf = int(rng.choice([1, 1, 3]))
        atoms = bool(trial % 2)
        ref = best_split(tree, r, rows, min_leaf, atoms)
        got = best_split_lattice(lat, r, rows, min_leaf, atoms)
        if ref is None:
            assert got is None
            continue
        assert got.node.key == ref.node.key and got.threshold == 1
        assert got.gain == ref.gain  # bit for bit
        mask = np.zeros(len(graphs), bool)
        mask[rows] = True
        brute = 0.0
        for nd in full:
            inside = nd.support[mask[nd.support]]
            if (atoms or nd.size) and min_leaf <= len(inside) <= len(rows) - min_leaf:
                brute = max(brute, split_gain(r[inside].sum(), len(inside), r[rows].sum(), len(rows)))
        assert got.gain == pytest.approx(brute, rel=1e-12)


def test_lattice_split_none_when_nothing_splits():
    graphs = random_graphs(30, seed=4)
    lat = build_lattice(PatternTree(graphs, 2))
    rows = np.arange(30)
    assert best_split_lattice(lat, np.zeros(30), rows) is None  # constant residuals: no gain
    assert best_split_lattice(lat, np.ones(30), rows, min_leaf=20) is None  # leaves too small


def test_boosting_identical_with_and_without_cache():
    graphs = [from_smiles(s) for s in SMILES]
    rng = np.random.default_rng(0)
    y = np.array([s.count("O") + 0.5 * s.count("N") + 0.3 * ("c" in s) for s in SMILES]) + rng.normal(0, 0.1, len(SMILES))
    kw = dict(n_estimators=25, learning_rate=0.3, max_depth=3, min_support=2)
    a = SubgraphBoostRegressor(search="pruned", **kw).fit(graphs, y)
    b = SubgraphBoostRegressor(search="lattice", **kw).fit(graphs, y)
    assert a.trees_ == b.trees_
    assert a.patterns_ == b.patterns_
    np.testing.assert_array_equal(a.feature_importances_, b.feature_importances_)
    np.testing.assert_array_equal(a.predict(graphs), b.predict(graphs))
    with pytest.raises(ValueError):
        SubgraphBoostRegressor(search="magic").fit(graphs, y)


def test_occurrence_counts_equal_backtracking_counts():
    from hohenberg.subgraph.brute import connected_edge_subsets, subgraph_of
    from hohenberg.subgraph.dfs import canonical_key
    from hohenberg.subgraph.lattice import occurrences
    from hohenberg.subgraph.match import count_embeddings

    graphs = random_graphs(40, seed=6, n_max=6, extra_edges=2)
    tree = PatternTree(graphs, 1)
    # Brute force: occurrences of a pattern in a graph = its connected edge subsets (or vertices)
    # with that canonical form.
    brute: dict = {}
    for gid, g in enumerate(graphs):
        for v, lab in enumerate(g.labels):
            brute.setdefault(((lab, ()), gid), 0)
            brute[((lab, ()), gid)] += 1
        for s in connected_edge_subsets(g):
            key = (canonical_key(subgraph_of(g, s)), gid)
            brute[key] = brute.get(key, 0) + 1
    checked = 0
    for node in tree.walk():
        occ = occurrences(node, len(graphs))
        for gid in range(len(graphs)):
            assert occ[gid] == brute.get((node.key, gid), 0)
        if checked < 40:  # the prediction-time counter agrees (embeddings = occurrences x |Aut|)
            from hohenberg.subgraph.match import automorphisms

            aut = automorphisms(node.root, node.code)
            assert [count_embeddings(g, node.code, node.root) for g in graphs] == (occ * aut).tolist()
            checked += 1


def test_count_threshold_splits():
    # y = number of O atoms: "occurs at least k times" splits can express it, indicators cannot.
    smiles = SMILES + ["OCC(O)CO", "OC(CO)(CO)CO", "OCCOCCO", "CC(O)C(O)C"]
    graphs = [from_smiles(s) for s in smiles]
    y = np.array([s.count("O") for s in smiles], float)
    kw = dict(n_estimators=40, learning_rate=0.5, max_depth=1, min_support=2, include_atoms=True)
    plain = SubgraphBoostRegressor(**kw).fit(graphs, y)
    counted = SubgraphBoostRegressor(max_count=4, **kw).fit(graphs, y)
    assert counted.train_rmse_ < 0.5 * plain.train_rmse_
    assert max(counted.thresholds_) > 1
    np.testing.assert_allclose(counted.predict(graphs), y, atol=0.35)
    loaded = SubgraphBoostRegressor(**counted.get_params()).load_state(
        __import__("json").loads(__import__("json").dumps(counted.state_dict())))
    np.testing.assert_array_equal(loaded.predict(graphs), counted.predict(graphs))
    lat = build_lattice(PatternTree(graphs, 2), max_count=4)
    assert len(lat.features) > len(lat.nodes)
    with pytest.raises(ValueError):
        SubgraphBoostRegressor(max_count=3, search="pruned").fit(graphs, y)


def test_pattern_matrices_by_prefix_search_equal_backtracking():
    from hohenberg.subgraph.features import indicator_matrix, occurrence_matrix
    from hohenberg.subgraph.match import automorphisms, contains, count_embeddings

    train = random_graphs(60, seed=31, n_max=7, extra_edges=3)
    new = random_graphs(50, seed=32, n_max=7, extra_edges=3)
    rng = np.random.default_rng(0)
    pats = [n.key for n in PatternTree(train, 2).walk()]
    pats = [pats[k] for k in rng.permutation(len(pats))[:150]] + [pats[0], (9, ())]  # a duplicate, an unseen atom
    (i, j, la, e, lb), = next(c for _, c in pats if len(c) == 1 and c[0][2] != c[0][4])
    pats.append((lb, ((i, j, lb, e, la),)))  # a valid but not minimum code: matched by backtracking
    ind = indicator_matrix(new, pats).toarray()
    occ = occurrence_matrix(new, pats).toarray()
    for j, (root, code) in enumerate(pats):
        aut = automorphisms(root, code)
        for i, g in enumerate(new):
            assert ind[i, j] == contains(g, code, root)
            assert occ[i, j] == count_embeddings(g, code, root) // aut
