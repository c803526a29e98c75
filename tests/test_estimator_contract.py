"""scikit-learn's estimator checks on the array-input estimators of the package."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from hohenberg.materials.uncertainty import ConformalRegressor
from hohenberg.models.baseline import ElementCountRegressor, least_squares_per_target


@parametrize_with_checks([ElementCountRegressor(), ConformalRegressor(GaussianProcessRegressor())])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_element_counts_refuse_nan_targets_and_per_target_fit_skips_them():
    X = np.array([[1, 0], [2, 1], [0, 3], [1, 1]], dtype=float)
    y = X @ np.array([2.0, -1.0]) + 0.5
    with pytest.raises(ValueError, match="NaN"):
        ElementCountRegressor().fit(X, np.where(np.arange(4) == 2, np.nan, y))
    Y = np.column_stack([y, np.where(np.arange(4) == 2, np.nan, 3 * y)])
    W = least_squares_per_target(np.hstack([X, np.ones((4, 1))]), Y)
    np.testing.assert_allclose(W[:, 0], [2.0, -1.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(W[:, 1], [6.0, -3.0, 1.5], atol=1e-12)  # three finite rows still fix it
