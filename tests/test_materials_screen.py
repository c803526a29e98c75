"""Candidate search: closed-form expected improvement, BO vs random search, unseen pairs."""

import numpy as np

from hohenberg.materials.dband import BEST_SIX, overlayer_design
from hohenberg.materials.datasets import load_overlayer
from hohenberg.materials.models import make_model
from hohenberg.materials.screen import (
    TargetWindow,
    expected_improvement_window,
    random_evaluations_to_find,
    rank_candidates,
    simulate_search,
    unseen_pairs,
)


def test_expected_improvement_matches_monte_carlo():
    w = TargetWindow(-2.0, -1.8)
    mu, sd = np.array([-1.9, -2.5, -1.0]), np.array([0.3, 0.5, 0.2])
    ei = expected_improvement_window(mu, sd, w, best_distance=0.4)
    y = mu + sd * np.random.default_rng(0).standard_normal((400_000, 3))
    mc = np.maximum(0.0, 0.4 - w.distance(y)).mean(0)
    np.testing.assert_allclose(ei, mc, atol=2e-3)
    assert np.all(expected_improvement_window(mu, sd, w, 0.0) == 0)


def test_random_search_count():
    y = np.array([5.0, 1.0, 3.0, 4.0])
    w = TargetWindow(4.9, 5.1)  # best: index 0, then 3
    order = np.random.default_rng(1).permutation(4)
    assert random_evaluations_to_find(y, w, top_k=1, seed=1) == int(np.flatnonzero(order == 0)[0]) + 1


def test_bo_beats_random_on_overlayers():
    df = load_overlayer()
    X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    # fixed kernel (no marginal-likelihood fit per step) keeps the test fast; measured 24 and 40
    # vs 83 and 84 evaluations; the 20-seed figure with the fitted GP is in docs/notes/materials.md
    gp = make_model("gpr", optimizer=None)
    sim = simulate_search(gp, X, y, TargetWindow(-2.35, -2.15), seeds=range(2), top_k=3)
    assert sim.bo_evaluations.median() < 0.6 * sim.random_evaluations.median()


def test_rank_unseen_pairs():
    df = load_overlayer()
    X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    cands = unseen_pairs(["Pt", "Au", "Os", "Re"], set(zip(df.host, df.guest)))
    assert ("Pt", "Au") not in cands and ("Os", "Pt") in cands and len(cands) == 12 - 2
    from hohenberg.materials.featurize import pair_features

    hosts, guests = zip(*cands)
    r = rank_candidates(make_model("gpr").fit(X, y), pair_features(hosts, guests, BEST_SIX).to_numpy(), TargetWindow(-2.35, -2.15))
    assert (r["std_eV"] > 0).all() and r["score"].between(0, 1).all() and r["score"].is_monotonic_decreasing
