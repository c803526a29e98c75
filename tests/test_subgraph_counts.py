"""Count features in the sparse model: the count bound is sound (against brute force), and the fit
equals Lasso on the complete count design."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from hohenberg.subgraph import PatternTree, from_smiles
from hohenberg.subgraph.brute import connected_edge_subsets, subgraph_of
from hohenberg.subgraph.dfs import canonical_key
from hohenberg.subgraph.features import occurrence_matrix
from hohenberg.subgraph.sparse import SparseSubgraphRegressor, bond_set_counts, count_bound, count_caps
from subgraph_helpers import SMILES, random_graphs


def brute_occurrences(graphs, max_size=None) -> dict:
    """``{(pattern key, graph index): occurrences}`` from all connected bond sets."""
    out: dict = {}
    for gid, g in enumerate(graphs):
        for lab in g.labels:
            out[((lab, ()), gid)] = out.get(((lab, ()), gid), 0) + 1
        for s in connected_edge_subsets(g, max_size):
            key = (canonical_key(subgraph_of(g, s)), gid)
            out[key] = out.get(key, 0) + 1
    return out


def test_bond_set_counts_equal_brute_force():
    for g in random_graphs(60, seed=8, n_max=7, extra_edges=3):
        sizes = [len(s) for s in connected_edge_subsets(g)]
        ref = [g.n_vertices] + [sizes.count(k) for k in range(1, max(sizes) + 1)]
        assert bond_set_counts(g).tolist() == ref
        assert bond_set_counts(g, 2).tolist() == ref[:3]


@pytest.mark.parametrize("max_size", [None, 3])
def test_count_bound_never_below_best_in_subtree(max_size):
    """Property test: for every node and random gradients, the count bound is at least
    |sum_i v_i x_i(g')| for g' = the node and every descendant, with x from brute force."""
    rng = np.random.default_rng(0)
    graphs = random_graphs(60, seed=21, n_max=7, extra_edges=3)
    tree = PatternTree(graphs, 1, max_size, counts=True)
    brute = brute_occurrences(graphs, max_size)
    caps = count_caps(graphs, max_size)
    vs = [rng.normal(size=len(graphs)) for _ in range(3)] + [rng.integers(-2, 3, len(graphs)).astype(float)]

    def subtree_best(node, v) -> float:
        x = np.array([brute.get((node.key, gid), 0) for gid in range(len(graphs))], float)
        assert x[node.support].tolist() == node.counts.tolist()  # gSpan's counts are right
        best = abs(float(v @ x))
        for child in tree.children(node):
            best = max(best, subtree_best(child, v))
        return best

    checked = 0
    for root in tree.roots():
        stack = [root]
        while stack:
            node = stack.pop()
            for v in vs:
                bound = count_bound(v[node.support], caps[node.support, min(node.size, caps.shape[1] - 1)])
                assert bound >= subtree_best(node, v) - 1e-9
            checked += 1
            if node.size < 2:  # deeper nodes are inside the subtrees already checked
                stack.extend(tree.children(node))
    assert checked > 30


@pytest.mark.parametrize("lam,solver", [(0.05, "cd"), (0.05, "auto"), (0.01, "auto")])
def test_count_model_equals_lasso_on_all_patterns(lam, solver):
    rng = np.random.default_rng(0)
    y = np.array([s.count("C") * 0.4 + s.count("O") for s in SMILES]) + rng.normal(0, 0.3, len(SMILES))
    model = SparseSubgraphRegressor(lam=lam, min_support=2, tol=1e-10, solver=solver, features="count").fit(SMILES, y)
    graphs = [from_smiles(s) for s in SMILES]
    pats = list(PatternTree(graphs, 2).walk())
    X = occurrence_matrix(graphs, [p.key for p in pats])
    ref = Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(model.predict(SMILES), ref.predict(X), atol=1e-5)
    ref_obj = 0.5 * np.mean((y - ref.predict(X)) ** 2) + lam * np.abs(ref.coef_).sum()
    assert model.path_[-1].objective == pytest.approx(ref_obj, rel=1e-7)
    indicator = SparseSubgraphRegressor(lam=lam, min_support=2, tol=1e-10, solver=solver).fit(SMILES, y)
    assert not np.allclose(indicator.predict(SMILES), model.predict(SMILES))  # counts are a different model
