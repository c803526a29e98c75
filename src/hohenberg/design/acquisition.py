"""Goals and acquisition functions over a finite pool of candidates.

A :class:`Goal` turns a property value into a score to maximise: ``max`` (the value), ``min``
(minus the value) or ``window:LOW:HIGH`` (minus the distance to the window, ties inside it broken
by the distance to its centre: :class:`hohenberg.materials.screen.TargetWindow`, shared with the
materials search).

Acquisition functions rank candidates from the surrogate's mean and standard deviation:

* ``ei``: expected improvement over the best value measured.  For ``max``/``min`` BoTorch's
  analytic ``LogExpectedImprovement`` (the log form keeps a ranking where EI underflows, far from
  the best); for a window the exact closed form of E[max(0, d_best - d(Y))] for Gaussian Y
  (:func:`hohenberg.materials.screen.expected_improvement_window`), which BoTorch would estimate
  by Monte Carlo with the window as a transformed objective (tests compare the two);
* ``ucb``: BoTorch's ``UpperConfidenceBound`` (mean + sqrt(beta) std) for ``max``/``min``; for a
  window the optimistic distance: that of the interval mean +- sqrt(beta) std to the window;
* ``thompson``: one posterior draw per pick, each pick the best of its draw (a batch of k picks
  uses k draws, so it is diverse without fantasies);
* ``greedy``: the score of the mean, no uncertainty;
* ``random``: a uniform pick (the baseline).

A batch of k is the k best candidates by the acquisition value (Thompson: k draws).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hohenberg.errors import InputError
from hohenberg.materials.screen import TargetWindow, expected_improvement_window

ACQUISITIONS = ("ei", "ucb", "thompson", "greedy", "random")


@dataclass(frozen=True)
class Goal:
    kind: str  # "max", "min" or "window"
    low: float | None = None
    high: float | None = None

    @property
    def window(self) -> TargetWindow:
        return TargetWindow(self.low, self.high)

    def score(self, y) -> np.ndarray:
        """Higher is better; NaN stays NaN."""
        y = np.asarray(y, float)
        if self.kind == "max":
            return y
        if self.kind == "min":
            return -y
        return -self.window.rank_key(y)

    def hit(self, y) -> np.ndarray:
        """Values that meet a window goal (all False for max/min)."""
        y = np.asarray(y, float)
        if self.kind != "window":
            return np.zeros(y.shape, bool)
        return (y >= self.low) & (y <= self.high)

    def __str__(self) -> str:
        return f"window:{self.low:g}:{self.high:g}" if self.kind == "window" else self.kind


def parse_goal(text: str) -> Goal:
    """``max``, ``min`` or ``window:LOW:HIGH`` (LOW < HIGH); anything else is an InputError."""
    t = text.strip().lower()
    if t in ("max", "min"):
        return Goal(t)
    if t.startswith("window:"):
        parts = t.split(":")
        try:
            low, high = float(parts[1]), float(parts[2])
            if len(parts) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise InputError(None, f"goal {text!r}: a window is window:LOW:HIGH, e.g. window:6.0:7.0") from None
        if not low < high:
            raise InputError(None, f"goal {text!r}: LOW must be below HIGH")
        return Goal("window", low, high)
    raise InputError(None, f"unknown goal {text!r}; choose max, min or window:LOW:HIGH")


def pool_model(mean, std):
    """A BoTorch model over a finite pool: input ``X[..., 0]`` is a candidate's index, its
    posterior the independent normal N(mean[i], std[i]^2) the surrogate gave (so BoTorch's
    analytic acquisition functions apply to any surrogate, the graph ensemble included)."""
    from botorch.models.model import Model
    from botorch.posteriors.gpytorch import GPyTorchPosterior
    from gpytorch.distributions import MultivariateNormal
    from linear_operator.operators import DiagLinearOperator

    class PoolModel(Model):
        num_outputs = 1

        def __init__(self, mean, std):
            super().__init__()
            self.mean = torch.as_tensor(np.asarray(mean, float), dtype=torch.float64)
            self.var = torch.as_tensor(np.maximum(np.asarray(std, float), 1e-9) ** 2, dtype=torch.float64)

        def posterior(self, X, output_indices=None, observation_noise=False, posterior_transform=None, **kwargs):
            idx = X[..., 0].long()
            post = GPyTorchPosterior(MultivariateNormal(self.mean[idx], DiagLinearOperator(self.var[idx])))
            return post if posterior_transform is None else posterior_transform(post)

    return PoolModel(mean, std)


def _analytic(acq_class, mean, std, **kwargs) -> np.ndarray:
    model = pool_model(mean, std)
    X = torch.arange(len(mean), dtype=torch.float64).reshape(-1, 1, 1)
    with torch.no_grad():
        return acq_class(model, **kwargs)(X).numpy()


def expected_improvement(goal: Goal, mean, std, observed) -> np.ndarray:
    """EI of every candidate (log EI for max/min: same order, no underflow); see module docstring."""
    from botorch.acquisition.analytic import LogExpectedImprovement

    observed = np.asarray(observed, float)
    observed = observed[np.isfinite(observed)]
    if goal.kind in ("max", "min"):
        best = observed.max() if goal.kind == "max" else observed.min()
        return _analytic(LogExpectedImprovement, mean, std, best_f=float(best), maximize=goal.kind == "max")
    window = goal.window
    d = window.distance(observed)
    if d.min() > 0:
        ei = expected_improvement_window(mean, std, window, float(d.min()))
    else:  # something is inside: improve on the distance to the centre, as the ranking does
        centre = 0.5 * (goal.low + goal.high)
        best_c = float(np.abs(observed[d == 0] - centre).min())
        ei = expected_improvement_window(mean, std, TargetWindow(centre, centre), best_c)
    # far from the window EI underflows to 0: rank those by the score of the mean, below the rest
    tiny = ~(ei > 0)
    if tiny.any():
        s = goal.score(mean[tiny])
        ei = ei.astype(float).copy()
        ei[tiny] = -1.0 - (s.max() - s)
    return ei


def upper_confidence_bound(goal: Goal, mean, std, beta: float = 4.0) -> np.ndarray:
    from botorch.acquisition.analytic import UpperConfidenceBound

    if goal.kind in ("max", "min"):
        return _analytic(UpperConfidenceBound, mean, std, beta=beta, maximize=goal.kind == "max")
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    r = np.sqrt(beta) * std
    optimistic = np.maximum(goal.low - (mean + r), 0.0) + np.maximum((mean - r) - goal.high, 0.0)
    return -optimistic + 1e-3 * goal.score(mean)


def top_k(values, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values, best first (stable for ties)."""
    values = np.asarray(values, float)
    order = np.argsort(-values, kind="stable")
    return order[:k]


def thompson_picks(goal: Goal, draws: np.ndarray) -> np.ndarray:
    """One pick per draw (rows of ``draws``: function values at the candidates), no repeats."""
    picks: list[int] = []
    for row in np.atleast_2d(draws):
        for i in np.argsort(-goal.score(row), kind="stable"):
            if int(i) not in picks:
                picks.append(int(i))
                break
    return np.asarray(picks, dtype=int)


def acquire(kind: str, goal: Goal, k: int, mean=None, std=None, observed=None, draws=None,
            rng: np.random.Generator | None = None, beta: float = 4.0) -> np.ndarray:
    """Indices (into the candidates) of the batch of ``k`` to measure next, best first."""
    if kind == "random":
        n = len(mean) if mean is not None else draws.shape[1]
        return rng.choice(n, size=min(k, n), replace=False)
    if kind == "thompson":
        return thompson_picks(goal, draws)[:k]
    if kind == "greedy":
        return top_k(goal.score(mean), k)
    if kind == "ei":
        return top_k(expected_improvement(goal, mean, std, observed), k)
    if kind == "ucb":
        return top_k(upper_confidence_bound(goal, mean, std, beta), k)
    raise InputError(None, f"unknown acquisition {kind!r}; choose from {', '.join(ACQUISITIONS)}")
