"""Calibrated standard deviations from an ensemble's spread.

An ensemble's spread ``s`` ranks molecules by how uncertain they are, but its size is not an
error bar: members trained on the same data agree more than their errors warrant.  The
calibrated standard deviation is

    sigma = sqrt((a s)^2 + b^2)

per target: ``a`` stretches the spread, ``b`` is the error floor that every molecule has.  Both
are chosen on held-out molecules (the validation split, never the test split) so that the
fractions of errors within 1 and 2 sigma are the Gaussian 68.3 % and 95.4 %: two numbers fixed
by two coverage conditions.  A single scale factor can meet one of them, and with the heavy
tails of model errors it then misses the other.  Where the tails are too heavy for any ``a, b``
to meet both, the larger of the two misses is made as small as it can be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAUSS_WITHIN = {1: 0.6827, 2: 0.9545}  # fraction of a normal distribution within 1 and 2 sigma


def within(errors: np.ndarray, sigma: np.ndarray, k: float) -> float:
    """Fraction of ``|errors| <= k sigma`` (NaN entries ignored)."""
    errors, sigma = np.asarray(errors, float), np.asarray(sigma, float)
    ok = np.isfinite(errors) & np.isfinite(sigma)
    return float(np.mean(np.abs(errors[ok]) <= k * sigma[ok])) if ok.any() else float("nan")


@dataclass(frozen=True)
class SigmaCalibration:
    """``sigma = sqrt((a spread)^2 + b^2)`` of one target, in the target's unit."""

    a: float
    b: float

    def __call__(self, spread: np.ndarray) -> np.ndarray:
        spread = np.nan_to_num(np.asarray(spread, float), nan=0.0)
        return np.sqrt((self.a * spread) ** 2 + self.b ** 2)

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b}


def fit_sigma_calibration(errors: np.ndarray, spread: np.ndarray) -> SigmaCalibration:
    """``a, b >= 0`` with 68.3 % of ``errors`` within 1 sigma and 95.4 % within 2 sigma.

    The coverage conditions are step functions of ``a`` and ``b``; they are met by Nelder-Mead
    on a smooth surrogate (the squared log of each error over sigma, averaged over a logistic
    window) started from the Gaussian-likelihood fit, then polished on the exact fractions.
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    errors, spread = np.asarray(errors, float), np.asarray(spread, float)
    ok = np.isfinite(errors) & np.isfinite(spread)
    e, s = np.abs(errors[ok]), spread[ok]
    if len(e) < 10:
        raise ValueError("calibration needs at least 10 held-out molecules")
    scale = float(np.median(e)) or 1.0
    e, s = e / scale, s / scale  # unit-free: the optimiser sees numbers of order one

    def sigma_of(p):
        return np.sqrt((np.exp(p[0]) * s) ** 2 + np.exp(p[1]) ** 2)

    def nll(p):
        sig = sigma_of(p)
        return float(np.mean(np.log(sig) + 0.5 * (e / sig) ** 2))

    start = minimize(nll, x0=np.log([max(np.median(e) / max(np.median(s), 1e-12), 1e-3), 0.5]),
                     method="Nelder-Mead").x

    def miss(p, width=0.05):
        # the larger of the two misses (as a smooth maximum): where heavy tails allow no exact fit,
        # both fractions end up equally close to their targets
        z = e / sigma_of(p)
        out = 0.0
        for k, target in GAUSS_WITHIN.items():
            frac = np.mean(expit((k - z) / width))  # smooth count of z <= k
            out += (frac - target) ** 8
        return out ** 0.125

    p = minimize(miss, x0=start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7}).x
    p = minimize(lambda q: miss(q, width=0.005), x0=p, method="Nelder-Mead",
                 options={"xatol": 1e-5, "fatol": 1e-8}).x
    return SigmaCalibration(float(np.exp(p[0])), float(np.exp(p[1]) * scale))
