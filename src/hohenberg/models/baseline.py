"""The floor every learned model must beat: a linear model on per-element atom counts.

``target ~ intercept + sum_Z n_Z(molecule) * w_Z`` -- for extensive energies this is the
per-element offset model (the weights play the role of fitted atom energies).
:func:`least_squares_per_target` is the one implementation of that fit: the estimator below, the
offsets every neural model subtracts (:mod:`hohenberg.training.scaler`) and the base model of
subgraph boosting all call it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from hohenberg.molecules.table import MoleculeTable


def least_squares_per_target(design: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``(n_features, n_targets)`` least-squares weights of ``Y`` (n, k) on ``design`` (n, f); each
    target is fitted on the rows where it is finite (a table may lack some values)."""
    design = np.asarray(design, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(design), -1)
    W = np.zeros((design.shape[1], Y.shape[1]))
    for j in range(Y.shape[1]):
        ok = np.isfinite(Y[:, j])
        if ok.any():
            W[:, j] = np.linalg.lstsq(design[ok], Y[ok, j], rcond=None)[0]
    return W


class ElementCountRegressor(RegressorMixin, BaseEstimator):
    """Least-squares fit of one or more targets on counts of ``elements``.

    ``X`` is a :class:`MoleculeTable` or an (n, n_elements) count array; ``y`` is (n,) or (n, k)
    and must be finite (fit each target on its own molecules when some lack a value).
    ``elements=None``: for a table, the elements of the training molecules; for an array, its
    columns.  Learned: ``elements_``, ``coef_`` (k, n_elements) in target units per atom,
    ``intercept_`` (k,).
    """

    def __init__(self, elements: Sequence[int] | None = None, fit_intercept: bool = True):
        self.elements = elements
        self.fit_intercept = fit_intercept

    def _counts(self, X, fitting: bool) -> np.ndarray:
        if isinstance(X, MoleculeTable):
            if fitting:
                self.elements_ = (tuple(int(z) for z in np.unique(X.numbers)) if self.elements is None
                                  else tuple(self.elements))
            counts = X.element_counts(self.elements_).astype(np.float64)
            if fitting:
                self.n_features_in_ = counts.shape[1]
            elif counts.shape[1] != self.n_features_in_:
                raise ValueError(f"fitted on {self.n_features_in_} elements, got {counts.shape[1]}")
            return counts
        counts = validate_data(self, X, reset=fitting, dtype=np.float64)
        if fitting:
            if self.elements is not None and counts.shape[1] != len(self.elements):
                raise ValueError(f"expected an (n, {len(self.elements)}) count array for elements "
                                 f"{tuple(self.elements)}, got shape {counts.shape}")
            self.elements_ = tuple(self.elements) if self.elements is not None else tuple(range(counts.shape[1]))
        return counts

    def fit(self, X, y) -> ElementCountRegressor:
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        counts = self._counts(X, fitting=True)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 0 or len(y) != len(counts):
            raise ValueError(f"X has {len(counts)} molecules, y {y.size} values")
        if not np.all(np.isfinite(y)):
            raise ValueError("y holds NaN or infinite values; fit each target on the molecules that have it")
        self._single = y.ndim == 1
        Y = y.reshape(len(y), -1)
        design = np.hstack([counts, np.ones((len(counts), 1))]) if self.fit_intercept else counts
        W = least_squares_per_target(design, Y)
        self.coef_ = W[: counts.shape[1]].T
        self.intercept_ = W[-1] if self.fit_intercept else np.zeros(Y.shape[1])
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        pred = self._counts(X, fitting=False) @ self.coef_.T + self.intercept_
        return pred[:, 0] if self._single else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
