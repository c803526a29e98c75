"""Predictive uncertainty: GP standard deviations, ensemble spreads, interval coverage and
conformal (split or cross-validated) calibration of the standard deviations.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, KFold, train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

LEVELS = (0.68, 0.95)


def predict_mean_std(model, X) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of a fitted pipeline's prediction.

    Gaussian process: posterior std.  Forests / extra trees: spread of the individual trees.
    Gradient boosting: spread of the staged predictions is not a predictive spread, so it is
    refused (use an ensemble of bootstraps or :class:`ConformalRegressor` instead).
    """
    est = model[-1] if hasattr(model, "steps") else model
    Xt = model[:-1].transform(X) if hasattr(model, "steps") else np.asarray(X)
    if hasattr(est, "estimator") and hasattr(est, "calibration_scale_"):  # ConformalRegressor
        return est.predict_mean_std(Xt)
    if hasattr(est, "kernel_"):
        mu, sd = est.predict(Xt, return_std=True)
        return mu, sd
    if hasattr(est, "estimators_") and not hasattr(est, "loss"):
        per_tree = np.stack([t.predict(Xt) for t in est.estimators_])
        return per_tree.mean(0), per_tree.std(0)
    raise TypeError(f"{type(est).__name__} gives no predictive standard deviation")


def coverage(y_true, mu, sigma, levels=LEVELS) -> dict[str, float]:
    """Fraction of ``y_true`` inside the central Gaussian interval mu +- z(level) sigma."""
    y_true, mu, sigma = (np.asarray(a, float) for a in (y_true, mu, sigma))
    out = {}
    for level in levels:
        z = norm.ppf(0.5 + level / 2)
        out[f"coverage_{round(level * 100)}"] = float(np.mean(np.abs(y_true - mu) <= z * sigma))
    return out


def conformal_scale(y_cal, mu_cal, sigma_cal, level: float) -> float:
    """Factor q such that mu +- q sigma covers ``level`` of new data (split conformal, normalised
    residuals, finite-sample rank ceil((n+1) level))."""
    scores = np.abs(np.asarray(y_cal, float) - np.asarray(mu_cal, float)) / np.maximum(np.asarray(sigma_cal, float), 1e-12)
    n = len(scores)
    rank = int(np.ceil((n + 1) * level))
    if rank > n:
        return float("inf")  # too few calibration points for this level
    return float(np.sort(scores)[rank - 1])


class ConformalRegressor(RegressorMixin, BaseEstimator):
    """Wraps a model with a predictive std (GP, forest) and calibrates its intervals.

    ``method='split'``: hold out ``calibration_fraction`` of the data, fit ``estimator`` on the
    rest, and take the normalised-residual quantile of each level on the held-out part.
    ``method='cv'`` (for small data, where a split leaves too few calibration points for a 95 %
    quantile): out-of-fold normalised residuals of ``n_folds`` folds, then a final fit on all the
    data (CV+-style; its guarantee is weaker, >= 1 - 2 alpha).  Intervals are
    mu +- calibration_scale_[level] * sigma.
    """

    def __init__(self, estimator, method: str = "split", calibration_fraction: float = 0.25, n_folds: int = 5,
                 levels=LEVELS, random_state: int = 0):
        self.estimator = estimator
        self.method = method
        self.calibration_fraction = calibration_fraction
        self.n_folds = n_folds
        self.levels = levels
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """``groups``: hold out whole groups for calibration, so the calibration residuals are
        as out-of-sample as the test data they stand for (e.g. unseen materials)."""
        X, y = validate_data(self, X, y, y_numeric=True)
        if self.method not in ("split", "cv"):
            raise ValueError(f"method must be 'split' or 'cv', not {self.method!r}")
        if self.method == "split":
            if groups is None:
                fit_idx, cal_idx = train_test_split(np.arange(len(y)), test_size=self.calibration_fraction, random_state=self.random_state)
            else:
                split = GroupShuffleSplit(1, test_size=self.calibration_fraction, random_state=self.random_state)
                fit_idx, cal_idx = next(split.split(X, y, groups))
            folds = [(fit_idx, cal_idx)]
        elif self.method == "cv":
            cv = GroupKFold(self.n_folds) if groups is not None else KFold(self.n_folds, shuffle=True, random_state=self.random_state)
            folds = list(cv.split(X, y, groups))
        else:
            raise ValueError("method must be 'split' or 'cv'")
        y_cal, mu_cal, sd_cal = [], [], []
        for fit_idx, cal_idx in folds:
            est = self._fit_one(X[fit_idx], y[fit_idx])
            mu, sd = predict_mean_std(est, X[cal_idx])
            y_cal.append(y[cal_idx]), mu_cal.append(mu), sd_cal.append(sd)
        y_cal, mu_cal, sd_cal = (np.concatenate(a) for a in (y_cal, mu_cal, sd_cal))
        self.calibration_scale_ = {lv: conformal_scale(y_cal, mu_cal, sd_cal, lv) for lv in self.levels}
        self.n_calibration_ = len(y_cal)
        self.estimator_ = est if self.method == "split" else self._fit_one(X, y)
        return self

    def _fit_one(self, X, y):
        est = clone(self.estimator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return est.fit(X, y)

    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return validate_data(self, X, reset=False)

    def predict(self, X):
        X = self._checked(X)  # first: an unfitted model has no estimator_ to look up
        return self.estimator_.predict(X)

    def predict_mean_std(self, X, level: float = 0.68):
        """Mean and calibrated std: the interval half-width at ``level`` divided by z(level)."""
        X = self._checked(X)
        mu, sd = predict_mean_std(self.estimator_, X)
        return mu, sd * self.calibration_scale_[level] / norm.ppf(0.5 + level / 2)

    def predict_interval(self, X, level: float = 0.95):
        X = self._checked(X)
        mu, sd = predict_mean_std(self.estimator_, X)
        half = self.calibration_scale_[level] * sd
        return mu - half, mu + half


def conformal_coverage(y_true, mu, sigma, scales: dict[float, float]) -> dict[str, float]:
    """Coverage of the conformal intervals mu +- scales[level] sigma."""
    y_true, mu, sigma = (np.asarray(a, float) for a in (y_true, mu, sigma))
    return {
        f"conformal_coverage_{round(lv * 100)}": float(np.mean(np.abs(y_true - mu) <= q * sigma))
        for lv, q in scales.items()
    }
