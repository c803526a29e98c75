"""Understanding models: permutation importance on held-out folds, exact Shapley values for
small descriptor sets (no ``shap`` dependency), partial dependence via scikit-learn."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.model_selection import GroupKFold, KFold


def heldout_permutation_importance(model, X: pd.DataFrame, y, groups=None, n_splits: int = 5, n_repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Mean increase of test RMSE (eV) when a column is shuffled, measured on the held-out fold
    of each split (so importance reflects generalisation, not memorised training rows)."""
    cv = GroupKFold(n_splits) if groups is not None else KFold(n_splits, shuffle=True, random_state=seed)
    y = np.asarray(y, float)
    per_fold = []
    for train, test in cv.split(X, y, groups):
        est = clone(model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X.iloc[train], y[train])
        r = permutation_importance(est, X.iloc[test], y[test], scoring="neg_root_mean_squared_error",
                                   n_repeats=n_repeats, random_state=seed)
        per_fold.append(r.importances_mean)
    per_fold = np.array(per_fold)
    return pd.DataFrame({"feature": X.columns, "importance_mean": per_fold.mean(0), "importance_std": per_fold.std(0)}).sort_values(
        "importance_mean", ascending=False, ignore_index=True
    )


def shapley_values(predict, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Exact interventional Shapley values of ``predict`` for each row of ``X``.

    The value of a coalition S is the mean prediction with the columns in S taken from the row
    and the others from ``background`` rows (the definition TreeSHAP's interventional mode
    computes).  Cost is 2^n_features model calls on len(background) rows per row of X, so this is
    for the small descriptor sets of this package (<= ~12 features).  Rows sum to
    prediction(x) - mean prediction(background).
    """
    X, background = np.asarray(X, float), np.asarray(background, float)
    n_feat = X.shape[1]
    if n_feat > 14:
        raise ValueError("exact Shapley values need 2^n evaluations; use at most 14 features")
    coalitions = list(itertools.product([0, 1], repeat=n_feat))
    weights = {k: math.factorial(k) * math.factorial(n_feat - k - 1) / math.factorial(n_feat) for k in range(n_feat)}
    out = np.zeros_like(X)
    for r, x in enumerate(X):
        stacked = []
        for mask in coalitions:
            m = np.array(mask, bool)
            z = background.copy()
            z[:, m] = x[m]
            stacked.append(z)
        preds = predict(np.vstack(stacked)).reshape(len(coalitions), len(background)).mean(1)
        value = dict(zip(coalitions, preds))
        for j in range(n_feat):
            phi = 0.0
            for mask, v in value.items():
                if mask[j]:
                    continue
                with_j = mask[:j] + (1,) + mask[j + 1 :]
                phi += weights[sum(mask)] * (value[with_j] - v)
            out[r, j] = phi
    return out


def mean_abs_shap(model, X: pd.DataFrame, n_rows: int = 30, n_background: int = 20, seed: int = 0) -> pd.DataFrame:
    """Mean |Shapley value| (eV) per column on a random subset of rows."""
    rng = np.random.default_rng(seed)
    rows = X.to_numpy(float)[rng.choice(len(X), min(n_rows, len(X)), replace=False)]
    bg = X.to_numpy(float)[rng.choice(len(X), min(n_background, len(X)), replace=False)]
    predict = lambda A: model.predict(pd.DataFrame(A, columns=X.columns))  # noqa: E731
    phi = shapley_values(predict, rows, bg)
    return pd.DataFrame({"feature": X.columns, "importance_mean": np.abs(phi).mean(0), "importance_std": np.abs(phi).std(0)}).sort_values(
        "importance_mean", ascending=False, ignore_index=True
    )
