"""Candidate search: rank unseen candidates by prediction and uncertainty, expected improvement
towards a target window, a Bayesian-optimisation loop and its retrospective simulation.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from hohenberg.materials.uncertainty import predict_mean_std


@dataclass(frozen=True)
class TargetWindow:
    """Values in [low_eV, high_eV] are ideal; the objective is minus the distance to the window."""

    low_eV: float
    high_eV: float

    def distance(self, y) -> np.ndarray:
        y = np.asarray(y, float)
        return np.maximum(self.low_eV - y, 0.0) + np.maximum(y - self.high_eV, 0.0)

    def rank_key(self, y) -> np.ndarray:
        """Sort key: distance to the window, ties (inside it) broken by distance to its centre."""
        centre = 0.5 * (self.low_eV + self.high_eV)
        return self.distance(y) + 1e-6 * np.abs(np.asarray(y, float) - centre)


def _linear_piece(mu, sigma, a, b, slope, intercept):
    """E[(slope*Y + intercept) 1{a < Y < b}] for Y ~ N(mu, sigma^2)."""
    alpha, beta = (a - mu) / sigma, (b - mu) / sigma
    mass = norm.cdf(beta) - norm.cdf(alpha)
    return (slope * mu + intercept) * mass + slope * sigma * (norm.pdf(alpha) - norm.pdf(beta))


def expected_improvement_window(mu, sigma, window: TargetWindow, best_distance: float) -> np.ndarray:
    """Closed-form E[max(0, best_distance - distance(Y))] for Gaussian Y.

    The improvement is a trapezoid in y: rising on [low - d, low], flat (= d) inside the window,
    falling on [high, high + d]; each piece is linear, so the expectation is exact.
    """
    mu, sigma = np.asarray(mu, float), np.maximum(np.asarray(sigma, float), 1e-12)
    d, lo, hi = float(best_distance), window.low_eV, window.high_eV
    if d <= 0:
        return np.zeros_like(mu)
    rise = _linear_piece(mu, sigma, lo - d, lo, 1.0, d - lo)
    flat = _linear_piece(mu, sigma, lo, hi, 0.0, d)
    fall = _linear_piece(mu, sigma, hi, hi + d, -1.0, hi + d)
    return rise + flat + fall


def rank_candidates(model, X_candidates, window: TargetWindow | None = None, kappa: float = 0.0) -> pd.DataFrame:
    """Predictions, std and a score for each candidate (best first).

    Without a window the score is mu + kappa*sigma (highest wanted); with one it is the
    probability of landing inside the window.
    """
    mu, sd = predict_mean_std(model, X_candidates)
    if window is None:
        score = mu + kappa * sd
    else:
        sd_ = np.maximum(sd, 1e-12)
        score = norm.cdf((window.high_eV - mu) / sd_) - norm.cdf((window.low_eV - mu) / sd_)
    out = pd.DataFrame({"pred_eV": mu, "std_eV": sd, "score": score})
    return out.sort_values("score", ascending=False)


def unseen_pairs(metals: Sequence[str], seen: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """All ordered (host, guest) pairs of ``metals`` (host != guest) not in ``seen``."""
    return [p for p in itertools.permutations(metals, 2) if p not in seen]


@dataclass(frozen=True)
class BOConfig:
    n_initial: int = 5
    max_evaluations: int | None = None
    top_k: int = 5
    seed: int = 0


def bo_evaluations_to_find(model, X, y, window: TargetWindow, config: BOConfig = BOConfig()) -> int:
    """Retrospective BO: starting from ``n_initial`` random points of the pool, repeatedly fit
    ``model`` to what has been "measured" and measure the candidate of largest expected
    improvement; return the number of evaluations (initial ones included) until the ``top_k``
    best of the pool (by distance to the window) have all been measured."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    rng = np.random.default_rng(config.seed)
    targets = set(np.argsort(window.rank_key(y))[: config.top_k].tolist())
    n = len(y)
    limit = config.max_evaluations or n
    measured = list(rng.choice(n, size=config.n_initial, replace=False))
    while not targets <= set(measured) and len(measured) < limit:
        pool = np.setdiff1d(np.arange(n), measured)
        est = clone(model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X[measured], y[measured])
        mu, sd = predict_mean_std(est, X[pool])
        measured_y = y[measured]
        best = float(window.distance(measured_y).min())
        if best > 0:
            ei = expected_improvement_window(mu, sd, window, best)
        else:
            # something inside the window is known; the ranking then prefers values closer to
            # the centre, so the improvement is measured against a zero-width window there
            centre = 0.5 * (window.low_eV + window.high_eV)
            best_c = float(np.abs(measured_y[window.distance(measured_y) == 0] - centre).min())
            ei = expected_improvement_window(mu, sd, TargetWindow(centre, centre), best_c)
        if not np.any(ei > 0):  # underflow far from the window: fall back to the closest mean
            ei = -window.rank_key(mu)
        measured.append(int(pool[np.argmax(ei)]))
    return len(measured)


def random_evaluations_to_find(y, window: TargetWindow, top_k: int = 5, seed: int = 0) -> int:
    """Evaluations random search needs to measure all ``top_k`` best of the pool."""
    y = np.asarray(y, float)
    targets = np.argsort(window.rank_key(y))[:top_k]
    order = np.random.default_rng(seed).permutation(len(y))
    position = np.empty(len(y), int)
    position[order] = np.arange(len(y))
    return int(position[targets].max()) + 1


def simulate_search(model, X, y, window: TargetWindow, seeds: Sequence[int] = range(20), top_k: int = 5, n_initial: int = 5) -> pd.DataFrame:
    """BO vs random search over several seeds: evaluations needed to find the top-k."""
    rows = []
    for s in seeds:
        rows.append(
            {
                "seed": s,
                "bo_evaluations": bo_evaluations_to_find(model, X, y, window, BOConfig(n_initial, None, top_k, s)),
                "random_evaluations": random_evaluations_to_find(y, window, top_k, s),
            }
        )
    return pd.DataFrame(rows)
