"""Scores of a pattern and upper bounds of the scores of all its supergraphs.

Everything here is a function of the values ``v`` of the training graphs that contain the pattern
(``v = gradient`` for sparse regression, ``v = residual`` for boosting).  A supergraph occurs in
a subset of those graphs, so a bound is a maximum of the score over all subsets of ``v``.
"""

from __future__ import annotations

import numpy as np


def linear_score(v: np.ndarray) -> float:
    """``|sum_i v_i x_i(g)|``: the gradient magnitude of the indicator feature of g."""
    return abs(float(v.sum()))


def linear_bound(v: np.ndarray) -> float:
    """Takigawa & Mamitsuka's bound: a subset sum lies between the sum of the negative and the sum
    of the positive entries."""
    return max(float(v[v > 0].sum()), -float(v[v < 0].sum()))


def split_gain(sum_a: float, n_a: int, sum_s: float, n_s: int) -> float:
    """Reduction of the squared error when the node set S (``n_s`` values summing to ``sum_s``) is
    split into A (contains the pattern) and S minus A, each predicted by its mean."""
    if n_a <= 0 or n_a >= n_s:
        return 0.0
    return sum_a**2 / n_a + (sum_s - sum_a) ** 2 / (n_s - n_a) - sum_s**2 / n_s


def split_gain_bound(v: np.ndarray, sum_s: float, n_s: int) -> float:
    """Largest :func:`split_gain` over all subsets of A (the values ``v``).

    For a fixed subset size k the gain is convex in the subset sum, so its maximum is at the k
    largest or the k smallest values; scanning k gives the exact maximum over subsets."""
    m = len(v)
    if m == 0:
        return 0.0
    srt = np.sort(v)
    k = np.arange(1, m + 1, dtype=float)
    valid = k < n_s
    if not valid.any():
        return 0.0
    k = k[valid]
    lo = np.cumsum(srt)[valid]
    hi = np.cumsum(srt[::-1])[valid]
    base = sum_s**2 / n_s
    g_lo = lo**2 / k + (sum_s - lo) ** 2 / (n_s - k) - base
    g_hi = hi**2 / k + (sum_s - hi) ** 2 / (n_s - k) - base
    return float(max(g_lo.max(), g_hi.max(), 0.0))


def split_gain_quick_bound(c: np.ndarray, n_s: int) -> float:
    """A looser bound than :func:`split_gain_bound` that needs no sort, from the centred values
    ``c = v - mean_S``.  The gain of a subset A' of size k is ``(sum_A' c)^2 n_s / (k (n_s - k))``;
    ``(sum_A' c)^2 <= max(P, N)^2`` (P, N: sums of the positive and negative c) with
    ``k (n_s - k) >= n_s - 1``, and ``(sum_A' c)^2 / k <= sum_A c^2`` (Cauchy-Schwarz) with
    ``n_s - k >= n_s - |A|``.  Used as a cheap first test before the exact bound."""
    if len(c) == 0 or n_s < 2:
        return 0.0
    pos = float(c[c > 0].sum())
    neg = -float(c[c < 0].sum())
    first = max(pos, neg) ** 2 * n_s / (n_s - 1)
    if len(c) >= n_s:
        return first
    return min(first, float(c @ c) * n_s / (n_s - len(c)))
