"""scikit-learn's estimator checks on the array-input estimators of the package, and the parts
of the contract that apply to the materials featurizers (their inputs are element symbols and
formulas, not numeric arrays, so ``parametrize_with_checks`` cannot feed them).

The graph-input estimators (subgraph models) have their contract test in
test_subgraph_contract.py.  The design loop's surrogates (``design.surrogates``) are not
scikit-learn estimators: they are driven by the loop alone and take fingerprints or graph sets.
"""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from hohenberg.materials.featurize import CompositionFeaturizer, PairFeaturizer
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


@pytest.mark.parametrize("featurizer,X,param", [
    (PairFeaturizer(columns=["Z", "group"]), pd.DataFrame({"host": ["Pt", "Cu"], "guest": ["Au", "Ni"]}),
     ("include", ("host", "guest", "diff"))),
    (CompositionFeaturizer(columns=["Z"]), np.array(["CuAu3", "NaCl", "Fe"], dtype=object), ("stats", ("mean",))),
], ids=["pair", "composition"])
def test_featurizer_contract(featurizer, X, param):
    params = featurizer.get_params()
    twin = clone(featurizer)
    assert twin.get_params() == params
    name, value = param
    assert twin.set_params(**{name: value}) is twin and twin.get_params()[name] == value
    with pytest.raises(NotFittedError):
        featurizer.transform(X)
    with pytest.raises(NotFittedError):
        featurizer.get_feature_names_out()
    assert featurizer.fit(X) is featurizer and featurizer.get_params() == params
    out = featurizer.transform(X)
    assert out.shape == (len(X), len(featurizer.get_feature_names_out()))
    np.testing.assert_array_equal(featurizer.fit_transform(X), out)
    assert clone(twin).fit(X).transform(X).shape[1] != out.shape[1]  # the changed parameter is used
