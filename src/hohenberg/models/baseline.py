"""The floor every learned model must beat: a linear model on per-element atom counts.

``target ~ intercept + sum_Z n_Z(molecule) * w_Z`` -- for extensive energies this is the
per-element offset model (the weights play the role of fitted atom energies).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from hohenberg.molecules.table import MoleculeTable


class ElementCountRegressor(RegressorMixin, BaseEstimator):
    """Least-squares fit of one or more targets on counts of ``elements``.

    ``X`` is a :class:`MoleculeTable` or an (n, len(elements)) count array; ``y`` is (n,) or
    (n, k).  Learned: ``coef_`` (k, len(elements)) in target units per atom, ``intercept_``.
    """

    def __init__(self, elements: Sequence[int] = (1, 6, 7, 8, 9), fit_intercept: bool = True):
        self.elements = elements
        self.fit_intercept = fit_intercept

    def _counts(self, X: MoleculeTable | np.ndarray) -> np.ndarray:
        if isinstance(X, MoleculeTable):
            return X.element_counts(self.elements).astype(np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.elements):
            raise ValueError(f"expected an (n, {len(self.elements)}) count array, got shape {X.shape}")
        return X

    def fit(self, X: MoleculeTable | np.ndarray, y: np.ndarray) -> ElementCountRegressor:
        counts = self._counts(X)
        y = np.asarray(y, dtype=np.float64)
        self._single = y.ndim == 1
        Y = y.reshape(len(y), -1)
        design = np.hstack([counts, np.ones((len(counts), 1))]) if self.fit_intercept else counts
        sol, *_ = np.linalg.lstsq(design, Y, rcond=None)
        self.coef_ = sol[: len(self.elements)].T
        self.intercept_ = sol[-1] if self.fit_intercept else np.zeros(Y.shape[1])
        self.n_features_in_ = len(self.elements)
        return self

    def predict(self, X: MoleculeTable | np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        pred = self._counts(X) @ self.coef_.T + self.intercept_
        return pred[:, 0] if self._single else pred
