"""Importances: exact Shapley values of a linear model and held-out permutation importance."""

import numpy as np
import pandas as pd
import pytest

from hohenberg.materials.interpret import heldout_permutation_importance, mean_abs_shap, shapley_values
from hohenberg.materials.models import make_model


def test_shapley_values_of_a_linear_function():
    w = np.array([2.0, -1.0, 0.5])
    f = lambda A: A @ w  # noqa: E731
    bg = np.array([[0.0, 1.0, 2.0], [2.0, 3.0, 0.0]])
    x = np.array([[1.0, 1.0, 1.0]])
    phi = shapley_values(f, x, bg)
    # linear model: phi_j = w_j (x_j - mean background_j)
    np.testing.assert_allclose(phi[0], w * (x[0] - bg.mean(0)))
    assert phi.sum() == pytest.approx(f(x)[0] - f(bg).mean())


def test_importances_find_the_informative_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["signal", "noise1", "noise2"])
    y = 2 * X["signal"].to_numpy() + 0.1 * rng.normal(size=200)
    imp = heldout_permutation_importance(make_model("rf", n_estimators=30), X, y, n_splits=3, n_repeats=2)
    assert imp.loc[0, "feature"] == "signal" and imp.loc[0, "importance_mean"] > 1.0
    shap = mean_abs_shap(make_model("rf", n_estimators=30).fit(X, y), X, n_rows=5, n_background=5)
    assert shap.loc[0, "feature"] == "signal"
