"""Sparse subgraph regression: equal to Lasso / elastic net on all enumerated patterns, optimal
(KKT) for Huber and logistic losses, and the pruning bounds never cut off a better pattern."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import ElasticNet, Lasso

from hohenberg.subgraph import PatternTree, from_smiles, mine
from hohenberg.subgraph.bounds import linear_bound, split_gain, split_gain_bound, split_gain_quick_bound
from hohenberg.subgraph.losses import Loss
from hohenberg.subgraph.sparse import SparseSubgraphClassifier, SparseSubgraphRegressor
from subgraph_helpers import SMILES, random_graphs


def design(graphs, min_support):
    pats = mine(graphs, min_support)
    X = np.zeros((len(graphs), len(pats)))
    for j, p in enumerate(pats):
        X[p.support, j] = 1.0
    return pats, X


def target(n_extra=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return np.array([len(s) for s in SMILES], float) * 0.3 + rng.normal(0, 0.5, len(SMILES))


@pytest.mark.parametrize("lam,solver", [(0.2, "cd"), (0.05, "cd"), (0.01, "cd"), (0.05, "auto"), (0.01, "auto")])
def test_equals_lasso_on_all_patterns(lam, solver):
    y = target()
    model = SparseSubgraphRegressor(lam=lam, min_support=2, tol=1e-10, solver=solver).fit(SMILES, y)
    graphs = [from_smiles(s) for s in SMILES]
    pats, X = design(graphs, 2)
    assert X.shape == (38, 82)
    ref = Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000).fit(X, y)
    # Lasso fitted values are unique even where duplicate columns make coefficients ambiguous.
    np.testing.assert_allclose(model.predict(SMILES), ref.predict(X), atol=1e-6)
    ref_obj = 0.5 * np.mean((y - ref.predict(X)) ** 2) + lam * np.abs(ref.coef_).sum()
    assert model.path_[-1].objective == pytest.approx(ref_obj, rel=1e-8)
    assert 0 < len(model.coef_) < 82
    # The search built far fewer nodes than the complete enumeration.
    assert model.search_stats_.created < 82


def test_equals_elastic_net_coefficient_by_coefficient():
    y = target(seed=1)
    model = SparseSubgraphRegressor(lam=0.03, l1_ratio=0.5, min_support=2, tol=1e-11, solver="cd").fit(SMILES, y)
    pats, X = design([from_smiles(s) for s in SMILES], 2)
    ref = ElasticNet(alpha=0.03, l1_ratio=0.5, tol=1e-13, max_iter=1_000_000).fit(X, y)
    ours = dict(zip(model.patterns_, model.coef_))
    theirs = {p.key: c for p, c in zip(pats, ref.coef_) if c != 0}
    assert set(ours) == set(theirs)
    for k in ours:
        assert ours[k] == pytest.approx(theirs[k], abs=1e-6)
    assert model.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)


@pytest.mark.parametrize("loss", ["huber", "logistic"])
def test_kkt_conditions_hold_over_all_patterns(loss):
    y = target(seed=2)
    if loss == "logistic":
        y = (y > np.median(y)).astype(float)
    lam = 0.02
    kw = dict(lam=lam, min_support=2, tol=1e-11, max_iter=200000)
    model = (SparseSubgraphClassifier(**kw) if loss == "logistic" else SparseSubgraphRegressor(loss=loss, **kw)).fit(SMILES, y)
    pats, X = design([from_smiles(s) for s in SMILES], 2)
    f = model.decision_function(SMILES)
    g = X.T @ Loss(loss).grad(y, f) / len(y)
    w = dict(zip(model.patterns_, model.coef_))
    for p, gj in zip(pats, g):
        if p.key in w:
            assert gj == pytest.approx(-lam * np.sign(w[p.key]), abs=1e-6)
        else:
            assert abs(gj) <= lam + 1e-6
    assert abs(Loss(loss).grad(y, f).mean()) < 1e-7  # intercept optimal
    if loss == "logistic":
        assert set(model.predict(SMILES)) <= {0, 1}
        assert model.predict_proba(SMILES).shape == (38, 2)


def test_path_clone_and_json_round_trip():
    y = target()
    model = SparseSubgraphRegressor(n_lambdas=6, lam_min_ratio=0.05, min_support=2)
    params = model.get_params()
    model.fit(SMILES, y)
    assert model.get_params() == params  # hyper-parameters untouched by fit
    assert [p.n_nonzero for p in model.path_][0] == 0
    assert model.path_[-1].lam == pytest.approx(0.05 * model.lam_max_)
    objs = [p.objective for p in model.path_]
    assert objs == sorted(objs, reverse=True)  # smaller penalty, smaller objective
    # The path's last point is the fitted model.
    np.testing.assert_allclose(model.decision_path(SMILES)[-1], model.predict(SMILES), atol=1e-10)
    assert model.decision_path(SMILES).shape == (6, 38)
    twin = clone(model)
    assert not hasattr(twin, "coef_")
    state = json.loads(json.dumps(model.state_dict()))
    loaded = SparseSubgraphRegressor(**params).load_state(state)
    np.testing.assert_allclose(loaded.predict(SMILES[:10]), model.predict(SMILES[:10]))
    assert loaded.smarts_ == model.smarts_


def _subtree_best(node, score, memo):
    if id(node) not in memo:
        memo[id(node)] = max([score(node)] + [_subtree_best(c, score, memo) for c in node.children or []])
    return memo[id(node)]


def test_bounds_never_below_best_score_in_subtree():
    rng = np.random.default_rng(4)
    graphs = random_graphs(150, seed=9, n_max=7, extra_edges=3)
    tree = PatternTree(graphs, 2)
    nodes = list(tree.walk())
    assert len(nodes) == 437
    for trial in range(3):
        v = rng.normal(size=len(graphs))
        lin = lambda nd: abs(v[nd.support].sum())  # noqa: E731
        memo: dict = {}
        for nd in nodes:
            assert linear_bound(v[nd.support]) >= _subtree_best(nd, lin, memo) - 1e-12
        # Boosting: a node subset S of the graphs, gains restricted to S.
        mask = rng.random(len(graphs)) < 0.6
        sum_s, n_s = v[mask].sum(), int(mask.sum())

        def gain(nd):
            inside = nd.support[mask[nd.support]]
            return split_gain(v[inside].sum(), len(inside), sum_s, n_s)

        memo = {}
        for nd in nodes:
            inside = nd.support[mask[nd.support]]
            exact = split_gain_bound(v[inside], sum_s, n_s)
            assert exact >= _subtree_best(nd, gain, memo) - 1e-12
            assert split_gain_quick_bound(v[inside] - sum_s / n_s, n_s) >= exact - 1e-12


def test_split_gain_bound_is_the_subset_maximum():
    import itertools

    rng = np.random.default_rng(0)
    for _ in range(20):
        v = rng.normal(size=6)
        rest = rng.normal(size=4)
        sum_s, n_s = v.sum() + rest.sum(), 10
        best = max(
            split_gain(v[list(c)].sum(), len(c), sum_s, n_s)
            for k in range(1, 7)
            for c in itertools.combinations(range(6), k)
        )
        assert split_gain_bound(v, sum_s, n_s) == pytest.approx(best)


@pytest.mark.parametrize("solver", ["auto", "cd"])
def test_composition_block_is_unpenalised_and_exact(solver):
    from hohenberg.subgraph.sparse import composition

    graphs = [from_smiles(s) for s in SMILES]
    Z = np.column_stack([np.ones(len(graphs)), composition(graphs, [6, 7, 8])])
    assert Z[SMILES.index("CCO")].tolist() == [1, 2, 0, 1, 6]  # C2 O1 H6
    rng = np.random.default_rng(5)
    # An extensive target: per-atom energies plus a carbonyl correction and noise.
    y = Z @ np.array([0.5, -38.0, -54.6, -75.1, -0.6]) + 0.8 * np.array(["=O" in s or "O=" in s for s in SMILES])
    y = y + rng.normal(0, 0.05, len(y))
    lam = 0.01
    model = SparseSubgraphRegressor(lam=lam, min_support=2, composition=True, solver=solver, tol=1e-9,
                                    max_iter=100000).fit(SMILES, y)
    assert model.elements_ == [6, 7, 8]
    # Reference: Lasso on all patterns with the base columns projected out (unpenalised block).
    pats, X = design(graphs, 2)
    Q, _ = np.linalg.qr(Z)
    proj = lambda A: A - Q @ (Q.T @ A)  # noqa: E731
    ref = Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(proj(X), proj(y))
    beta, *_ = np.linalg.lstsq(Z, y - X @ ref.coef_, rcond=None)
    np.testing.assert_allclose(model.predict(SMILES), Z @ beta + X @ ref.coef_, atol=1e-5)
    assert model.composition_coef_[-1] == pytest.approx(-0.6, abs=0.1)  # per hydrogen
    assert model.top_patterns(1)[0][0] == "[#6;A]=[#8;A]"
    state = json.loads(json.dumps(model.state_dict()))
    twin = SparseSubgraphRegressor(**model.get_params()).load_state(state)
    np.testing.assert_allclose(twin.predict(SMILES[:5]), model.predict(SMILES[:5]))
