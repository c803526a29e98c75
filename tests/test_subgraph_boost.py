"""Subgraph boosting: branch and bound finds the exhaustive best split; the graph-XOR check."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from hohenberg.subgraph import PatternTree
from hohenberg.subgraph.boost import SubgraphBoostRegressor, best_split
from hohenberg.subgraph.bounds import split_gain
from hohenberg.subgraph.graph import LabeledGraph
from hohenberg.subgraph.sparse import SparseSubgraphRegressor
from subgraph_helpers import SMILES, random_graph, random_graphs


def xor_data(n, seed, p_a=0.5, p_b=0.3):
    """Random graphs (labels 1-3) with two planted motifs as separate components: A, a path of
    three label-4 atoms, and B, a triangle of label-5 atoms.  y = A xor B (+ small noise).  No
    connected pattern holds both motifs, so only a split on A then on B can represent y."""
    rng = np.random.default_rng(seed)
    graphs, y = [], []
    for _ in range(n):
        g = random_graph(rng, n_max=6)
        labels, edges = list(g.labels), list(g.edges)
        a, b = rng.random() < p_a, rng.random() < p_b
        if a:
            o = len(labels)
            labels += [4, 4, 4]
            edges += [(o, o + 1, 1), (o + 1, o + 2, 1)]
        if b:
            o = len(labels)
            labels += [5, 5, 5]
            edges += [(o, o + 1, 1), (o + 1, o + 2, 1), (o + 2, o, 1)]
        graphs.append(LabeledGraph(labels, edges))
        y.append(float(a != b) + rng.normal(0, 0.05))
    return graphs, np.array(y)


def r2(pred, y):
    return 1 - ((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def test_graph_xor_needs_two_level_trees():
    train, y = xor_data(300, 0)
    test, yt = xor_data(200, 1)
    deep = SubgraphBoostRegressor(n_estimators=30, learning_rate=0.5, max_depth=2, min_support=3).fit(train, y)
    stumps = SubgraphBoostRegressor(n_estimators=30, learning_rate=0.5, max_depth=1, min_support=3).fit(train, y)
    linear = SparseSubgraphRegressor(min_support=3, n_lambdas=8).fit(train, y)
    assert r2(deep.predict(test), yt) > 0.97
    assert r2(stumps.predict(test), yt) < 0.3  # an additive model of single patterns
    assert r2(linear.predict(test), yt) < 0.3
    # The two most important split patterns are the planted motifs (or their sub-patterns).
    labels_used = [{e[2] for e in code} | {root} for root, code in
                   (deep.patterns_[i] for i in np.argsort(-deep.feature_importances_)[:2])]
    assert labels_used[0] | labels_used[1] == {4, 5}
    assert deep.feature_importances_.sum() == pytest.approx(1.0)


def test_best_split_equals_exhaustive_search():
    rng = np.random.default_rng(0)
    graphs = random_graphs(200, seed=3, n_max=7, extra_edges=3)
    full = list(PatternTree(graphs, 2).walk())
    for _ in range(4):
        r = rng.normal(size=len(graphs))
        rows = np.flatnonzero(rng.random(len(graphs)) < 0.7)
        tree = PatternTree(graphs, 2)
        split = best_split(tree, r, rows)
        mask = np.zeros(len(graphs), bool)
        mask[rows] = True
        gains = []
        for nd in full:
            inside = nd.support[mask[nd.support]]
            gains.append(split_gain(r[inside].sum(), len(inside), r[rows].sum(), len(rows)))
        assert split.gain == pytest.approx(max(gains), rel=1e-12)
        assert tree.stats.created < len(full)  # the bound pruned part of the tree


def test_boost_on_molecules_clone_and_json():
    y = np.array([s.count("O") + 0.5 * s.count("N") for s in SMILES], float)
    model = SubgraphBoostRegressor(n_estimators=40, learning_rate=0.3, max_depth=2, min_support=2)
    params = model.get_params()
    model.fit(SMILES, y)
    assert model.get_params() == params
    assert model.train_rmse_ < 0.2 * y.std()
    assert model.top_patterns(1)[0][0] in ("[#8;A]", "[#8;a]")
    assert not hasattr(clone(model), "trees_")
    loaded = SubgraphBoostRegressor(**params).load_state(json.loads(json.dumps(model.state_dict())))
    np.testing.assert_allclose(loaded.predict(SMILES), model.predict(SMILES))
    # CCO and OCCO share every pattern of support >= 2 (O-C-C-O occurs once): same prediction.
    pred = model.predict(SMILES)
    assert pred[SMILES.index("CCO")] == pred[SMILES.index("OCCO")]


def test_composition_base_for_extensive_targets():
    from hohenberg.subgraph.graph import from_smiles
    from hohenberg.subgraph.sparse import composition

    Z = composition([from_smiles(s) for s in SMILES], [6, 7, 8])
    y = Z @ np.array([-38.0, -54.6, -75.1, -0.6]) + 0.8 * np.array(["c" in s for s in SMILES])
    plain = SubgraphBoostRegressor(n_estimators=20, learning_rate=0.5, max_depth=2, min_support=2).fit(SMILES, y)
    based = SubgraphBoostRegressor(n_estimators=20, learning_rate=0.5, max_depth=2, min_support=2,
                                   composition=True).fit(SMILES, y)
    assert based.train_rmse_ < 0.1 < 1.0 < plain.train_rmse_
    np.testing.assert_allclose(based.base_coef_[1:], [-38.0, -54.6, -75.1, -0.6], atol=0.5)
    loaded = SubgraphBoostRegressor(**based.get_params()).load_state(json.loads(json.dumps(based.state_dict())))
    np.testing.assert_allclose(loaded.predict(SMILES), based.predict(SMILES))
